"""Person × day grids: scatter per-row values into a dense (person, day) matrix and back.

A grid is cheap (1,000 people × 365 days is 1.5 MB per float32 feature), so trailing
windows are plain slices instead of per-row searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.floating[Any]]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Grid:
    """Where each row sits: person code and day column (day number − `first_day`)."""

    person: I64
    column: I64
    first_day: int
    shape: tuple[int, int]

    def dense(self, values: F64, fill: float = np.nan) -> F32:
        """A (person, day) float32 matrix of `values`; cells without a row hold `fill`."""
        out = np.full(self.shape, fill, dtype=np.float32)
        out[self.person, self.column] = values
        return out


def make_grid(users: I64, days: I64) -> Grid:
    """The grid of rows given as person codes and day numbers (days since 1970-01-01)."""
    if users.size == 0:
        return Grid(users, days, 0, (0, 0))
    first = int(days.min())
    return Grid(users, days - first, first, (int(users.max()) + 1, int(days.max()) - first + 1))


def trailing_sum(matrix: F32, width: int) -> F32:
    """Sum over each cell's day and the `width` − 1 days before it (NaN counts as 0)."""
    cs = np.cumsum(np.nan_to_num(matrix, nan=0.0), axis=1, dtype=np.float64)
    out = cs.copy()
    out[:, width:] -= cs[:, :-width]
    return out.astype(np.float32)


def padded_median(sorted_vals: F32, count: I64) -> F32:
    """Median over the last axis of NaN-padded sorted values with `count` real values."""
    c = np.maximum(count, 1)[..., None]
    lo = np.take_along_axis(sorted_vals, (c - 1) // 2, axis=-1)[..., 0]
    hi = np.take_along_axis(sorted_vals, c // 2, axis=-1)[..., 0]
    return np.asarray((lo + hi) / np.float32(2.0), dtype=np.float32)


def median_mad(windows: F32) -> tuple[F32, F32, I64]:
    """Median, MAD and count of the non-NaN values over the last axis (NaN when empty)."""
    count = np.asarray((~np.isnan(windows)).sum(axis=-1), dtype=np.int64)
    med = padded_median(np.sort(windows, axis=-1), count)
    dev = np.sort(np.abs(windows - med[..., None]), axis=-1)
    mad = padded_median(dev, count)
    empty = count == 0
    med[empty] = np.nan
    mad[empty] = np.nan
    return med, mad, count
