"""``visites serve``: the HTTP API under uvicorn; on a fresh machine, demo data first."""

from __future__ import annotations

import argparse
import copy
import sys
from typing import Any

import uvicorn
import uvicorn.config

from config import Settings
from security.tokens import TokenError, create_token, read_tokens
from snapshot.demo.generator import DEFAULT_SEED, DEFAULT_VISITS
from snapshot.demo.publish import take_demo_snapshot
from snapshot.job import SnapshotBusy
from snapshot.layout import BadCurrent, current_id

MAX_PORT = 65535


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the dashboard API (builds demo data first if there is no snapshot)",
        description="Serve the six dashboard endpoints, /snapshot, /health, /ready, "
        "/metrics and the OpenAPI docs (/schema). With no snapshot in VISITES_DATA_DIR, "
        f"first publish a demo snapshot ({DEFAULT_VISITS:,} visits); with no token in "
        "VISITES_TOKENS_FILE, create an admin token and print it once.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes (default 1); each loads the snapshot and keeps its own cache",
    )
    parser.set_defaults(run=run)


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus ours: access lines as bare JSON on stderr."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["json"] = {"format": "%(message)s"}
    config["handlers"]["json"] = {
        "formatter": "json",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["visites"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["visites.access"] = {
        "handlers": ["json"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def ensure_demo_snapshot(settings: Settings) -> None:
    if current_id(settings.data_dir) is not None:
        return
    print(
        f"visites serve: no snapshot in {settings.data_dir}: "
        f"publishing demo data ({DEFAULT_VISITS:,} visits, seed {DEFAULT_SEED})...",
        file=sys.stderr,
    )
    take_demo_snapshot(
        settings.data_dir,
        visits=DEFAULT_VISITS,
        seed=DEFAULT_SEED,
        keep=settings.keep_snapshots,
        batch_rows=settings.batch_rows,
    )


def ensure_token(settings: Settings) -> None:
    """Never run open: with no token at all, make one and show it this once."""
    if read_tokens(settings.tokens_path):
        return
    secret = create_token(settings.tokens_path, "default", admin=True)
    print(
        "visites serve: no token configured; created admin token 'default' "
        "(shown once; `visites token --help` manages them):",
        file=sys.stderr,
    )
    print(secret, flush=True)


def refused(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, before anything starts (argparse takes any int)."""
    if not 1 <= args.port <= MAX_PORT:
        return f"--port must be 1 to {MAX_PORT}, not {args.port}"
    if args.workers < 1:
        return f"--workers must be at least 1, not {args.workers}"
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if reason := refused(args):
        print(f"visites serve: {reason}", file=sys.stderr)
        return 2
    try:
        ensure_demo_snapshot(settings)
        ensure_token(settings)
    except (TokenError, SnapshotBusy, BadCurrent, OSError) as error:
        print(f"visites serve: failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # while building the demo data: nothing was published
        print("visites serve: interrupted", file=sys.stderr)
        return 130
    uvicorn.run(
        "api.server:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # ours is structured and knows the cache outcome
        log_config=log_config(),
    )
    return 0
