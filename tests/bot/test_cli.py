"""The `oneteam` command line, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import setuptools
from click.testing import CliRunner

from bot import __version__
from bot.cli import main
from sandbox.harness import EXAMPLE_ORG


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "ONETEAM_ORG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env, and a throwaway oneteam.db
    return CliRunner()


def test_version_and_help(runner: CliRunner) -> None:
    assert __version__ in runner.invoke(main, ["--version"]).output
    for args in (["--help"], ["run", "--help"], ["org", "apply", "--help"], ["demo", "--help"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_run_without_tokens_explains_what_to_set(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run"])
    assert result.exit_code == 2
    for words in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "oneteam demo"):
        assert words in result.output


def test_org_validate_reports_lines(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["org", "validate", str(EXAMPLE_ORG)]).exit_code == 0
    bad = tmp_path / "bad.yml"
    bad.write_text("organisation:\n  name: X\nteams:\n  - key: a\n    name: A\n    kind: vendr\n")
    result = runner.invoke(main, ["org", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:6:" in result.output and "problem" in result.output


def test_org_apply_twice_changes_nothing_the_second_time(runner: CliRunner, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    first = runner.invoke(main, ["org", "apply", str(EXAMPLE_ORG)])
    assert first.exit_code == 0, first.output
    assert "created: team care-hana" in first.output
    second = runner.invoke(main, ["org", "apply", str(EXAMPLE_ORG)])
    assert second.exit_code == 0 and "nothing changed" in second.output


def test_postgresql_without_its_driver_says_what_to_install(runner: CliRunner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as if `oneteam[postgres]` were not installed
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://oneteam:pw@db.example/oneteam")
    result = runner.invoke(main, ["migrate"])
    assert result.exit_code == 1
    assert "DATABASE_URL asks for PostgreSQL" in result.output
    assert "pip install 'oneteam[postgres]'" in result.output
    assert "Traceback" not in result.output and "pw@" not in result.output


@pytest.mark.parametrize("missing", ["demo", "sandbox"])
def test_demo_without_the_dev_packages_says_what_to_do(runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                                       missing: str) -> None:
    """An installed wheel ships neither `demo` nor `sandbox`: the command says so instead of a traceback."""
    for name in [n for n in sys.modules if n.split(".")[0] in ("demo", missing)]:
        monkeypatch.delitem(sys.modules, name)  # imported afresh, as in a new process
    monkeypatch.setitem(sys.modules, missing, None)  # what an import of an absent package raises
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 1
    assert "source checkout" in result.output
    assert "Traceback" not in result.output


def test_the_wheel_ships_production_packages_only() -> None:
    """pyproject's packages.find: bot, handlers, schedules, storage; never the sandbox or the demo."""
    find = tomllib.loads(Path("pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = {name.split(".")[0] for name in setuptools.find_packages(include=find["include"],
                                                                       exclude=find.get("exclude", ()))}
    assert shipped == {"bot", "handlers", "schedules", "storage"}


def test_demo_is_found_from_an_editable_install_anywhere(tmp_path: Path) -> None:
    """`pip install -e .` maps only the shipped packages: the demo command finds demo/ and sandbox/ beside
    bot/ in the checkout, whatever the current directory."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "from bot.cli import load_demo; print(load_demo().__module__)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "demo"
