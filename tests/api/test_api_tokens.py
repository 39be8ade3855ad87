"""Tokens: stored hashed, checked in constant time, managed by `visites token`."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import eventually, run_visites
from litestar.testing import TestClient

from api.app import create_app
from cli.main import main
from config import Settings
from engine import Engine
from security.tokens import (
    TokenError,
    TokenRing,
    create_token,
    read_tokens,
    read_usage,
    record_usage,
    revoke_token,
    usage_path,
)


def table(listing: str) -> list[list[str]]:
    """`visites token list`'s lines, cut into cells (columns are two spaces apart)."""
    return [re.split(r"\s{2,}", line) for line in listing.splitlines()]


@pytest.fixture
def tokens_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VISITES_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VISITES_TOKENS_FILE", raising=False)
    return tmp_path / "tokens.json"


def test_the_file_holds_hashes_only_and_is_private(tokens_path: Path) -> None:
    secret = create_token(tokens_path, "ci", responsable=7)
    text = tokens_path.read_text()
    assert secret not in text
    assert hashlib.sha256(secret.encode()).hexdigest() in text
    assert stat.S_IMODE(tokens_path.stat().st_mode) == 0o600
    [token] = read_tokens(tokens_path)
    assert (token.name, token.responsable, token.admin) == ("ci", 7, False)


def test_the_ring_finds_a_token_by_its_secret_only(tokens_path: Path) -> None:
    admin = create_token(tokens_path, "admin", admin=True)
    scoped = create_token(tokens_path, "team", responsable=3)
    ring = TokenRing(tokens_path)
    assert ring.authenticate(admin).name == "admin"
    assert ring.authenticate(scoped).responsable == 3
    for wrong in ("", admin[:-1], admin + "x", hashlib.sha256(admin.encode()).hexdigest()):
        assert ring.authenticate(wrong) is None


def test_the_ring_sees_new_and_revoked_tokens(tokens_path: Path) -> None:
    ring = TokenRing(tokens_path)
    secret = create_token(tokens_path, "later")
    assert ring.authenticate(secret) is None
    ring.reload_if_changed()
    assert ring.authenticate(secret) is not None
    revoke_token(tokens_path, "later")
    ring.reload_if_changed()
    assert ring.authenticate(secret) is None


def test_a_broken_file_keeps_the_tokens_the_ring_had(tokens_path: Path) -> None:
    secret = create_token(tokens_path, "kept")
    ring = TokenRing(tokens_path)
    tokens_path.write_text("{not json")
    ring.reload_if_changed()
    assert ring.authenticate(secret) is not None


def test_names_are_unique_and_sane(tokens_path: Path) -> None:
    create_token(tokens_path, "ci")
    with pytest.raises(TokenError, match="already exists"):
        create_token(tokens_path, "ci")
    for bad in ("", "with space", "x" * 65, "new\nline"):
        with pytest.raises(TokenError):
            create_token(tokens_path, bad)
    with pytest.raises(TokenError, match="no token"):
        revoke_token(tokens_path, "nobody")


