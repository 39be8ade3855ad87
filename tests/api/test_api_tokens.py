"""Tokens: stored hashed, checked in constant time, managed by `visites token`."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from helpers import run_visites

from cli.main import main
from security.tokens import TokenError, TokenRing, create_token, read_tokens, revoke_token


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
    assert "alice\tteam of 5\treader" in listing and "root\tall\tadmin" in listing
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
    assert "prom\tall\tmetrics\t" in capsys.readouterr().out
