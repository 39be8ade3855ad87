"""The `visites` command line: every subcommand documents itself; bad settings fail in one line."""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
from pathlib import Path

import msgspec
import pyarrow as pa
import pytest
from helpers import free_port, run_visites

from cli.main import build_parser
from cli.serve import listen, no_delay
from security.tokens import TokenRing
from snapshot.demo.generator import generate
from snapshot.job import take_snapshot
from snapshot.manifest import Source


def subcommands() -> list[str]:
    actions = build_parser()._subparsers._group_actions  # argparse keeps them here
    choices = next(a for a in actions if isinstance(a, argparse._SubParsersAction)).choices
    return sorted(choices)


def test_every_subcommand_has_help():
    names = subcommands()
    assert {"snapshot", "demo"} <= set(names)
    top = run_visites("--help")
    assert top.returncode == 0
    for name in names:
        assert name in top.stdout
        result = run_visites(name, "--help")
        assert result.returncode == 0, name
        assert result.stdout.startswith("usage: visites " + name)


def test_a_bad_setting_fails_in_one_line(tmp_path):
    result = run_visites("snapshot", VISITES_DATA_DIR=str(tmp_path), VISITES_KEEP_SNAPSHOTS="many")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "visites: VISITES_KEEP_SNAPSHOTS='many' is not a whole number"
    ]


@pytest.mark.parametrize("keep", ["0", "-3"])
def test_snapshot_keeps_at_least_one_snapshot_or_says_so_in_one_line(tmp_path, keep):
    """Checked before anything else (here: before the missing VISITES_MYSQL_URL)."""
    result = run_visites("snapshot", "--keep", keep, VISITES_DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"visites snapshot: --keep must be at least 1, not {keep}"
    ]


# ------------------------------------------------------------ bad input, one line each
# Every case runs the real command line and wants one line on stderr and a non-zero exit:
# never a traceback.


def one_line_failure(result: subprocess.CompletedProcess, status: int = 1) -> str:
    assert result.returncode == status, result.stderr
    [line] = result.stderr.splitlines()
    return line


def test_token_list_on_a_truncated_tokens_file(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text('{"tokens": [{"name": "ci", "sha')
    line = one_line_failure(run_visites("token", "list", VISITES_DATA_DIR=str(tmp_path)))
    assert line.startswith(f"visites token: failed: {tmp_path / 'tokens.json'} is not a tokens")


def corrupt_current(data_dir: Path, how: str) -> str:
    """CURRENT made unreadable ``how``; the words the one line must say about it."""
    if how == "directory":
        (data_dir / "CURRENT").mkdir()
        return "it is a directory"
    (data_dir / "CURRENT").write_bytes(b"\xff\xfe2026\x00")
    return "it is not UTF-8 text"


# Each command meets one of the two ways CURRENT can name nothing; both are met.
@pytest.mark.parametrize(
    ("command", "how"),
    [
        (("sql", "SELECT 1"), "directory"),
        (("serve", "--port", "PORT"), "binary"),
        (("demo", "--visits", "200"), "directory"),
        (("snapshot",), "binary"),
    ],
)
def test_a_current_pointer_that_names_nothing(
    tmp_path: Path, mysql_database: str, command: tuple[str, ...], how: str
) -> None:
    said = corrupt_current(tmp_path, how)
    args = [str(free_port()) if a == "PORT" else a for a in command]
    result = run_visites(
        *args, timeout=120, VISITES_DATA_DIR=str(tmp_path), VISITES_MYSQL_URL=mysql_database
    )
    line = one_line_failure(result)
    if command[0] == "serve":  # its stderr is a log: every line JSON (docs/api.md)
        line = msgspec.json.decode(line)["message"]
    assert line.startswith(f"visites {'snapshot' if command[0] == 'demo' else command[0]}: ")
    assert f"{tmp_path / 'CURRENT'} names no snapshot ({said})" in line
    assert list((tmp_path / "snapshots").glob("*")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demo", "--visits", "0"), "visites demo: --visits must be at least 1, not 0"),
        (
            ("demo", "--visits", "50", "--messy"),
            "visites demo: --visits must be at least 100 with --messy, not 50",
        ),
        (("demo", "--seed", "-1"), "visites demo: --seed must be 0 or more, not -1"),
        (("demo", "--mysql", "--visits", "0"), "visites demo: --visits must be at least 1, not 0"),
        (("serve", "--workers", "0"), "visites serve: --workers must be at least 1, not 0"),
        (("serve", "--port", "99999"), "visites serve: --port must be 1 to 65535, not 99999"),
        (("serve", "--port", "-1"), "visites serve: --port must be 1 to 65535, not -1"),
    ],
)
def test_out_of_range_arguments(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = run_visites(*args, VISITES_DATA_DIR=str(tmp_path))
    assert one_line_failure(result, status=2) == message
    assert list(tmp_path.iterdir()) == []  # nothing generated, served or written


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "VISITES_MYSQL_URL is not a database URL"),
        ("postgres://reader:Secret-pw@db/crm", "VISITES_MYSQL_URL names a postgres database"),
        ("mysql://reader:Secret-pw@127.0.0.1:1/crm", "Can't connect to MySQL server"),
    ],
)
def test_demo_into_a_database_that_will_not_do(tmp_path: Path, url: str, said: str) -> None:
    result = run_visites(
        "demo", "--mysql", "--visits", "100", VISITES_DATA_DIR=str(tmp_path), VISITES_MYSQL_URL=url
    )
    line = one_line_failure(result)
    assert line.startswith("visites demo: failed: ") and said in line
    assert "Secret-pw" not in line


