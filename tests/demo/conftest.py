"""The generated tables the demo tests read: a small clean set, the same soiled, and a large
clean set for shares and ratios. Generated once per session; tests only read them."""

from __future__ import annotations

import pytest
from demo_tables import Tables

from snapshot.demo.generator import generate


@pytest.fixture(scope="session")
def clean() -> Tables:
    return generate(3000, seed=11)


@pytest.fixture(scope="session")
def messy() -> Tables:
    return generate(3000, seed=11, messy=True)


@pytest.fixture(scope="session")
def large() -> Tables:
    """Big enough for shares and ratios to settle."""
    return generate(60_000, seed=3)
