"""Hot swap (SPEC §9): a new CURRENT is picked up without failing or mixing a request,
and a snapshot that cannot be loaded is refused while the current one keeps serving."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow.parquet as pq
import pytest
from engine_snapshot import publish, write_snapshot

from engine import Engine, EngineClosed, NoSnapshot, SnapshotRefused, SnapshotView, VisiteFilter
from snapshot.layout import MANIFEST, snapshot_dir, table_path

FILTER = VisiteFilter(annee=2024)


def crm(visits: int) -> dict[str, list[dict[str, Any]]]:
    """A tiny CRM where user 1 made ``visits`` visits to partner 10 in January 2024."""
    return {
        "tab_utilisateur": [
            {"id_utilisateur": 1, "nom_utilisateur": "A", "prenom_utilisateur": "B", "role": "DEL"}
        ],
        "tab_partenaire": [{"id_partenaire": 10, "nom_partenaire": "P", "code_potentiel": "A"}],
        "tab_visite": [
            {"id_visite": v, "id_utilisateur": 1, "code_type_visite": "PLAN",
             "date_visite": datetime(2024, 1, 1 + v % 28, 9)}
            for v in range(visits)
        ],
        "tab_partenaire_visite": [
            {"id_visite": v, "id_partenaire": 10, "code_region_partenaire": "RE01"}
            for v in range(visits)
        ],
    }  # fmt: skip


def answers(view: SnapshotView) -> tuple[Any, Any]:
    """Two endpoints asked within one lease: they must come from one snapshot."""
    return view.answer("data", FILTER), view.answer("performance", FILTER)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    write_snapshot(tmp_path, "a", crm(3))
    write_snapshot(tmp_path, "b", crm(5))
    publish(tmp_path, "a")
    return tmp_path


@pytest.fixture
def engine(data_dir: Path) -> Iterator[Engine]:
    engine = Engine.open(data_dir)
    yield engine
    engine.close()


def test_no_current_snapshot(tmp_path: Path) -> None:
    with pytest.raises(NoSnapshot):
        Engine.open(tmp_path)


def test_refresh_without_change(engine: Engine) -> None:
    assert engine.refresh() is False
    assert engine.snapshot_id == "a"


def test_swap_under_load_never_fails_nor_mixes(data_dir: Path, engine: Engine) -> None:
    expected = {}
    for snapshot_id in ("a", "b"):
        publish(data_dir, snapshot_id)
        engine.refresh()
        with engine.lease() as view:
            expected[snapshot_id] = answers(view)
    assert expected["a"] != expected["b"]

    stop = threading.Event()
    errors: list[BaseException] = []
    seen: dict[str, int] = {"a": 0, "b": 0}
    lock = threading.Lock()

    def ask_forever() -> None:
        while not stop.is_set():
            try:
                with engine.lease() as view:
                    snapshot_id = view.id
                    got = answers(view)
                assert got == expected[snapshot_id], f"mixed answer on {snapshot_id}"
                with lock:
                    seen[snapshot_id] += 1
            except BaseException as error:  # every failure counts, whatever it is
                errors.append(error)
                return

    # Six more snapshots, ids in publication order, holding a's and b's data in turn.
    later = {f"c{n}": "ab"[n % 2] for n in range(6)}
    for snapshot_id, like in later.items():
        write_snapshot(data_dir, snapshot_id, crm(3 if like == "a" else 5))
        expected[snapshot_id] = expected[like]
    seen |= dict.fromkeys(later, 0)
    threads = [threading.Thread(target=ask_forever) for _ in range(8)]
    for thread in threads:
        thread.start()
    swaps = 0
    for snapshot_id in later:
        time.sleep(0.2)
        publish(data_dir, snapshot_id)
        swaps += engine.refresh()
    time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[:3]
    assert swaps == 6
    assert sum(seen[i] > 0 for i in later) >= 3, seen


def test_old_snapshot_closes_when_its_last_lease_ends(data_dir: Path, engine: Engine) -> None:
    with engine.lease() as old:
        before = answers(old)
        publish(data_dir, "b")
        assert engine.refresh() is True
        assert answers(old) == before  # still on "a" until the lease ends
        with engine.lease() as new:
            assert new.id == "b" and answers(new) != before
    with pytest.raises(duckdb.ConnectionException):
        old.answer("data", FILTER)  # closed once nobody used it any more


def corrupt_parquet(folder: Path) -> None:
    table_path(folder, "tab_visite").write_bytes(b"PAR1 this is not parquet PAR1")


def truncate_parquet(folder: Path) -> None:
    path = table_path(folder, "tab_partenaire_visite")
    path.write_bytes(path.read_bytes()[:-20])


def missing_table(folder: Path) -> None:
    table_path(folder, "tab_evaluation").unlink()


def missing_manifest(folder: Path) -> None:
    (folder / MANIFEST).unlink()


def wrong_manifest(folder: Path) -> None:
    (folder / MANIFEST).write_text("{not json", encoding="utf-8")


def missing_column(folder: Path) -> None:
    path = table_path(folder, "tab_visite")
    pq.write_table(pq.read_table(path).drop_columns(["date_visite"]), path)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (corrupt_parquet, "tab_visite.parquet"),
        (truncate_parquet, "tab_partenaire_visite.parquet"),
        (missing_table, "tab_evaluation.parquet"),
        (missing_manifest, "manifest.json"),
        (wrong_manifest, "manifest.json"),
        (missing_column, "no column date_visite"),
    ],
)
def test_broken_snapshot_is_refused_and_the_current_one_serves(
    data_dir: Path, engine: Engine, caplog: pytest.LogCaptureFixture, damage, reason: str
) -> None:
    with engine.lease() as view:
        before = answers(view)
    write_snapshot(data_dir, "c", crm(7))
    damage(snapshot_dir(data_dir, "c"))
    publish(data_dir, "c")
    with caplog.at_level(logging.ERROR, logger="visites.engine"):
        assert engine.refresh() is False
        assert engine.refresh() is False  # refused once, not retried at every refresh
    [record] = caplog.records
    assert "snapshot c refused, still serving a" in record.getMessage()
    assert reason in record.getMessage()
    with engine.lease() as view:
        assert view.id == "a" and answers(view) == before
    publish(data_dir, "b")  # the next good snapshot is taken
    assert engine.refresh() is True and engine.snapshot_id == "b"


def test_a_current_naming_an_older_snapshot_than_one_served_is_ignored_and_logged_once(
    data_dir: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    publish(data_dir, "b")
    assert engine.refresh() is True
    with engine.lease() as view:
        served = answers(view)
    publish(data_dir, "a")  # a stale pointer, or one put back by hand
    caplog.clear()  # the swap to b may have logged, if another test set the level lower
    with caplog.at_level(logging.ERROR, logger="visites.engine"):
        assert engine.refresh() is False
        assert engine.refresh() is False
    [record] = caplog.records
    assert record.getMessage() == (
        "CURRENT names snapshot a, older than b served before: not going back"
    )
    with engine.lease() as view:
        assert view.id == "b" and answers(view) == served
    write_snapshot(data_dir, "c", crm(7))
    publish(data_dir, "c")  # newer: followed again
    assert engine.refresh() is True and engine.snapshot_id == "c"


def test_a_garbled_current_while_serving_keeps_the_snapshot_served(
    data_dir: Path, engine: Engine
) -> None:
    """Not the newest published (b): the fallback is for an engine serving nothing."""
    (data_dir / "CURRENT").write_bytes(b"\xff\xfe")
    assert engine.refresh() is False
    assert engine.snapshot_id == "a"


def test_opening_a_broken_current_snapshot_fails(data_dir: Path) -> None:
    missing_manifest(snapshot_dir(data_dir, "a"))
    with pytest.raises(SnapshotRefused, match=r"manifest\.json"):
        Engine.open(data_dir)


def test_closed_engine_gives_no_lease(engine: Engine) -> None:
    engine.close()
    with pytest.raises(EngineClosed), engine.lease():
        pass


def test_snapshot_stays_served_when_its_files_are_pruned(data_dir: Path, engine: Engine) -> None:
    for table in ("tab_visite", "tab_partenaire_visite"):
        table_path(snapshot_dir(data_dir, "a"), table).unlink()
    with engine.lease() as view:
        regions = msgspec.to_builtins(view.answer("data", FILTER))["statistiques"]["region"]
    assert regions[0]["nb_visites_total"] == 3
