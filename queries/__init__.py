"""The engine's SQL: one file per endpoint, two for the dashboard and scoped tokens
(``choices``, ``in_team``), the analysts' views (``analyst``), and under ``build/`` the
derived tables that the engine creates, in file-name order, when it loads a snapshot."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of ``<name>.sql`` (``name`` may be ``build/<file>`` without ``.sql``)."""
    return files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def build_scripts() -> list[str]:
    """The names of the build scripts, in the order they run."""
    scripts = files(__name__).joinpath("build").iterdir()
    return sorted(
        f"build/{p.name.removesuffix('.sql')}" for p in scripts if p.name.endswith(".sql")
    )
