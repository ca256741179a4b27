"""The organisation as applied from the org YAML: teams, people and who plays which role where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime

ROLES = ("member", "vendor_lead", "liaison", "manager", "admin")


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # internal | vendor
    vendor_name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    # Feature sections of the team's YAML (check-ins, escalation policy, pulse, KPIs, Jira), as validated.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="team", cascade="all, delete-orphan")


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))  # Slack profile tz, else the YAML's
    locale: Mapped[str | None] = mapped_column(String(16))  # Slack locale, else the YAML's
    external_org: Mapped[str | None] = mapped_column(String(200))  # vendor staff in a Slack Connect org
    on_leave: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="member", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)

    team: Mapped[Team] = relationship(back_populates="memberships")
    member: Mapped[Member] = relationship(back_populates="memberships")


class OrgApplied(Base):
    """The digest of the org file (and workspace) last applied: a start with the same one skips the apply and its
    paged Slack directory reads. One row."""

    __tablename__ = "org_applied"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))


class ProfileSnapshot(Base):
    """A Slack profile read one by one (`users.info`: Slack Connect staff of another workspace are on no
    `users.list` page), kept with the time it was read so that a check-in prompt can use it at send time
    instead of reading it then (`users.info` allows 100 a minute: 5,000 such people would take 50 minutes)."""

    __tablename__ = "profile_snapshots"

    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    status_text: Mapped[str] = mapped_column(String(200))
    status_emoji: Mapped[str] = mapped_column(String(100))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
