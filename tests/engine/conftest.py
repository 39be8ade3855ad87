"""The hand-built snapshot (tests/engine_hand.py), loaded once for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_hand import HAND
from engine_snapshot import publish, write_snapshot

from engine import Engine, SnapshotView


@pytest.fixture(scope="package")
def view(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotView]:
    data_dir: Path = tmp_path_factory.mktemp("data")
    write_snapshot(data_dir, "hand", HAND)
    publish(data_dir, "hand")
    engine = Engine.open(data_dir)
    with engine.lease() as pinned:
        yield pinned
    engine.close()
