"""The service's log lines: one JSON object per line, whoever logs (visites, uvicorn,
Litestar, a library's warning), so a collector parses every line the same way.

    {"time": "2026-12-03T17:19:00.123+00:00", "level": "INFO", "logger": "visites.access",
     "message": "POST /data 200", "request_id": "…", "endpoint": "/data", ...}

A record's own fields (``log.info(..., extra=fields(...))``) follow the four common
keys; so does the id of the request being served, if any (``REQUEST_ID``, set by the
access log around each request). ``visites serve`` installs this for every logger
(``serve_logging``); tests and other commands keep the standard library's defaults.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

# The id of the request the current task serves (api/access.py), for every line it logs.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

_FIELDS = "visites_fields"  # the record attribute that carries a line's own fields
_encode = msgspec.json.Encoder(decimal_format="number").encode


def fields(values: msgspec.Struct | Mapping[str, Any]) -> dict[str, Any]:
    """``extra=`` for a record whose line adds these keys."""
    return {_FIELDS: values}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC, ms), level, logger, message, the request
    id, the record's fields, and a traceback as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            line["request_id"] = request_id
        own = getattr(record, _FIELDS, None)
        if isinstance(own, msgspec.Struct):
            own = msgspec.structs.asdict(own)
        if own:
            line.update(own)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return _encode(line).decode()


def serve_logging(level: str = "INFO") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``visites serve`` (and of each uvicorn worker):
    one JSON handler on stderr for every logger; ours, uvicorn's and Litestar's at
    ``level``, the rest at WARNING."""
    formatter: Callable[[], JsonFormatter] = JsonFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True}
            for name in ("visites", "uvicorn", "uvicorn.error", "uvicorn.access", "litestar")
        },
    }
