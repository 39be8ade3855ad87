"""The snapshot job: read the source, normalise once, publish atomically, prune.

A run works in a hidden staging folder under ``snapshots/`` and makes it visible by a
single rename, then points ``CURRENT`` at it. Whatever stops a run before that (an
error, a full disk, SIGKILL), readers never see a partial snapshot and the previous
one stays current; the next run clears the leftovers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from snapshot.layout import (
    CURRENT,
    CURRENT_LINK,
    MANIFEST,
    PUBLISHING,
    STAGING_PREFIX,
    asides,
    current_id,
    fsync_dir,
    link_current,
    published_ids,
    snapshot_dir,
    snapshots_dir,
    table_path,
    write_atomically,
)
from snapshot.manifest import (
    BinlogPosition,
    Manifest,
    ServingFile,
    Source,
    TableStats,
    encode_manifest,
)
from snapshot.normalise import Normaliser, Quality
from snapshot.tables import TABLES, Table

log = logging.getLogger("visites.snapshot")

LOCK = ".snapshot.lock"

# Called with (table name, rows read so far, seconds since the table started).
Progress = Callable[[str, int, float], None]
# Yields each table's raw record batches, in TABLES order.
Reader = Callable[[Table], Iterable[pa.Table | pa.RecordBatch]]
# Builds the serving database in the staging folder, once its Parquet files are written
# (engine.serving.build_serving, injected: this package knows nothing of the engine).
Prepare = Callable[[Path], ServingFile]


class Contents(msgspec.Struct, frozen=True):
    """What a run wrote into its staging folder: a clean Parquet file per table."""

    rows: dict[str, int]  # per table, in TABLES order: rows of its file
    source_rows: dict[str, int]  # and rows of the source, before any drop
    quality: Quality


# Writes the clean tables into the staging folder; gets the day that bounds plausible
# dates (SPEC §3).
Write = Callable[[Path, date], Contents]


class SnapshotBusy(RuntimeError):
    """Another snapshot run holds the data directory's lock."""


def new_snapshot_id(now: datetime) -> str:
    """Sortable by creation time, unique even for two runs in the same second."""
    return now.strftime("%Y%m%dT%H%M%S%fZ")


@contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    with open(data_dir / LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SnapshotBusy("another snapshot run is in progress") from None
        yield


def _clear_leftovers(data_dir: Path) -> None:
    """What runs that died or failed left; safe to remove while we hold the lock:
    staging folders, snapshots renamed but never made current, the write asides of
    CURRENT and of the ``current`` link."""
    for folder in snapshots_dir(data_dir).glob(STAGING_PREFIX + "*"):
        shutil.rmtree(folder, ignore_errors=True)
    current = current_id(data_dir)
    for snapshot_id in published_ids(data_dir):
        folder = snapshot_dir(data_dir, snapshot_id)
        if snapshot_id != current and (folder / PUBLISHING).exists():
            shutil.rmtree(folder, ignore_errors=True)
    for tmp in [*asides(data_dir / CURRENT), *asides(data_dir / CURRENT_LINK)]:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def _write_raw(
    table: Table, batches: Iterable[pa.Table | pa.RecordBatch], path: Path, progress: Progress
) -> int:
    started, rows = time.monotonic(), 0
    schema = table.raw_schema()
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write(batch, row_group_size=max(batch.num_rows, 1))
            rows += batch.num_rows
            progress(table.name, rows, time.monotonic() - started)
    return rows


def _read_and_clean(
    staging: Path, read: Reader, progress: Progress, snapshot_day: date
) -> Contents:
    """Source rows and clean rows per table, and the quality counts. Each table is
    cleaned by a helper thread while the next one is read: reading mostly waits on
    the server, so cleaning costs almost no extra time."""
    raw = staging / "raw"
    raw.mkdir()
    source_rows: dict[str, int] = {}
    with (
        Normaliser(raw, staging, snapshot_day=snapshot_day) as normaliser,
        ThreadPoolExecutor(1) as cleaner,
    ):
        cleaning = {}
        for table in TABLES:
            source_rows[table.name] = _write_raw(
                table, read(table), table_path(raw, table.name), progress
            )
            cleaning[table.name] = cleaner.submit(normaliser.clean, table, source_rows[table.name])
        rows = {name: future.result() for name, future in cleaning.items()}
        quality = normaliser.quality()
    shutil.rmtree(raw)
    shutil.rmtree(staging / ".duckdb-tmp", ignore_errors=True)
    return Contents(rows=rows, source_rows=source_rows, quality=quality)


def _prune(data_dir: Path, keep: int) -> None:
    """Remove the oldest snapshots beyond ``keep``; never the current one."""
    published, current = published_ids(data_dir), current_id(data_dir)
    surplus = max(0, len(published) - keep)
    for snapshot_id in [i for i in published if i != current][:surplus]:
        shutil.rmtree(snapshot_dir(data_dir, snapshot_id), ignore_errors=True)


def take_snapshot(
    data_dir: Path,
    source: Source,
    read: Reader,
    *,
    keep: int,
    progress: Progress = lambda *_: None,
    prepare: Prepare | None = None,
) -> Manifest:
    """Read every table through ``read``, normalise, run ``prepare``, publish; return the
    manifest. Without ``prepare`` the snapshot has no serving database: the first
    server that needs it builds it (slower, once)."""
    return publish_snapshot(
        data_dir,
        source,
        lambda staging, day: _read_and_clean(staging, read, progress, day),
        keep=keep,
        prepare=prepare,
    )


def publish_snapshot(
    data_dir: Path,
    source: Source,
    write: Write,
    *,
    keep: int,
    prepare: Prepare | None = None,
    binlog: BinlogPosition | None = None,
    snapshot_day: date | None = None,
) -> Manifest:
    """Publish the snapshot that ``write`` puts in a staging folder, with its serving
    database (``prepare``) and its manifest; prune; return the manifest. ``binlog`` and
    ``snapshot_day`` are those of `visites follow`'s versions (see manifest.py); the day
    that bounds plausible dates is otherwise today (UTC)."""
    started = time.monotonic()
    created = datetime.now(UTC)
    snapshot_id = new_snapshot_id(created)
    snapshots_dir(data_dir).mkdir(parents=True, exist_ok=True)
    with _exclusive(data_dir):
        # The run ends by replacing CURRENT: one that names nothing stops it here, before
        # any reading, rather than after the whole extraction.
        current_id(data_dir)
        _clear_leftovers(data_dir)
        staging = snapshots_dir(data_dir) / f"{STAGING_PREFIX}{snapshot_id}-{uuid.uuid4().hex[:6]}"
        staging.mkdir(parents=True)
        try:
            contents = write(staging, snapshot_day or created.date())
            serving = prepare(staging) if prepare is not None else None
            manifest = Manifest(
                id=snapshot_id,
                created_at=created.isoformat(timespec="seconds"),
                source=source,
                tables={
                    name: TableStats(
                        rows=rows,
                        bytes=table_path(staging, name).stat().st_size,
                        source_rows=contents.source_rows[name],
                    )
                    for name, rows in contents.rows.items()
                },
                quality=contents.quality.totals,
                quality_by_column=contents.quality.by_column,
                duration_seconds=round(time.monotonic() - started, 3),
                serving=serving,
                binlog=binlog,
                snapshot_day=None if snapshot_day is None else snapshot_day.isoformat(),
            )
            write_atomically(staging / MANIFEST, encode_manifest(manifest))
            _publish(data_dir, staging, snapshot_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _prune(data_dir, keep)
    return manifest


def _publish(data_dir: Path, staging: Path, snapshot_id: str) -> None:
    (staging / PUBLISHING).touch()
    for path in staging.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    folder = snapshot_dir(data_dir, snapshot_id)
    os.rename(staging, folder)
    fsync_dir(snapshots_dir(data_dir))
    try:
        write_atomically(data_dir / CURRENT, snapshot_id + "\n")
    except BaseException:
        # Never current: gone now, or (if this fails too) at the next run, by its marker.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / PUBLISHING).unlink()
    # Published: a link that cannot be made (no symbolic links on this file system)
    # must not fail the run, whose snapshot is current; the link keeps its old target.
    try:
        link_current(data_dir, snapshot_id)
    except OSError as error:
        log.warning("snapshot %s published, but %s not updated: %s", snapshot_id,
                    data_dir / CURRENT_LINK, error)  # fmt: skip
