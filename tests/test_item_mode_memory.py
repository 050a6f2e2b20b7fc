"""Item mode at 10M rows (issue 18, point 3): the memory-saving shortcuts answer as the long way does.

The duplicate-key check of the canonical table folds the key columns into one code instead of
calling ``DataFrame.duplicated`` on all five; ``scored_items`` keeps only the columns a statistic
reads and skips the row take when nothing is dropped. Each is checked against the plain pandas
answer on random tables (NA ids and subsets, repeated keys, attempts).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.errors import InputError
from rescore.read.schema import KEY_COLUMNS, _keys_may_repeat, conform, validate
from rescore.score.item_scores import scored_items
from rescore.score.rule import Policy

_ROW = st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from(["b1", "b2"]), st.sampled_from(["", "s", None]),
                 st.sampled_from(["1", "2", "x", None]), st.integers(0, 2),
                 st.sampled_from(["correct", "wrong", "abstain", "partial", "invalid"]))


def _table(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["model", "benchmark", "subset", "item_id", "attempt", "outcome"])
    frame["confidence"] = np.linspace(0, 1, len(frame))
    return conform(frame, source="f.parquet").assign(subset=frame["subset"].astype("string"))


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(_ROW, min_size=0, max_size=25))
def test_folded_key_check_agrees_with_duplicated(rows: list[tuple[Any, ...]]) -> None:
    table = _table(rows)
    repeats = bool(table.duplicated(list(KEY_COLUMNS), keep=False).any())
    assert _keys_may_repeat(table) == repeats
    if repeats:
        with pytest.raises(InputError, match="share a"):
            validate(table)
    else:
        assert validate(table) is table


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=25),
       policy=st.sampled_from([Policy(), Policy(invalid="drop"), Policy(partial="correct", invalid="abstain")]))
def test_scored_items_on_chosen_columns_equal_the_whole_table(rows: list[tuple[Any, ...]], policy: Policy) -> None:
    table = _table(rows)
    whole = scored_items(table, policy)
    chosen = scored_items(table, policy, ("benchmark", "model", "outcome", "confidence"))
    assert list(chosen.columns) == ["model", "benchmark", "outcome", "confidence", "c", "w", "a"]
    pd.testing.assert_frame_equal(chosen, whole[list(chosen.columns)])
    assert len(table) == len(rows)  # the input is left as it was
