"""``visites snapshot``: refresh the data directory from the CRM named by VISITES_MYSQL_URL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial

from config import MIN_KEEP_SNAPSHOTS, Settings
from engine.build import build_serving
from engine.serving import Resources, SnapshotRefused
from snapshot.job import Prepare, Progress, SnapshotBusy, take_snapshot
from snapshot.layout import BadCurrent, current_id
from snapshot.manifest import Manifest, Source
from snapshot.mysql import MySQLSource, SourceError, describe_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "snapshot",
        help="take a snapshot of the MySQL CRM (VISITES_MYSQL_URL) and publish it",
        description="Read the eight CRM tables from VISITES_MYSQL_URL in one consistent "
        "read, normalise them, publish the snapshot atomically and prune old ones.",
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=None,
        metavar="N",
        help=f"snapshots to keep, {MIN_KEEP_SNAPSHOTS} or more "
        f"(default VISITES_KEEP_SNAPSHOTS, else {Settings().keep_snapshots})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.keep is not None and args.keep < MIN_KEEP_SNAPSHOTS:
        print(
            f"visites snapshot: --keep must be at least {MIN_KEEP_SNAPSHOTS}, not {args.keep}",
            file=sys.stderr,
        )
        return 2
    keep = settings.keep_snapshots if args.keep is None else args.keep
    if not settings.mysql_url:
        return fail(settings, "VISITES_MYSQL_URL is not set (`visites demo` builds demo data)")
    try:
        host, database = describe_url(settings.mysql_url)
    except SourceError as error:
        return fail(settings, str(error))
    source = Source(kind="mysql", host=host, database=database)
    return publish(
        settings,
        lambda progress: _from_mysql(settings, source, keep, progress),
    )


def _from_mysql(settings: Settings, source: Source, keep: int, progress: Progress) -> Manifest:
    assert settings.mysql_url is not None
    with MySQLSource(settings.mysql_url, settings.batch_rows, settings.mysql_timeout) as mysql:
        return take_snapshot(
            settings.data_dir,
            source,
            mysql.read,
            keep=keep,
            progress=progress,
            prepare=serving_builder(settings),
        )


def serving_builder(settings: Settings) -> Prepare:
    """The job's last step before publishing: the engine's serving database, built
    within the memory settings (VISITES_MEMORY_LIMIT, VISITES_THREADS)."""
    return partial(build_serving, resources=Resources.of(settings))


def publish(settings: Settings, make: Callable[[Progress], Manifest]) -> int:
    """Run a snapshot, report progress on a terminal and one line at the end."""
    progress = TerminalProgress() if sys.stderr.isatty() else (lambda *_: None)
    try:
        manifest = make(progress)
    except (SourceError, SnapshotBusy, SnapshotRefused, BadCurrent, OSError) as error:
        return fail(settings, str(error))
    except KeyboardInterrupt:
        return fail(settings, "interrupted")
    print(summary(manifest))
    return 0


def fail(settings: Settings, reason: str) -> int:
    try:
        kept = current_id(settings.data_dir)
    except BadCurrent:  # nothing is current; the reason, or the next run, says why
        still = ""
    else:
        still = f"; current snapshot is still {kept}" if kept else "; no snapshot is published"
    print(f"visites snapshot: failed: {reason}{still}", file=sys.stderr)
    return 1


def summary(manifest: Manifest) -> str:
    source_rows = sum(t.source_rows for t in manifest.tables.values())
    rows = sum(t.rows for t in manifest.tables.values())
    repairs = sum(manifest.quality.values())
    origin = (
        f"{manifest.source.host}/{manifest.source.database}"
        if manifest.source.kind == "mysql"
        else f"demo data (seed {manifest.source.seed})"
    )
    speed = source_rows / manifest.duration_seconds if manifest.duration_seconds else 0
    return (
        f"snapshot {manifest.id} published: {rows:,} rows from {origin} "
        f"in {manifest.duration_seconds:.1f} s ({speed:,.0f} source rows/s), "
        f"{repairs:,} quality counts"
    )


class TerminalProgress:
    """One self-updating line per table on a terminal."""

    def __init__(self) -> None:
        self._table: str | None = None

    def __call__(self, table: str, rows: int, seconds: float) -> None:
        if table != self._table and self._table is not None:
            sys.stderr.write("\n")
        self._table = table
        speed = rows / seconds if seconds > 0 else 0
        sys.stderr.write(f"\r  {table:<26} {rows:>12,} rows {speed:>12,.0f} rows/s")
        sys.stderr.flush()
