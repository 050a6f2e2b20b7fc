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


def test_loaded_table_holds_repeated_text_as_sorted_categories() -> None:
    """The loaded table's repeated text columns are categories (a byte per row, not a copy of the
    text per row); their categories are sorted, so grouping and sorting keep the strings' order."""
    import rescore
    from rescore.read.schema import CATEGORY_COLUMNS

    from .conftest import SAMPLE

    items = rescore.load(SAMPLE, need_items=True).items
    for name in CATEGORY_COLUMNS:
        assert isinstance(items[name].dtype, pd.CategoricalDtype), name
        categories = [str(c) for c in items[name].cat.categories]
        assert categories == sorted(categories), name
    assert isinstance(items["item_id"].dtype, pd.StringDtype)  # nearly all distinct: codes would not save


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.sampled_from(["a", "b; x", "", None, "x"]), min_size=0, max_size=12))
def test_category_helpers_agree_with_astype_string(values: list[Any]) -> None:
    """``as_string`` and ``on_values`` give what ``astype("string")`` and the rule on it give."""
    from rescore.read.schema import as_string, on_values

    text = pd.Series(values, dtype="string", index=range(3, 3 + len(values)), name="rule")
    cats = text.astype("category")
    pd.testing.assert_series_equal(as_string(cats), text)
    for rule in (lambda v: v.str.endswith("x"), lambda v: v.str.removesuffix("; x"),
                 lambda v: v.fillna("invalid").eq("invalid"), lambda v: v.isin(["a", ""])):
        pd.testing.assert_series_equal(on_values(cats, rule), rule(text))


def test_statistics_on_categories_equal_those_on_strings() -> None:
    """Every item-mode statistic answers the same on the loaded table (categories) as on the same
    table with its text columns as strings (what the table held before, issue 18 point 3)."""
    import rescore
    from rescore.score.calibration import calibration_report
    from rescore.score.compare import compare_report
    from rescore.score.policies import policy_report
    from rescore.score.selective import selective_report

    from .conftest import SAMPLE

    data = rescore.load(SAMPLE, need_items=True)
    cats = data.items
    assert any(isinstance(cats[c].dtype, pd.CategoricalDtype) for c in cats.columns)
    strings = cats.astype({c: "string" for c in cats.columns if isinstance(cats[c].dtype, pd.CategoricalDtype)})
    ts = [0.0, 0.5, 0.9]
    for report in (lambda i: compare_report(i, ts, bootstrap=50), lambda i: calibration_report(i),
                   lambda i: selective_report(i), lambda i: policy_report(i, ts)):
        assert repr(report(cats)) == repr(report(strings))
    import dataclasses

    for kwargs in ({}, {"confidence_policy": "calibrated"}, {"ties": "paired"}, {"cluster": "item"}):
        a = rescore.leaderboard(data, ts, **kwargs).to_dict()
        b = rescore.leaderboard(dataclasses.replace(data, items=strings), ts, **kwargs).to_dict()
        assert a == b, kwargs
