"""The shape of the code (README, "Architecture"): the import-linter contracts hold, and the modules that
start the process are not imported back by what they start."""

from __future__ import annotations

import configparser
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports


@pytest.mark.parametrize("contract", ["layers", "features", "core", "dev-only"])
def test_contract_holds(contract: str) -> None:
    """Each contract of .importlinter, as CI runs it (the report says which import breaks it)."""
    assert lint_imports(limit_to_contracts=(contract,), no_cache=True, no_logo=True) == 0


@pytest.mark.parametrize(("upper", "lower"), [("bot.app", "handlers"), ("bot.cli", "bot.jira.cli")])
def test_no_import_cycle(upper: str, lower: str) -> None:
    """The app registers the listeners and the CLI the feature commands; neither is imported back."""
    graph = grimp.build_graph("bot", "handlers", "schedules", "storage", cache_dir=None)
    assert graph.find_shortest_chain(upper, lower, as_packages=True) is not None
    assert graph.find_shortest_chain(lower, upper, as_packages=True) is None


# One `/escalate`, from the signed request to the level-1 DM (README, "Architecture"), in reading order.
ESCALATE_PATH = ("bot.server", "bot.app", "handlers.escalations", "bot.escalations.service",
                 "bot.escalations.notify", "bot.delivery", "bot.slack")


def test_the_escalate_path_reads_top_down() -> None:
    """No file on the path imports one the reader has already left."""
    graph = grimp.build_graph("bot", "handlers", "schedules", "storage", cache_dir=None)
    back = [graph.find_shortest_chain(later, earlier)
            for i, later in enumerate(ESCALATE_PATH) for earlier in ESCALATE_PATH[:i]]
    assert [chain for chain in back if chain] == []


def test_features_are_independent_without_exceptions() -> None:
    """The features contract makes no exception (issue 15): even a feature's `oneteam` sub-command gets its
    services from the CLI's composition root through the click context."""
    parser = configparser.ConfigParser()
    parser.read(Path(__file__).parent.parent / ".importlinter")
    ignored = [line.strip() for line in parser["importlinter:contract:features"].get("ignore_imports", "").splitlines()
               if line.strip() and not line.strip().startswith("#")]
    assert ignored == []
