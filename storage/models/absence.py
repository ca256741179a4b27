"""Dated absences people set themselves (`/oneteam away`): whole local days, first and last day included."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Absence(Base):
    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_member_days", "member_id", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))  # as typed: shown escaped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OncallCover(Base):
    """`/oneteam cover`: `member_id` is on duty for a team's rotation on these days instead of the schedule."""

    __tablename__ = "oncall_covers"
    __table_args__ = (Index("ix_oncall_covers_team_days", "team_id", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    rotation: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
