"""``visites token``: create, list and revoke the API's bearer tokens (SPEC §7)."""

from __future__ import annotations

import argparse
import sys

import duckdb
import pyarrow as pa

from config import Settings
from engine.analyst import connect
from engine.engine import NoSnapshot
from security.tokens import TokenError, create_token, read_tokens, revoke_token
from snapshot.layout import BadCurrent


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
    create.set_defaults(run=run_create)
    listing = actions.add_parser(
        "list", help="names, scopes and dates (never secrets)", description="List the tokens."
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
    except (TokenError, OSError) as error:
        return _failed(error)
    for token in tokens:
        scope = "all" if token.responsable is None else f"team of {token.responsable}"
        role = "admin" if token.admin else "metrics" if token.metrics else "reader"
        print(f"{token.name}\t{scope}\t{role}\tcreated {token.created_at}")
    return 0


def run_revoke(args: argparse.Namespace, settings: Settings) -> int:
    try:
        revoke_token(settings.tokens_path, args.name)
    except (TokenError, OSError) as error:
        return _failed(error)
    print(f"token {args.name!r} revoked", file=sys.stderr)
    return 0
