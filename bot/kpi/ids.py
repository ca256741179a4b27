"""Block ids of KPI views (App Home and /kpi answers)."""

from __future__ import annotations

from enum import StrEnum


class KpiBlock(StrEnum):
    TEAM = "kpi_team"
    ROW = "kpi_row"
