"""The shape of the org YAML. Feature sections (check-ins, escalation policy, pulse, KPIs, Jira)
hang off `TeamSpec` and are defined next to the feature that reads them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.checkins.config import CheckinConfig
from bot.config_types import Email, Strict, TimeZone
from bot.escalations.config import EscalationConfig
from bot.jira.config import JiraConfig
from bot.kpi.config import KpiConfig
from bot.kudos.config import KudosConfig
from bot.pulse.config import PulseConfig
from bot.sync.config import SyncConfig

Role = Literal["member", "vendor_lead", "liaison", "manager", "admin"]
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class PersonSpec(Strict):
    email: Email
    name: str
    slack_id: str | None = Field(None, pattern=r"^[UW][A-Z0-9]{2,}$")
    timezone: TimeZone | None = None
    locale: str | None = None
    on_leave: bool = False
    external_org: str | None = None
    admin: bool = False


class TeamMemberSpec(Strict):
    email: Email
    roles: tuple[Role, ...] = ("member",)


class TeamSpec(Strict):
    key: str = Field(pattern=SLUG)
    name: str
    kind: Literal["internal", "vendor"]
    vendor: str | None = None
    timezone: TimeZone = "UTC"
    locale: str = "en"
    channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]{2,}$")
    members: tuple[TeamMemberSpec, ...] = ()
    checkins: CheckinConfig = CheckinConfig()
    escalation: EscalationConfig = EscalationConfig()
    pulse: PulseConfig = PulseConfig()
    kpi: KpiConfig = KpiConfig()
    jira: JiraConfig = JiraConfig()
    kudos: KudosConfig = KudosConfig()
    sync: SyncConfig | None = None

    @field_validator("members", mode="before", json_schema_input_type=list[TeamMemberSpec | Email])
    @classmethod
    def _plain_emails(cls, v: object) -> object:
        # A bare email in the list means a plain member.
        if isinstance(v, list):
            return [{"email": item} if isinstance(item, str) else item for item in v]
        return v

    @model_validator(mode="after")
    def _vendor_named(self) -> TeamSpec:
        if self.kind == "vendor" and not self.vendor:
            raise ValueError("a vendor team needs `vendor:` (the vendor company's name)")
        return self


class Organisation(Strict):
    name: str
    default_locale: str = "en"


class OrgSpec(Strict):
    organisation: Organisation
    people: tuple[PersonSpec, ...] = ()
    teams: tuple[TeamSpec, ...] = ()

    def person(self, email: str) -> PersonSpec | None:
        return next((p for p in self.people if p.email == email), None)


def json_schema() -> dict[str, Any]:
    """The whole org file as JSON Schema, for editors to autocomplete and check `org.yml`."""
    schema = OrgSpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "OneTeam org file"
    return schema
