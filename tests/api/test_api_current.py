"""A CURRENT that names nothing sound: at start the newest sound snapshot serves, and
CURRENT is still followed; while running, a garbled one is logged once, briefly."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from helpers import eventually, serving, wait_ready

from config import Settings
from engine.build import build_serving
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot
from snapshot.layout import CURRENT, write_atomically

MISSING = "20991231T000000000000Z"  # newer than any snapshot the tests publish


def publish(data_dir: Path, seed: int) -> str:
    return take_demo_snapshot(
        data_dir, visits=1_000, seed=seed, keep=5, batch_rows=50_000, prepare=build_serving
    ).id


def served(url: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    return str(httpx.get(f"{url}/snapshot", headers=headers, timeout=10).json()["id"])


def test_a_current_naming_a_missing_folder_at_start_serves_the_newest_sound_snapshot(
    tmp_path: Path,
) -> None:
    older = publish(tmp_path, seed=1)
    token = create_token(Settings(data_dir=tmp_path).tokens_path, "admin", admin=True)
    (tmp_path / CURRENT).write_text(MISSING + "\n")
    log = tmp_path / "server.log"
    env = {"VISITES_DATA_DIR": str(tmp_path), "VISITES_POLL_INTERVAL": "0.2"}
    with serving(log, **env) as (url, process):
        wait_ready(url, process, seconds=60)
        assert served(url, token) == older
        newer = publish(tmp_path, seed=2)  # a sound CURRENT again: followed
        assert eventually(lambda: served(url, token) == newer, seconds=20)
    text = log.read_text()
    assert f"serving {older}, the newest sound snapshot" in text
    assert f"serving snapshot {older} (the newest that opens" in text


def test_a_garbled_current_while_serving_is_logged_once_briefly_then_a_sound_one_swaps(
    tmp_path: Path,
) -> None:
    first, second = publish(tmp_path, seed=1), publish(tmp_path, seed=2)
    write_atomically(tmp_path / CURRENT, first)
    token = create_token(Settings(data_dir=tmp_path).tokens_path, "admin", admin=True)
    log = tmp_path / "server.log"
    env = {"VISITES_DATA_DIR": str(tmp_path), "VISITES_POLL_INTERVAL": "0.2"}
    with serving(log, **env) as (url, process):
        wait_ready(url, process, seconds=60)
        assert served(url, token) == first
        (tmp_path / CURRENT).write_text("x" * 10_000_000)
        time.sleep(2)  # about ten polls
        assert served(url, token) == first
        assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
        write_atomically(tmp_path / CURRENT, second)
        assert eventually(lambda: served(url, token) == second, seconds=20)
    lines = [line for line in log.read_text().splitlines() if "names no snapshot" in line]
    assert len(lines) == 1, lines
    assert len(lines[0]) < 400 and "over 200 bytes" in lines[0]
    assert "Traceback" not in log.read_text()
