"""What the benchmarks share. Chiefly: start `oneteam run` (or any server that logs JSON lines) as a separate
process, as in production, so that the load generator and the sandbox do not share the bot's event loop or
core."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.server import build_web_app
from bot.services import AckGate
from sandbox.slack import RateLimits


async def start_process(args: list[str], env: dict[str, str], stack: AsyncExitStack, wait_for: str = "listening",
                        on_line: Callable[[bytes], object] | None = None) -> tuple[int, str]:
    """Starts `python <args>`, waits for the log event `wait_for`, returns (pid, events URL); `on_line` reads
    each line of the log until the process has stopped."""
    # The log file is closed after the process has stopped and its log is read to the end (the exit stack
    # unwinds in reverse): a server still logging while it stops must never find its pipe unread.
    log_file = stack.enter_context(open(os.environ.get("BENCH_LOG") or os.devnull, "ab"))  # noqa: ASYNC230
    proc = await asyncio.create_subprocess_exec(sys.executable, *args, env=env,
                                                stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
    assert proc.stderr is not None
    drain: asyncio.Task | None = None

    async def stop() -> None:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()
        if drain is not None:
            await drain  # ends at the end of the log

    stack.push_async_callback(stop)
    url, seen = None, set()
    async with asyncio.timeout(600):
        while wait_for not in seen or url is None:
            line = await proc.stderr.readline()
            if not line:
                raise RuntimeError(f"{args} exited during start-up")
            log_file.write(line)
            if on_line is not None:
                on_line(line)
            if not line.startswith(b"{"):
                continue  # a library's plain warning, not one of our log lines
            entry = json.loads(line)
            seen.add(entry["event"])
            url = url or entry.get("url")
    drain = asyncio.create_task(keep_log(proc.stderr, log_file, on_line))
    return proc.pid, url + "/slack/events"


async def keep_log(stream: asyncio.StreamReader, out: BinaryIO, on_line: Callable[[bytes], object] | None) -> None:
    """Drains a server's log so its pipe never fills, into `out` (the file named by env BENCH_LOG, else
    nowhere): the log of a run that went wrong."""
    if on_line is None:
        while chunk := await stream.read(65536):
            out.write(chunk)
        return
    while line := await stream.readline():
        on_line(line)
        out.write(line)


async def start_instance(env: dict[str, str], stack: AsyncExitStack, wait_for: str = "listening",
                         on_line: Callable[[bytes], object] | None = None) -> tuple[int, str]:
    """`oneteam run` as its own process (see `start_process`)."""
    return await start_process(["-m", "bot", "run", "--host", "127.0.0.1", "--port", "0"], env, stack, wait_for,
                               on_line)


async def idle(events_url: str) -> None:
    """Waits until the instance reports no work in flight (its `/healthz`): what a warm-up left behind
    must not be measured as the cost of what follows."""
    health = events_url.removesuffix("/slack/events") + "/healthz"
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(health) as resp:
                if (await resp.json())["work_in_flight"] == 0:
                    return
            await asyncio.sleep(0.1)


@contextmanager
def steady_client() -> Iterator[None]:
    """No collector pauses in the load generator while it measures: a full collection of its heap (the
    sandbox's workspace, every payload sent) stalls every request in flight for ~100 ms, which would be
    charged to whichever server happened to be measured."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (NaN for no values), as every benchmark reports it."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def per_minute(limits: RateLimits, method: str) -> int:
    """The sandbox's workspace-wide limit on `method`, in calls a minute (chat.postMessage: its workspace
    cap; its 1/s per channel is a separate bound)."""
    cap = limits.post_message_per_minute if method == "chat.postMessage" else \
        limits.per_minute.get(method, limits.default_per_minute)
    return math.floor(cap * limits.scale)


def window_floor(calls: int, cap: int) -> float:
    """Zero-latency seconds for `calls` calls through a sliding window of `cap` calls a minute: the last may
    go once floor((calls - 1) / cap) windows have passed."""
    return math.floor((calls - 1) / cap) * 60.0 if calls > 0 else 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bare_app() -> AsyncApp:
    """The comparison app of the ack benches: slack-bolt on the sandbox, configured by the environment the
    bench gives its process (as the bot is), before any listener."""
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    return AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client, process_before_response=False)


async def serve_bare(app: AsyncApp) -> None:
    """Serves `app` behind the aiohttp handler the bot uses (`build_web_app`), logs "listening" with its URL
    as the bot does (see `start_process`), and runs until the bench stops the process."""
    settings = SimpleNamespace(slack_signing_secret=SecretStr(os.environ["SLACK_SIGNING_SECRET"]))
    # what build_web_app reads
    services = SimpleNamespace(extras={}, acks=AckGate(), background=set(), settings=settings)
    runner = web.AppRunner(build_web_app(app, services), access_log=None)  # type: ignore[arg-type]
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{runner.addresses[0][1]}"}),
          file=sys.stderr, flush=True)
    await asyncio.Event().wait()
