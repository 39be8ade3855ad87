"""`visites follow` when things go wrong: killed mid-stream, MariaDB restarted or gone
silent, the binary log purged while it is down, a followed table truncated or altered.
Each time, once it has caught up, its snapshot equals a fresh full snapshot."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pymysql
from follow_crm import (
    EVERYTHING,
    Crm,
    assert_same_answers,
    assert_same_tables,
    follow_process,
    following,
    fresh_snapshot,
    log_messages,
    wait_caught_up,
)
from helpers import eventually

from snapshot.layout import published_ids

USERS = [(u, None if u == 1 else 1, f"Nom{u}", "P", "DEL", None) for u in range(1, 6)]
PARTNERS = [
    (100, "Tazi", None, "A", "ET1", "VALI", "GA1", "SP1", "MEDE", "RE1", "VI1"),
    (101, "Bennani", None, " B", "ET2", "ATTE", "GA2", None, "PHAR", "RE2", None),
]


def seed(crm: Crm) -> None:
    crm.insert("tab_par_codification", [("RE1", "Sud", "REGI"), ("GA1", "Zeta", "GAMM")])
    crm.insert("tab_utilisateur", USERS)
    crm.insert("tab_partenaire", PARTNERS)


class Writer:
    """Commits small transactions until stopped, as a CRM does: a new visit with its
    partner rows, now and then a visit's date zeroed or a visit deleted (its partner
    rows left orphans)."""

    def __init__(self, crm: Crm, first: int = 1000) -> None:
        self._crm = crm
        self._next = first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="writer")
        self.commits = 0

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        with self._crm.connect() as connection, connection.cursor() as cursor:
            while not self._stop.is_set():
                self.commit(connection, cursor)
                time.sleep(0.01)

    def commit(self, connection: pymysql.Connection, cursor: pymysql.cursors.Cursor) -> None:
        """One transaction, committed."""
        n = self._next
        self._next += 1
        connection.begin()
        cursor.execute(
            "INSERT INTO tab_visite (id_visite, id_utilisateur, id_responsable, "
            "code_type_visite, flag_accompagnee, date_visite, type_visite) "
            "VALUES (%s, %s, 1, 'PLAN', 'N', %s, 'S')",
            (n, 1 + n % 5, f"2025-01-{1 + n % 28:02d} 10:00:00"),
        )
        cursor.execute(
            "INSERT INTO tab_partenaire_visite VALUES "
            "(%s, 100, ' RE1', 'VI1', 'MEDE', 'GA1', 'SP1'), "
            "(%s, 101, 'RE2', NULL, 'PHAR', '', NULL)",
            (n, n),
        )
        if n % 3 == 0:
            cursor.execute(
                "UPDATE tab_visite SET date_visite = '0000-00-00 00:00:00' WHERE id_visite = %s",
                (n - 1,),
            )
        if n % 5 == 0:
            cursor.execute("DELETE FROM tab_visite WHERE id_visite = %s", (n - 2,))
        connection.commit()
        self.commits += 1


def write(crm: Crm, transactions: int, first: int) -> None:
    """``transactions`` of the Writer's, at once."""
    writer = Writer(crm, first)
    with crm.connect() as connection, connection.cursor() as cursor:
        for _ in range(transactions):
            writer.commit(connection, cursor)


