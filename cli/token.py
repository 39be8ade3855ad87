"""``visites token``: create, list and revoke the API's bearer tokens (SPEC §7)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

import duckdb
import msgspec
import pyarrow as pa

from config import Settings
from engine.analyst import connect
from engine.engine import NoSnapshot
from security.tokens import (
    Token,
    TokenError,
    create_token,
    parse_duration,
    read_tokens,
    read_usage,
    revoke_token,
    utc_now,
)
from snapshot.layout import BadCurrent


class Listed(msgspec.Struct):
    """A token as `visites token list --format json` shows it (never its hash)."""

    name: str
    role: str  # admin, metrics or reader
    responsable: int | None  # its scope: this manager's team; null = everything
    created_at: datetime
    expires_at: datetime | None  # null = never
    expired: bool
    last_used_at: datetime | None  # to the minute; null = never used


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "token",
        help="create, list or revoke the API's bearer tokens",
        description="Tokens are stored hashed in VISITES_TOKENS_FILE "
        "(default $VISITES_DATA_DIR/tokens.json); a secret is shown once, at creation.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="make a token and print only its secret",
        description="Make a token and print only its secret on stdout: "
        "TOKEN=$(visites token create --name ci)",
    )
    create.add_argument("--name", required=True, help="a unique name, e.g. who uses it")
    create.add_argument(
        "--responsable",
        type=int,
        metavar="ID",
        help="scope: the token sees only this manager's team (a user id; one the current "
        "snapshot does not know is accepted with a warning)",
    )
    create.add_argument(
        "--admin", action="store_true", help="may trigger snapshot refreshes and read /metrics"
    )
    create.add_argument(
        "--metrics",
        action="store_true",
        help="a monitoring token (for Prometheus): reads /metrics and nothing else",
    )
    create.add_argument(
        "--expires",
        metavar="DURATION",
        help="refused after this long: 30d, 12h, 45m (default: never)",
    )
    create.set_defaults(run=run_create)
    listing = actions.add_parser(
        "list",
        help="names, scopes and dates (never secrets)",
        description="List the tokens: name, role, scope, created, expires, last used "
        "(recorded by the server, to the minute).",
    )
    listing.add_argument(
        "--format", choices=["table", "json"], default="table", help="default: a table"
    )
    listing.set_defaults(run=run_list)
    revoke = actions.add_parser(
        "revoke", help="delete a token by name", description="Delete a token by name."
    )
    revoke.add_argument("name", help="the token's name")
    revoke.set_defaults(run=run_revoke)


def _failed(reason: object) -> int:
    print(f"visites token: failed: {reason}", file=sys.stderr)
    return 1


def run_create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        secret = create_token(
            settings.tokens_path,
            args.name,
            responsable=args.responsable,
            admin=args.admin,
            metrics=args.metrics,
            lasts=None if args.expires is None else parse_duration(args.expires),
        )
    except (TokenError, OSError) as error:
        return _failed(error)
    if args.responsable is not None and not _known(settings, args.responsable):
        print(
            f"visites token: warning: no user {args.responsable} in the current snapshot "
            "(neither a user nor anyone's manager): the token sees nothing until one appears",
            file=sys.stderr,
        )
    print(secret)
    return 0


def _known(settings: Settings, responsable: int) -> bool:
    """Whether the current snapshot has ``responsable`` as a user or as someone's manager
    (a team exists either way, SPEC §5). Only advice: with no snapshot to ask, or one that
    cannot be read, the answer is yes and the token is made all the same."""
    try:
        with connect(settings.data_dir) as con:
            row = con.execute(
                "SELECT count(*) FROM tab_utilisateur "
                "WHERE $id IN (id_utilisateur, id_responsable)",
                {"id": responsable},
            ).fetchone()
    except (NoSnapshot, BadCurrent, OSError, duckdb.Error, pa.ArrowException):
        return True
    return row is not None and row[0] > 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    try:
        tokens = read_tokens(settings.tokens_path)
        used = read_usage(settings.tokens_path)
        now = utc_now()
        listed = [_listed(token, used.get(token.sha256), now) for token in tokens]
    except (TokenError, OSError, ValueError) as error:
        return _failed(error)
    if args.format == "json":
        print(msgspec.json.encode(listed).decode())
    else:
        _print_table(listed)
    return 0


def _listed(token: Token, last_used: datetime | None, now: datetime) -> Listed:
    return Listed(
        name=token.name,
        role="admin" if token.admin else "metrics" if token.metrics else "reader",
        responsable=token.responsable,
        created_at=datetime.fromisoformat(token.created_at),
        expires_at=token.expires_at,
        expired=token.expired(now),
        last_used_at=last_used,
    )


HEADER = ("NAME", "ROLE", "SCOPE", "CREATED", "EXPIRES", "LAST USED")


def _moment(when: datetime | None, never: str = "never") -> str:
    return never if when is None else when.isoformat(timespec="seconds")


def _print_table(listed: list[Listed]) -> None:
    rows = [HEADER] + [
        (
            t.name,
            t.role,
            "all" if t.responsable is None else f"team of {t.responsable}",
            _moment(t.created_at),
            _moment(t.expires_at) + (" (expired)" if t.expired else ""),
            _moment(t.last_used_at),
        )
        for t in listed
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


def run_revoke(args: argparse.Namespace, settings: Settings) -> int:
    try:
        revoke_token(settings.tokens_path, args.name)
    except (TokenError, OSError) as error:
        return _failed(error)
    print(f"token {args.name!r} revoked", file=sys.stderr)
    return 0
