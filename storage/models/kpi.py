"""Weekly KPI values of a team: entered by a liaison (`manual`) or snapshotted from OneTeam's data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class KpiValue(Base):
    __tablename__ = "kpi_values"
    __table_args__ = (
        UniqueConstraint("team_id", "kpi_key", "week"),
        Index("ix_kpi_values_team_week", "team_id", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kpi_key: Mapped[str] = mapped_column(String(64))
    week: Mapped[str] = mapped_column(String(8))  # ISO week "2026-W47": sorts in time order
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))  # manual | computed
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
