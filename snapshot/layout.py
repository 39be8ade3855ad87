"""Where snapshots live on disk, and the one pointer that says which is current.

    <data_dir>/CURRENT                  the current snapshot's id, one line
    <data_dir>/current -> snapshots/<id>   the same, as a symbolic link, for analysts
    <data_dir>/snapshots/<id>/          one published snapshot:
        tab_*.parquet                   one normalised file per source table
        serving-<version>.duckdb        the engine's tables, built by the engine
        manifest.json                   what the snapshot holds (see manifest.py)
        orphans-tab_*.parquet           `visites follow` only: the rows SPEC §3 drops
                                        for want of a parent, which one may come back for
    <data_dir>/snapshots/.staging-*/    a run in progress; never read by anyone
    <data_dir>/snapshots/<id>/.publishing   from the rename until CURRENT names <id>

A snapshot folder is complete the moment it appears under its id (atomic rename),
and CURRENT changes only by an atomic replace, so a reader sees the old snapshot or
the new one, never a half-written one. The ``current`` link follows CURRENT, replaced
atomically too, right after it: CURRENT is what visites reads, the link a stable path
for other tools (``$VISITES_DATA_DIR/current/tab_visite.parquet``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CURRENT = "CURRENT"
SNAPSHOTS = "snapshots"
STAGING_PREFIX = ".staging-"
# In a snapshot folder from its rename until CURRENT names it: one still holding it and
# not current is a publication that failed half-way, removed by the next run.
PUBLISHING = ".publishing"
MANIFEST = "manifest.json"
CURRENT_LINK = "current"


def snapshots_dir(data_dir: Path) -> Path:
    return data_dir / SNAPSHOTS


def snapshot_dir(data_dir: Path, snapshot_id: str) -> Path:
    return snapshots_dir(data_dir) / snapshot_id


def table_path(folder: Path, table: str) -> Path:
    return folder / f"{table}.parquet"


def orphans_path(folder: Path, table: str) -> Path:
    return folder / f"orphans-{table}.parquet"


class BadCurrent(Exception):
    """CURRENT is there but names no snapshot (a directory, bytes that are no text, a
    line that cannot be a snapshot id)."""


# A snapshot id is a timestamp (manifest.py); anything far longer is not one, and is
# neither read whole nor repeated whole in a message.
MAX_ID = 200


def current_id(data_dir: Path) -> str | None:
    """The id CURRENT names, or None when no snapshot was ever published."""
    path = data_dir / CURRENT

    def bad(what: str) -> BadCurrent:
        fix = "remove it, or write a snapshot id in it"
        return BadCurrent(f"{path} names no snapshot ({what}): {fix}")

    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ID + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise bad("it is a directory") from None
    if len(raw) > MAX_ID:
        raise bad(f"it holds over {MAX_ID} bytes, starting {raw[:40]!r}")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise bad("it is not UTF-8 text") from None
    if "/" in text or "\n" in text or text.startswith("."):
        raise bad(f"it holds {text!r}")
    return text or None


def current_dir(data_dir: Path) -> Path | None:
    snapshot_id = current_id(data_dir)
    return None if snapshot_id is None else snapshot_dir(data_dir, snapshot_id)


def published_ids(data_dir: Path) -> list[str]:
    """Published snapshot ids, oldest first (ids sort by creation time)."""
    folder = snapshots_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def aside(path: Path) -> Path:
    """Where ``write_atomically`` writes before the replace; ``.<name>.<pid>.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def asides(path: Path) -> list[Path]:
    """Every process's ``aside`` of ``path``: what failed writes may have left."""
    return list(path.parent.glob(f".{path.name}.*.tmp"))


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new content."""
    tmp = aside(path)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # not ours (a directory), or already gone
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def link_current(data_dir: Path, snapshot_id: str) -> None:
    """Point ``current`` at the snapshot: a relative link, so that the data directory
    can move, made aside and renamed over the old one. Left alone if ``current`` is
    no link: on a case-insensitive file system (macOS's default) it is CURRENT itself."""
    link = data_dir / CURRENT_LINK
    if link.exists() and not link.is_symlink():
        return
    tmp = aside(link)
    tmp.unlink(missing_ok=True)
    os.symlink(Path(SNAPSHOTS) / snapshot_id, tmp, target_is_directory=True)
    os.replace(tmp, link)
    fsync_dir(data_dir)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
