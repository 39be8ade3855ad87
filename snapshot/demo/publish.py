"""Demo snapshots: generated CRM data published through the snapshot job, no MySQL involved."""

from __future__ import annotations

from pathlib import Path

from snapshot.demo.generator import generate
from snapshot.job import Prepare, Progress, take_snapshot
from snapshot.manifest import Manifest, Source


def take_demo_snapshot(
    data_dir: Path,
    *,
    visits: int,
    seed: int,
    keep: int,
    batch_rows: int,
    messy: bool = False,
    progress: Progress = lambda *_: None,
    prepare: Prepare | None = None,
) -> Manifest:
    """Publish a snapshot of generated CRM data: no MySQL involved.

    ``keep`` and ``batch_rows`` come from the settings (``keep_snapshots``, ``batch_rows``):
    the snapshots kept after publishing, and the rows per record batch handed to the job.
    ``prepare``: as for ``take_snapshot``.
    """
    tables = generate(visits=visits, seed=seed, messy=messy)
    return take_snapshot(
        data_dir,
        Source(kind="demo", seed=seed, visits=visits, messy=messy),
        lambda table: tables[table.name].to_batches(max_chunksize=batch_rows),
        keep=keep,
        progress=progress,
        prepare=prepare,
    )
