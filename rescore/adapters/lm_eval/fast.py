"""Counts mode for lm-eval generation samples, column by column instead of a DataFrame per batch.

Reading a ten-million-line leaderboard, the general path spends most of its time in Python
per line: a dict-like object, a dozen list appends, a pandas batch, the classifier. What a
leaderboard needs from a generation line is four small values: ``doc_id``, ``filter``,
``filtered_resps[0]`` and the task's metric. Here each line is decoded by msgspec into a
struct typed with just those (the rest is validated and skipped in C, the raw response kept
as unparsed bytes), and everything after is done per *distinct* prediction text or with
numpy on whole blocks. Item ids are checked for repeats inside the file exactly; key hashes
for the cross-file check are computed only if another file shares the (benchmark, model,
run) (:class:`rescore.read.per_file.DeferredKeys`).

The answer must be the general path's, so this path is narrow: generation tasks whose lines
all carry a ``filter`` name, a non-empty list of string predictions and a 0/1 (or boolean)
metric, valid UTF-8 JSON without NaN. Anything else (a malformed line, a missing metric, an
older lm-eval without ``filter``, a repeated ``doc_id``) makes it give up (``None``) and the
general reader reads the file and reports exactly what it always reports. The notes, the
filter choice and the producer cross-check come from the general reader's own ``SampleReader``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec
import numpy as np
import pandas as pd

from rescore.adapters.base import FastCounts, SourceInfo, first_json_line
from rescore.adapters.lm_eval.samples import fast_grade, first_text
from rescore.outcomes.decide import RULE_GRADE
from rescore.read import tables
from rescore.read.counts import count_codes
from rescore.read.jsonlines import one_value_per_line
from rescore.read.schema import OUTCOMES
from rescore.read.sources import phrase_abstention_note

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from rescore.adapters.lm_eval.samples import TaskSetup
    from rescore.outcomes.abstention import AbstentionDetector
    from rescore.read.options import LoadOptions

_COUNT_LINES = 16_384  # lines counted together
_NULL = msgspec.Raw(b"null")
_ANY = msgspec.json.Decoder()
_RESPS = msgspec.json.Decoder(list[list[list[str]]])
_OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
_EXTRACTION_FAILURE = "extraction failure"


class _GiveUp(Exception):
    """The file needs the general reader (it decides, and names any error)."""


class _Doc(msgspec.Struct, forbid_unknown_fields=False, gc=False):
    category: str | int | None = None


def _line_type(metric: str, filters: tuple[str, ...] | None, with_doc: bool) -> Any:
    """A struct with just the keys counted (the metric's JSON name is renamed to ``metric``).

    ``filter`` is typed as the task's filter names when the results file lists them: msgspec
    then returns one string object per name instead of a new string per line (a name not in
    the list makes the general reader read the file).
    """
    fields: list[Any] = [
        ("doc_id", int | str),
        ("filter", Literal[filters] if filters else str),
        ("filtered_resps", list[str]),
        ("metric", bool | float | None, None),
        ("resps", msgspec.Raw, _NULL),
        ("exact_match_original", bool | float | None | msgspec.UnsetType, msgspec.UNSET),
    ]
    if with_doc:
        fields.append(("doc", _Doc | None, None))
    return msgspec.defstruct("GenerationLine", fields, rename={"metric": metric}, forbid_unknown_fields=False,
                             gc=False)


def _bodies(path: Path) -> Any:
    """The file in runs of whole lines of about 1 MB (without the last newline), UTF-8 checked
    (:func:`rescore.read.tables._line_runs`, the general reader's own blocks).

    A line longer than ``tables.MAX_LINE_BYTES`` sends the file to the general reader, which
    names the line; a run of blank lines holds no object and is passed over.
    """
    with path.open("rb") as handle:
        for run in tables._line_runs(handle, tables.MAX_LINE_BYTES + 1):
            if run is None:
                raise _GiveUp
            if not run.isspace():  # (isspace stops at the first other byte: no copy of the run)
                yield _utf8_checked(run)


def _utf8_checked(body: bytes) -> bytes:
    """``body`` if it is valid UTF-8 (msgspec skips invalid bytes inside values it does not build)."""
    if not body.isascii() and not valid_utf8(body):
        raise _GiveUp
    return body


def valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 exactly as Python's strict codec reads it, without building a str.

    Arrow validates the bytes in place (a zero-copy view as one string value). ``bytes.decode``
    builds the text and widens it to two bytes a character at the first CJK letter, about 4x
    slower on such files.
    """
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    value = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        value.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _decode_lines(decoder: Any, body: bytes) -> list[Any]:
    """Decode a run of lines in one call (msgspec's ``decode_lines``: no bytes object per line).

    ``decode_lines`` reads a stream of values, wherever the newlines are; the general reader
    refuses a line holding two values or part of one. So the run's values are taken only when
    :func:`rescore.read.jsonlines.one_value_per_line` shows each line holds exactly one. Otherwise (blank, indented or
    split lines) its non-blank lines are decoded one by one, as the general reader does.
    """
    if not body:
        return []
    try:
        objs = decoder.decode_lines(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        raise _GiveUp from None  # a malformed line: the general reader names it
    if one_value_per_line(body, len(objs)):
        return objs
    try:
        return [decoder.decode(line) for line in body.split(b"\n") if line.strip()]
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        raise _GiveUp from None


class _Columns:
    """The counted values of a run of decoded lines, taken while the line objects are still in
    the CPU cache (read again a block later, each object is a cache miss)."""

    def __init__(self) -> None:
        self.filters: list[str] = []
        self.preds: list[str] = []
        self.metrics: list[Any] = []
        self.resps: list[msgspec.Raw] = []
        self.ids: list[Any] = []
        self.originals: list[Any] = []
        self.categories: list[Any] = []

    def take(self, objs: list[Any], only_filter: str | None, with_original: bool, with_doc: bool) -> None:
        """``only_filter``: the one filter name the decoder accepts (no need to read it per line)."""
        self.filters += [only_filter] * len(objs) if only_filter is not None else [o.filter for o in objs]
        try:
            self.preds += [o.filtered_resps[0] for o in objs]
        except IndexError:
            raise _GiveUp from None  # an empty filtered_resps: the general reader's NA rules
        self.metrics += [o.metric for o in objs]
        self.ids += [o.doc_id for o in objs]
        self.resps += [o.resps for o in objs]
        if with_original:
            self.originals += [o.exact_match_original for o in objs]
        if with_doc:
            self.categories += [o.doc.category if o.doc is not None else None for o in objs]

    def keep(self, rows: list[int]) -> None:
        """Only these rows (the chosen filter's lines)."""
        for name, values in vars(self).items():
            if values:
                setattr(self, name, [values[i] for i in rows])


class _Counter:
    """Outcome and rule codes per counted line, built block by block."""

    def __init__(self, reader: Any, detector: AbstentionDetector) -> None:
        self.reader = reader
        self.task = reader.task
        self.detector = detector
        self.text_codes: dict[Any, int] = {}  # abstention rule code per text seen (-1: an answer)
        self.rule_names: list[str] = [RULE_GRADE, _EXTRACTION_FAILURE]
        self.subset_names: dict[str, int] = {}
        self.outcomes: list[np.ndarray] = []
        self.rules: list[np.ndarray] = []
        self.subsets: list[np.ndarray] = []
        self.ids: list[Any] = []
        self.over_wrong = 0  # graded wrong (metric 0), then an abstention by the phrases

    def add(self, block: _Columns) -> None:
        """Count one block of lines."""
        reader = self.reader
        filters = block.filters
        if reader.chosen is None:
            reader._pick_filter(filters[0])
        for name in dict.fromkeys(filters):
            if name not in reader.seen_filters:
                reader.seen_filters.append(name)
        chosen = reader.chosen
        if filters.count(chosen) != len(filters):
            keep = [i for i, name in enumerate(filters) if name == chosen]
            reader.other_filter_lines += len(filters) - len(keep)
            block.keep(keep)
        preds = block.preds
        if not preds:
            return
        metric = np.array(block.metrics, dtype="float64")  # None -> NaN; booleans -> 0/1
        if not np.isin(metric, (0.0, 1.0)).all():
            raise _GiveUp  # a missing or partial metric: graded by the general reader
        self.ids += block.ids
        self._em_original(block)
        pred_codes, distinct = pd.factorize(np.array(preds, dtype=object))
        distinct = list(distinct)
        stripped = [p.strip() for p in distinct]
        invalid = np.array([s == "[invalid]" for s in stripped], dtype=bool)[pred_codes]
        blank = np.array([s == "" for s in stripped], dtype=bool)[pred_codes]
        outcome = np.where(metric == 1.0, _OUTCOME["correct"], _OUTCOME["wrong"])
        outcome[invalid] = _OUTCOME["invalid"]
        rule = np.where(invalid, self.rule_names.index(_EXTRACTION_FAILURE), 0)
        # abstention: the prediction's text (decided once per distinct text), or the raw response
        # when the prediction has none (an extraction failure, a blank answer)
        candidate = outcome != _OUTCOME["correct"]
        by_prediction = np.array([self._text_code(p) for p in distinct], dtype="int64")[pred_codes]
        hit = candidate & ~invalid & ~blank & (by_prediction >= 0)
        self.over_wrong += int((hit & (outcome == _OUTCOME["wrong"])).sum())
        outcome[hit] = _OUTCOME["abstain"]
        rule[hit] = by_prediction[hit]
        rows = np.flatnonzero(candidate & (invalid | blank))
        if len(rows):
            texts = _raw_texts([block.resps[i] for i in rows.tolist()])
            # no raw text: an extraction failure has none; a blank prediction is its own text
            texts = [preds[i] if t is pd.NA and not bad else t
                     for i, t, bad in zip(rows.tolist(), texts, invalid[rows].tolist(), strict=True)]
            codes = np.array([self._text_code(t) for t in texts], dtype="int64")
            said = rows[codes >= 0]
            self.over_wrong += int((outcome[said] == _OUTCOME["wrong"]).sum())
            outcome[said] = _OUTCOME["abstain"]
            rule[said] = codes[codes >= 0]
        self.outcomes.append(outcome)
        self.rules.append(rule)
        if self.task.category_key:
            self.subsets.append(self._subsets(block.categories))
        reader.lines_used += len(preds)

    def _text_code(self, text: Any) -> int:
        """The abstention rule code of ``text`` (-1 for an answer), decided once per distinct text."""
        code = self.text_codes.get(text)
        if code is None:
            reason = None if text is pd.NA else self.detector.reason(text)
            if reason is None:
                code = -1
            else:
                if reason not in self.rule_names:
                    self.rule_names.append(reason)
                code = self.rule_names.index(reason)
            self.text_codes[text] = code
        return code

    def _subsets(self, categories: list[Any]) -> np.ndarray:
        """Subset codes: ``str(doc.category)``, or "" without one (5 and "5" are one subset)."""
        codes, distinct = pd.factorize(np.array(categories, dtype=object))  # None -> -1
        names = [str(value) for value in distinct] + [""]  # (msgspec typed them str | int)
        remap = np.array([self.subset_names.setdefault(name, len(self.subset_names)) for name in names],
                         dtype="int64")
        return remap[codes]  # a code of -1 picks the trailing ""

    def _em_original(self, block: _Columns) -> None:
        originals = block.originals
        if originals.count(msgspec.UNSET) == len(originals):
            return
        for original, metric in zip(originals, block.metrics, strict=True):
            if original is not msgspec.UNSET:
                self.reader.em_original_seen += 1
                if fast_grade(original) != fast_grade(metric):
                    self.reader.em_original_diff += 1

    def ids_distinct(self) -> bool:
        """No doc_id repeats (as ``item_id = str(doc_id)``: 5 and "5" are one id).

        Read as 64-bit integers first (numeric strings too: ``int`` of an id depends only on its
        ``str()``, so ids distinct as numbers are distinct ids; "05" and 5 look alike and only send
        the file to the general reader). The usual ``0..n-1`` needs a count, not a sort.
        """
        try:
            numbers = np.fromiter(self.ids, dtype=np.int64, count=len(self.ids))
        except (TypeError, ValueError, OverflowError):
            numbers = None
        if numbers is not None:
            if len(numbers) and numbers.min() >= 0 and numbers.max() < 4 * len(numbers):
                return int(np.bincount(numbers).max()) <= 1
            ordered = np.sort(numbers)
            return not bool((ordered[1:] == ordered[:-1]).any())
        values = np.array(self.ids)  # ints mixed with strings -> their str() forms
        if values.dtype.kind in "iU":
            values = np.sort(values)
            return not bool((values[1:] == values[:-1]).any())
        return len(set(map(str, self.ids))) == len(self.ids)

    def table(self) -> pd.DataFrame:
        n = sum(len(o) for o in self.outcomes)
        task = self.task
        zeros = np.zeros(n, dtype="int64")
        if task.category_key:
            subsets = (np.concatenate(self.subsets), list(self.subset_names))
        else:
            subsets = (zeros, [task.subset])
        return count_codes((zeros, [task.benchmark]), (zeros, [task.model]), subsets,
                           (np.concatenate(self.outcomes), list(OUTCOMES)), (np.concatenate(self.rules),
                                                                             self.rule_names),
                           run=task.run if task.run is not None else pd.NA)


def _raw_texts(raws: list[msgspec.Raw]) -> list[Any]:
    """The first string of each ``resps`` (``[["text"]]``), as the general reader takes it.

    Decoded together as one typed array (one call, not one per row); another shape than lists
    of strings is walked the general reader's way.
    """
    try:
        values = _RESPS.decode(b"[" + b",".join(raws) + b"]")
    except msgspec.ValidationError:
        return [first_text(_ANY.decode(raw)) for raw in raws]
    return [value[0][0] if value and value[0] else pd.NA for value in values]


def count_generation(set_up_task: Callable[..., TaskSetup], path: Path, options: LoadOptions,
                     detector: AbstentionDetector,
                     info: SourceInfo) -> FastCounts | None:
    """Counts of one generation samples file, or ``None`` when the general reader must read it.

    ``set_up_task`` is the adapter's own task set-up (passed in, so this module never imports the adapter).
    """
    from rescore.adapters.lm_eval.samples import MC_TYPES, SampleReader, needs_final_answer, scan_filters

    first = first_json_line(path)
    if first is None or not isinstance(first.get("filter"), str):
        return None
    task = set_up_task(path, first, options, info)
    if task.output_type in MC_TYPES or task.output_type == "loglikelihood_rolling" \
            or task.metric in (None, "ifeval", "bypass") or needs_final_answer(task.task):
        return None  # (a "Final Answer" task needs the raw text: the general reader checks it)
    if options.filter_name and not task.filters:
        task.filters = scan_filters(path, options)
    reader = SampleReader(path, task, options, info)
    filters = tuple(dict.fromkeys([*task.filters, first["filter"]])) if task.filters else None
    line_type = _line_type(task.metric, filters, with_doc=task.category_key is not None)
    decoder = msgspec.json.Decoder(line_type)
    counter = _Counter(reader, detector)
    try:
        with_original, with_doc = task.metric == "exact_match", task.category_key is not None
        only_filter = filters[0] if filters is not None and len(filters) == 1 else None
        pending = _Columns()
        for body in _bodies(path):
            pending.take(_decode_lines(decoder, body), only_filter, with_original, with_doc)
            if len(pending.filters) >= _COUNT_LINES:  # numpy's fixed cost per call, spread over many lines
                counter.add(pending)
                pending = _Columns()
        if pending.filters:
            counter.add(pending)
        if not counter.ids or not counter.ids_distinct():
            return None  # nothing counted (the general reader explains) or a repeated doc_id (it names the line)
    except _GiveUp:
        return None
    reader.finish()
    if counter.over_wrong:  # as the general reader says it (rescore.read.per_file)
        info.note(phrase_abstention_note(counter.over_wrong))
    return FastCounts(counter.table(), rows=len(counter.ids))
