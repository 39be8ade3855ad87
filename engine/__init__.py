"""The analytics engine: embedded DuckDB over the current snapshot (SPEC §2)."""

from engine.engine import (
    ENDPOINTS,
    RESULTS,
    Engine,
    EngineClosed,
    NoSnapshot,
    NotReady,
    SnapshotView,
)
from engine.filters import EvaluationFilter, InvestFilter, VisiteFilter
from engine.serving import SnapshotRefused

__all__ = [
    "ENDPOINTS",
    "RESULTS",
    "Engine",
    "EngineClosed",
    "EvaluationFilter",
    "InvestFilter",
    "NoSnapshot",
    "NotReady",
    "SnapshotRefused",
    "SnapshotView",
    "VisiteFilter",
]
