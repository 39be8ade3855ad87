"""`visites follow` refuses, in one line and with a non-zero exit, a server it cannot
follow: each missing binary log setting and each missing grant named with how to set
it; and it starts with exactly the grants docs/snapshot.md lists."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from follow_crm import Crm, follow_process, log_messages, wait_caught_up
from helpers import free_port, run_visites

from tools.mariadb import PrivateMariaDB


def follow(url: str, data: Path) -> subprocess.CompletedProcess:
    return run_visites("follow", timeout=120, VISITES_MYSQL_URL=url, VISITES_DATA_DIR=str(data))


def refused(result: subprocess.CompletedProcess) -> str:
    """The one line a refused start prints (and nothing else)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "binlog_format",
            "MIXED",
            "visites follow: binlog_format is MIXED, visites follow needs ROW: SET GLOBAL "
            "binlog_format = 'ROW', and binlog_format = ROW under [mysqld] in my.cnf",
        ),
        (
            "binlog_row_image",
            "MINIMAL",
            "visites follow: binlog_row_image is MINIMAL, visites follow needs FULL: SET GLOBAL "
            "binlog_row_image = 'FULL', and binlog_row_image = FULL under [mysqld]",
        ),
        (
            "binlog_row_metadata",
            "NO_LOG",
            "visites follow: binlog_row_metadata is NO_LOG, visites follow needs FULL: SET "
            "GLOBAL binlog_row_metadata = 'FULL', and binlog_row_metadata = FULL under "
            "[mysqld] (MariaDB 10.5 or later)",
        ),
    ],
)
def test_a_binlog_setting_amiss_is_named(crm: Crm, tmp_path: Path, variable, value, line):
    with crm.server.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT @@GLOBAL.{variable}")
        (kept,) = cursor.fetchone()
        cursor.execute(f"SET GLOBAL {variable} = %s", (value,))
        try:
            assert refused(follow(crm.url, tmp_path)) == line
        finally:
            cursor.execute(f"SET GLOBAL {variable} = %s", (kept,))


def test_a_server_without_binary_log_is_refused(crm: Crm, tmp_path: Path):
    crm.server.restart("--skip-log-bin")
    try:
        assert refused(follow(crm.url, tmp_path)) == (
            "visites follow: log_bin is OFF, visites follow needs ON: start the server with "
            "log_bin and a server_id ([mysqld] in my.cnf)"
        )
    finally:
        crm.server.restart()


@pytest.fixture
def follower_user(mariadb: PrivateMariaDB) -> Iterator[str]:
    mariadb.execute("CREATE USER 'follower'@'127.0.0.1' IDENTIFIED BY 'secret'")
    yield "follower"
    mariadb.execute("DROP USER 'follower'@'127.0.0.1'")


def test_each_missing_grant_is_named_then_the_documented_grants_suffice(
    crm: Crm, follower_user: str, tmp_path: Path
):
    url = crm.server.url(crm.database, follower_user, "secret")
    grantee = "'follower'@'127.0.0.1'"
    for grant, missing in [
        ("BINLOG MONITOR ON *.*", f"GRANT BINLOG MONITOR ON *.* TO {grantee}"),
        (
            f"SELECT ON `{crm.database}`.*",
            f"the user may not read {crm.database}.tab_par_codification: "
            f"GRANT SELECT ON `{crm.database}`.* TO {grantee}",
        ),
        ("REPLICATION SLAVE ON *.*", f"GRANT REPLICATION SLAVE ON *.* TO {grantee}"),
    ]:
        line = refused(follow(url, tmp_path))
        assert line.startswith("visites follow: the user may not ") and line.endswith(missing)
        assert "secret" not in line
        crm.server.execute(f"GRANT {grant} TO {grantee}")
    data, log = tmp_path / "data", tmp_path / "follow.log"
    with follow_process(crm, data, log, VISITES_MYSQL_URL=url):
        wait_caught_up(data, crm)
    assert "taking a full snapshot: no snapshot is published yet" in log_messages(log)


def test_an_unreachable_server_and_a_second_follower_are_refused(crm: Crm, tmp_path: Path):
    down = f"mysql://root@127.0.0.1:{free_port()}/crm"
    assert refused(follow(down, tmp_path)).startswith(
        "visites follow: cannot check the server: (2003) Can't connect to MySQL server"
    )
    data, log = tmp_path / "data", tmp_path / "follow.log"
    with follow_process(crm, data, log):
        wait_caught_up(data, crm)
        assert (
            refused(follow(crm.url, data))
            == f"visites follow: another visites follow runs on {data}"
        )


def test_no_source_is_refused(tmp_path: Path):
    result = run_visites("follow", VISITES_DATA_DIR=str(tmp_path))
    assert refused(result) == "visites follow: VISITES_MYSQL_URL is not set"
