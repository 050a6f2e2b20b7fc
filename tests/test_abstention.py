"""Abstention detection and the single precedence order that decides outcomes."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescore.outcomes import abstention
from rescore.outcomes.abstention import EMPTY, PHRASE, AbstentionDetector, default_detector
from rescore.outcomes.decide import classify, parse_grade


@pytest.mark.parametrize(
    "text",
    ["I don't know.", "I do not know", "IDK", "  ", "", "I’m not sure.", "I cannot determine the answer.",
     "不知道", "我不确定。", "No lo sé.", "No estoy seguro", "Je ne sais pas.", "Je ne suis pas sûr",
     "Ich weiß es nicht.", "Ich bin mir nicht sicher.",
     "The provided data does not contain specific information about it",
     "Unknown"],
)
def test_abstentions_in_several_languages(text: str) -> None:
    assert default_detector().reason(text) in (EMPTY, PHRASE)


@pytest.mark.parametrize(
    "text",
    ["I'm not sure, but the answer is (B).", "Paris", "The answer is (C)", "I think it is 42",
     "I don't know much about this, but my best guess is Lyon.", "Not sure, but I think it's Rome",
     "答案是北京", "Je ne suis pas sûr, mais la réponse est Paris"],
)
def test_hedges_that_commit_are_answers(text: str) -> None:
    assert default_detector().reason(text) is None


def test_missing_text_is_never_an_abstention() -> None:
    assert default_detector().reason(None) is None
    assert default_detector().reason(float("nan")) is None


def test_empty_answer_is_its_own_rule() -> None:
    assert default_detector().reason("   ") == EMPTY


def test_only_the_tail_of_long_reasoning_counts() -> None:
    long = "I am not sure about the first step. " + "Reasoning. " * 80 + "So the result is 12."
    assert default_detector().reason(long) is None


def test_user_phrases_extend_the_lists() -> None:
    detector = AbstentionDetector.from_config(extra_phrases=["sin respuesta"])
    assert detector.reason("Sin respuesta.") == PHRASE
    assert default_detector().reason("Sin respuesta.") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "correct"), (False, "wrong"), (1, "correct"), (0, "wrong"), (0.5, "partial"), ("CORRECT", "correct"),
     ("INCORRECT", "wrong"), ("NOT_ATTEMPTED", "abstain"), ("yes", "correct"), ("1.0", "correct"),
     ("invalid", "invalid"), ("maybe", None), (None, None), (float("nan"), None), (2, None)],
)
def test_grade_words(value: object, expected: str | None) -> None:
    assert parse_grade(value) == expected


def test_precedence_order() -> None:
    batch = pd.DataFrame({
        "grade": ["correct", "abstain", "wrong", "invalid", "wrong", "partial", None, None, None],
        "grade_rule": [None, None, None, "extraction failure", None, None, None, None, None],
        "prediction": ["I don't know", "B", None, None, "B", "I don't know", "paris", "Lyon", None],
        "response": [None, None, "I don't know.", "", "so it's B", None, None, None, None],
        "gold": [None, None, None, None, None, None, "Paris", "Paris", "Paris"],
    })
    out = classify(batch)
    assert out["outcome"].tolist() == ["correct", "abstain", "abstain", "abstain", "wrong", "partial", "correct",
                                       "wrong", "invalid"]
    assert out["rule"].tolist() == ["explicit grade", "explicit grade", "abstention phrase", "empty response",
                                    "explicit grade", "explicit grade", "prediction vs gold",
                                    "prediction vs gold", "no grade and no prediction"]


def test_extraction_failure_keeps_the_adapter_rule() -> None:
    batch = pd.DataFrame({"grade": ["invalid"], "grade_rule": ["extraction failure"], "response": ["blah B?"]})
    out = classify(batch)
    assert out.loc[0, "outcome"] == "invalid"
    assert out.loc[0, "rule"] == "extraction failure"


_MEMO_TEXTS = ["I don't know.", "B", "", "  ", "I'm not sure, but the answer is (B).", "Je ne sais pas",
               "I DON'T KNOW", "x" * 300 + " I don't know"]


@given(st.lists(st.sampled_from(_MEMO_TEXTS) | st.text(max_size=40), max_size=30))
def test_remembered_decisions_are_the_decisions(texts: list[str]) -> None:
    """A detector remembers what it decided for short texts (a worker reads many files); asking
    again, after its memory fills and starts afresh, or of a new detector gives the same answer."""
    remembering = AbstentionDetector.from_config()
    first = [remembering.reason(t) for t in texts]
    again = [remembering.reason(t) for t in texts]
    fresh = [AbstentionDetector.from_config()._decide(abstention.normalise_text(t)) for t in texts]
    assert first == again == fresh


def test_memory_is_bounded_and_shared_per_phrase_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(abstention, "MEMO_ENTRIES", 3)
    detector = AbstentionDetector.from_config()
    for text in ["a", "b", "c", "d", "I don't know", "x" * 300]:
        detector.reason(text)
    assert len(detector._decided) <= 3 and "x" * 300 not in detector._decided
    assert detector.reason("I don't know") == PHRASE
    assert AbstentionDetector.shared(()) is AbstentionDetector.shared([])
    own = AbstentionDetector.shared(("no clue",))
    assert own is not AbstentionDetector.shared(()) and own.reason("No clue!") == PHRASE
    assert AbstentionDetector.shared(()).reason("No clue!") is None
