"""Pulse surveys. Anonymity is structural:

- `pulse_answers` / `pulse_comments` hold no member id, no Slack id, no time finer than a date, and a
  random UUID key; the tables are WITHOUT ROWID on SQLite, so rows are kept in key (random) order
  rather than insertion order that could be lined up with another table.
- `pulse_receipts` holds only HMAC-SHA256(ONETEAM_SECRET, "survey:user") to refuse a second answer:
  no date, no segment, no reference to answers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime

NO_ROWID: dict[str, Any] = {"sqlite_with_rowid": False}


class PulseSurvey(Base):
    __tablename__ = "pulse_surveys"
    __table_args__ = (UniqueConstraint("team_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 0, 1, 2 ... per team: picks the rotating questions
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    threshold: Mapped[int] = mapped_column(Integer)  # as configured when it opened
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    invited: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)  # results-ready notice sent


class PulseAnswer(Base):
    __tablename__ = "pulse_answers"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random uuid4
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # internal | vendor
    question_id: Mapped[str] = mapped_column(String(48))
    value: Mapped[int] = mapped_column(Integer)
    answered_on: Mapped[date] = mapped_column(Date)


class PulseComment(Base):
    __tablename__ = "pulse_comments"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random uuid4
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    answered_on: Mapped[date] = mapped_column(Date)


class PulseReceipt(Base):
    __tablename__ = "pulse_receipts"
    __table_args__ = NO_ROWID

    token: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex HMAC of "survey:user"
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)


class PulseFollowUp(Base):
    """"You said, we did": a manager's answer to a flagged concern, sent to everyone surveyed."""

    __tablename__ = "pulse_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(48))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