@pytest.mark.parametrize("responsable", ["2147483648", "-1"])
def test_a_token_scope_that_is_no_mysql_int_is_refused(tmp_path: Path, responsable: str) -> None:
    result = run_visites(
        "token", "create", "--name", "casa", "--responsable", responsable,
        VISITES_DATA_DIR=str(tmp_path),
    )  # fmt: skip
    line = one_line_failure(result)
    assert line == f"visites token: failed: --responsable must be a user id, 0 to 2147483647, " \
        f"not {responsable}"  # fmt: skip
    assert result.stdout == ""
    assert not (tmp_path / "tokens.json").exists()


@pytest.fixture(scope="module")
def small_crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published snapshot whose user 5 reports to 777777, a manager who is no user."""
    data_dir = tmp_path_factory.mktemp("crm")
    tables = generate(200, seed=4)
    users = tables["tab_utilisateur"]
    managers = users.column("id_responsable").to_pylist()
    managers[users.column("id_utilisateur").to_pylist().index(5)] = 777_777
    column = users.schema.get_field_index("id_responsable")
    tables["tab_utilisateur"] = users.set_column(
        column, users.schema.field(column), pa.array(managers, pa.int32())
    )
    take_snapshot(data_dir, Source(kind="demo"), lambda table: [tables[table.name]], keep=5)
    return data_dir


@pytest.mark.parametrize(
    ("responsable", "warned"),
    [
        ("1", False),  # the first user, the director
        ("777777", False),  # no user, but a manager: a team exists (SPEC §5)
        ("424242", True),  # nobody at all
    ],
)
def test_a_token_scoped_to_an_unknown_user_is_made_with_a_warning(
    small_crm: Path, tmp_path: Path, responsable: str, warned: bool
) -> None:
    tokens = tmp_path / "tokens.json"
    result = run_visites(
        "token", "create", "--name", "casa", "--responsable", responsable,
        VISITES_DATA_DIR=str(small_crm), VISITES_TOKENS_FILE=str(tokens),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert TokenRing(tokens).authenticate(result.stdout.strip()).responsable == int(responsable)
    if warned:
        assert result.stderr.splitlines() == [
            f"visites token: warning: no user {responsable} in the current snapshot (neither a "
            "user nor anyone's manager): the token sees nothing until one appears"
        ]
    else:
        assert result.stderr == ""


def test_connections_on_the_socket_uvicorn_is_given_send_without_nagles_delay() -> None:
    """uvicorn wraps the listening socket it gets as a Unix one, so the event loop leaves
    Nagle's algorithm on: each answer's body then waited 40 ms for the client's ACK."""

    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        listening = listen("127.0.0.1", 0)
        wrapped = socket.fromfd(listening.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        options: asyncio.Future[tuple[int, int]] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                no_delay(transport)  # type: ignore[arg-type]
                options.set_result(
                    (before, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                )
                transport.close()

        server = await loop.create_server(Probe, sock=wrapped)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            return await asyncio.wait_for(options, 10)
        finally:
            writer.close()
            server.close()
            listening.close()

    before, after = asyncio.run(scenario())
    assert before == 0  # the loop did not set it: the bug this guards against
    assert after != 0
