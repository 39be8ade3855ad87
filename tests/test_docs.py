"""The docs against the code: every setting, default and command the README promises is
the one the code has, and the docs name no variable the code does not read."""

from __future__ import annotations

import re

import msgspec
from helpers import ROOT

from cli.main import build_parser
from config import PREFIX, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = [README, *(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))]


def readme_configuration() -> dict[str, str]:
    """Variable -> its default column, from the README's configuration table."""
    return dict(re.findall(r"^\| `(VISITES_[A-Z_]+)` \| .+ \| (.+) \|$", README, re.MULTILINE))


def settings() -> dict[str, object]:
    """Variable -> default, from the Settings struct."""
    return {PREFIX + f.name.upper(): f.default for f in msgspec.structs.fields(Settings)}


def test_readme_lists_every_setting():
    assert set(readme_configuration()) == set(settings())


def test_readme_gives_every_numeric_default():
    documented = readme_configuration()
    numeric = {v: d for v, d in settings().items() if isinstance(d, int | float)}
    assert numeric, "Settings has numeric defaults"
    for variable, default in numeric.items():
        # Whole numbers in full (a byte count too), fractions as short as they go.
        shown = f"{default}" if isinstance(default, int) else f"{default:g}"
        assert documented[variable] == f"`{shown}`", variable


def test_docs_name_only_variables_the_code_reads():
    named = {name for text in DOCS for name in re.findall(r"VISITES_[A-Z_]+", text)}
    assert named <= set(settings())


def test_readme_shows_every_command():
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for command in subparsers.choices:
        assert f"`visites {command}" in README, command
