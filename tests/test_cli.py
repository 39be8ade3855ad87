"""The `visites` command line: every subcommand documents itself; bad settings fail in one line."""

from __future__ import annotations

import argparse

import pytest
from helpers import run_visites

from cli.main import build_parser


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
