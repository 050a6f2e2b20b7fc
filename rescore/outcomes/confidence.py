"""Turn confidence columns of every shape into probabilities in [0, 1].

Rule (documented in the README): a column is read as numbers; ``"85%"`` is 85 percent.
A column without ``%`` signs is taken as a percentage (0-100) and divided by 100 only when its
values look like percentages: at least half of its non-zero values exceed 1. A stray 1.5 among
values of 0.6 is an error naming its line, not a reason to divide the whole column by 100
(issue 17: one odd value must never turn a column into a wrong one).
Verbal labels ("high", "low", ...) map through ``configs/confidence.yaml``. Anything else
is a data error naming the file, line and column; NaN means "unknown" and is kept.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from rescore.config import load_config
from rescore.errors import InputError
from rescore.read.tables import located


@lru_cache(maxsize=1)
def _verbal() -> dict[str, float]:
    try:
        cfg = load_config("confidence.yaml")
    except InputError:
        return {}
    return {str(k).strip().lower(): float(v) for k, v in (cfg.get("verbal") or {}).items()}


def _one(value: object) -> tuple[float, bool]:
    """Parse one value: (number, was_percent_sign). Raises ValueError when not a confidence."""
    if value is None or value is pd.NA:
        return math.nan, False
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("boolean")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), False
    text = str(value).strip().lower()
    if text in ("", "nan", "none", "null", "n/a"):
        return math.nan, False
    if text in _verbal():
        return _verbal()[text], False
    if text.endswith("%"):
        return float(text[:-1].strip()), True
    return float(text), False


def plain_probabilities(values: list[object]) -> bool:
    """True when every value is a probability in [0, 1] as it stands (or a missing one): a number,
    a number as text or a verbal label, without a percent sign.

    Then :func:`normalise_confidence` of any batch that holds only these values returns them as
    numbers with no note and no error, so a reader that has a column's distinct values can
    settle the whole column with them instead of judging it batch by batch, row by row.
    """
    for value in values:
        try:
            number, percent = _one(value)
        except (TypeError, ValueError):
            return False
        if percent or not (math.isnan(number) or 0.0 <= number <= 1.0):
            return False
    return True


def _parse_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray, int | None]:
    """:func:`_one` for every row: (numbers, had a percent sign, first row that failed or None).

    A numeric column is taken as it is; any other column is parsed once per distinct value and
    taken back to the rows (a confidence column of a million rows holds a few thousand values).
    """
    from rescore.outcomes.distinct import distinct

    n = len(values)
    if values.dtype.kind in "iuf":  # numbers already (NA as NaN): what _one returns for each
        return values.to_numpy(dtype="float64", na_value=np.nan), np.zeros(n, dtype=bool), None
    try:
        codes, uniques = distinct(values)
    except TypeError:  # unhashable values: per row (the first one raises below)
        codes, uniques = np.arange(n), values.tolist()
    numbers = np.empty(len(uniques), dtype="float64")
    signs = np.zeros(len(uniques), dtype=bool)
    bad = np.zeros(len(uniques), dtype=bool)
    for k, value in enumerate(uniques):
        try:
            numbers[k], signs[k] = _one(value)
        except (TypeError, ValueError):
            bad[k] = True
    failed = int(np.flatnonzero(bad[codes])[0]) if bad.any() else None
    return numbers[codes], signs[codes], failed


def normalise_confidence(
    values: pd.Series,
    *,
    path: str,
    column: str,
    lines: pd.Series | None = None,
) -> tuple[pd.Series, str | None]:
    """Return (probabilities, note). The note says when a percentage scale was detected."""

    def where(i: int) -> dict[str, int | None]:  # row i's line or record, for the error
        return located(path, int(lines.iloc[i]) if lines is not None else None)

    parsed, percent, failed = _parse_column(values)
    if failed is not None:
        value = values.iloc[failed]
        raise InputError(f"confidence is not a number: {str(value)[:40]!r}", path=path, **where(failed),
                         field=column)
    note = None
    finite = parsed[np.isfinite(parsed)]
    if np.any(np.isinf(parsed)):
        i = int(np.flatnonzero(np.isinf(parsed))[0])
        raise InputError("confidence is infinite", path=path, **where(i), field=column)
    scale_percent = bool(percent.any())
    if not scale_percent and finite.size and finite.max() > 1.0:
        above = finite > 1.0
        nonzero = int(np.count_nonzero(finite))
        if int(above.sum()) * 2 >= nonzero:
            scale_percent = True
        else:  # a few values above 1 in a 0-1 column: name the first, divide nothing
            i = int(np.flatnonzero(np.isfinite(parsed) & (parsed > 1.0))[0])
            raise InputError(f"confidence {str(values.iloc[i])!r} is above 1 while {nonzero - int(above.sum())} of "
                             f"{nonzero} non-zero values are in (0, 1]: fix it, or give the whole column as 0-100 "
                             "or 'NN%'", path=path, **where(i), field=column)
    if scale_percent:
        parsed = np.where(percent | scale_percent, parsed / 100.0, parsed)
        note = f"column {column!r} read as a percentage (0-100) and divided by 100"
    bad = np.isfinite(parsed) & ((parsed < 0) | (parsed > 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"confidence {str(values.iloc[i])!r} outside [0, 1] and [0, 100]", path=path, **where(i),
                         field=column)
    return pd.Series(parsed, index=values.index, dtype="float64"), note