def test_cli_create_prints_only_the_secret(tokens_path: Path) -> None:
    done = run_visites(
        "token", "create", "--name", "ci", "--responsable", "12", "--admin",
        VISITES_DATA_DIR=str(tokens_path.parent),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip()
    assert done.stdout == secret + "\n" and len(secret) >= 43
    assert TokenRing(tokens_path).authenticate(secret).responsable == 12


def test_cli_list_and_revoke(tokens_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--name", "alice", "--responsable", "5"]) == 0
    secret = capsys.readouterr().out.strip()
    assert main(["token", "create", "--name", "root", "--admin"]) == 0
    capsys.readouterr()
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    header, *rows = table(listing)
    assert header == ["NAME", "ROLE", "SCOPE", "CREATED", "EXPIRES", "LAST USED"]
    assert [row[:3] + row[4:] for row in rows] == [
        ["alice", "reader", "team of 5", "never", "never"],
        ["root", "admin", "all", "never", "never"],
    ]
    assert secret not in listing and "sha256" not in listing
    assert main(["token", "revoke", "alice"]) == 0
    assert main(["token", "revoke", "alice"]) == 1
    assert "no token named 'alice'" in capsys.readouterr().err
    assert [t.name for t in read_tokens(tokens_path)] == ["root"]
    assert main(["token", "create", "--name", "root"]) == 1


def test_a_monitoring_token_is_for_metrics_alone(tokens_path: Path) -> None:
    secret = create_token(tokens_path, "prom", metrics=True)
    token = TokenRing(tokens_path).authenticate(secret)
    assert token is not None
    assert (token.metrics, token.admin, token.responsable) == (True, False, None)
    with pytest.raises(TokenError, match="--metrics"):
        create_token(tokens_path, "prom-admin", metrics=True, admin=True)
    with pytest.raises(TokenError, match="--metrics"):
        create_token(tokens_path, "prom-team", metrics=True, responsable=4)
    assert [t.name for t in read_tokens(tokens_path)] == ["prom"]


def test_cli_creates_and_lists_a_monitoring_token(
    tokens_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "--name", "prom", "--metrics"]) == 0
    secret = capsys.readouterr().out.strip()
    assert TokenRing(tokens_path).authenticate(secret).metrics
    assert main(["token", "list"]) == 0
    assert table(capsys.readouterr().out)[1][:3] == ["prom", "metrics", "all"]


# ------------------------------------------------------------ expiry and last use

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def listed(tokens_path: Path) -> list[dict[str, Any]]:
    folder = str(tokens_path.parent)
    done = run_visites("token", "list", "--format", "json", VISITES_DATA_DIR=folder)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("expires", "lasts"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("45m", timedelta(minutes=45))],
)
def test_cli_create_with_an_expiry(tokens_path: Path, expires: str, lasts: timedelta) -> None:
    done = run_visites(
        "token", "create", "--name", "ci", "--expires", expires,
        VISITES_DATA_DIR=str(tokens_path.parent),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [token] = listed(tokens_path)
    assert moment(token["expires_at"]) - moment(token["created_at"]) == lasts
    assert (token["expired"], token["last_used_at"]) == (False, None)


@pytest.mark.parametrize(
    ("expires", "reason"),
    [
        ("3x", "'3x' is not a duration such as 30d, 12h or 45m"),
        ("0d", "'0d' is not a duration such as 30d, 12h or 45m"),
        ("-1d", "'-1d' is not a duration such as 30d, 12h or 45m"),
        ("30", "'30' is not a duration such as 30d, 12h or 45m"),
        ("1000000000d", "'1000000000d' is too long"),
        ("3000000d", "is too long: past the year 9999"),
    ],
)
def test_cli_refuses_a_bad_expiry_in_one_line(tokens_path: Path, expires: str, reason: str) -> None:
    done = run_visites(
        "token", "create", "--name", "ci", f"--expires={expires}",
        VISITES_DATA_DIR=str(tokens_path.parent),
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [f"visites token: failed: --expires {reason}"]
    assert not tokens_path.exists()


def hand_written(tokens_path: Path, *tokens: dict[str, Any]) -> None:
    tokens_path.write_text(json.dumps({"tokens": list(tokens)}))


def token_entry(name: str, secret: str, **fields: Any) -> dict[str, Any]:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return {"name": name, "sha256": digest, "created_at": "2020-01-01T00:00:00+00:00", **fields}


def test_an_expired_token_gets_401_saying_so(demo_data_dir: Path, tokens_path: Path) -> None:
    hand_written(
        tokens_path,
        token_entry("old", "old-secret", expires_at="2025-06-30T12:00:00+00:00"),
        token_entry("new", "new-secret", expires_at="2999-01-01T00:00:00+00:00"),
    )
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens_path)
    engine = Engine.open(demo_data_dir)
    try:
        with TestClient(create_app(settings, engine)) as client:
            old = client.post("/users", json={}, headers={"Authorization": "Bearer old-secret"})
            new = client.post("/users", json={}, headers={"Authorization": "Bearer new-secret"})
    finally:
        engine.close()
    assert old.status_code == 401
    assert old.json()["detail"] == (
        "this token expired at 2025-06-30T12:00:00+00:00: ask for a new one"
    )
    assert 'error="invalid_token"' in old.headers["www-authenticate"]
    assert new.status_code == 200
    [old_listed, new_listed] = listed(tokens_path)
    assert (old_listed["expired"], new_listed["expired"]) == (True, False)


def test_an_expiry_without_a_time_zone_is_refused(tokens_path: Path) -> None:
    hand_written(tokens_path, token_entry("old", "s", expires_at="2025-06-30T12:00:00"))
    done = run_visites("token", "list", VISITES_DATA_DIR=str(tokens_path.parent))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"visites token: failed: {tokens_path} is not a tokens file")


def test_the_server_records_when_a_token_was_last_used(
    demo_data_dir: Path, tokens_path: Path
) -> None:
    secret = create_token(tokens_path, "ci")
    create_token(tokens_path, "idle")
    tokens_text = tokens_path.read_text()
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens_path, poll_interval=0.1)
    engine = Engine.open(demo_data_dir)
    before = datetime.now(UTC)
    try:
        with TestClient(create_app(settings, engine)) as client:
            answer = client.post("/users", json={}, headers={"Authorization": f"Bearer {secret}"})
            assert answer.status_code == 200
            assert eventually(lambda: usage_path(tokens_path).exists())
    finally:
        engine.close()
    after = datetime.now(UTC)
    ci, idle = listed(tokens_path)
    assert before <= moment(ci["last_used_at"]) <= after
    assert idle["last_used_at"] is None
    assert tokens_path.read_text() == tokens_text, "the tokens file is the operator's"
    listing = run_visites("token", "list", VISITES_DATA_DIR=str(tokens_path.parent)).stdout
    assert table(listing)[1][5] == moment(ci["last_used_at"]).isoformat(timespec="seconds")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def on_file(tokens_path: Path) -> tuple[dict[str, datetime], int]:
    """The recorded last uses, and which write of the file this is (its inode)."""
    return read_usage(tokens_path), usage_path(tokens_path).stat().st_ino


def test_uses_are_recorded_at_most_once_a_minute_across_workers(tokens_path: Path) -> None:
    """Two workers' rings on one tokens file, a clock each test moves by hand."""
    secret = create_token(tokens_path, "ci")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    clock = Clock()
    first, second = TokenRing(tokens_path, clock), TokenRing(tokens_path, clock)
    token = first.authenticate(secret)
    assert token is not None

    def use(ring: TokenRing, seconds: int) -> None:
        clock.now = T0 + timedelta(seconds=seconds)
        ring.mark_used(token)
        record_usage(tokens_path, ring.take_used())

    use(first, 0)
    used, write = on_file(tokens_path)
    assert used == {digest: T0}
    use(first, 30)  # this worker saved it 30 s ago: not even handed over
    use(second, 40)  # the other worker's use, 40 s after the one on file: not written
    assert on_file(tokens_path) == (used, write)
    use(first, 61)
    used, rewritten = on_file(tokens_path)
    assert used == {digest: T0 + timedelta(seconds=61)} and rewritten != write
    revoke_token(tokens_path, "ci")
    create_token(tokens_path, "other")
    use(second, 200)  # a revoked token's use is dropped, and so is its entry
    assert read_usage(tokens_path) == {}
