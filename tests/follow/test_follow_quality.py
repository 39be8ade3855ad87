"""Quality counts follow the rows (hand-computed): orphans appear when their parent is
deleted and disappear when it is inserted, unknown users and hierarchy cycles alike;
a version links the files of the tables that did not change; versions are pruned."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from follow_crm import Crm, following, wait_caught_up

from snapshot.layout import current_dir, published_ids, table_path
from snapshot.manifest import Manifest

WATCHED = (
    "orphan_partenaire_visite_dropped",
    "orphan_evaluation_detailed_dropped",
    "visites_unknown_utilisateur",
    "hierarchy_cycle_users",
)


def counts(manifest: Manifest) -> tuple[int, ...]:
    return tuple(manifest.quality[rule] for rule in WATCHED)


def inode(data_dir: Path, table: str) -> int:
    folder = current_dir(data_dir)
    assert folder is not None
    return table_path(folder, table).stat().st_ino


def test_counts_follow_orphans_unknown_users_and_cycles(crm: Crm, tmp_path: Path):
    crm.insert(
        "tab_utilisateur",
        [
            (1, None, "A", "a", "DIR", None),
            (2, 1, "B", "b", "SUP", None),
            (3, 2, "C", "c", "DEL", None),
        ],
    )
    crm.insert(
        "tab_partenaire", [(100, "P", None, "A", None, None, None, None, "MEDE", None, None)]
    )
    crm.insert(
        "tab_visite",
        [
            (1, 2, 1, "PLAN", None, "N", None, None, "S"),
            (2, 3, 2, "PLAN", None, "N", None, None, "S"),
        ],
    )
    crm.insert(
        "tab_partenaire_visite",
        [(v, 100, None, None, "MEDE", None, None) for v in (1, 2, 3)],
    )
    crm.insert("tab_evaluation", [(1, 1, 3, D("10.00"), D("20.00"), None)])
    crm.insert(
        "tab_evaluation_detailed",
        [(1, 1, "CA1", None, D("1.00"), D("5.00")), (2, 404, "CA1", None, D("2.00"), D("5.00"))],
    )
    data = tmp_path / "data"
    with following(crm, data):
        # visit 3's partner row and evaluation 404's detail row have no parent
        first = wait_caught_up(data, crm)
        assert counts(first) == (1, 1, 0, 0)
        assert (
            first.tables["tab_partenaire_visite"].rows,
            first.tables["tab_partenaire_visite"].source_rows,
        ) == (2, 3)
        partenaire, visite = inode(data, "tab_partenaire"), inode(data, "tab_visite")

        crm.run("DELETE FROM tab_visite WHERE id_visite = 2")
        assert counts(wait_caught_up(data, crm)) == (2, 1, 0, 0)
        # tab_partenaire did not change: the new version links the same file
        assert inode(data, "tab_partenaire") == partenaire
        assert inode(data, "tab_visite") != visite

        crm.run("INSERT INTO tab_visite VALUES (3, 50, NULL, 'PLAN', NULL, 'N', NULL, NULL, 'S')")
        assert counts(wait_caught_up(data, crm)) == (1, 1, 1, 0)

        crm.run(
            "INSERT INTO tab_utilisateur VALUES (50, NULL, 'E', 'e', 'DEL', NULL)",
            "UPDATE tab_utilisateur SET id_responsable = 3 WHERE id_utilisateur = 1",
            "INSERT INTO tab_evaluation VALUES (404, 1, 2, NULL, NULL, NULL)",
        )
        last = wait_caught_up(data, crm)
        # 1 -> 3 -> 2 -> 1: three users in a cycle
        assert counts(last) == (1, 0, 0, 3)
        assert (
            last.tables["tab_partenaire_visite"].rows,
            last.tables["tab_partenaire_visite"].source_rows,
        ) == (2, 3)
    # five versions at least, three kept (following() keeps 3)
    assert len(published_ids(data)) == 3
