"""Jira: which Slack thing is linked to which issue, the durable queue of Jira writes, the pull-sync
watermark and the weekly counts stored for KPIs and the digest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class JiraLink(Base):
    """One escalation or check-in blocker and (once created) its Jira issue.

    Recorded when the escalation/blocker is announced, so that a later button click has what it needs.
    `state`: none (no ticket asked for) | pending (queued in the outbox) | linked | failed | dropped.
    """

    __tablename__ = "jira_links"
    __table_args__ = (UniqueConstraint("origin", "origin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # escalation | blocker
    origin_id: Mapped[int] = mapped_column(Integer)
    origin_ref: Mapped[str | None] = mapped_column(String(32))  # "ESC-42"
    oneteam_id: Mapped[str] = mapped_column(String(100), unique=True)  # tagged on the issue (property + label)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    severity: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(255))
    details: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str | None] = mapped_column(String(32))  # the Slack thread updates go to
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="none")
    jira_key: Mapped[str | None] = mapped_column(String(64), index=True)
    jira_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str | None] = mapped_column(String(64))
    status_category: Mapped[str | None] = mapped_column(String(16))  # new | indeterminate | done
    assignee: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(64))
    jira_updated: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last issue version applied
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JiraOutboxItem(Base):
    """A Jira write not yet known to have happened. `state`: pending | running | done | failed | dropped |
    skipped (no such transition: told once, not retried).

    `attempts` counts attempts started: a create with attempts > 1 may already exist in Jira and is
    looked up by its OneTeam id before being sent again.
    """

    __tablename__ = "jira_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("jira_links.id", ondelete="CASCADE"), index=True)
    op: Mapped[str] = mapped_column(String(16))  # create | transition (a change made in Slack: comment + status)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))  # e.g. "HTTP 503", never a body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JiraAccount(Base):
    """A person's Jira id by email (Cloud accountId, Server username), looked up once: the batched search of
    open issues names people by it, and the results are grouped by it (Cloud may hide emails). `account_id`
    None: Jira knows nobody by that email; asked again once `checked_at` is old enough."""

    __tablename__ = "jira_accounts"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(128))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JiraSyncState(Base):
    """The pull sync's watermark (max `updated` applied) and a lease so one instance syncs at a time."""

    __tablename__ = "jira_sync_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JiraWeeklyStats(Base):
    """Per team and week (Monday in the team's time zone): issues created, resolved, and overdue at week end."""

    __tablename__ = "jira_weekly_stats"
    __table_args__ = (UniqueConstraint("team_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    created: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JiraSubscription(Base):
    """`/oneteam jira subscribe`: Jira changes matching `jql` posted to a team's channel.

    `kinds` are any of created | transitioned | commented. `watermark` is the newest `updated` seen;
    `seen` maps issue keys to the status last seen (to tell a transition from other edits), bounded.
    """

    __tablename__ = "jira_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32), index=True)
    jql: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(32))  # Slack user id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
