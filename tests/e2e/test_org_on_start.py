"""`oneteam run` applies the org file on start only when it changed since the last apply."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from bot.orgfile import load
from sandbox.harness import EXAMPLE_ORG, SIGNING_SECRET, populate_workspace, process_env
from sandbox.slack import SlackSandbox

ORG_METHODS = ("users.list", "users.lookupByEmail", "users.info")


async def _start_and_stop(sandbox: SlackSandbox, env: dict[str, str], cwd: Path, *args: str) -> list[dict]:
    """Starts `oneteam run`, waits until the start-up's org step is done, stops it; returns its log lines."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0", *args,
        env=env, cwd=cwd, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
    lines: list[dict] = []
    try:
        async with asyncio.timeout(60):
            while not any(line["event"] in ("org applied", "org unchanged: not applied") for line in lines):
                raw = await proc.stderr.readline()
                assert raw, f"process ended early: {lines}"
                lines.append(json.loads(raw))
            proc.send_signal(signal.SIGTERM)
            while raw := await proc.stderr.readline():
                lines.append(json.loads(raw))
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await proc.stderr.read()
    return lines


async def test_an_unchanged_org_file_is_not_applied_again_on_start(tmp_path: Path) -> None:
    org = tmp_path / "org.yml"
    org.write_text(EXAMPLE_ORG.read_text())
    async with SlackSandbox(signing_secret=SIGNING_SECRET) as sandbox:
        populate_workspace(sandbox, load(EXAMPLE_ORG))
        env = process_env(sandbox, f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", ONETEAM_ORG=str(org),
                          ONETEAM_SECRET="pepper")

        def org_calls() -> int:
            return sum(c.method in ORG_METHODS for c in sandbox.calls)

        first = await _start_and_stop(sandbox, env, tmp_path)
        assert [line["event"] for line in first].count("org applied") == 1 and org_calls() > 0

        before = org_calls()
        second = await _start_and_stop(sandbox, env, tmp_path)
        assert org_calls() == before, "an unchanged org file made Slack calls on start"
        assert [line["event"] for line in second].count("org unchanged: not applied") == 1
        assert "org applied" not in [line["event"] for line in second]

        org.write_text(EXAMPLE_ORG.read_text().replace("name: Priya Raman", "name: Priya Raman-Lee", 1))
        third = await _start_and_stop(sandbox, env, tmp_path)
        applied = [line for line in third if line["event"] == "org applied"]
        assert len(applied) == 1 and applied[0]["records_changed"] >= 1 and org_calls() > before

        before = org_calls()
        forced = await _start_and_stop(sandbox, env, tmp_path, "--apply-org")
        assert [line["event"] for line in forced].count("org applied") == 1 and org_calls() > before
