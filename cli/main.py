"""``visites``: the one command line. Each subcommand lives in its own module here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from cli import demo, serve, snapshot, sql, token
from config import ConfigError, load_settings

# Each module has ``register(subparsers)``; the parser it adds sets ``run(args, settings)``.
COMMANDS: tuple[ModuleType, ...] = (serve, snapshot, demo, sql, token)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visites",
        description="Visits analytics for pharmaceutical sales forces.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args, load_settings())
        return status
    except ConfigError as error:
        print(f"visites: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
