"""The item key codes the score layer shares (rescore/score/item_keys.py): a column's codes
split rows as ``pd.factorize(use_na_sentinel=False)`` does, whatever the dtype, and codes
shared with a row selection of the table equal codes made afresh on that selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.read.schema import key_codes
from rescore.score.item_keys import ItemKeys


def _same_partition(codes: np.ndarray, labels: object, column: pd.Series) -> bool:
    """Equal codes exactly where ``pd.factorize`` gives equal codes, and labels name the values."""
    fresh, _ = pd.factorize(column, use_na_sentinel=False)
    pairs = set(zip(np.asarray(codes).tolist(), fresh.tolist(), strict=True))
    one_to_one = len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    named = all((pd.isna(v) and pd.isna(labels[c])) or v == labels[c]  # type: ignore[index]
                for v, c in zip(column.tolist(), np.asarray(codes).tolist(), strict=True))
    return one_to_one and named


_VALUES = st.lists(st.sampled_from(["a", "b", "10", "", None]), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(_VALUES, st.sampled_from(["string", "category", "object"]))
def test_text_codes_split_rows_as_factorize(values: list, dtype: str) -> None:
    column = pd.Series(values, dtype="string")
    if dtype == "category":  # with an unused category, as a loaded table may have
        column = column.astype(pd.CategoricalDtype(pd.Index(["unused", "a", "b", "10", ""], dtype="string")))
    elif dtype == "object":
        column = column.astype(object)
    codes, labels = key_codes(column)
    assert _same_partition(codes, labels, column)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-5, 5) | st.just(10**12), min_size=1, max_size=30))
def test_integer_codes_are_offsets_or_factorized(values: list[int]) -> None:
    column = pd.Series(values, dtype="int64")
    codes, labels = key_codes(column)
    assert np.asarray(codes).min() >= 0 and np.asarray(codes).max() < len(labels)
    assert _same_partition(codes, labels, column)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["x", "y", "z", None]), min_size=1, max_size=30), st.data(), st.booleans())
def test_shared_codes_equal_fresh_codes_of_the_rows(values: list, data: st.DataObject, default_index: bool) -> None:
    table = pd.DataFrame({"item_id": pd.Series(values, dtype="string")})
    if not default_index:  # labels that are not positions: a selection is coded afresh
        table.index = pd.RangeIndex(len(values)) * 2 + 7
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))))
    keys = ItemKeys(table)
    for frame in (table, table[keep], table.copy()):
        codes, labels = keys.codes(frame, "item_id")
        assert _same_partition(codes, labels, frame["item_id"])
