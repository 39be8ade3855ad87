"""``visites follow``: keep the snapshot up to date from the CRM's binary log
(VISITES_MYSQL_URL), a new version within seconds of each commit (docs/snapshot.md)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType

import msgspec

from cli.snapshot import serving_builder
from config import Settings
from snapshot.binlog import ServerNotReady
from snapshot.follow import FollowBusy, Follower, FollowSettings
from snapshot.manifest import Source
from snapshot.mysql import SourceError, describe_url

LOGGERS = ("visites", "pymysqlreplication")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "follow",
        help="keep the snapshot up to date from the MySQL binary log (VISITES_MYSQL_URL)",
        description="Take a full snapshot (or resume from the current one), then read the "
        "CRM's binary log and publish a new snapshot version, serving database included, "
        "at most every VISITES_FOLLOW_INTERVAL seconds when something changed. Runs until "
        "stopped (SIGTERM, Ctrl-C). Needs MariaDB with log_bin, binlog_format=ROW, "
        "binlog_row_image=FULL, binlog_row_metadata=FULL, and a user granted SELECT, "
        "REPLICATION SLAVE and BINLOG MONITOR.",
    )
    parser.set_defaults(run=run)


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        return msgspec.json.encode(line).decode()


def _logger() -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logging.getLogger("visites.follow")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.mysql_url:
        return fail("VISITES_MYSQL_URL is not set")
    try:
        host, database = describe_url(settings.mysql_url)
    except SourceError as error:
        return fail(str(error))
    if not database:
        return fail("VISITES_MYSQL_URL names no database")
    follower = Follower(
        FollowSettings(
            url=settings.mysql_url,
            data_dir=settings.data_dir,
            keep=settings.keep_snapshots,
            interval=settings.follow_interval,
            timeout=settings.mysql_timeout,
            batch_rows=settings.batch_rows,
            memory_limit=settings.memory_limit,
            threads=settings.threads,
        ),
        Source(kind="mysql", host=host, database=database),
        serving_builder(settings),
        threading.Event(),
        log := _logger(),
    )
    # Every version is published atomically: stopping at any point loses nothing.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        follower.run()
    except (ServerNotReady, FollowBusy, OSError) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


def fail(reason: str) -> int:
    print(f"visites follow: {reason}", file=sys.stderr)
    return 1
