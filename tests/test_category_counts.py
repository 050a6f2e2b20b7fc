"""Outcome and rule counts of an item table counted on its category codes equal pandas' own.

Issue 18 (item mode at scale): ``count_outcomes`` and ``rule_counts`` ran pandas' cross-tabulation
and grouping over every item row (0.75-1.7 s each at 10M items); on the item table's category
columns they now fold the codes and count them (``counts.category_combinations``). On random
tables (unused categories, missing values, one row) the tables must be the ones pandas' path gives
for the same table held as plain strings (which still takes it), value for value, dtype for dtype,
row for row.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.read import counts as counting
from rescore.read.schema import OUTCOMES
from rescore.score.leaderboard import count_outcomes, rule_counts

_LABELS = {"benchmark": ["gpqa", "mmlu", "zeta"], "model": ["m/a", "m/b", "M/c"],
           "outcome": list(OUTCOMES), "rule": ["compare", "explicit grade", "phrase", None]}


def _pandas_count_outcomes(items: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The pandas path (cross-tabulation), which a table of plain string columns still takes."""
    return count_outcomes(items.astype("string"), by)


def _pandas_rule_counts(items: pd.DataFrame) -> pd.DataFrame:
    """The pandas path (a groupby), which a table of plain string columns still takes."""
    return rule_counts(items.astype("string"))


@st.composite
def item_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    columns = {}
    for name, labels in _LABELS.items():
        values = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
        # the item table's way: sorted string categories, some of them unused
        extra = draw(st.lists(st.sampled_from(["unused", "zz", "aa"]), max_size=2, unique=True))
        categories = sorted({v for v in values if v is not None} | set(extra))
        columns[name] = pd.Categorical(values, categories=pd.Index(categories, dtype="string"))
    return pd.DataFrame(columns)


@settings(max_examples=150, deadline=None)
@given(items=item_tables())
def test_counted_on_codes_as_pandas_counts(items: pd.DataFrame) -> None:
    assert counting.category_combinations(items, list(items.columns)) is not None  # the codes path runs
    pd.testing.assert_frame_equal(rule_counts(items), _pandas_rule_counts(items))
    reference = _pandas_count_outcomes(items, ["benchmark", "model"])
    pd.testing.assert_frame_equal(count_outcomes(items, ["benchmark", "model"]), reference)


@settings(max_examples=40, deadline=None)
@given(items=item_tables())
def test_a_missing_benchmark_is_left_out_as_the_cross_tabulation_leaves_it(items: pd.DataFrame) -> None:
    items = items.copy()
    items.loc[items.index[0], "benchmark"] = None
    if items["benchmark"].isna().all():
        return  # nothing left to count either way (the cross-tabulation raises on it)
    # with a key missing, the cross-tabulation's rows come out in no sorted order (its index keeps the
    # left-out row's values: gpqa/m/b, mmlu/m/b, mmlu/M/c), so the reference is sorted as every
    # other table is: the same rows and counts, in the keys' order
    reference = _pandas_count_outcomes(items, ["benchmark", "model"]).sort_values(["benchmark", "model"],
                                                                                 ignore_index=True)
    pd.testing.assert_frame_equal(count_outcomes(items, ["benchmark", "model"]), reference)


def test_a_column_that_is_not_a_category_takes_pandas_grouping() -> None:
    items = pd.DataFrame({"benchmark": ["b", "a", "b"], "model": ["m", "m", "n"],
                          "outcome": ["correct", "wrong", "abstain"], "rule": ["r", "r", None]}, dtype="string")
    assert counting.category_combinations(items, ["benchmark", "model"]) is None
    assert rule_counts(items).to_numpy().tolist() == [["a", "m", "wrong", "r", 1], ["b", "m", "correct", "r", 1],
                                                      ["b", "n", "abstain", pd.NA, 1]]
    assert count_outcomes(items, ["benchmark", "model"])[["n_correct", "n_wrong", "n_abstain"]].to_numpy().tolist() \
        == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]


def _pandas_distinct_items(items: pd.DataFrame) -> tuple[dict, dict]:
    """The implementation before codes (``drop_duplicates`` twice), kept as the reference."""
    keys = items[["benchmark", "model", "subset", "item_id"]].drop_duplicates()
    mine = keys.groupby(["benchmark", "model"], observed=True).size()
    union = keys.drop_duplicates(["benchmark", "subset", "item_id"]).groupby("benchmark", observed=True).size()
    return ({(b, m): int(v) for (b, m), v in mine.items() if v}, {b: int(v) for b, v in union.items() if v})


@st.composite
def keyed_items(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 50))

    def column(labels: list, category: bool) -> object:
        values = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
        if not category:
            return pd.array(values, dtype="string")
        return pd.Categorical(values, categories=pd.Index(sorted({v for v in values if v is not None} | {"unused"}),
                                                          dtype="string"))

    category = draw(st.booleans())  # the item table's categories, or plain strings (a frame built by hand)
    return pd.DataFrame({"benchmark": column(["gpqa", "mmlu", None], category),
                         "model": column(["a", "b", "c", None], category),
                         "subset": column(["", "physics", None], category),
                         "item_id": column([str(i) for i in range(draw(st.integers(1, 12)))] + [None], False)})


@settings(max_examples=200, deadline=None)
@given(items=keyed_items(), bitmap=st.booleans())
def test_distinct_items_per_group_as_drop_duplicates_counts_them(items: pd.DataFrame, bitmap: bool) -> None:
    from rescore.read import schema
    from rescore.score import leaderboard

    original = schema.BITMAP_ROWS
    try:
        schema.BITMAP_ROWS = 8 if bitmap else 0  # the bitmap, or the np.unique branch
        assert leaderboard.distinct_items(items) == _pandas_distinct_items(items)
    finally:
        schema.BITMAP_ROWS = original
