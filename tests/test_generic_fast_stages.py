"""The deciding and counting stages of the generic Parquet fast path, each against its slower twin.

Issue 18 (counts path at 10M rows): prediction vs gold is decided once per distinct (prediction,
gold) pair and the duplicate-key check marks combined codes in a bitmap. Both have a general
fallback (per-row gathers; a sort) kept for tables too wide for them; on random columns with nulls,
blanks, case and article variants the two must give the same answer, and the key check must agree
with a plain set of tuples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.adapters.generic import fast
from rescore.read import schema
from rescore.read.schema import OUTCOMES

_ANSWERS = ["B", "b", " B ", "the B", "C", "", "  ", None, "Paris", "paris.", "An apple", "apple", "1", "1.0"]


def _column(values: list[Any], dictionary: bool) -> pa.ChunkedArray:
    array = pa.array(values, pa.string())
    if dictionary:
        array = array.dictionary_encode()
    half = len(values) // 2
    return pa.chunked_array([array.slice(0, half), array.slice(half)], type=array.type)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(_ANSWERS), st.sampled_from(_ANSWERS)), min_size=1, max_size=40),
       dictionary=st.booleans())
def test_pairs_table_decides_as_the_per_row_rule(rows: list[tuple[Any, Any]], dictionary: bool) -> None:
    table = pa.table({"pred": _column([p for p, _ in rows], dictionary),
                      "gold": _column([g for _, g in rows], dictionary)})
    roles = {"prediction": "pred", "gold": "gold"}
    outcome, rule, names = fast._compared(table, roles, list(OUTCOMES))
    original = fast._PAIR_LIMIT
    try:
        fast._PAIR_LIMIT = 0  # the per-row fallback
        outcome_rows, rule_rows, names_rows = fast._compared(table, roles, list(OUTCOMES))
    finally:
        fast._PAIR_LIMIT = original
    assert names == names_rows
    assert outcome.tolist() == outcome_rows.tolist()
    assert rule.tolist() == rule_rows.tolist()
    # and the outcomes are what they must be: no prediction is invalid, a prediction is compared
    for (pred, _), got in zip(rows, outcome.tolist(), strict=True):
        assert (OUTCOMES[got] == "invalid") == (pred is None)


@pytest.mark.parametrize("bitmap_rows", [8, 0])  # the bitmap, and the renumbering before it
@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from(["q1", "q2", "q3", "7"])),
                     min_size=1, max_size=30))
def test_key_check_agrees_with_a_set_of_keys(keys: list[tuple[int, int, str]], bitmap_rows: int) -> None:
    ids = pa.chunked_array([pa.array([k[2] for k in keys], pa.string())])
    labels = [np.array([k[0] for k in keys], dtype=np.int8), np.array([k[1] for k in keys], dtype=np.int32)]
    original = schema.BITMAP_ROWS
    try:
        schema.BITMAP_ROWS = bitmap_rows
        assert fast._keys_distinct(ids, labels) == (len(set(keys)) == len(keys))
    finally:
        schema.BITMAP_ROWS = original
