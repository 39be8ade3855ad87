"""Snapshots while serving (SPEC §9): notice a new CURRENT, run the refresh job.

The watcher asks the engine every ``poll_interval`` seconds to swap to a newer
CURRENT; requests in flight keep the snapshot they leased. The refresh job always
runs as a subprocess (``visites snapshot``), so whatever it does — crash, run out of
memory, get killed — the server only records the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

import anyio.to_thread
import msgspec
from msgspec import Meta
from prometheus_client import Counter

from api.logs import fields
from config import Settings
from engine import Engine

log = logging.getLogger("visites.snapshots")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RefreshOutcome(msgspec.Struct, frozen=True, kw_only=True):
    started_at: Annotated[str, Meta(description="When the refresh started (ISO 8601, UTC)")]
    status: Annotated[Literal["running", "succeeded", "failed"], Meta(description="Its state")]
    finished_at: Annotated[str | None, Meta(description="When it ended; null if running")] = None
    exit_code: Annotated[
        int | None, Meta(description="The job's exit status; null if running or not started")
    ] = None
    message: Annotated[
        str | None, Meta(description="The job's last line: its summary, or why it failed")
    ] = None


@dataclass
class RefreshStats:
    """The refreshes this process ran, for /metrics."""

    runs: int = 0
    failures: int = 0
    seconds: float = 0.0  # all runs together
    last_success: float | None = None  # when the last good run ended, Unix time

    def record(self, ok: bool, seconds: float) -> None:
        self.runs += 1
        self.seconds += seconds
        if ok:
            self.last_success = time.time()
        else:
            self.failures += 1


class Refresher:
    """Runs ``visites snapshot`` in the background, one run at a time."""

    def __init__(self, settings: Settings, on_published: Callable[[], Awaitable[None]]) -> None:
        self._settings = settings
        self._on_published = on_published
        self._task: asyncio.Task[None] | None = None
        self.last: RefreshOutcome | None = None
        self.stats = RefreshStats()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start a run unless one is going; False if one is."""
        if self.running:
            return False
        self.last = RefreshOutcome(started_at=now(), status="running")
        self._task = asyncio.create_task(self._run(self.last.started_at))
        return True

    async def _run(self, started_at: str) -> None:
        log.info("refresh started: visites snapshot")
        started = time.monotonic()
        try:
            exit_code, lines = await self._job()
        except OSError as error:  # no process at all (fork failed, no memory...)
            exit_code, lines = None, [f"cannot start the snapshot job: {error}"]
        seconds = time.monotonic() - started
        ok = exit_code == 0
        self.last = RefreshOutcome(
            started_at=started_at,
            status="succeeded" if ok else "failed",
            finished_at=now(),
            exit_code=exit_code,
            message=lines[-1] if lines else None,
        )
        self.stats.record(ok, seconds)
        log.log(
            logging.INFO if ok else logging.ERROR,
            "refresh %s in %.1f s: %s",
            self.last.status,
            seconds,
            self.last.message,
            extra=fields(
                {"exit_code": exit_code, "duration_seconds": round(seconds, 3), "output": lines}
            ),
        )
        if ok:  # swap at once rather than at the next poll
            await self._on_published()

    async def _job(self) -> tuple[int | None, list[str]]:
        """Run ``visites snapshot``; its exit code and output lines."""
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "cli.main", "snapshot"],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **self._settings.environ()},
        )
        try:
            output, _ = await process.communicate()
        except asyncio.CancelledError:  # the server stops: a killed job publishes nothing
            process.kill()
            await process.wait()
            raise
        return process.returncode, output.decode(errors="replace").strip().splitlines()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def every(self, interval: float) -> None:
        """VISITES_REFRESH_INTERVAL: a run every ``interval`` seconds (skipped if busy)."""
        while True:
            await asyncio.sleep(interval)
            self.start()


async def swap_if_new(engine: Engine, on_swap: Callable[[str], None], refused: Counter) -> None:
    """Swap to a newer CURRENT if there is one; then tell ``on_swap`` its id. ``refused``
    counts the snapshots the engine refused meanwhile."""
    before = engine.refused_total
    try:
        swapped = await anyio.to_thread.run_sync(engine.refresh)
    except Exception:  # keep serving the current snapshot, whatever happened
        log.exception("snapshot refresh failed")
        return
    finally:
        refused.inc(engine.refused_total - before)
    if swapped and engine.snapshot_id is not None:
        on_swap(engine.snapshot_id)
