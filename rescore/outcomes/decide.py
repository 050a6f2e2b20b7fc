"""Decide each item's outcome in one place, for every adapter.

Adapters report what the producer said (a *grade*, already mapped to a canonical outcome or
NA) plus the texts they have. :func:`classify` then applies one precedence order:

1. an explicit ``correct`` grade is final (a correct answer is never turned into abstention);
2. an explicit abstention grade (SimpleQA NOT_ATTEMPTED, inspect ``N``) is final;
3. a response that *is* an abstention ("I don't know.", "不知道", an empty answer) is an
   abstention where the grader's scale has no abstention category (lm-eval ``[invalid]``, a
   WildBench 1-10 score, a pass/fail test). Where the scale has one (SimpleQA A/B/C, a judge's
   correct/incorrect/not_attempted, inspect C/I/P/N) the adapter marks the row ``grade_final``:
   the producer already chose not to call it an abstention, so its verdict stands and the rule
   says that the phrases disagree (:data:`RULE_DISAGREES`), for ``--explain`` and ``inspect``;
4. otherwise the producer's grade stands (``wrong``, ``partial``, ``invalid``);
5. with no grade at all, prediction and gold are compared after normalisation; with neither,
   the item is ``invalid`` (never a free "I don't know").

Each row's ``rule`` says which step decided it, so ``--explain`` can count them.
"""

from __future__ import annotations

import math
import re
import string
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from rescore.config import load_config
from rescore.outcomes.abstention import AbstentionDetector, default_detector
from rescore.read.schema import Outcome

RULE_GRADE = "explicit grade"
RULE_COMPARE = "prediction vs gold"
RULE_NO_GRADE = "no grade and no prediction"
#: appended to a final verdict's rule when the abstention phrases would have said "abstain"
RULE_DISAGREES = "; abstention phrase disagrees"
#: the rule of a record the producer never graded (an inspect sample without a score, an lm-eval
#: --predict_only run): there is no verdict for abstention phrases to disagree with
RULE_UNSCORED = "unscored"

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


@lru_cache(maxsize=1)
def _grade_words() -> dict[str, str]:
    cfg = load_config("grades.yaml")
    mapping: dict[str, str] = {}
    for outcome in ("correct", "wrong", "abstain", "partial", "invalid"):
        for word in cfg.get(outcome, []):
            mapping[str(word).strip().lower()] = outcome
    return mapping


def parse_grade(value: Any) -> str | None:
    """Map one correctness value to a canonical outcome, or ``None`` if it is not a grade.

    Accepts booleans, 0/1 (and fractions in between = partial), and grade words from
    ``configs/grades.yaml`` (CORRECT/INCORRECT/NOT_ATTEMPTED, yes/no, pass/fail...).
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return Outcome.CORRECT.value if value else Outcome.WRONG.value
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        if number == 1.0:
            return Outcome.CORRECT.value
        if number == 0.0:
            return Outcome.WRONG.value
        if 0.0 < number < 1.0:
            return Outcome.PARTIAL.value
        return None
    text = str(value).strip().lower()
    if text in _grade_words():
        return _grade_words()[text]
    try:
        return parse_grade(float(text))
    except ValueError:
        return None


def parse_grades(values: pd.Series) -> pd.Series:
    """Vectorised :func:`parse_grade` (uses the distinct values only: grade columns repeat)."""
    from rescore.outcomes.distinct import map_unique

    return map_unique(values, parse_grade)


def normalise_answer(text: Any, *, drop_articles: bool = True) -> str:
    """SQuAD-style answer normalisation: lower-case, no punctuation, no articles, single spaces.

    ``drop_articles=False`` keeps "a"/"an"/"the", which matters for letter answers ("A").
    """
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = str(text).lower().translate(_PUNCT)
    if drop_articles:
        text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answers_match(prediction: Any, gold: Any) -> bool:
    """True when the prediction equals the gold (or one of a list of golds) after normalisation."""
    golds = gold if isinstance(gold, (list, tuple, np.ndarray)) else [gold]
    light = normalise_answer(prediction, drop_articles=False)
    full = normalise_answer(prediction)
    if not light:
        return False
    for ref in golds:
        if light == normalise_answer(ref, drop_articles=False):
            return True
        if full and full == normalise_answer(ref):
            return True
    return False


def compare(prediction: pd.Series, gold: pd.Series) -> pd.Series:
    """Outcome from prediction vs gold after normalisation (a list gold matches any element).

    Decided on distinct values, with the rule of :func:`answers_match`: each distinct prediction
    and each distinct gold is normalised once (both ways, with and without articles), the
    normalised texts become integer ids, and a row matches when its ids are equal; then a take
    back to the rows. A gold column holding lists is decided once per distinct (prediction, gold)
    pair instead. Same answers as :func:`answers_match` row by row (``tests/test_distinct.py``).
    """
    return _outcome_column(_matches(prediction, gold), prediction.index)


def _matches(prediction: pd.Series, gold: pd.Series) -> np.ndarray:
    """:func:`compare`'s verdicts as flags (True: correct)."""
    match = _matches_scalar(prediction, gold)
    if match is None:
        match = _matches_pairs(prediction, gold)
    return np.asarray(match, dtype=bool)


