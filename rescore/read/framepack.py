"""Send item tables between processes small: repetitive text columns travel as codes.

A worker's item table repeats itself: every row carries the file's path in ``source``, the same
model and benchmark, one of five outcomes and a handful of rules. Pickled as they are, those
columns were most of the 44-67 MB a 200,000-item file sent back to the parent, and moving 3 GB
through the pool's pipe took longer than reading the 50 files (10 million items: 8 s of 11).
Each text column with few distinct values is sent as int32 codes plus its distinct values and
rebuilt with one Arrow ``take``; the table that arrives equals the one sent, dtypes included.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# pack a text column when its distinct values are at most this share of its rows
_MAX_DISTINCT_SHARE = 0.25


def pack(frame: pd.DataFrame) -> dict[str, Any]:
    """A picklable form of ``frame``; :func:`unpack` gives back an equal DataFrame."""
    columns: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.StringDtype) and len(column):
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            if len(uniques) <= _MAX_DISTINCT_SHARE * len(column):
                # the column's own array type, whose take() fills code -1 with NA
                columns[name] = ("codes", codes.astype("int32"), pd.Index(uniques).array)
                continue
        columns[name] = ("as is", column.array)
    return {"index": frame.index, "columns": columns, "order": list(frame.columns)}


def unpack(packed: dict[str, Any]) -> pd.DataFrame:
    """The DataFrame :func:`pack` was given."""
    data = {}
    for name in packed["order"]:
        entry = packed["columns"][name]
        if entry[0] == "codes":
            _, codes, uniques = entry
            data[name] = uniques.take(codes, allow_fill=True)
        else:
            data[name] = entry[1]
    return pd.DataFrame(data, index=packed["index"], columns=packed["order"])
