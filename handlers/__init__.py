"""Thin Slack listeners, one module per feature; each has `COMMANDS` and `register(app)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import absence, checkins, escalations, help, home, jira, kpi, kudos, org, pulse, sync

FEATURES = (absence, help, checkins, kpi, pulse, escalations, jira, home, org, kudos, sync)


def register_all(app: AsyncApp) -> None:
    for feature in FEATURES:
        feature.register(app)


def registered_commands() -> set[str]:
    return {command for feature in FEATURES for command in feature.COMMANDS}
