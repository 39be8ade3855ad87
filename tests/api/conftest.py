"""The API's fixtures: one published demo snapshot that its tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapshot.demo.publish import take_demo_snapshot


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding one published, messy demo snapshot (read-only: share it)."""
    data_dir = tmp_path_factory.mktemp("demo-data")
    take_demo_snapshot(data_dir, visits=5_000, seed=7, messy=True, keep=5, batch_rows=50_000)
    return data_dir
