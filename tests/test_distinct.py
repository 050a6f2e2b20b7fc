"""The distinct-value paths (issue 18) give what the per-row rules give, on random columns.

Each read-path rule (answer matching, abstention recognition, grade parsing, confidence
normalisation) is applied once per distinct value and taken back to the rows; these property
tests draw mixed columns (case and whitespace variants, letters, numbers, NaN/None/NA,
abstention phrases, percent confidences) and compare with the rule called row by row.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescore.errors import InputError
from rescore.outcomes.abstention import default_detector
from rescore.outcomes.confidence import _one, _parse_column, normalise_confidence
from rescore.outcomes.decide import answers_match, compare, parse_grade, parse_grades
from rescore.outcomes.distinct import distinct, map_unique

WORDS = ["A", "b", " B ", "(C)", "the cat", "Cat", "a cat", "An", "the", "Paris", "paris.", " PARIS ", "42", "4.2",
         "I don't know", "i DON'T know.", "I'm not sure, but the answer is (B)", "", "  ", "不知道", "correct",
         "INCORRECT", "yes", "No", "true", "1", "0", "0.5", "50%", " 85 % ", "high", "low", "nan", "none"]
MISSING = [None, float("nan"), pd.NA]
scalars = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: w.upper()),
    st.sampled_from(MISSING),
    st.sampled_from([0, 1, 2, 0.0, -0.0, 1.0, 0.25, 50.0, 85, True, False, np.float64(0.75), np.int64(1)]),
    st.text(alphabet="aAbB .()%-1", max_size=6),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _column(values: list, kind: str) -> pd.Series:
    """The column as a reader would hand it over: object, nullable string, or float."""
    series = pd.Series(values, dtype=object)
    if kind == "string":
        return pd.Series([None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)
                          for v in values], dtype="string")
    if kind == "float":
        return pd.Series([float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else np.nan
                          for v in values], dtype="float64")
    return series


@SETTINGS
@given(st.lists(st.tuples(scalars, st.one_of(scalars, st.lists(scalars, max_size=3))), min_size=1, max_size=40),
       st.sampled_from(["object", "string"]), st.sampled_from(["object", "string", "float"]))
def test_compare_matches_answers_match_per_row(rows: list, pred_kind: str, gold_kind: str) -> None:
    preds = _column([p for p, _ in rows], pred_kind)
    golds_raw = [g for _, g in rows]
    has_lists = any(isinstance(g, list) for g in golds_raw)
    golds = pd.Series(golds_raw, dtype=object) if has_lists else _column(golds_raw, gold_kind)
    pairs = zip(preds.astype(object), golds.astype(object), strict=True)
    expected = ["correct" if answers_match(p, g) else "wrong" for p, g in pairs]
    got = compare(preds, golds)
    assert got.tolist() == expected
    assert got.dtype == pd.StringDtype() and got.index.equals(preds.index)  # a string column on the rows' labels


def test_compare_keeps_the_rows_labels_and_gives_an_empty_column_for_no_rows() -> None:
    preds = pd.Series(["B", "c", None], index=[7, 3, 5], dtype="string")
    golds = pd.Series(["b", "C", "x"], index=[7, 3, 5], dtype="string")
    pd.testing.assert_series_equal(compare(preds, golds),
                                   pd.Series(["correct", "correct", "wrong"], index=[7, 3, 5], dtype="string"))
    empty = compare(preds.iloc[:0], golds.iloc[:0])
    assert len(empty) == 0 and empty.dtype == pd.StringDtype()


@SETTINGS
@given(st.lists(scalars, min_size=1, max_size=40), st.sampled_from(["object", "string", "float"]))
def test_parse_grades_and_map_unique_match_per_row(values: list, kind: str) -> None:
    column = _column(values, kind)
    expected = [parse_grade(v) for v in column.astype(object)]
    got = parse_grades(column).astype(object).tolist()
    assert [None if g is pd.NA else g for g in got] == expected
    assert map_unique(column, repr, dtype=None).tolist() == [repr(v) for v in column.astype(object)] or \
        any(v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in column.astype(object))


@SETTINGS
@given(st.lists(scalars, min_size=1, max_size=40), st.sampled_from(["object", "string"]))
def test_abstention_reasons_match_per_row(values: list, kind: str) -> None:
    detector = default_detector()
    column = _column(values, kind)
    present = column.notna()
    expected = [detector.reason(str(v)) if ok else None for v, ok in zip(column.astype(object), present, strict=True)]
    got = detector.reasons(column).astype(object).tolist()
    assert [None if r is pd.NA else r for r in got] == expected


def _confidence_per_row(values: pd.Series) -> tuple[list[float], list[bool], int | None]:
    """The per-row reference: each value through ``_one``; the first failing row's position."""
    numbers, signs = [], []
    for i, value in enumerate(values.tolist()):
        try:
            number, sign = _one(value)
        except (TypeError, ValueError):
            return numbers, signs, i
        numbers.append(number)
        signs.append(sign)
    return numbers, signs, None


@SETTINGS
@given(st.lists(scalars, min_size=1, max_size=40), st.sampled_from(["object", "string", "float"]))
def test_confidence_parsing_matches_per_row(values: list, kind: str) -> None:
    """The parse (the only per-value step; the scale rules after it are array code) is ``_one``
    row by row, and a bad value is reported at the first row the per-row loop would stop at."""
    column = _column(values, kind)
    numbers, signs, failed = _confidence_per_row(column)
    got_numbers, got_signs, got_failed = _parse_column(column)
    assert got_failed == failed
    if failed is None:
        np.testing.assert_array_equal(got_numbers, np.array(numbers, dtype="float64"))
        assert np.array_equal(np.signbit(got_numbers), np.signbit(np.array(numbers, dtype="float64")))
        assert got_signs.tolist() == signs
        lines = pd.Series(range(10, 10 + len(column)))
        try:
            normalise_confidence(column, path="t.csv", column="conf", lines=lines)
        except InputError as exc:  # any refusal names a row of the column
            named = re.search(r"line (\d+)", str(exc))
            assert named is not None and 10 <= int(named[1]) < 10 + len(column)
    else:
        with pytest.raises(InputError, match=f"line {10 + failed},"):
            normalise_confidence(column, path="t.csv", column="conf", lines=pd.Series(range(10, 10 + len(column))))


def test_distinct_keeps_equal_values_of_different_types_apart() -> None:
    """1, 1.0 and True hash alike but normalise differently ("1", "10", "true")."""
    column = pd.Series([1, 1.0, True, "1", 1, -0.0, 0.0], dtype=object)
    codes, uniques = distinct(column)
    assert [type(uniques[c]) for c in codes] == [type(v) for v in column]
    assert compare(pd.Series(["10", "10", "true", "1", "1", "00", "00"]), column).tolist() == [
        "wrong", "correct", "correct", "correct", "correct", "correct", "correct"]


def test_confidence_error_names_the_first_bad_row() -> None:
    column = pd.Series(["0.5", "50%", "0.5", "maybe", "0.2", "maybe", "what"], dtype="string")
    with pytest.raises(InputError, match=r"line 5.*'maybe'"):
        normalise_confidence(column, path="x.csv", column="c", lines=pd.Series(range(2, 9)))
