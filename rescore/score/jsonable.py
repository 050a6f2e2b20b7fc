"""JSON-ready values for every machine-readable output: one rounding rule, one null rule.

Floats are rounded to 6 decimals so the same input gives byte-identical JSON; NaN, infinities
and pandas NA become ``null``; numpy scalars and arrays become plain Python values.
:func:`dumps` writes every JSON document rescore outputs.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import numpy as np
import pandas as pd


def json_value(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    if isinstance(x, np.bool_):
        return bool(x)
    if x is pd.NA:
        return None
    if isinstance(x, np.ndarray):
        return [json_value(v) for v in x.tolist()]
    return x


# Numbers that must survive their own files (issue 20): a threshold is written exactly (t =
# 0.9999999 rounded to 1.0 would be refused when the file comes back as a --baseline), and a small
# p-value keeps significant digits (1.2e-08, not 0).
EXACT_COLUMNS = frozenset({"t", "instructed_t"})
P_COLUMNS = frozenset({"p", "p_holm", "p_bh", "p_adjusted"})


def p_value(x: float) -> float:
    """A p-value for JSON: six decimals from 0.001 up, six significant digits below."""
    return round(x, 6) if x >= 1e-3 or x == 0 else float(f"{x:.6g}")


def csv_ready(frame: pd.DataFrame, float_format: str = "%.6f") -> pd.DataFrame:
    """``frame`` with thresholds and p-values as text where ``float_format`` would lose them.

    A column is rewritten only when some value needs it (t = 0.9999999, p = 1.2e-08), so every
    other file stays byte-identical; within it the values the fixed format keeps are written as
    before, the others as ``repr`` (thresholds) or six significant digits (p-values).
    """
    out = frame
    for name in frame.columns:
        column = frame[name]
        if name not in EXACT_COLUMNS | P_COLUMNS or not (isinstance(column.dtype, np.dtype)
                                                         and column.dtype.kind == "f"):
            continue
        values = column.to_numpy().tolist()
        if name in EXACT_COLUMNS:
            lost = [x == x and float(float_format % x) != x for x in values]
            text = [repr(x) if bad else ("" if x != x else float_format % x)
                    for x, bad in zip(values, lost, strict=True)]
        else:
            lost = [x == x and 0 < x < 1e-3 for x in values]
            text = [f"{x:.6g}" if bad else ("" if x != x else float_format % x)
                    for x, bad in zip(values, lost, strict=True)]
        if any(lost):
            if out is frame:
                out = frame.copy()
            out[name] = text
    return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a DataFrame (converted column by column: a leaderboard at 99
    thresholds has ten thousand rows, and a function call per cell was most of its output time)."""
    names = [str(name) for name in frame.columns]
    columns = [_column_values(frame.iloc[:, i], names[i]) for i in range(frame.shape[1])]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if names else \
        [{} for _ in range(len(frame))]


def _column_values(column: pd.Series, name: str = "") -> list[Any]:
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        if name in EXACT_COLUMNS:
            return [x if math.isfinite(x) else None for x in column.to_numpy().tolist()]
        if name in P_COLUMNS:
            return [p_value(x) if math.isfinite(x) else None for x in column.to_numpy().tolist()]
        return [round(x, 6) if math.isfinite(x) else None for x in column.to_numpy().tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return column.to_numpy().tolist()  # plain Python ints and bools
    return [json_value(v) for v in column.tolist()]


def dumps(document: Any) -> str:
    """A JSON document, indented by two spaces, UTF-8 text, ending in a newline.

    msgspec writes it in C (``json.dumps`` with ``indent`` runs in Python: a second for a
    leaderboard at 99 thresholds); the layout is ``json.dumps(indent=2)``'s. Values come from
    :func:`json_value`, so there is no NaN to refuse.
    """
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode("utf-8") + "\n"


def json_lines(rows: list[dict[str, Any]]) -> str:
    """JSON Lines (``--format jsonl``): one compact object per line, each value as in :func:`dumps`."""
    encoder = msgspec.json.Encoder()
    return "".join(encoder.encode({k: json_value(v) for k, v in row.items()}).decode("utf-8") + "\n"
                   for row in rows)


def frame_json_lines(frame: pd.DataFrame) -> str:
    """A table as JSON Lines, each row as :func:`records` makes it for ``-f json``.

    The rows already follow the per-column rules (exact thresholds, p-values with significant
    digits); :func:`json_lines` would round them again and ``-f jsonl`` disagree with ``-f json``.
    """
    encoder = msgspec.json.Encoder()
    return "".join(encoder.encode(row).decode("utf-8") + "\n" for row in records(frame))
