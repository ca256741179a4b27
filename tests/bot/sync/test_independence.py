"""The new feature packages are independent rooms: they import no other feature (only the shared core)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[3] / "bot"
FEATURES = {"checkins", "escalations", "kpi", "pulse", "jira", "digest", "home", "kudos", "sync", "org"}


@pytest.mark.parametrize("feature", ["kudos", "sync"])
def test_feature_imports_no_other_feature(feature: str) -> None:
    found = set()
    for path in (BOT / feature).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "bot" and len(parts) > 1 and parts[1] in FEATURES - {feature}:
                    found.add(f"{path.name}: {name}")
    assert not found, sorted(found)
