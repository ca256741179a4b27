"""The shape of the org YAML that the org feature reads: the organisation, people, teams and memberships.
The feature sections of a team (check-ins, escalation policy, pulse, KPIs, Jira) are defined next to the
feature that reads them and composed into the whole file's model in bot/orgfile.py."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config_types import Email, Strict, TimeZone

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