def same_as_fresh(crm: Crm, followed: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh_snapshot(crm, fresh)
    assert_same_tables(followed, fresh)
    assert_same_answers(followed, fresh, EVERYTHING)


def full_snapshots(messages: list[str]) -> list[str]:
    return [m for m in messages if m.startswith("taking a full snapshot")]


def test_killed_mid_stream_it_resumes_from_its_last_version(crm: Crm, tmp_path: Path):
    seed(crm)
    data, log = tmp_path / "data", tmp_path / "follow.log"
    with Writer(crm) as writer:
        with follow_process(crm, data, log, VISITES_KEEP_SNAPSHOTS="2") as first:
            assert eventually(lambda: len(published_ids(data)) >= 2, 120), log.read_text()
            committed = writer.commits
            assert eventually(lambda: writer.commits > committed + 20, 30)
            first.send_signal(signal.SIGKILL)
            first.wait()
        # Commits go on while it is down.
        committed = writer.commits
        assert eventually(lambda: writer.commits > committed + 20, 30)
        with follow_process(crm, data, log, VISITES_KEEP_SNAPSHOTS="2"):
            assert eventually(lambda: any("resuming" in m for m in log_messages(log)), 60)
            writer.stop()
            wait_caught_up(data, crm)
    messages = log_messages(log)
    assert full_snapshots(messages) == ["taking a full snapshot: no snapshot is published yet"]
    assert len(published_ids(data)) == 2  # pruned like any snapshot
    same_as_fresh(crm, data, tmp_path)


def test_a_restarted_mariadb_is_reconnected(crm: Crm, tmp_path: Path):
    seed(crm)
    data, log = tmp_path / "data", tmp_path / "follow.log"
    with follow_process(crm, data, log):
        write(crm, 10, first=1000)
        wait_caught_up(data, crm)
        crm.server.restart()
        write(crm, 10, first=2000)
        wait_caught_up(data, crm)
    messages = log_messages(log)
    assert any("trying again in" in m for m in messages), messages
    assert len(full_snapshots(messages)) == 1, messages
    same_as_fresh(crm, data, tmp_path)


def test_a_stalled_stream_is_dropped_and_resumed(crm: Crm, tmp_path: Path):
    seed(crm)
    data = tmp_path / "data"
    server = crm.server.process
    assert server is not None
    with following(crm, data) as messages:
        write(crm, 5, first=1000)
        wait_caught_up(data, crm)
        # Stopped, not dead: the connection stays open, and not a byte comes.
        os.kill(server.pid, signal.SIGSTOP)
        try:
            assert eventually(lambda: any("silent" in m for m in messages), 30), messages
        finally:
            os.kill(server.pid, signal.SIGCONT)
        write(crm, 5, first=2000)
        wait_caught_up(data, crm)
    assert len(full_snapshots(messages)) == 1, messages
    same_as_fresh(crm, data, tmp_path)


def test_a_purged_position_means_a_full_snapshot(crm: Crm, tmp_path: Path):
    seed(crm)
    data, log = tmp_path / "data", tmp_path / "follow.log"
    with follow_process(crm, data, log):
        write(crm, 5, first=1000)
        wait_caught_up(data, crm)
    write(crm, 5, first=2000)
    with crm.server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("FLUSH BINARY LOGS")
        cursor.execute("SHOW MASTER STATUS")
        (latest, *_) = cursor.fetchone()

        def purged() -> bool:
            # A log still read by the stopped follower's dump thread is kept, until the
            # server notices that its connection is gone.
            cursor.execute(f"PURGE BINARY LOGS TO '{latest}'")
            cursor.execute("SHOW BINARY LOGS")
            return [row[0] for row in cursor.fetchall()] == [latest]

        assert eventually(purged, 30)
    with follow_process(crm, data, log):
        wait_caught_up(data, crm)
    restart = full_snapshots(log_messages(log))[1:]
    assert len(restart) == 1 and restart[0].endswith("(purged)"), restart
    same_as_fresh(crm, data, tmp_path)


def test_truncate_and_alter_mean_a_full_snapshot(crm: Crm, tmp_path: Path):
    seed(crm)
    data = tmp_path / "data"
    with following(crm, data) as messages:
        write(crm, 5, first=1000)
        crm.run("TRUNCATE TABLE tab_partenaire_visite")
        wait_caught_up(data, crm)
        crm.run("ALTER TABLE tab_visite ADD COLUMN note VARCHAR(20) NULL")
        write(crm, 5, first=2000)
        wait_caught_up(data, crm)
    assert full_snapshots(messages) == [
        "taking a full snapshot: no snapshot is published yet",
        "taking a full snapshot: a statement changed a followed table: "
        "TRUNCATE TABLE tab_partenaire_visite",
        "taking a full snapshot: a statement changed a followed table: "
        "ALTER TABLE tab_visite ADD COLUMN note VARCHAR(20) NULL",
    ]
    same_as_fresh(crm, data, tmp_path)
