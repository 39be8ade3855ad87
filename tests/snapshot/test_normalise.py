"""The normalisation on its own: a child table is cleaned one parent-key range at a time,
and how the ranges fall must change nothing in what is kept or counted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from snapshot.demo.generator import generate
from snapshot.layout import table_path
from snapshot.normalise import Normaliser, Quality
from snapshot.tables import TABLES


def soiled_crm() -> dict[str, pa.Table]:
    """Messy demo data, with every eighth visit deleted too: its partner rows become
    orphans spread over the whole key range, not only past the last visit."""
    tables = generate(visits=3_000, seed=5, messy=True)
    visits = tables["tab_visite"]
    tables["tab_visite"] = visits.filter(pc.not_equal(pc.bit_wise_and(visits["id_visite"], 7), 0))
    return tables


def normalise(tables: dict[str, pa.Table], folder: Path, keys_per_range: int) -> Quality:
    raw, clean = folder / "raw", folder / "clean"
    raw.mkdir(parents=True)
    clean.mkdir()
    with Normaliser(
        raw, clean, snapshot_day=dt.date.today(), keys_per_range=keys_per_range
    ) as normaliser:
        for table in TABLES:
            pq.write_table(tables[table.name], table_path(raw, table.name), row_group_size=100)
            normaliser.clean(table, tables[table.name].num_rows)
        return normaliser.quality()


def rows_in_order(folder: Path, table: str) -> pa.Table:
    rows = pq.read_table(table_path(folder / "clean", table))
    return rows.sort_by([(name, "ascending") for name in rows.column_names])


def kept_with_parent(child: pa.Table, key: str, parent: pa.Table, parent_key: str) -> pa.Table:
    return child.filter(pc.is_in(child[key], value_set=parent[parent_key]))


def test_key_ranges_change_nothing_and_orphans_are_counted(tmp_path):
    tables = soiled_crm()
    whole = normalise(tables, tmp_path / "whole", keys_per_range=1_000_000)
    ranged = normalise(tables, tmp_path / "ranged", keys_per_range=37)

    assert ranged == whole
    for table in TABLES:
        # Row order is not part of a snapshot: the semi-join runs on two threads.
        assert rows_in_order(tmp_path / "ranged", table.name).equals(
            rows_in_order(tmp_path / "whole", table.name)
        ), table.name

    expected = {
        "tab_partenaire_visite": ("id_visite", "tab_visite", "id_visite"),
        "tab_evaluation_detailed": ("id_evaluation", "tab_evaluation", "id"),
    }
    for name, (key, parent, parent_key) in expected.items():
        source = tables[name]
        kept = kept_with_parent(source, key, tables[parent], parent_key)
        clean = pq.read_table(table_path(tmp_path / "ranged" / "clean", name))
        assert sorted(clean[key].to_pylist()) == sorted(kept[key].to_pylist()), name
        rule = f"orphan_{name.removeprefix('tab_')}_dropped"
        assert ranged.totals[rule] == source.num_rows - kept.num_rows > 0, name
