"""The weekly sync: one row per meeting (its agenda message), the items people add, and action items.

Due work lives here: a meeting row exists once per team and start (unique), the agenda, the minutes
request and each reminder are sent through `deliver_once` keys, so restarts and instances repeat nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class SyncMeeting(Base):
    __tablename__ = "sync_meetings"
    __table_args__ = (UniqueConstraint("team_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the agenda, updated in place
    state: Mapped[str] = mapped_column(String(16), default="drafted")  # drafted | asked | minuted
    decisions: Mapped[str | None] = mapped_column(Text)  # as the facilitator typed them
    minuted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncItem(Base):
    """A topic someone added to an agenda."""

    __tablename__ = "sync_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("sync_meetings.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    owner_side: Mapped[str] = mapped_column(String(16))  # internal | vendor
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncActionItem(Base):
    """What a meeting decided someone does by a date; open ones carry into the next agenda."""

    __tablename__ = "sync_action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("sync_meetings.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    due: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    jira_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    jira_key: Mapped[str | None] = mapped_column(String(64))
