"""``visites``: the one command line. Each subcommand lives in its own module here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from config import ConfigError, load_settings

# Each module cli.<command> has ``register(subparsers)``; the parser it adds sets
# ``run(args, settings)``. A command line imports only the module of its command:
# `visites serve` (and each of its workers) must not pay for the snapshot job's
# imports, pyarrow, numpy and SQLAlchemy: about 1 s and 100 MB.
COMMANDS = ("serve", "snapshot", "follow", "demo", "sql", "token")


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visites",
        description="Visits analytics for pharmaceutical sales forces.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        import_module(f"cli.{command}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    named = arguments[:1] if arguments and arguments[0] in COMMANDS else COMMANDS
    args = build_parser(named).parse_args(arguments)
    try:
        status: int = args.run(args, load_settings())
        return status
    except ConfigError as error:
        print(f"visites: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
