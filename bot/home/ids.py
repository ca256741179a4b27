"""Ids on the Home tab; the buttons reuse the owning feature's action ids (they handle the click)."""

from __future__ import annotations

from enum import StrEnum


class HomeAction(StrEnum):
    CHECKIN_OPEN = "checkin_start"  # check-ins: opens the form (value = round id)
    PULSE_OPEN = "pulse_open"  # pulse: opens the survey (value = survey id)
