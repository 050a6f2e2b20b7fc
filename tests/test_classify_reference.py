"""``classify`` (outcomes/decide.py) against the precedence rules applied one row at a time.

``classify`` decides a batch with masks and codes (its outcome and rule columns are codes into
their few texts until the end); the reference below reads each row on its own, in the order the
module's docstring states: a grade is final unless it is wrong/invalid and the row's text is an
abstention (then the text wins, unless the scale is ``grade_final``: the rule only says the
phrase disagrees); no grade: prediction vs gold, or invalid without a prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.outcomes.abstention import default_detector
from rescore.outcomes.decide import (
    RULE_COMPARE,
    RULE_DISAGREES,
    RULE_GRADE,
    RULE_NO_GRADE,
    RULE_UNSCORED,
    answers_match,
    classify,
)

GRADES = ["correct", "wrong", "abstain", "partial", "invalid", None]
RULES = [RULE_GRADE, "extraction failure", RULE_UNSCORED, None]
TEXTS = ["A", "b", " B ", "The Paris", "paris", "I don't know.", "i'm not sure", "", "   ", "42", "42.0",
         "不知道", None]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _reference_row(row: dict[str, Any], has_gold: bool) -> tuple[str | None, str | None]:
    detector = default_detector()
    grade = row.get("grade")
    prediction, response = row.get("prediction"), row.get("response")
    if not _missing(grade):
        outcome = str(grade)
        rule = row.get("grade_rule")
        rule = RULE_GRADE if _missing(rule) else str(rule)
    elif not _missing(prediction):
        if has_gold:
            outcome = "correct" if answers_match(prediction, row["gold"]) else "wrong"
            rule = RULE_COMPARE
        else:
            outcome = rule = None
    else:
        outcome, rule = "invalid", RULE_NO_GRADE
    if outcome in ("wrong", "invalid"):
        pred_text = None if _missing(prediction) else str(prediction)
        if pred_text is not None and pred_text.strip() != "":
            text = pred_text
        elif not _missing(response):
            text = str(response)
        else:
            text = pred_text
        reason = None if text is None else detector.reason(text)
        if reason is not None:
            final = row.get("grade_final")
            if not _missing(final) and bool(final):
                if rule != RULE_UNSCORED:
                    rule = rule + RULE_DISAGREES
            else:
                outcome, rule = "abstain", reason
    return outcome, rule


@st.composite
def batches(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 40))
    columns: dict[str, Any] = {}
    if draw(st.booleans()):
        columns["grade"] = pd.array(draw(st.lists(st.sampled_from(GRADES), min_size=n, max_size=n)), dtype="string")
    if draw(st.booleans()):
        columns["grade_rule"] = pd.array(draw(st.lists(st.sampled_from(RULES), min_size=n, max_size=n)),
                                         dtype="string")
    if draw(st.booleans()):
        columns["grade_final"] = pd.array(draw(st.lists(st.sampled_from([True, False, None]), min_size=n,
                                                        max_size=n)), dtype="boolean")
    for name in ("prediction", "response"):
        if draw(st.booleans()):
            columns[name] = pd.array(draw(st.lists(st.sampled_from(TEXTS), min_size=n, max_size=n)), dtype="string")
    if draw(st.booleans()):
        golds = draw(st.lists(st.one_of(st.sampled_from(TEXTS), st.lists(st.sampled_from(["A", "paris", "42"]),
                                                                         min_size=1, max_size=2)),
                              min_size=n, max_size=n))
        columns["gold"] = pd.Series(golds, dtype=object)
    index = pd.Index(draw(st.permutations(list(range(100, 100 + n))))) if n else pd.RangeIndex(0)
    frame = pd.DataFrame({k: pd.Series(v).to_numpy() if k == "gold" else v for k, v in columns.items()}, index=index)
    frame["model"] = pd.array(["m"] * n, dtype="string")
    return frame


@settings(max_examples=300, deadline=None)
@given(batches())
def test_classify_is_the_per_row_rule(batch: pd.DataFrame) -> None:
    result = classify(batch)
    expected = [_reference_row(row, "gold" in batch) for row in batch.to_dict("records")]
    got = list(zip(result["outcome"].astype(object).where(result["outcome"].notna(), None),
                   result["rule"].astype(object).where(result["rule"].notna(), None), strict=True))
    assert got == expected
    assert str(result["outcome"].dtype) == "string" and str(result["rule"].dtype) == "string"
    assert list(result.index) == list(batch.index)
    assert not {"grade", "grade_rule", "grade_final"} & set(result.columns)
    assert list(result["model"]) == list(batch["model"])


def test_a_grade_scale_with_its_own_abstention_keeps_its_verdict() -> None:
    """The one example worked by hand: a final ``wrong`` whose text says "I don't know" stays
    wrong, its rule noting the disagreement; a non-final one becomes an abstention."""
    batch = pd.DataFrame({"grade": pd.array(["wrong", "wrong"], dtype="string"),
                          "grade_final": pd.array([True, False], dtype="boolean"),
                          "prediction": pd.array(["I don't know.", "I don't know."], dtype="string")})
    result = classify(batch)
    assert list(result["outcome"]) == ["wrong", "abstain"]
    assert result["rule"].iloc[0] == RULE_GRADE + RULE_DISAGREES
    assert np.all(result["rule"].notna())
