"""Bearer tokens (SPEC §7): stored as hashes in ``settings.tokens_path``, never in clear.

A secret is 32 random bytes, so one SHA-256 is enough to store it safely (a slow,
salted hash only matters for guessable passwords). The file is replaced atomically
with mode 0600, under a lock so that two ``visites token`` commands never lose a write.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec

log = logging.getLogger("visites.tokens")

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# The CRM's user ids are MySQL INTs: an id past this is a typo, never a user.
MAX_USER_ID = 2**31 - 1


class Token(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    sha256: str  # hex digest of the secret; the secret itself is never stored
    created_at: str  # ISO 8601, UTC
    responsable: int | None = None  # scope: this manager's team only; None = everything
    admin: bool = False  # may trigger a snapshot refresh, and read /metrics
    metrics: bool = False  # a monitoring token: reads /metrics and nothing else


class _TokenFile(msgspec.Struct):
    tokens: list[Token] = []


class TokenError(ValueError):
    """A token command that cannot be done (bad or unknown name, unreadable file)."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def read_tokens(path: Path) -> list[Token]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        return msgspec.json.decode(data, type=_TokenFile).tokens
    except msgspec.DecodeError as error:
        raise TokenError(f"{path} is not a tokens file: {error}") from None


def _write_tokens(path: Path, tokens: list[Token]) -> None:
    text = msgspec.json.format(msgspec.json.encode(_TokenFile(tokens)), indent=2) + b"\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(path: Path) -> Iterator[list[Token]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield read_tokens(path)


def create_token(
    path: Path,
    name: str,
    *,
    responsable: int | None = None,
    admin: bool = False,
    metrics: bool = False,
) -> str:
    """Store a new token's hash under ``name`` and return its secret (shown once)."""
    if not _NAME.match(name):
        raise TokenError(f"token name {name!r} must be 1-64 letters, digits or _.@-")
    if responsable is not None and not 0 <= responsable <= MAX_USER_ID:
        raise TokenError(f"--responsable must be a user id, 0 to {MAX_USER_ID}, not {responsable}")
    if metrics and (admin or responsable is not None):
        raise TokenError("a --metrics token reads /metrics only: no --admin, no --responsable")
    secret = secrets.token_urlsafe(32)
    with _locked(path) as tokens:
        if any(t.name == name for t in tokens):
            raise TokenError(f"a token named {name!r} already exists")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        token = Token(
            name=name,
            sha256=hash_secret(secret),
            created_at=created,
            responsable=responsable,
            admin=admin,
            metrics=metrics,
        )
        _write_tokens(path, [*tokens, token])
    return secret


def revoke_token(path: Path, name: str) -> None:
    with _locked(path) as tokens:
        kept = [t for t in tokens if t.name != name]
        if len(kept) == len(tokens):
            raise TokenError(f"no token named {name!r}")
        _write_tokens(path, kept)


class TokenRing:
    """The server's view of the tokens file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._signature: tuple[int, int] | None = None
        self._tokens: tuple[Token, ...] = ()
        self.reload_if_changed()

    def reload_if_changed(self) -> None:
        """Cheap enough to call every second: one stat, a read only after a change."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            self._signature, self._tokens = None, ()
            return
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            self._tokens = tuple(read_tokens(self._path))
        except (TokenError, OSError):  # a hand-edit gone wrong: keep the tokens we had
            log.exception("tokens file not reloaded")

    def authenticate(self, secret: str) -> Token | None:
        """The token whose hash matches, comparing against every token in constant time."""
        digest = hash_secret(secret).encode()
        found = None
        for token in self._tokens:
            if hmac.compare_digest(digest, token.sha256.encode()):
                found = token
        return found
