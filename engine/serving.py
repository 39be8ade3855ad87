"""The serving database: a snapshot's derived tables in one DuckDB file, opened read-only.

The snapshot job builds it into the staging folder before it publishes the snapshot
(``engine.build.build_serving``, handed to ``take_snapshot`` as its ``prepare`` step),
and the manifest records its size and checksum. A server then opens the file read-only in a
fraction of a second, instead of loading the Parquet files and running the build
scripts of ``queries/build`` in every process.

The file's name carries the build version (the build scripts, a format number and the
DuckDB version), so two visites versions over one data directory each use their own
file. A snapshot without the file for this version (published before, by an older
visites, or without ``prepare``) gets it built from its own Parquet files, once, by the
first process that needs it (``ensure_serving``): under a file lock, into a temporary
name, then renamed; a small sidecar JSON records it. A file that does not match its
record is refused, never rebuilt over: something damaged it, and the operator must see.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import msgspec

import queries
from config import Settings
from snapshot.layout import write_atomically
from snapshot.manifest import Manifest, ServingFile

log = logging.getLogger("visites.engine")

# Bump when what the build makes changes other than through queries/build/*.sql.
FORMAT = 1
LOCK = ".serving.lock"
CHUNK = 1 << 20


class SnapshotRefused(Exception):
    """A snapshot that cannot be served: bad manifest, Parquet or serving database."""


class Resources(msgspec.Struct, frozen=True):
    """What one process's DuckDB may use: VISITES_MEMORY_LIMIT and VISITES_THREADS."""

    memory_limit: str
    threads: int

    @classmethod
    def of(cls, settings: Settings) -> Resources:
        return cls(settings.memory_limit, settings.threads)

    def config(self) -> dict[str, str | bool | int | float | list[str]]:
        # Background threads give memory DuckDB no longer uses back to the system.
        return {
            "memory_limit": self.memory_limit,
            "threads": self.threads,
            "allocator_background_threads": True,
        }


DEFAULT_RESOURCES = Resources.of(Settings())


@cache
def build_version() -> str:
    """``<format>-<hash>``: a new build script, format or DuckDB makes a new version
    (a DuckDB file may not open in another DuckDB, and must not be trusted to)."""
    digest = hashlib.sha256(f"{FORMAT}\n{duckdb.__version__}\n".encode())
    for script in queries.build_scripts():
        digest.update(f"{script}\n{queries.load(script)}\n".encode())
    return f"{FORMAT}-{digest.hexdigest()[:12]}"


def serving_name() -> str:
    return f"serving-{build_version()}.duckdb"


def _sidecar(folder: Path) -> Path:
    """Where a file built after publication is recorded (the manifest is never rewritten)."""
    return folder / f"serving-{build_version()}.json"


def sha256_of(path: Path, *, sync: bool = False) -> str:
    """The file's sha256, read once; with ``sync``, its bytes are then forced to disk."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest()


def _recorded(folder: Path, manifest: Manifest) -> ServingFile | None:
    """The record of this version's serving file, if there is one and the file exists:
    the sidecar of a later build first, else the manifest's."""
    sidecar = _sidecar(folder)
    record: ServingFile | None
    try:
        record = msgspec.json.decode(sidecar.read_bytes(), type=ServingFile)
    except FileNotFoundError:
        record = manifest.serving
    except (OSError, msgspec.DecodeError) as error:
        raise SnapshotRefused(f"{folder.name}: {sidecar.name}: {error}") from error
    if record is None or record.build_version != build_version():
        return None
    if record.file != serving_name():
        raise SnapshotRefused(f"{folder.name}: the serving database is {record.file!r}")
    return record if (folder / record.file).exists() else None


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """This snapshot's build lock, waited for; released when the process dies too."""
    with open(folder / LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process building the serving database of %s", folder.name)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def verify(folder: Path, record: ServingFile) -> Path:
    """The serving file, if its size and sha256 are those recorded; else refused."""
    path = folder / record.file
    try:
        size = path.stat().st_size
        if size != record.bytes:
            raise SnapshotRefused(
                f"{folder.name}: {record.file} is corrupt: {size} bytes, expected {record.bytes}"
            )
        if sha256_of(path) != record.sha256:
            raise SnapshotRefused(f"{folder.name}: {record.file} is corrupt: sha256 differs")
    except OSError as error:
        raise SnapshotRefused(f"{folder.name}: {record.file}: {error}") from error
    return path


def ensure_serving(
    folder: Path, manifest: Manifest, resources: Resources = DEFAULT_RESOURCES
) -> Path:
    """The checked serving file of the snapshot in ``folder``, built first if missing.

    Any number of processes may call this at once: one builds, the others wait on the
    lock and then find the file built. Raises ``SnapshotRefused``."""
    record = _recorded(folder, manifest)
    if record is None:
        try:
            with _locked(folder):
                record = _recorded(folder, manifest)
                if record is None:
                    # Imported here: it needs pyarrow, which serving alone never loads.
                    from engine.build import build_serving

                    log.info("snapshot %s has no serving database for this version", folder.name)
                    record = build_serving(folder, resources)
                    write_atomically(_sidecar(folder), msgspec.json.encode(record).decode())
        except OSError as error:  # a read-only or full disk, a folder pruned meanwhile...
            raise SnapshotRefused(
                f"{folder.name}: cannot build the serving database: {error}"
            ) from error
    return verify(folder, record)


def connect(path: Path, resources: Resources = DEFAULT_RESOURCES) -> duckdb.DuckDBPyConnection:
    """The serving file, read-only: any number of processes may open it at once."""
    return duckdb.connect(str(path), read_only=True, config=resources.config())
