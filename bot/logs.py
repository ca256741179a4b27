"""Structured logs: one JSON object per line, with secrets masked even if one slips into a message."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_SECRET = re.compile(r"(xox[abpr]-|xapp-)[A-Za-z0-9-]+")
SQL_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    return _SECRET.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Bolt and the SDK log request bodies at DEBUG; keep them above that whatever the root says.
    for noisy in ("slack_bolt", "slack_sdk", "aiohttp.access", "apscheduler", "oneteam.bolt"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The database drivers log statements with their parameters (pulse answers next to the member lookup
    # that preceded them) from INFO / DEBUG: never, whatever the level asked for.
    for driver in SQL_LOGGERS:
        logging.getLogger(driver).setLevel(logging.WARNING)
