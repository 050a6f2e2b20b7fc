"""Apply per-value Python functions once per *distinct* value instead of once per row.

Result tables repeat themselves: a model column holds one name, a grade column a handful of
words, a prediction column ten letters, and "I don't know." recurs verbatim. Normalising
names, parsing grades or running the abstention regexes per row costs microseconds times
millions; doing it per distinct value and broadcasting the answers back with the factorised
codes costs one hash per row. Semantics are unchanged: each distinct value gets exactly what
the per-row function would have returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype


def map_unique(values: pd.Series, fn: Callable[[Any], Any], dtype: str | None = "string") -> pd.Series:
    """``values.map(fn)``, evaluating ``fn`` once per distinct value (missing values included)."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=dtype or "object")
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): per row, as before
        return values.map(fn).astype(dtype or "object")
    mapped = [fn(u) for u in uniques]
    has_na = bool((codes < 0).any())
    if has_na:
        mapped.append(fn(values[codes < 0].iloc[0]))
        codes = np.where(codes < 0, len(mapped) - 1, codes)
    table = pd.Series(mapped, dtype=dtype or "object")
    out = table.take(codes)
    out.index = values.index
    return out


def as_text(values: pd.Series, fallback: Callable[[Any], Any]) -> pd.Series:
    """A nullable string column: a cast when every value already is a string, else ``fallback`` per value."""
    if isinstance(values.dtype, pd.StringDtype) or infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype("string")
    return values.map(fallback).astype("string")
