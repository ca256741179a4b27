"""`oneteam demo` in-process: every check passes, and each scene prints only what is new."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import pytest

from demo import run_demo

SCREEN = re.compile(r"^  \[(?P<who>.+?) sees (?P<what>.+)\]$")


def screens(output: str) -> list[tuple[str, str]]:
    """(who, body) of every screen the demo printed."""
    out: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        if (m := SCREEN.match(line)):
            out.append((m["who"], []))
        elif out and line.startswith("    "):
            out[-1][1].append(line.strip())
    return [(who, "\n".join(body)) for who, body in out]


async def test_the_demo_passes_and_never_prints_a_message_twice(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_demo() == 0
    output = capsys.readouterr().out
    shown = screens(output)
    assert len(shown) > 20
    repeated = [key for key, n in Counter(shown).items() if n > 1]
    assert not repeated, repeated[0]
    for who, body in shown:
        lines = body.splitlines()
        doubled = [a for a, b in pairwise(lines) if a == b]
        assert not doubled, f"{who} sees {doubled[0]!r} twice in a row"
    pulse_scene = output.split("== Anonymous pulse survey")[1].split("\n== ")[0]
    assert "ESC-" not in pulse_scene  # earlier escalation DMs stay in their own scene
