"""The serving database (engine/serving.py): built by the snapshot job, recorded in the
manifest, opened read-only; built once from Parquet when missing or of another build
version; refused when corrupt while the served snapshot keeps serving."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from helpers import ROOT, eventually

from engine import Engine, VisiteFilter
from engine.build import build_serving
from engine.database import Database
from engine.serving import LOCK, Resources, build_version, serving_name
from engine.statement import Statement
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import MANIFEST, current_id, snapshot_dir, write_atomically
from snapshot.manifest import ServingFile, encode_manifest, read_manifest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served_data(engine: Engine) -> tuple[str | None, object]:
    with engine.lease() as view:
        return view.id, msgspec.to_builtins(view.answer("data", VisiteFilter()))


def test_the_job_builds_the_file_and_the_manifest_records_it(tmp_path: Path) -> None:
    manifest = take_demo_snapshot(
        tmp_path, visits=1_500, seed=1, prepare=build_serving, keep=5, batch_rows=50_000
    )
    folder = snapshot_dir(tmp_path, manifest.id)
    record = manifest.serving
    assert record is not None
    path = folder / record.file
    assert record.file == f"serving-{record.build_version}.duckdb"
    assert record.bytes == path.stat().st_size
    assert record.sha256 == sha256(path)
    assert read_manifest(folder).serving == record
    # Only the Parquet files, the manifest and the database: no build leftovers.
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*(n for n in names if n.endswith(".parquet")), MANIFEST, record.file])
    # Served as it is: no build, no sidecar, and the queries run read-only.
    engine = Engine.open(tmp_path)
    try:
        snapshot_id, answer = served_data(engine)
    finally:
        engine.close()
    assert snapshot_id == manifest.id
    assert answer["statistiques"]["region"], "the data endpoint answers from the file"
    assert sorted(p.name for p in folder.iterdir()) == names


def test_the_memory_settings_reach_duckdb(tmp_path: Path) -> None:
    manifest = take_demo_snapshot(
        tmp_path, visits=1_000, seed=1, prepare=build_serving, keep=5, batch_rows=50_000
    )

    class Limits(msgspec.Struct):
        memory_limit: str
        threads: int

    database = Database.open(snapshot_dir(tmp_path, manifest.id), Resources("100MB", 1))
    try:
        limits = database.fetch(
            Statement(
                "SELECT current_setting('memory_limit') AS memory_limit, "
                "current_setting('threads') AS threads",
                {},
            ),
            Limits,
        )
    finally:
        database.close()
    # DuckDB shows 100 MB (decimal) in binary units.
    assert limits == Limits("95.3 MiB", 1)


def damage_byte(path: Path) -> None:
    """Same size, one byte changed in the middle: only the checksum can tell."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-4096])


@pytest.mark.parametrize(("damage", "reason"), [(damage_byte, "sha256"), (truncate, "bytes")])
def test_a_corrupt_file_is_refused_and_the_served_snapshot_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage, reason: str
) -> None:
    good = take_demo_snapshot(
        tmp_path, visits=1_500, seed=1, prepare=build_serving, keep=5, batch_rows=50_000
    )
    engine = Engine.open(tmp_path)
    try:
        before = served_data(engine)
        bad = take_demo_snapshot(
            tmp_path, visits=1_500, seed=2, prepare=build_serving, keep=5, batch_rows=50_000
        )
        assert bad.serving is not None
        damage(snapshot_dir(tmp_path, bad.id) / bad.serving.file)
        with caplog.at_level(logging.ERROR, logger="visites.engine"):
            assert engine.refresh() is False
            assert engine.refresh() is False  # refused once, not retried
        [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert f"snapshot {bad.id} refused, still serving {good.id}" in record.getMessage()
        assert "corrupt" in record.getMessage() and reason in record.getMessage()
        assert engine.refused_total == 1
        assert served_data(engine) == before
        assert current_id(tmp_path) == bad.id  # the engine never touches CURRENT
        # Not rebuilt over: the damaged file is left for the operator to see.
        assert not (snapshot_dir(tmp_path, bad.id) / f"serving-{build_version()}.json").exists()
    finally:
        engine.close()


def test_an_older_build_version_is_rebuilt_from_parquet(tmp_path: Path) -> None:
    """As after an upgrade: the snapshot's file and record are another version's."""
    manifest = take_demo_snapshot(
        tmp_path, visits=1_500, seed=3, prepare=build_serving, keep=5, batch_rows=50_000
    )
    assert manifest.serving is not None
    folder = snapshot_dir(tmp_path, manifest.id)
    engine = Engine.open(tmp_path)
    try:
        _, expected = served_data(engine)
    finally:
        engine.close()
    old_name = "serving-0-000000000000.duckdb"
    (folder / manifest.serving.file).rename(folder / old_name)
    older = msgspec.structs.replace(
        manifest,
        serving=ServingFile(
            old_name, manifest.serving.bytes, manifest.serving.sha256, "0-000000000000"
        ),
    )
    write_atomically(folder / MANIFEST, encode_manifest(older))
    old_bytes = (folder / old_name).read_bytes()

    engine = Engine.open(tmp_path)  # no MySQL anywhere: only the snapshot's own files
    try:
        assert served_data(engine) == (manifest.id, expected)
    finally:
        engine.close()
    sidecar = msgspec.json.decode(
        (folder / f"serving-{build_version()}.json").read_bytes(), type=ServingFile
    )
    assert sidecar.file == serving_name() == manifest.serving.file
    assert sidecar.sha256 == sha256(folder / sidecar.file)
    # The older version's file and record stay as they were, for the older visites.
    assert (folder / old_name).read_bytes() == old_bytes
    assert read_manifest(folder) == older


OPEN_ONE = """
import logging, sys
from pathlib import Path
from engine.database import Database
logging.basicConfig(level=logging.INFO, format="%(message)s")
Database.open(Path(sys.argv[1])).close()
print("opened")
"""


def test_two_processes_started_together_build_once(tmp_path: Path) -> None:
    manifest = take_demo_snapshot(
        tmp_path, visits=5_000, seed=4, keep=5, batch_rows=50_000
    )  # no serving database
    assert manifest.serving is None
    folder = snapshot_dir(tmp_path, manifest.id)
    logs = [tmp_path / f"process-{n}.log" for n in range(2)]
    # The test holds the build lock until both processes wait on it: then they race.
    with open(folder / LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        processes = []
        for log in logs:
            with open(log, "w") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-c", OPEN_ONE, str(folder)],
                        cwd=ROOT,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )

        def both_wait() -> bool:
            return all("waiting for another process" in log.read_text() for log in logs)

        waited = eventually(both_wait, seconds=120)
    for process in processes:
        process.wait(timeout=300)
    outputs = [log.read_text() for log in logs]
    assert waited, outputs
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all(o.rstrip().endswith("opened") for o in outputs), outputs
    assert sum(o.count("built serving database") for o in outputs) == 1, outputs
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("serving-")) == [
        serving_name(),
        f"serving-{build_version()}.json",
    ]
