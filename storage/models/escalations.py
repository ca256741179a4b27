"""Escalations and their timelines. `next_step_at` is the durable timer the tick claims."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "state", "next_step_at"),
                      Index("ix_escalations_sla_due", "state", "sla_next_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open | acknowledged | resolved
    severity: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    raiser_slack_id: Mapped[str] = mapped_column(String(32))
    raiser_name: Mapped[str] = mapped_column(String(200))
    raiser_org: Mapped[str | None] = mapped_column(String(200))  # external organisation, when vendor staff
    level: Mapped[int] = mapped_column(Integer, default=1)  # 1-based index into the policy's levels
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # re-notifications at this level / ack reminders
    step: Mapped[int] = mapped_column(Integer, default=0)  # seq of the last timeline row (compare-and-set)
    synced_step: Mapped[int] = mapped_column(Integer, default=0)  # last step whose messages went out
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    channel_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by_slack_id: Mapped[str | None] = mapped_column(String(32))
    acked_by_name: Mapped[str | None] = mapped_column(String(200))
    acked_by_org: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    jira_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    jira_key: Mapped[str | None] = mapped_column(String(64))
    blocker_id: Mapped[int | None] = mapped_column(Integer)
    # SLA clocks (bot/escalations/sla.py): time used before the current run, the run's start (None while
    # paused), the next warning or breach for the tick, what has been announced (bits), who is waited on.
    sla_used_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_on: Mapped[str | None] = mapped_column(String(16))  # internal | vendor

    steps: Mapped[list[EscalationStep]] = relationship(back_populates="escalation", cascade="all, delete-orphan",
                                                      order_by="EscalationStep.seq")

    @property
    def ref(self) -> str:
        return f"ESC-{self.id}"


class EscalationStep(Base):
    """One line of the timeline: raised, notified, acknowledged, escalated, reminded, resolved, reopened, rated,
    waiting, resumed, sla_warning, sla_breach (note: `clock:side`)."""

    __tablename__ = "escalation_steps"
    __table_args__ = (UniqueConstraint("escalation_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_slack_id: Mapped[str | None] = mapped_column(String(32))  # None: OneTeam's clock
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    escalation: Mapped[Escalation] = relationship(back_populates="steps")
