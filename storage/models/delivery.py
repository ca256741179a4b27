"""Every message OneTeam sends on its own initiative (prompts, notifications, digests), by a unique key.

Slack's `chat.postMessage` has no idempotency key, so the row is written before sending (`sending`)
and marked `sent` after; a row left `sending` by a crash is resolved by looking for the message's
metadata in the conversation before sending again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Delivery(Base):
    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "checkin:prompt:42:U0SAM"
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # sending | sent
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_channel: Mapped[str | None] = mapped_column(String(32))  # the D... id Slack answered with
    ts: Mapped[str | None] = mapped_column(String(32))