def _outcome_column(match: np.ndarray, index: pd.Index) -> pd.Series:
    """"correct" where ``match``, else "wrong", as a string column: Arrow takes the two labels by
    the match flags (0.3 ms per 50,000 rows; a numpy array of the words converted to a string
    column took 6 ms, a tenth of an item-mode batch's deciding)."""
    import pyarrow as pa

    labels = pa.array([Outcome.WRONG.value, Outcome.CORRECT.value], pa.large_string())  # pandas' string storage
    taken = labels.take(pa.array(match.astype(np.int8)))
    return pd.Series(pd.arrays.ArrowStringArray(taken), index=index, dtype="string")


def _matches_scalar(prediction: pd.Series, gold: pd.Series) -> np.ndarray | None:
    """Row-wise :func:`answers_match` for a gold column of single values (``None`` if it holds lists)."""
    from rescore.outcomes.distinct import distinct

    try:
        pred_codes, preds = distinct(prediction)
        gold_codes, golds = distinct(gold)
    except TypeError:  # unhashable values: lists of golds
        return None
    if any(isinstance(g, (list, tuple, np.ndarray)) for g in golds):
        return None
    return match_distinct(pred_codes, preds, gold_codes, golds)


def match_distinct(pred_codes: np.ndarray, preds: list[Any], gold_codes: np.ndarray, golds: list[Any]) -> np.ndarray:
    """Row-wise :func:`answers_match` of ``preds[pred_codes]`` and (single) ``golds[gold_codes]``.

    Each distinct value is normalised once, both ways; the normalised texts become integer ids
    and rows compare ids. Shared with the counts-mode fast path for Parquet, which brings its
    distinct values and codes from Arrow's dictionary encoding.
    """
    ids: dict[str, int] = {}

    def ident(texts: list[str]) -> np.ndarray:
        return np.array([ids.setdefault(t, len(ids)) for t in texts], dtype="int64")

    pred_light = [normalise_answer(p, drop_articles=False) for p in preds]
    pred_full = [normalise_answer(p) for p in preds]
    gold_light = ident([normalise_answer(g, drop_articles=False) for g in golds])
    gold_full = ident([normalise_answer(g) for g in golds])
    # a blank light form never matches, a blank full form never matches by the full rule: -1/-2
    # are ids no gold has
    p_light = np.where(np.array([bool(t) for t in pred_light], dtype=bool), ident(pred_light), -1)
    p_full = np.where(np.array([bool(t) for t in pred_full], dtype=bool), ident(pred_full), -2)
    p_light_rows = p_light[pred_codes]
    return (p_light_rows >= 0) & ((p_light_rows == gold_light[gold_codes])
                                  | (p_full[pred_codes] == gold_full[gold_codes]))


def _matches_pairs(prediction: pd.Series, gold: pd.Series) -> np.ndarray:
    """Row-wise :func:`answers_match`, once per distinct (prediction, gold) pair (golds may be lists)."""
    preds = prediction.to_numpy(dtype=object)
    golds = gold.to_numpy(dtype=object)
    keys = [(p.__class__, p, _hashable(g)) for p, g in zip(preds, golds, strict=True)]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]
    decided = np.array([answers_match(preds[i], golds[i]) for i in first], dtype=bool)
    return decided[codes]


