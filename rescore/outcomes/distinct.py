"""Apply per-value Python functions once per *distinct* value instead of once per row.

Result tables repeat themselves: a model column holds one name, a grade column a handful of
words, a prediction column ten letters, and "I don't know." recurs verbatim. Normalising
names, parsing grades or running the abstention regexes per row costs microseconds times
millions; doing it per distinct value and broadcasting the answers back with the factorised
codes costs one hash per row. Semantics are unchanged: each distinct value gets exactly what
the per-row function would have returned.

"Distinct" is exact: ``1``, ``1.0`` and ``True`` are equal (and hash alike) in Python but the
per-row rules treat them differently (``normalise_answer(1.0)`` is ``"10"``), so a column that
mixes types is told apart by type as well as value (:func:`distinct`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

#: ``infer_dtype`` kinds in which equal values are the same value for every per-value rule here
_ONE_KIND = frozenset({"string", "empty", "floating", "integer", "boolean"})


def distinct(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """``(codes, uniques)``: ``uniques[codes[i]]`` is row ``i``'s value, of its own type.

    Missing values (None, NaN, NA) share one trailing code whose representative is the first
    missing value (every rule here treats them alike). Raises ``TypeError`` on unhashable values
    (lists): the caller decides per row then.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype="int64"), []
    kind = "string" if isinstance(values.dtype, pd.StringDtype) else infer_dtype(values, skipna=True)
    if values.dtype == object and kind not in ("string", "empty"):
        return _tagged(values)  # Python objects of one kind may still be of two types (1 and np.int64(1))
    if values.dtype.kind == "f" or kind in _ONE_KIND:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        listed = list(uniques.tolist()) if hasattr(uniques, "tolist") else list(uniques)
        if values.dtype.kind == "f" or kind == "floating":
            # -0.0 and 0.0 are one key to the hash table but print differently
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            zeros = np.signbit(numbers[numbers == 0.0])
            if zeros.any() and not zeros.all():
                return _tagged(values)
    else:
        return _tagged(values)
    codes = np.asarray(codes, dtype="int64")
    missing = codes < 0
    if missing.any():
        listed.append(values.iloc[int(np.flatnonzero(missing)[0])])
        codes = np.where(missing, len(listed) - 1, codes)
    return codes, listed


def _tagged(values: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Distinct values of a mixed-type column: keyed by (type, value, sign of a zero) per row.

    A key per row is built in Python here (about 0.1 µs a row), still far cheaper than the rule;
    only object columns that mix numbers, booleans and text come this way.
    """
    raw = values.to_numpy(dtype=object)
    keys = [(v.__class__, v, _neg_zero(v)) for v in raw]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    order = np.unique(codes, return_index=True)[1]
    listed = [raw[i] for i in order]
    return np.asarray(codes, dtype="int64"), listed


def _neg_zero(value: Any) -> bool:
    return isinstance(value, float) and value == 0.0 and bool(np.signbit(value))


def map_unique(values: pd.Series, fn: Callable[[Any], Any], dtype: str | None = "string") -> pd.Series:
    """``values.map(fn)``, evaluating ``fn`` once per distinct value (missing values included)."""
    if values.empty:
        return pd.Series([], index=values.index, dtype=dtype or "object")
    try:
        codes, uniques = distinct(values)
    except TypeError:  # unhashable values (lists, dicts): per row, as before
        return values.map(fn).astype(dtype or "object")
    table = pd.Series([fn(u) for u in uniques], dtype=dtype or "object")
    out = table.take(codes)
    out.index = values.index
    return out


def as_text(values: pd.Series, fallback: Callable[[Any], Any]) -> pd.Series:
    """A nullable string column: a cast when every value already is a string, else ``fallback`` per value."""
    if isinstance(values.dtype, pd.StringDtype) or infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype("string")
    return map_unique(values, fallback)
