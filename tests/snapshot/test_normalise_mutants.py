"""What `just mutate` found the normalisation tests blind to (docs/testing.md): a data
folder whose name holds a quote, the compression of the clean files, and the key ranges
that bound the memory of a child table's cleaning (docs/snapshot.md)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from snapshot.demo.generator import generate
from snapshot.layout import table_path
from snapshot.normalise import KEEP_WHEN, Normaliser, Quality, _key_ranges
from snapshot.tables import PARTENAIRE_VISITE, TABLES


def normalise(folder: Path) -> Quality:
    tables = generate(visits=40, seed=3, messy=False)
    raw, clean = folder / "raw", folder / "clean"
    raw.mkdir(parents=True)
    clean.mkdir()
    with Normaliser(raw, clean, snapshot_day=dt.date.today()) as normaliser:
        for table in TABLES:
            pq.write_table(tables[table.name], table_path(raw, table.name))
            normaliser.clean(table, tables[table.name].num_rows)
        return normaliser.quality()


def test_a_quote_in_the_folder_name_changes_nothing(tmp_path):
    plain = normalise(tmp_path / "plain")
    quoted = normalise(tmp_path / "l'entrepôt")

    assert quoted == plain
    for table in TABLES:
        assert pq.read_table(table_path(tmp_path / "l'entrepôt" / "clean", table.name)).equals(
            pq.read_table(table_path(tmp_path / "plain" / "clean", table.name))
        ), table.name


def test_clean_files_are_zstd_compressed(tmp_path):
    normalise(tmp_path)
    for table in TABLES:
        metadata = pq.ParquetFile(table_path(tmp_path / "clean", table.name)).metadata
        codecs = {
            metadata.row_group(g).column(c).compression
            for g in range(metadata.num_row_groups)
            for c in range(metadata.num_columns)
        }
        assert codecs <= {"ZSTD"}, table.name


@pytest.mark.parametrize(
    ("keys", "per_range", "ranges"),
    [
        (100, 25, 4),
        (100, 30, 4),  # 3.33 ranges' worth of keys: 4 ranges
        (100, 50, 2),
        (100, 100, 1),
        (100, 1_000, 1),
    ],
)
def test_key_ranges_split_the_parent_keys_evenly_and_cover_them(keys, per_range, ranges):
    parent = KEEP_WHEN[PARTENAIRE_VISITE.name]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        f"CREATE TABLE raw.{parent.table.name} AS "
        f"SELECT range + 11 AS {parent.table.key} FROM range($keys)",
        {"keys": keys},
    )

    found = _key_ranges(con, parent, per_range)

    assert len(found) == ranges
    assert found[0][0] == 11 and found[-1][1] == 10 + keys
    assert all(end + 1 == start for (_, end), (start, _) in itertools.pairwise(found))
    assert all(low <= high for low, high in found)


def test_no_parent_key_no_range():
    parent = KEEP_WHEN[PARTENAIRE_VISITE.name]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(f"CREATE TABLE raw.{parent.table.name} ({parent.table.key} BIGINT)")

    assert _key_ranges(con, parent, 10) == []
