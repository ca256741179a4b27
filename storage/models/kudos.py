"""Thanks given by one person to another (`/kudos`, the message shortcut, "Thank" on an escalation).

One row per giver and receiver, so that the cross-side figures (internal -> vendor, vendor -> internal)
and "the kudos I received" are plain counts; a `/kudos` naming three people is three rows of one batch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Kudos(Base):
    __tablename__ = "kudos"
    __table_args__ = (Index("ix_kudos_giver_day", "giver_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(36), index=True)  # one /kudos, one submitted modal
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    giver_side: Mapped[str] = mapped_column(String(16))  # internal | vendor, when given
    receiver_side: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)  # as typed; escaped wherever it is shown
    public: Mapped[bool] = mapped_column(Boolean, default=True)  # posted in the team channel, else DMs only
    link: Mapped[str | None] = mapped_column(String(500))  # the thanked message's permalink
    day: Mapped[str] = mapped_column(String(10))  # the giver's local date (the daily limit)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class KudosDay(Base):
    """How many thanks a person has given on one local day: the daily limit is taken here with one
    conditional UPDATE, so that two /kudos at the same moment (two instances) cannot both pass a count."""

    __tablename__ = "kudos_days"

    giver_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # the giver's local date
    given: Mapped[int] = mapped_column(Integer, default=0)
