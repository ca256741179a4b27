"""Run the Jira sandbox by hand: `python -m sandbox.jira --flavor cloud --port 8081`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import JiraSandbox


async def _serve(args: argparse.Namespace) -> None:
    sandbox = JiraSandbox(flavor=args.flavor, user=args.user, token=args.token, projects=args.projects)
    await sandbox.start(args.host, args.port)
    print(f"Jira {args.flavor} sandbox at {sandbox.url} (user {args.user}, token {args.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flavor", choices=("cloud", "server"), default="cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--user", default="bot@example.com")
    parser.add_argument("--token", default="jira-sandbox-token")
    parser.add_argument("--projects", nargs="*", default=["OPS"])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
