"""Check-in rounds (one per team and week), prompts (one per round and member) and blockers.

A prompt row is the unit of exactly-once work: the scheduler claims it (`state` pending -> sending) before
sending and records `sent` after; the message itself goes through `bot.delivery.deliver_once`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class CheckinRound(Base):
    __tablename__ = "checkin_rounds"
    __table_args__ = (UniqueConstraint("team_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # ISO week of the check-in day, "2026-W47"
    day: Mapped[str] = mapped_column(String(10))  # the check-in day (ISO date) members are prompted on
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the earliest member's prompt
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # frozen for the round
    summary_channel: Mapped[str | None] = mapped_column(String(32))
    summary_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckinPrompt(Base):
    __tablename__ = "checkin_prompts"
    __table_args__ = (
        UniqueConstraint("round_id", "member_id"),
        Index("ix_checkin_prompts_due", "state", "due_at"),
        Index("ix_checkin_prompts_remind", "reminder_state", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("checkin_rounds.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(String(64))  # the zone due_at was computed in
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending -> sending -> sent -> answered; or skipped (by /checkin skip), away (leave / Slack status)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    claim: Mapped[str | None] = mapped_column(String(32))  # which tick holds a `sending` row
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    skip_reason: Mapped[str | None] = mapped_column(Text)
    # none | pending -> sending -> sent; a snooze puts it back to pending with a later remind_at
    reminder_state: Mapped[str] = mapped_column(String(16), default="none")
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    mood: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_ts: Mapped[str | None] = mapped_column(String(32))  # this answer's reply in the summary thread


class CheckinBlocker(Base):
    __tablename__ = "checkin_blockers"

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("checkin_prompts.id", ondelete="CASCADE"), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    jira_key: Mapped[str | None] = mapped_column(String(64))
    jira_status: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
