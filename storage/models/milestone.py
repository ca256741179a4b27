"""Moments in the life of an installation that later decisions depend on, recorded once.

`first_start`: when the scheduler first ran on this database. Work that fell due before it (last week's
check-in on a bot installed on a Monday) belongs to a time OneTeam was not there, and is not caught up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Milestone(Base):
    __tablename__ = "milestones"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. "first_start"
    at: Mapped[datetime] = mapped_column(UTCDateTime)
