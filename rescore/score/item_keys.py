"""Integer codes for the item table's key columns, each column coded once per table.

Coverage (:func:`rescore.score.leaderboard.distinct_items`) and the paired statistics
(:func:`rescore.score.compare.benchmark_items`) both need a number per row standing for its
item (``subset``, ``item_id``, and for pairs ``attempt``): equal numbers for equal keys, nothing
more. Hashing the ``item_id`` strings is what costs (0.45 s at 10M rows), and a leaderboard with
paired tie marks did it twice; the other key columns need no hashing at all, since a ``category``
column already holds codes and an integer column is its own code
(:func:`rescore.read.schema.key_codes`, the item table's key check's coding too).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rescore.read.schema import key_codes


class ItemKeys:
    """A table's key columns as :func:`~rescore.read.schema.key_codes`, each coded on first use and
    kept, for frames that are row selections of the table (a filter, ``scored_items``): their rows
    are found by index label, so one command codes ``item_id`` once however many statistics read it.

    A frame whose index is not the table's, while the table's is not the default 0..n-1, is
    coded afresh (correct, only not shared).
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self._coded: dict[str, tuple[np.ndarray, Any]] = {}

    def codes(self, frame: pd.DataFrame, column: str) -> tuple[np.ndarray, Any]:
        """:func:`~rescore.read.schema.key_codes` of ``frame[column]``; ``frame`` must be the table or rows of it."""
        rows = self._positions(frame)
        if rows is None:
            return key_codes(frame[column])
        if column not in self._coded:
            self._coded[column] = key_codes(self.table[column])
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
