"""A publication that fails after the folder's rename (CURRENT cannot be written, or
the run dies right there) leaves nothing that the next run does not remove."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from engine.build import build_serving
from snapshot import job
from snapshot.demo.publish import take_demo_snapshot
from snapshot.job import Prepare
from snapshot.layout import CURRENT, current_id, published_ids
from snapshot.manifest import ServingFile


def publish(data_dir: Path, seed: int, prepare: Prepare | None = None) -> str:
    return take_demo_snapshot(
        data_dir, visits=300, seed=seed, keep=5, batch_rows=50_000, prepare=prepare
    ).id


def leftovers(data_dir: Path) -> list[str]:
    hidden = [p.name for p in data_dir.iterdir() if p.name.startswith(f".{CURRENT}")]
    staged = [p.name for p in (data_dir / "snapshots").iterdir() if p.name.startswith(".")]
    return hidden + staged


def test_a_current_that_cannot_be_written_leaves_the_old_one_and_the_next_run_cleans(
    tmp_path: Path,
) -> None:
    old = publish(tmp_path, seed=1)
    aside = tmp_path / f".{CURRENT}.{os.getpid()}.tmp"

    def block_current(staging: Path) -> ServingFile:
        # Once the run has cleared what it found, the place where it writes CURRENT
        # aside is taken by a directory: the write fails, after the rename, even as root.
        aside.mkdir()
        return build_serving(staging)

    try:
        publish(tmp_path, seed=2, prepare=block_current)
    except IsADirectoryError:
        pass
    else:
        raise AssertionError("the write of CURRENT did not fail")
    assert current_id(tmp_path) == old
    assert published_ids(tmp_path) == [old]
    assert aside.is_dir()  # not this run's own: left for the next run's clearing
    new = publish(tmp_path, seed=3)
    assert current_id(tmp_path) == new
    assert published_ids(tmp_path) == [old, new]
    assert leftovers(tmp_path) == []


def _die_before_current(data_dir: Path) -> None:
    """A run killed between the folder's rename and CURRENT's write."""
    write = job.write_atomically

    def dying(path: Path, text: str) -> None:
        if path.name == CURRENT:
            os._exit(9)
        write(path, text)

    job.write_atomically = dying  # this child process only
    publish(data_dir, seed=2)


def test_a_run_killed_between_rename_and_current_is_removed_by_the_next_run(
    tmp_path: Path,
) -> None:
    old = publish(tmp_path, seed=1)
    child = multiprocessing.get_context("fork").Process(
        target=_die_before_current, args=(tmp_path,)
    )
    child.start()
    child.join(120)
    assert child.exitcode == 9
    [orphan] = [i for i in published_ids(tmp_path) if i != old]  # renamed, never current
    assert current_id(tmp_path) == old
    new = publish(tmp_path, seed=3)
    assert published_ids(tmp_path) == [old, new] and orphan != new
    assert current_id(tmp_path) == new
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "snapshots" / new / job.PUBLISHING).exists()
