"""Ids of Slack deliveries already handled, so that retries and duplicates are processed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class HandledDelivery(Base):
    __tablename__ = "handled_deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "event:Ev123"
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
