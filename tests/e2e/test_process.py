"""`oneteam run` as a real process: serves Slack, logs structured lines without secrets, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from bot.orgfile import load
from sandbox.driver import SlackDriver
from sandbox.harness import EXAMPLE_ORG, SIGNING_SECRET, populate_workspace, process_env
from sandbox.slack import SlackSandbox, text_of


async def _read_until(stream: asyncio.StreamReader, lines: list[dict], event: str) -> dict:
    async with asyncio.timeout(30):
        while True:
            raw = await stream.readline()
            if not raw:
                raise AssertionError(f"process ended before logging {event!r}: {lines}")
            assert raw.startswith(b"{"), raw  # every log line is one JSON object
            entry = json.loads(raw)
            lines.append(entry)
            if entry["event"] == event:
                return entry


async def test_run_serves_logs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with SlackSandbox(signing_secret=SIGNING_SECRET) as sandbox:
        populate_workspace(sandbox, load(EXAMPLE_ORG))
        env = process_env(sandbox, f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", ONETEAM_ORG=str(EXAMPLE_ORG),
                          ONETEAM_SECRET="pepper")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0",
            env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
        lines: list[dict] = []
        try:
            listening = await _read_until(proc.stderr, lines, "listening")
            await _read_until(proc.stderr, lines, "org applied")
            async with SlackDriver(sandbox, bot_url=listening["url"] + "/slack/events") as driver:
                ack = await driver.slash("U0SAM", "/oneteam", "help")
            assert ack.status == 200 and "/escalate" in text_of(ack.body)
            proc.send_signal(signal.SIGTERM)
            await _read_until(proc.stderr, lines, "stopped")
            async with asyncio.timeout(15):
                assert await proc.wait() == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await proc.stderr.read()  # drain to EOF so the pipe closes with the loop still running
        # a start and a stop with nothing wrong warn of nothing (an operator's alerts watch for warnings)
        assert [(e["logger"], e["event"]) for e in lines if e["level"] in ("warning", "error", "critical")] == []
        logged = json.dumps(lines)
        assert sandbox.bot_token not in logged and SIGNING_SECRET not in logged and "pepper" not in logged
