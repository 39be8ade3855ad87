"""``$VISITES_DATA_DIR/current``: the analysts' stable path to the current snapshot, a
relative link that each publication replaces right after CURRENT."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq

from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import CURRENT, current_id, snapshot_dir


def publish_demo(data_dir: Path, seed: int) -> str:
    return take_demo_snapshot(data_dir, visits=300, seed=seed, keep=5, batch_rows=50_000).id


def test_current_follows_each_publication(tmp_path: Path) -> None:
    first = publish_demo(tmp_path, seed=1)
    link = tmp_path / "current"
    assert os.readlink(link) == f"snapshots/{first}"  # relative: the folder may move
    assert pq.read_metadata(link / "tab_visite.parquet").num_rows == 300

    second = publish_demo(tmp_path, seed=2)
    assert second != first and current_id(tmp_path) == second
    assert link.resolve() == snapshot_dir(tmp_path, second).resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".snapshot.lock",
        CURRENT,
        "current",
        "snapshots",
    ]  # no aside left

    moved = tmp_path.with_name(tmp_path.name + "-moved")
    tmp_path.rename(moved)
    assert (moved / "current" / "manifest.json").is_file()


def test_a_leftover_aside_of_the_link_is_cleared(tmp_path: Path) -> None:
    publish_demo(tmp_path, seed=1)
    stale = tmp_path / ".current.4242.tmp"  # a run killed between its link and rename
    os.symlink("snapshots/nothing", stale)
    second = publish_demo(tmp_path, seed=2)
    assert not stale.is_symlink()
    assert os.readlink(tmp_path / "current") == f"snapshots/{second}"


def test_a_current_that_is_no_link_is_left_alone(tmp_path: Path) -> None:
    """On a case-insensitive file system `current` is CURRENT itself: never replaced."""
    (tmp_path / "current").write_text("not a link\n")
    published = publish_demo(tmp_path, seed=1)
    assert (tmp_path / "current").read_text() == "not a link\n"
    assert current_id(tmp_path) == published
