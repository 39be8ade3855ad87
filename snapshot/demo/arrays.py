"""Small vectorised helpers: numpy draws, and Arrow columns printed the way MySQL prints them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from snapshot.demo.reference import FIRST_DAY
from snapshot.tables import BY_NAME


def cumulate(weights: np.ndarray) -> np.ndarray:
    """[0, w0, w0+w1, ...] in int64: the ticket ranges `draw` picks from."""
    return np.concatenate(([0], np.cumsum(weights, dtype=np.int64)))


def draw(
    rng: np.random.Generator, cumulative: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """For each row an index in [start, stop) drawn with probability ∝ its integer weight.

    One ticket per row inside the row's own range of the cumulated weights, so thousands of
    different segments (a rep's portfolio, a rep's working days) are drawn in one call; a
    weight of 0 (a Sunday) is never drawn. Every segment must weigh more than 0.
    """
    ticket = rng.integers(cumulative[start], cumulative[stop])
    return np.searchsorted(cumulative, ticket, side="right") - 1


def pick(
    rng: np.random.Generator, n: int, probabilities: Sequence[float] | np.ndarray
) -> np.ndarray:
    """n category indexes drawn with the given probabilities (normalised here)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def strings(values: Sequence[str], index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """values[index] as an Arrow string array; rows where `null` is set are NULL."""
    taken = pa.array(index.astype(np.int32), mask=null)
    return pa.array(values, pa.string()).take(taken)


def datetimes(seconds: np.ndarray) -> pa.Array:
    """Seconds since the epoch printed the MySQL way: 'YYYY-MM-DD HH:MM:SS'."""
    return pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s")).cast(pa.string())


def dates(days: np.ndarray) -> pa.Array:
    """Days since the epoch printed as 'YYYY-MM-DD'."""
    return pa.array(days.astype(np.int32), pa.date32()).cast(pa.string())


def times(seconds: np.ndarray) -> pa.Array:
    """Seconds since midnight printed as 'HH:MM:SS'."""
    return pa.array(seconds.astype(np.int32), pa.time32("s")).cast(pa.string())


def decimals(cents: np.ndarray, type_: pa.DataType, null: np.ndarray | None = None) -> pa.Array:
    """Exact DECIMAL values from integer cents, built straight into Arrow's 128-bit layout
    (low word, then the sign-extended high word), so no float ever rounds a budget."""
    cents = cents.astype(np.int64)
    words = np.stack([cents, cents >> 63], axis=1).ravel()
    validity = None
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
    return pa.Array.from_buffers(type_, len(cents), [validity, pa.py_buffer(words)])


def source_table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A source table in its raw schema, columns in schema order."""
    schema = BY_NAME[name].raw_schema()
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def epoch_day(day: np.ndarray) -> np.ndarray:
    """Calendar index (0 = FIRST_DAY) to days since 1970-01-01."""
    return day + FIRST_DAY.astype(np.int64)
