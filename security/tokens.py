"""Bearer tokens (SPEC §7): stored as hashes in ``settings.tokens_path``, never in clear.

A secret is 32 random bytes, so one SHA-256 is enough to store it safely (a slow,
salted hash only matters for guessable passwords). The file is replaced atomically
with mode 0600, under a lock so that two ``visites token`` commands never lose a write.

When each token was last used goes to a file of its own beside it (``usage_path``),
written by the server: the tokens file stays the operator's alone, and may be read-only
to the server. Uses are kept in memory and saved at most about once a minute per token,
whatever the number of workers (``record_usage``).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import msgspec

log = logging.getLogger("visites.tokens")

_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
# The CRM's user ids are MySQL INTs: an id past this is a typo, never a user.
MAX_USER_ID = 2**31 - 1
# How often one token's last use is saved, at most: "last used" is true to the minute.
USAGE_EVERY = timedelta(minutes=1)
# An expiry: a whole number of minutes, hours or days.
_DURATION = re.compile(r"(?P<count>\d+)(?P<unit>[mhd])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}

# A moment with its time zone: a hand-written one without it is refused, not guessed.
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Token(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    sha256: str  # hex digest of the secret; the secret itself is never stored
    created_at: str  # ISO 8601, UTC
    responsable: int | None = None  # scope: this manager's team only; None = everything
    admin: bool = False  # may trigger a snapshot refresh, and read /metrics
    metrics: bool = False  # a monitoring token: reads /metrics and nothing else
    expires_at: Moment | None = None  # from then on, refused; None = never

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class _TokenFile(msgspec.Struct):
    tokens: list[Token] = []


class _UsageFile(msgspec.Struct):
    last_used: dict[str, Moment] = {}  # by the token's sha256: a name may be reused


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


def usage_path(path: Path) -> Path:
    """Where the server records the last use of the tokens of ``path``."""
    return path.with_name(f"{path.stem}.used.json")


def read_usage(path: Path) -> dict[str, datetime]:
    """Last uses of the tokens of ``path``, by sha256; a token never used is absent."""
    usage = usage_path(path)
    try:
        data = usage.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        return msgspec.json.decode(data, type=_UsageFile).last_used
    except msgspec.DecodeError as error:
        raise TokenError(f"{usage} is not a token usage file: {error}") from None


def _write_tokens(path: Path, tokens: list[Token]) -> None:
    _write(path, _TokenFile(tokens))


def _write(path: Path, content: msgspec.Struct) -> None:
    text = msgspec.json.format(msgspec.json.encode(content), indent=2) + b"\n"
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


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``45m``: how long a token lasts."""
    found = _DURATION.fullmatch(text.strip())
    if found is None or int(found["count"]) == 0:
        raise TokenError(f"--expires {text!r} is not a duration such as 30d, 12h or 45m")
    try:
        return int(found["count"]) * _UNITS[found["unit"]]
    except OverflowError:
        raise TokenError(f"--expires {text!r} is too long") from None


def create_token(
    path: Path,
    name: str,
    *,
    responsable: int | None = None,
    admin: bool = False,
    metrics: bool = False,
    lasts: timedelta | None = None,
) -> str:
    """Store a new token's hash under ``name`` and return its secret (shown once); with
    ``lasts``, the token is refused from that long after now."""
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
        created = utc_now().replace(microsecond=0)
        try:
            expires = None if lasts is None else created + lasts
        except OverflowError:
            raise TokenError("--expires is too long: past the year 9999") from None
        token = Token(
            name=name,
            sha256=hash_secret(secret),
            created_at=created.isoformat(),
            responsable=responsable,
            admin=admin,
            metrics=metrics,
            expires_at=expires,
        )
        _write_tokens(path, [*tokens, token])
    return secret


def revoke_token(path: Path, name: str) -> None:
    with _locked(path) as tokens:
        kept = [t for t in tokens if t.name != name]
        if len(kept) == len(tokens):
            raise TokenError(f"no token named {name!r}")
        _write_tokens(path, kept)


def record_usage(path: Path, used: Mapping[str, datetime]) -> None:
    """Merge last uses (by sha256) into the usage file of ``path``, under the tokens'
    lock. Each server worker calls this for its own uses: a use less than a minute
    newer than the one on file is not written, so however many workers see a token,
    the file changes about once a minute for it. Revoked tokens' entries go."""
    with _locked(path) as tokens:
        live = {token.sha256 for token in tokens}
        known = read_usage(path)
        newer = {
            sha256: when
            for sha256, when in used.items()
            if sha256 in live and (sha256 not in known or when - known[sha256] >= USAGE_EVERY)
        }
        kept = {sha256: when for sha256, when in known.items() if sha256 in live}
        if newer or len(kept) < len(known):
            _write(usage_path(path), _UsageFile(kept | newer))


class TokenRing:
    """The server's view of the tokens file, re-read when the file changes, and the
    uses of its tokens not yet recorded."""

    def __init__(self, path: Path, clock: Clock = utc_now) -> None:
        self.path = path
        self.now = clock
        self._signature: tuple[int, int] | None = None
        self._tokens: tuple[Token, ...] = ()
        self._used: dict[str, datetime] = {}  # sha256 -> last use, not yet recorded
        self._recorded: dict[str, datetime] = {}  # sha256 -> the last use handed over
        self.reload_if_changed()

    def reload_if_changed(self) -> None:
        """Cheap enough to call every second: one stat, a read only after a change."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._signature, self._tokens = None, ()
            return
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            self._tokens = tuple(read_tokens(self.path))
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

    def mark_used(self, token: Token) -> None:
        """A dictionary write per request; nothing when this token's last use handed over
        to ``take_used`` is less than a minute old."""
        now = self.now()
        recorded = self._recorded.get(token.sha256)
        if recorded is None or now - recorded >= USAGE_EVERY:
            self._used[token.sha256] = now

    def take_used(self) -> dict[str, datetime]:
        """The uses to record (``record_usage``), forgotten here."""
        used, self._used = self._used, {}
        self._recorded |= used
        return used
