"""The shape of the org YAML. Feature sections (check-ins, escalation policy, pulse, KPIs, Jira)
hang off `TeamSpec` and are defined next to the feature that reads them."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.checkins.config import CheckinConfig
from bot.escalations.config import EscalationConfig
from bot.jira.config import JiraConfig
from bot.kpi.config import KpiConfig
from bot.kudos.config import KudosConfig
from bot.pulse.config import PulseConfig
from bot.sync.config import SyncConfig

Role = Literal["member", "vendor_lead", "liaison", "manager", "admin"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_timezone(value: str | None) -> str | None:
    if value is not None and value not in _zones():
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Seoul)")
    return value


@cache
def _zones() -> set[str]:
    return available_timezones() | {"UTC"}


class PersonSpec(Strict):
    email: str
    name: str
    slack_id: str | None = Field(None, pattern=r"^[UW][A-Z0-9]{2,}$")
    timezone: str | None = None
    locale: str | None = None
    on_leave: bool = False
    external_org: str | None = None
    admin: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL.match(v):
            raise ValueError(f"{v!r} is not an email address")
        return v.lower()

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))


class TeamMemberSpec(Strict):
    email: str
    roles: tuple[Role, ...] = ("member",)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        return v.lower()


class TeamSpec(Strict):
    key: str = Field(pattern=SLUG)
    name: str
    kind: Literal["internal", "vendor"]
    vendor: str | None = None
    timezone: str = "UTC"
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

    _tz = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))

    @field_validator("members", mode="before")
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
