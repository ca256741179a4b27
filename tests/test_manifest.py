"""The manifest users paste into Slack must match what the code handles."""

import re
from pathlib import Path

from ruamel.yaml import YAML

from handlers import registered_commands

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def _manifest() -> dict:
    return YAML(typ="safe").load(MANIFEST.read_text())


def test_manifest_commands_are_the_registered_commands() -> None:
    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert declared == registered_commands()


def test_manifest_enables_what_the_bot_relies_on() -> None:
    manifest = _manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert {"app_home_opened", "user_change"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "im:write", "im:history", "users:read", "users:read.email",
            "files:write"} <= scopes


def test_manifest_declares_jira_unfurls() -> None:
    """`link_shared` is only sent for the manifest's unfurl domains, to an app with the links scopes."""
    from handlers import jira

    manifest = _manifest()
    assert set(jira.EVENTS) <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"links:read", "links:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert "atlassian.net" in manifest["features"]["unfurl_domains"]


def test_manifest_declares_the_message_shortcuts_the_code_handles() -> None:
    from bot.jira.ids import Shortcut as JiraShortcut
    from bot.kudos.ids import Shortcut as KudosShortcut

    declared = [s["callback_id"] for s in _manifest()["features"]["shortcuts"] if s["type"] == "message"]
    assert sorted(declared) == sorted(s.value for s in (*JiraShortcut, *KudosShortcut))


def test_the_escalate_usage_hint_names_every_subcommand_the_usage_text_names() -> None:
    """Slack shows the hint while people type: `/escalate severity ESC-12 P1` must not be a secret."""
    usage = YAML(typ="safe").load((MANIFEST.parent / "bot/i18n/en/escalations.yml").read_text())["usage"]["text"]
    words = set(re.findall(r"`/escalate ([a-z]+)\b", usage))
    [hint] = [c["usage_hint"] for c in _manifest()["features"]["slash_commands"] if c["command"] == "/escalate"]
    assert {"list", "severity"} <= words
    assert words <= set(re.findall(r"[a-z]+", hint))
