"""Outcome counts from integer codes: the last step every counts-mode fast path shares.

A fast path (:mod:`rescore.fastcount` for graded Parquet, :mod:`rescore.adapters.lm_eval_fast`
for lm-eval samples) decides each *distinct* label once and keeps, per row, small integer
codes into the label lists. Counting then is arithmetic: the codes of the key columns are
combined into one integer per row and counted with ``np.bincount`` (or ``np.unique`` when the
combinations are too many for a dense count), which is what makes ten million rows cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .counting import COLUMNS

#: above this many possible key combinations a dense bincount would waste memory: sort instead
_DENSE_LIMIT = 1 << 22

Coded = tuple[np.ndarray, Sequence[Any]]


def count_codes(benchmark: Coded, model: Coded, subset: Coded, outcome: Coded, rule: Coded,
                run: Any = pd.NA) -> pd.DataFrame:
    """Counts per (benchmark, model, subset, outcome, rule), in :data:`rescore.counting.COLUMNS` layout.

    Each argument is ``(codes, labels)``: one code per row into ``labels``. ``run`` is the one
    run label of the file (NA when the producer has none); ``cluster`` is NA (fast paths apply
    only to single-attempt inputs without a cluster column).
    """
    parts = [benchmark, model, subset, outcome, rule]
    dims = [max(len(labels), 1) for _, labels in parts]
    combined = np.zeros(len(benchmark[0]), dtype="int64")
    for (codes, _), size in zip(parts, dims, strict=True):
        combined = combined * size + codes
    total = int(np.prod(dims, dtype="float64"))
    if total <= _DENSE_LIMIT:
        dense = np.bincount(combined, minlength=total)
        uniques = np.flatnonzero(dense)
        counts = dense[uniques]
    else:
        uniques, counts = np.unique(combined, return_counts=True)
    decoded = []
    for size in reversed(dims):
        decoded.append(uniques % size)
        uniques = uniques // size
    r_code, o_code, s_code, m_code, b_code = decoded
    labels = [labels for _, labels in parts]

    def column(values: list[Any]) -> Any:
        return pd.array(values, dtype="string")

    return pd.DataFrame({
        "benchmark": column([labels[0][i] for i in b_code]),
        "model": column([labels[1][i] for i in m_code]),
        "subset": column([labels[2][i] for i in s_code]),
        "run": column([run] * len(counts)),
        "cluster": column([pd.NA] * len(counts)),
        "outcome": column([labels[3][i] for i in o_code]),
        "rule": column([labels[4][i] for i in r_code]),
        "count": np.asarray(counts, dtype="int64"),
    }, columns=list(COLUMNS))
