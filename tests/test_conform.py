"""``schema.conform``: every canonical column present, in its dtype, whatever the producer gave.

A column the producer lacks is built in its dtype at once (issue 18: a column of Python objects
cast afterwards was about 1 s of a 10M-item load); these are the values and dtypes it must have,
the same as a column the producer gave and conform cast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rescore.read.schema import ITEM_COLUMNS, conform


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_missing_columns_take_their_defaults_in_their_dtypes(rows: int) -> None:
    given = pd.DataFrame({"model": ["m"] * rows, "benchmark": ["b"] * rows, "item_id": [str(i) for i in range(rows)],
                          "outcome": ["correct"] * rows})
    out = conform(given, source="runs/x.jsonl")
    assert list(out.columns) == list(ITEM_COLUMNS)
    # what the same values look like when a producer gives them and conform casts them
    spelled = conform(given.assign(subset="", attempt=0, rule="explicit grade", confidence=np.nan, prediction=None,
                                   response=None, gold=None, run=None, source="runs/x.jsonl"))
    pd.testing.assert_frame_equal(out, spelled)
    for name, dtype in ITEM_COLUMNS.items():
        assert out[name].dtype == pd.Series([], dtype=dtype).dtype, name
    if rows:
        assert out["subset"].iloc[0] == "" and out["attempt"].iloc[0] == 0 and out["rule"].iloc[0] == "explicit grade"
        assert out["source"].iloc[0] == "runs/x.jsonl" and np.isnan(out["confidence"].iloc[0])
        assert out[["prediction", "response", "gold", "run"]].isna().all().all()


def test_without_a_source_the_source_is_missing() -> None:
    out = conform(pd.DataFrame({"model": ["m"], "benchmark": ["b"], "item_id": ["1"], "outcome": ["wrong"]}))
    assert out["source"].isna().all() and out["source"].dtype == "string"
