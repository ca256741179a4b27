"""Pulse surveys. Anonymity is structural:

- `pulse_answers` / `pulse_comments` hold no member id, no Slack id, no time at all (the survey is the
  finest time), and a random UUID key; the tables are WITHOUT ROWID on SQLite, so rows are kept in key
  (random) order rather than insertion order that could be lined up with another table. They are
  written in shuffled batches of at least the survey's threshold of people, never in the transaction
  of a receipt (see `bot.pulse.ballots`).
- `pulse_receipts` holds only HMAC-SHA256(ONETEAM_SECRET, "survey:user") to refuse a second answer,
  and, while that person's answers wait in a process's memory for their batch, that process's id:
  no date, no segment, no reference to answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, true
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
    # Both sides had at least `threshold` people surveyed at open: answers keep their side. Otherwise
    # every answer is stored under the whole team (side "team"), so a small side is not in the database.
    by_side: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class PulseAnswer(Base):
    __tablename__ = "pulse_answers"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random uuid4
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # internal | vendor | team (not split by side)
    question_id: Mapped[str] = mapped_column(String(48))
    value: Mapped[int] = mapped_column(Integer)


class PulseComment(Base):
    __tablename__ = "pulse_comments"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random uuid4
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class PulseReceipt(Base):
    __tablename__ = "pulse_receipts"
    __table_args__ = NO_ROWID

    token: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex HMAC of "survey:user"
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    holder: Mapped[str | None] = mapped_column(String(32))  # process whose memory holds the answers; None: written


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
