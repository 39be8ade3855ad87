"""Overload: beyond its threads and queue the engine answers 503 at once, with
Retry-After, and /health stays fast, on a real `visites serve`."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
from helpers import serving, wait_ready

from config import Settings
from engine.build import build_serving
from security.tokens import create_token
from snapshot.demo.publish import take_demo_snapshot

CLIENTS = 40


def test_forty_uncached_clients_on_one_thread_and_a_queue_of_two_get_503s_and_health_stays_fast(
    tmp_path: Path,
) -> None:
    take_demo_snapshot(
        tmp_path, visits=20_000, seed=9, keep=5, batch_rows=50_000, prepare=build_serving
    )
    token = create_token(Settings(data_dir=tmp_path).tokens_path, "admin", admin=True)
    env = {
        "VISITES_DATA_DIR": str(tmp_path),
        "VISITES_CACHE_SIZE": "0",
        "VISITES_THREADS": "1",
        "VISITES_QUEUE": "2",
    }
    stop = threading.Event()
    seen: list[tuple[int | str, str | None, str]] = []  # status, Retry-After, detail

    def ask(client_index: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            n = 0
            while not stop.is_set():
                n += 1  # a filter of its own each time: never a hit, never a shared answer
                body = {"id_utilisateur": client_index * 1000 + n, "annee": 2023}
                try:
                    response = client.post(f"{url}/performance", json=body)
                    detail = response.json().get("detail", "")
                    seen.append((response.status_code, response.headers.get("retry-after"), detail))
                except httpx.HTTPError as error:
                    seen.append((type(error).__name__, None, ""))

    with serving(tmp_path / "server.log", **env) as (url, process):
        wait_ready(url, process, seconds=120)
        clients = [threading.Thread(target=ask, args=(i,)) for i in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            time.sleep(1)  # the load is on
            # Timed by curl, a process of its own: not by this one, busy with forty clients.
            health = subprocess.run(
                [
                    "curl",
                    "-sS",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code} %{time_total}",
                    url + "/health",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.split()
            ready = httpx.get(f"{url}/ready", timeout=10)
            metrics = httpx.get(
                f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
            ).text
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=60)
    assert health[0] == "200" and float(health[1]) < 0.5, health
    assert ready.status_code == 200
    statuses = {status for status, _, _ in seen}
    assert statuses <= {200, 503}, statuses  # no other 5xx, no timeout, no dropped connection
    refused = [(retry, detail) for status, retry, detail in seen if status == 503]
    assert refused and 200 in statuses
    assert all(retry == "1" and detail.startswith("overloaded") for retry, detail in refused)
    assert "visites_engine_rejected_total" in metrics
