"""Recognise "I don't know" in free text, from phrase and regex lists kept in ``configs/``.

A response is an abstention when, after normalisation, it is empty, equals one of the
``whole`` phrases, or contains an abstention ``pattern`` with no ``answer_marker`` after it.
The marker rule keeps hedges that still commit ("I'm not sure, but the answer is (B)") as
answers. Patterns are searched only in the last :data:`TAIL_CHARS` characters, the part of a
chain-of-thought where a model states its conclusion, so a passing "I'm not sure about X"
early in long reasoning does not turn an answer into an abstention.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from rescore.config import load_config

TAIL_CHARS = 400
#: decisions remembered per detector: texts up to this long (short answers repeat across files;
#: long reasoning rarely does), at most this many (then the memory starts afresh)
MEMO_TEXT_CHARS = 256
MEMO_ENTRIES = 1 << 16
_UNSEEN = object()

EMPTY = "empty response"
PHRASE = "abstention phrase"

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'"})
_STRIP = " \t\r\n.!?,;:\"'`*_()[]{}<>。！？，；：「」"


def normalise_text(text: str) -> str:
    """Lower-case, NFKC, straight quotes, collapsed whitespace, no surrounding punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return " ".join(text.split()).strip(_STRIP)


@dataclass(frozen=True)
class AbstentionDetector:
    """Compiled phrase lists; build one with :meth:`from_config` and reuse it."""

    whole: frozenset[str]
    patterns: tuple[str, ...]
    answer_markers: tuple[str, ...]
    _pattern_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _marker_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _decided: dict[str, str | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern_re", re.compile("|".join(f"(?:{p})" for p in self.patterns)))
        object.__setattr__(self, "_marker_re", re.compile("|".join(f"(?:{p})" for p in self.answer_markers)))
        object.__setattr__(self, "_decided", {})

    @classmethod
    def shared(cls, extra_phrases: Iterable[str] = ()) -> AbstentionDetector:
        """One detector per phrase list in this process, so that a text decided while reading one
        file is not searched again in the next (a worker reads many files)."""
        key = tuple(extra_phrases)
        detector = _SHARED.get(key)
        if detector is None:
            detector = _SHARED[key] = cls.from_config(extra_phrases=key)
        return detector

    @classmethod
    def from_config(cls, extra_phrases: Iterable[str] = (), extra_patterns: Iterable[str] = ()) -> AbstentionDetector:
        cfg = load_config("abstention.yaml")
        whole = {normalise_text(p) for p in cfg.get("whole", [])}
        whole |= {normalise_text(p) for p in extra_phrases}
        patterns = tuple(cfg.get("patterns", [])) + tuple(extra_patterns)
        patterns += tuple(re.escape(normalise_text(p)) for p in extra_phrases if normalise_text(p))
        return cls(frozenset(whole), patterns, tuple(cfg.get("answer_markers", [])))

    def reason(self, text: str | None) -> str | None:
        """Why ``text`` is an abstention (``EMPTY``/``PHRASE``), or ``None`` if it is an answer.

        ``None`` input means "no text available" (e.g. a log-likelihood task) and is never an
        abstention: only text that exists can say "I don't know".
        """
        if text is None or (isinstance(text, float) and text != text):
            return None
        remember = type(text) is str and len(text) <= MEMO_TEXT_CHARS
        if remember:
            decided = self._decided.get(text, _UNSEEN)
            if decided is not _UNSEEN:
                return decided  # type: ignore[return-value]
        reason = self._decide(normalise_text(str(text)))
        if remember:
            if len(self._decided) >= MEMO_ENTRIES:
                self._decided.clear()
            self._decided[text] = reason
        return reason

    def _decide(self, norm: str) -> str | None:
        if not norm:
            return EMPTY
        if norm in self.whole:
            return PHRASE
        tail = norm[-TAIL_CHARS:]
        hit = self._pattern_re.search(tail)
        if hit is None:
            return None
        marker = self._marker_re.search(tail, hit.start())
        return None if marker is not None else PHRASE

    def reasons(self, texts: pd.Series) -> pd.Series:
        """Vectorised :meth:`reason`; returns a string Series with NA for answers."""
        from rescore.outcomes.distinct import map_unique

        present = texts.notna()
        if present.all():  # (the usual case: no masked assignment, which rebuilds a string column)
            return map_unique(texts.astype(str), self.reason)
        out = pd.Series(pd.NA, index=texts.index, dtype="string")
        if not present.any():
            return out
        # once per distinct text: "I don't know." and answer letters repeat across millions of rows
        out.loc[present] = map_unique(texts[present].astype(str), self.reason)
        return out


_DEFAULT: AbstentionDetector | None = None
_SHARED: dict[tuple[str, ...], AbstentionDetector] = {}


def default_detector() -> AbstentionDetector:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = AbstentionDetector.from_config()
    return _DEFAULT
