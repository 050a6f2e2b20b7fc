"""Integer codes for the item table's key columns, each column coded once per table.

Coverage (:func:`rescore.score.leaderboard.distinct_items`) and the paired statistics
(:func:`rescore.score.compare.benchmark_items`) both need a number per row standing for its
item (``subset``, ``item_id``, and for pairs ``attempt``): equal numbers for equal keys, nothing
more. Hashing the ``item_id`` strings is what costs (0.45 s at 10M rows), and a leaderboard with
paired tie marks did it twice; the other key columns need no hashing at all, since a ``category``
column already holds codes and an integer column is its own code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def column_codes(column: pd.Series) -> tuple[np.ndarray, Any]:
    """``(codes, labels)``: ``labels[codes[i]]`` is row i's value, equal values share a code and a
    missing value is a value of its own (as ``pd.factorize(use_na_sentinel=False)`` codes them).

    The codes carry no order and ``labels`` may hold values no row has (a category unused): the
    callers fold the codes into keys and count or renumber them, so only equality matters. A
    ``category`` gives its own codes, an integer column its offsets from its minimum (when their
    span is at most one per row), without hashing; anything else is factorised.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return _category_codes(column)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "i" and len(column):
        values = column.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low < len(values):
            return values.astype("int64") - low, np.arange(low, high + 1)
    return pd.factorize(column, use_na_sentinel=False)


def _category_codes(column: pd.Series) -> tuple[np.ndarray, Any]:
    """A category's codes, a missing value (code -1) given the code after the last category."""
    codes = column.cat.codes.to_numpy()
    labels = column.cat.categories
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(labels), codes)
        labels = pd.Index([*labels, None], dtype=object)
    return codes, labels


class ItemKeys:
    """A table's key columns as :func:`column_codes`, each coded on first use and kept, for frames
    that are row selections of the table (a filter, ``scored_items``): their rows are found by
    index label, so one command codes ``item_id`` once however many statistics read it.

    A frame whose index is not the table's, while the table's is not the default 0..n-1, is
    coded afresh (correct, only not shared).
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self._coded: dict[str, tuple[np.ndarray, Any]] = {}

    def codes(self, frame: pd.DataFrame, column: str) -> tuple[np.ndarray, Any]:
        """:func:`column_codes` of ``frame[column]``; ``frame`` must be the table or rows of it."""
        rows = self._positions(frame)
        if rows is None:
            return column_codes(frame[column])
        if column not in self._coded:
            self._coded[column] = column_codes(self.table[column])
        codes, labels = self._coded[column]
        return (codes if rows is _ALL else codes[rows]), labels

    def _positions(self, frame: pd.DataFrame) -> np.ndarray | object | None:
        """Where ``frame``'s rows lie in the table: :data:`_ALL`, an array of positions, or None."""
        index = self.table.index
        if frame.index.equals(index):
            return _ALL
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            return frame.index.to_numpy()
        return None


_ALL = object()  # every row of the table, in its order: the codes need no take
