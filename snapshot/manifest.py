"""``manifest.json``: what a published snapshot holds and how it was made."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from snapshot.layout import MANIFEST


class TableStats(msgspec.Struct, frozen=True):
    rows: int  # rows in the published Parquet file
    bytes: int  # size of that file
    source_rows: int  # rows read from the source, before any drop


class Source(msgspec.Struct, frozen=True):
    """Where a snapshot's rows came from (its fields' descriptions show in the API's
    OpenAPI schema, under GET /snapshot)."""

    kind: Annotated[str, Meta(description="mysql, or demo for generated data")]
    # never the password: see snapshot.mysql.describe_url
    host: Annotated[str | None, Meta(description="The MySQL host and port")] = None
    database: Annotated[str | None, Meta(description="The MySQL database")] = None
    seed: Annotated[int | None, Meta(description="Demo data: the generator's seed")] = None
    visits: Annotated[int | None, Meta(description="Demo data: visits generated")] = None
    messy: Annotated[bool | None, Meta(description="Demo data: with the CRM's faults injected")] = (
        None
    )


class ServingFile(msgspec.Struct, frozen=True):
    """The serving database: the engine's derived tables in one DuckDB file, beside the
    Parquet files. Built by the engine (engine/serving.py); recorded here so that a
    server can check the file before it opens it."""

    file: str  # its name in the snapshot folder: serving-<build_version>.duckdb
    bytes: int
    sha256: str
    build_version: str  # the build scripts and format it was made with


class BinlogPosition(msgspec.Struct, frozen=True, order=True):
    """A place in the source's binary log: between two transactions, the next one to
    read starting at ``position`` of ``file``. Orders as the log does (file names end
    in a sequence number of fixed width)."""

    file: str
    position: int

    def __str__(self) -> str:
        return f"{self.file}:{self.position}"


class Manifest(msgspec.Struct, frozen=True):
    id: str
    created_at: str  # ISO 8601, UTC
    source: Source
    tables: dict[str, TableStats]
    # rule -> how many values or rows it repaired, defaulted or dropped; every rule
    # is present, 0 when the source was clean (see snapshot/normalise.py)
    quality: dict[str, int]
    duration_seconds: float
    # rule -> "table.column" -> count, for the rules that counted anything
    quality_by_column: dict[str, dict[str, int]] = {}
    serving: ServingFile | None = None  # None: servers build it when they first need it
    format_version: int = 1
    # Versions published by `visites follow`: every change before this place in the
    # source's binary log is in the snapshot, none after it (snapshot/follow.py)...
    binlog: BinlogPosition | None = None
    # ...and the day that bounded the plausible dates of its rows (SPEC §3), that of
    # the full snapshot it started from; created_at's day when absent.
    snapshot_day: str | None = None


def read_manifest(folder: Path) -> Manifest:
    return msgspec.json.decode((folder / MANIFEST).read_bytes(), type=Manifest)


def encode_manifest(manifest: Manifest) -> str:
    return msgspec.json.format(msgspec.json.encode(manifest).decode(), indent=2) + "\n"