def _hashable(value: Any) -> Any:
    """A key for a gold value: lists and arrays as tuples of (type, element), scalars by type too."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return (value.__class__, tuple((v.__class__, _hashable(v)) for v in value))
    try:
        hash(value)
    except TypeError:
        return (value.__class__, repr(value))
    return (value.__class__, value)


def classify(
    batch: pd.DataFrame,
    detector: AbstentionDetector | None = None,
) -> pd.DataFrame:
    """Fill ``outcome`` and ``rule`` from ``grade`` (canonical outcome or NA) and the texts.

    Optional input columns: ``grade``, ``grade_rule`` (the adapter's name for why it chose
    the grade, e.g. ``extraction failure``), ``grade_final`` (True where the producer's scale
    has its own abstention category, so phrases never override it), ``prediction``,
    ``response``, ``gold``.
    The abstention text is the prediction when present and non-blank, else the raw response.

    Both columns are built as codes into their few distinct texts (:class:`_Texts`) and become
    string columns once, at the end (an Arrow take): setting rows of a pandas string column by mask
    rebuilt its Arrow array at every step, nine a batch (a 50,000-row batch: 19.6-20.6 -> 11.3 ms,
    with :meth:`AbstentionDetector.reasons` skipping its own such step).
    """
    detector = detector or default_detector()
    n = len(batch)
    absent = pd.Series(pd.NA, index=batch.index, dtype="string")
    grade = batch["grade"].astype("string") if "grade" in batch else absent
    prediction = batch.get("prediction", absent)
    response = batch.get("response", absent)

    outcome = _Texts.of(grade)
    graded = outcome.codes >= 0
    rule = _Texts.of(batch["grade_rule"].astype("string")) if "grade_rule" in batch else _Texts.filled(n, RULE_GRADE)
    rule.set(~graded, None)  # a rule only where there is a grade (step 5 below gives the others theirs)
    rule.set(graded & (rule.codes < 0), RULE_GRADE)

    # Step 5 first (only where no grade): compare prediction with gold.
    ungraded = ~graded
    if ungraded.any():
        has_pred = ungraded & prediction.notna().to_numpy(dtype=bool)
        if has_pred.any() and "gold" in batch:
            matched = _matches(prediction[has_pred], batch.loc[has_pred, "gold"])
            rows = _rows(has_pred)
            outcome.set(rows[matched], Outcome.CORRECT.value)
            outcome.set(rows[~matched], Outcome.WRONG.value)
            rule.set(rows, RULE_COMPARE)
        # no prediction, with or without a response: invalid (a response may still be an abstention, step 3)
        rest = ungraded & ~has_pred
        outcome.set(rest, Outcome.INVALID.value)
        rule.set(rest, RULE_NO_GRADE)

    # Step 3: abstention text overrides wrong/invalid (never correct, explicit abstain, partial).
    candidates = outcome.is_in(Outcome.WRONG.value, Outcome.INVALID.value)
    if candidates.any():
        rows = _rows(candidates)
        pred_text = prediction[candidates].astype("string")
        has_pred_text = pred_text.notna() & (pred_text.str.strip() != "")
        # an empty extracted answer defers to the raw text, which may say *why* it is empty
        chosen = response[candidates]
        text = pred_text.where(has_pred_text, chosen.astype("string").where(chosen.notna(), pred_text))
        reasons = detector.reasons(text)
        hit = reasons.notna().to_numpy(dtype=bool)
        if "grade_final" in batch:
            final = batch["grade_final"].astype("boolean").fillna(False).astype(bool).to_numpy()[candidates]
            kept = hit & final & (rule.codes[rows] != rule.code(RULE_UNSCORED, add=False))
            if kept.any():
                rule.append_to(rows[kept], RULE_DISAGREES)
            hit = hit & ~final
        if hit.any():
            outcome.set(rows[hit], Outcome.ABSTAIN.value)
            rule.set_texts(rows[hit], reasons.to_numpy(dtype=object)[hit])

    result = batch.drop(columns=[c for c in ("grade", "grade_rule", "grade_final") if c in batch])
    result["outcome"] = outcome.column(batch.index)
    result["rule"] = rule.column(batch.index)
    assert len(result) == n
    return result


def _rows(mask: np.ndarray) -> np.ndarray:
    """The positions where ``mask`` holds."""
    return np.flatnonzero(mask)


class _Texts:
    """A column of few distinct texts as codes into them (-1: missing), changed in place by
    mask or positions and made a pandas string column once (Arrow takes the texts by code)."""

    def __init__(self, codes: np.ndarray, texts: list[str]) -> None:
        self.codes = codes
        self.texts = texts
        self._index = {text: i for i, text in enumerate(texts)}

    @classmethod
    def of(cls, column: pd.Series) -> _Texts:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return cls(np.asarray(codes, dtype=np.int32), [str(text) for text in uniques])

    @classmethod
    def filled(cls, n: int, text: str) -> _Texts:
        return cls(np.zeros(n, dtype=np.int32), [text])

    def code(self, text: str | None, add: bool = True) -> int:
        """The code of ``text`` (-1 for None), added if new (``add=False``: -2 when unknown, a
        code no row holds)."""
        if text is None:
            return -1
        if text not in self._index:
            if not add:
                return -2
            self._index[text] = len(self.texts)
            self.texts.append(text)
        return self._index[text]

    def set(self, where: np.ndarray, text: str | None) -> None:
        """``text`` (None: missing) at the rows ``where`` (a mask or positions)."""
        self.codes[where] = self.code(text)

    def set_texts(self, rows: np.ndarray, texts: np.ndarray) -> None:
        """Each of ``texts`` at its row of ``rows``."""
        codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
        mapped = np.array([self.code(None if text is None else str(text)) for text in uniques] + [-1], dtype=np.int32)
        self.codes[rows] = mapped[codes]

    def append_to(self, rows: np.ndarray, suffix: str) -> None:
        """``suffix`` appended to the text at each of ``rows`` (a missing text stays missing)."""
        old = self.codes[rows]
        mapped = {code: (-1 if code < 0 else self.code(self.texts[code] + suffix)) for code in np.unique(old).tolist()}
        self.codes[rows] = np.array([mapped[code] for code in old.tolist()], dtype=np.int32)

    def is_in(self, *texts: str) -> np.ndarray:
        """Rows whose text is one of ``texts`` (never a missing one)."""
        wanted = [self._index[t] for t in texts if t in self._index]
        return np.isin(self.codes, wanted) if wanted else np.zeros(len(self.codes), dtype=bool)

    def column(self, index: pd.Index) -> pd.Series:
        import pyarrow as pa

        texts = pa.array(self.texts, pa.large_string())  # pandas' string storage
        taken = texts.take(pa.array(self.codes, mask=self.codes < 0))
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=index, dtype="string")
