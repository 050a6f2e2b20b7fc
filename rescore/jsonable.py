"""JSON-ready values for every machine-readable output: one rounding rule, one null rule.

Floats are rounded to 6 decimals so the same input gives byte-identical JSON; NaN, infinities
and pandas NA become ``null``; numpy scalars and arrays become plain Python values.
"""

from __future__ import annotations

import math
from typing import Any

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


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a DataFrame."""
    return [{k: json_value(v) for k, v in row.items()} for row in frame.to_dict("records")]
