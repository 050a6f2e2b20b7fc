"""Counts mode straight from Arrow for graded generic Parquet tables (the common big-table case).

The general path (adapter batches -> :func:`rescore.outcomes.decide.classify` -> counts) builds a
pandas row per item with Python string objects, about 3 µs an item. A graded Parquet table
needs far less: read only the used columns, keep label strings dictionary-encoded as Parquet
stored them, decide each *distinct* grade and each *distinct* abstention text once in Python
with the same functions the general path uses, and count integer codes with numpy
(:mod:`rescore.read.counts`). Duplicates: one Arrow sort shows whether any item id repeats; only
then are the keys hashed (exactly as the general path hashes them) to find a real duplicate.
Otherwise the hashes for the cross-file check are left to :class:`rescore.read.per_file.DeferredKeys`.
Same outcomes, same rules, same errors; several times faster.

It applies only when the answer cannot differ from the general path: a generic Parquet file
with a model column and either a grade column (every grade parseable) or text prediction and
gold columns (compared on distinct values, :func:`rescore.outcomes.decide.match_distinct`); no
attempt, cluster or instructed-t column, no mapping to counts. A confidence column is checked
exactly as the general path checks it (on distinct values; a bad one sends the file there).
Anything else returns ``None`` and the general path reads the file (and reports any error exactly as it always does).

CSV/TSV and JSONL tables reach the same counting through Arrow's own readers (``fast_text.py``); item
mode takes the same decisions back to the rows (``fast_items.py``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rescore.adapters.base import FastCounts, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.outcomes.decide import (
    RULE_COMPARE,
    RULE_DISAGREES,
    RULE_GRADE,
    RULE_NO_GRADE,
    match_distinct,
    parse_grade,
)
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read import split
from rescore.read.counts import FileCounter, combine_key_hashes, count_codes, count_folded, fold_codes, unfold_codes
from rescore.read.options import LoadOptions
from rescore.read.remote import arrow_source
from rescore.read.schema import OUTCOMES, codes_repeat, dictionary_codes, slowest_first
from rescore.read.sources import phrase_abstention_note
from rescore.read.tables import LINE

_CANDIDATES = ("wrong", "invalid")  # the outcomes an abstention text may override (outcomes.classify step 3)
_UNSUPPORTED_ROLES = ("attempt", "cluster", "instructed_t", "n_correct", "n_wrong")


def _codes(array: Any, null_code: int = -1) -> tuple[np.ndarray, list[Any]]:
    """Dictionary codes (nulls -> ``null_code``) and the dictionary values as Python objects.

    A column Parquet stored dictionary-encoded is used as it is (row groups' dictionaries are
    unified, not decoded); any other column is encoded here (one hash pass in Arrow).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        if pa.types.is_dictionary(array.type) and array.num_chunks > 1:
            array = array.unify_dictionaries()
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    indices = array.indices
    if indices.null_count:
        indices = pc.fill_null(indices, null_code)
    # Arrow's own (int32) indices, not an int64 copy: 10M rows of codes are 40 MB, not 80 MB,
    # and every later gather and compare reads half the bytes
    return indices.to_numpy(zero_copy_only=False), array.dictionary.to_pylist()


def _mapped(array: Any, fn: Any, null_value: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes into the list of distinct ``fn(value)`` results (null -> ``null_value``)."""
    return _mapped_codes(*_codes(array), fn, null_value)


def _mapped_codes(codes: np.ndarray, values: list[Any], fn: Any, null_value: Any) -> tuple[np.ndarray, list[Any]]:
    """:func:`_mapped` of codes (-1: null) into ``values``."""
    results = [fn(v) for v in values] + [null_value]
    distinct = list(dict.fromkeys(results))
    if len(distinct) == len(results) and not (len(codes) and codes.min() < 0):
        return codes, distinct  # nothing merged, nothing missing: the codes are the answer (no 10M-row gather)
    index = {r: i for i, r in enumerate(distinct)}
    remap = np.array([index[r] for r in results], dtype=_small_int(len(distinct)))
    return remap[codes], distinct  # codes of -1 pick the trailing null entry


def _small_int(size: int) -> Any:
    """The narrowest signed integer dtype for codes below ``size`` (a gather into it writes a
    quarter or an eighth of the bytes an int64 one does; later arithmetic widens as needed)."""
    for dtype in (np.int8, np.int16, np.int32):
        if size <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def count_generic_parquet(path: Path, options: LoadOptions, detector: AbstentionDetector,
                          info: SourceInfo) -> FastCounts | None:
    """The counts of a graded generic Parquet file (its notes go to ``info``), or ``None`` (the
    general path reads it). ``keys`` is ``None`` when every item id was unique (see
    :class:`rescore.read.per_file.DeferredKeys`), else the sorted key hashes."""
    found = parquet_table(path, options)
    if found is None:
        return None
    table, columns = found
    return _count_table(path, table, columns, options, detector, info,
                        lambda name: None if _confidence_in_range(table[name])
                        else _confidence_note(path, name, options.batch_size))


def parquet_table(path: Path, options: LoadOptions) -> tuple[Any, Any] | None:
    """The columns of a generic Parquet file that the columnar paths read, as an Arrow table, with
    their roles judged as the general reader judges them (a ``ColumnMap``); ``None`` when the
    general reader must read the file (roles judged otherwise, unsupported, unreadable)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rescore.adapters.generic.columns import GRADE_SAMPLE, ColumnMap

    if path.suffix.lower() not in (".parquet", ".pq") or not options.plain():
        return None
    head_rows = min(GRADE_SAMPLE, options.batch_size)
    try:
        source = arrow_source(path, exact=True)  # a remote file: one handle, read by ranges
        handle = pq.ParquetFile(source)
        names = list(handle.schema_arrow.names)
        # ColumnMap judges some columns by their values (grade candidates, grade labels under any
        # name, free text offered as gold): the head holds every column, as the general reader's does
        # only the row groups that hold the head: a remote file is read by range, not whole
        groups, rows = [], 0
        while rows < head_rows and len(groups) < handle.num_row_groups:
            rows += handle.metadata.row_group(len(groups)).num_rows
            groups.append(len(groups))
        head = next(handle.iter_batches(batch_size=head_rows, row_groups=groups), None)
    except (pa.ArrowException, OSError, StopIteration):
        return None
    if head is None or head.num_rows == 0:
        return None
    first = head.to_pandas()
    try:
        columns = ColumnMap(names, options, path, first)
    except Exception:  # let the general path raise its own error
        return None
    # the general reader judges grade columns on its first batch (options.batch_size rows); the
    # head is that batch, or all the file has, or held whole samples: otherwise the two could differ
    if not columns.judged_as_first_batch(first, head_rows, options.batch_size):
        return None
    if not _roles_supported(columns, options):
        return None
    roles = columns.roles
    graded = "correct" in roles
    strings = {f.name for f in handle.schema_arrow if _is_text(f.type)}
    # without a grade: prediction vs gold, both text as the general path's as_text leaves them
    if not graded and not ("prediction" in roles and "gold" in roles and roles["prediction"] in strings
                           and roles["gold"] in strings):
        return None
    wanted = [roles[r] for r in ("model", "benchmark", "subset", "item_id", "correct", "prediction", "response",
                                 "gold", "confidence") if r in roles]
    # label columns come as Parquet wrote them, dictionary-encoded (each distinct text read once);
    # item ids are nearly all distinct, so a dictionary would only cost a hash per row
    as_dictionary = [c for c in dict.fromkeys(wanted) if c in strings and c not in (roles["item_id"],
                                                                                  roles.get("confidence"))]
    piece = split.current()  # one piece of a split file (rescore/read/split.py): its row groups only
    try:
        if piece is None:
            table = pq.read_table(source, columns=list(dict.fromkeys(wanted)), read_dictionary=as_dictionary)
        else:
            table = pq.ParquetFile(source, read_dictionary=as_dictionary).read_row_groups(
                list(piece.row_groups), columns=list(dict.fromkeys(wanted)))
    except (pa.ArrowException, OSError):
        return None
    return table, columns


def _count_table(path: Path, table: Any, columns: Any, options: LoadOptions, detector: AbstentionDetector,
                 info: SourceInfo, confidence_note: Any, text: bool = False) -> FastCounts | None:
    """The counts of an Arrow ``table`` read from ``path`` whose columns ``columns`` mapped as the
    general reader maps them (Parquet, or CSV/TSV/JSONL with ``text``); ``None``: the general
    path reads the file. ``confidence_note(name)`` judges the confidence column batch by batch
    as the general reader does (a note, ``None``, or ``False`` for a bad value)."""
    id_column = columns.roles.get("item_id")
    hashing_ids = _start_encoding_ids(table[id_column]) if id_column and split.current() is None else None
    try:
        return _count_coded(path, table, columns, options, detector, info, confidence_note, text, hashing_ids)
    finally:
        if hashing_ids is not None:  # waited for: a worker pool forked later must not copy a busy thread's locks
            hashing_ids[1].shutdown(wait=True)


def _start_encoding_ids(ids: Any) -> tuple[Any, Any] | None:
    """:func:`_encode_ids` on a thread, or None for ids the checks below refuse anyway."""
    if ids.null_count:
        return None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescore-ids")
    return pool.submit(_encode_ids, ids), pool


def _count_coded(path: Path, table: Any, columns: Any, options: LoadOptions, detector: AbstentionDetector,
                 info: SourceInfo, confidence_note: Any, text: bool,
                 hashing_ids: tuple[Any, Any] | None) -> FastCounts | None:
    """:func:`_count_table`'s work, the item ids being hashed meanwhile (``hashing_ids``)."""
    roles = columns.roles
    piece = split.current()
    notes = list(columns.notes)
    labels = row_labels(path, table, roles, options, notes)
    if labels is None:
        return None
    bench_codes, benches, model_codes, models, subset_codes, subsets = labels
    # the key check too goes to the ids' thread, queued behind their hashing: it needs only the labels
    key_check = None if hashing_ids is None else hashing_ids[1].submit(
        lambda: _keys_distinct(hashing_ids[0].result(), [bench_codes, model_codes, subset_codes]))

    found = decided(table, columns, labels, detector)
    if found is None:
        return None  # a missing or unknown grade: the general path decides
    inputs, (outcome, outcome_names, rule, rule_names, over_wrong) = found
    if inputs.labels is not None:
        count_bench, count_model, count_subset = inputs.labels
    else:
        count_bench, count_model, count_subset = bench_codes, model_codes, subset_codes
    if "confidence" in roles:
        note = confidence_note(roles["confidence"])
        if note is False:
            return None  # a bad confidence: the general path names it (after any earlier error)
        if note:
            notes.append(note)

    # duplicate keys: unique item ids rule them out; otherwise hash the keys as the general path does
    ids = table[roles["item_id"]]
    if ids.null_count:
        return None  # a missing id: the general path says where
    if text and not ids_typed_as_batches(ids.type):
        return None
    hashing = (path, ids, bench_codes, benches, model_codes, models, subset_codes, subsets, options.batch_size)
    try:
        if piece is None:
            distinct_keys = key_check.result() if key_check is not None else \
                _keys_distinct(_encode_ids(ids), [bench_codes, model_codes, subset_codes])
            keys = None if distinct_keys else _checked_key_hashes(*hashing)
        else:
            # a piece of a split file returns its hashes, which the join checks across pieces; sorted,
            # they also prove this piece's keys distinct (distinct hashes, distinct keys), and only
            # equal hashes need the exact check, which names a duplicate as the general path does
            keys = _checked_key_hashes(*hashing, check=False)
            if len(keys) > 1 and bool(np.any(keys[1:] == keys[:-1])):
                keys = _checked_key_hashes(*hashing, first_row=piece.first_row)
    except InputError:
        if text:  # a repeated key: the general reader names its line (rows here are not lines)
            return None
        raise
    frame = count_codes((count_bench, benches), (count_model, models), (count_subset, subsets),
                        (outcome, outcome_names), (rule, rule_names), weights=inputs.weights)
    for note in notes:
        info.note(note)
    if over_wrong:
        info.note(phrase_abstention_note(over_wrong))
    return FastCounts(frame, table.num_rows, keys)


class Labels(NamedTuple):
    """Benchmark, model and subset of every row of a table: codes into their normalised names."""

    bench_codes: np.ndarray
    benches: list[Any]
    model_codes: np.ndarray
    models: list[Any]
    subset_codes: np.ndarray
    subsets: list[Any]


def row_labels(path: Path, table: Any, roles: dict[str, str], options: LoadOptions, notes: list[str]) -> Labels | None:
    """The :class:`Labels` of ``table``'s rows as the general reader names them (flags first, then
    the columns, then the file name, each normalised once per distinct value; a note appended to
    ``notes`` where it says one), or ``None`` where that reader must name a bad record."""
    n = table.num_rows
    # identity: model, benchmark, subset (each normalised once per distinct value)
    if options.model is not None:
        model_codes, models = np.zeros(n, dtype="int64"), [normalise_model(options.model)]
    else:
        if not _is_text(table.schema.field(roles["model"]).type):
            return None  # a non-text model column: the general reader names the record
        model_codes, models = _mapped(table[roles["model"]], lambda v: normalise_model(str(v)), normalise_model(""))
        if "" in models and bool(np.any(model_codes == models.index(""))):
            return None  # a null or blank model name: the general reader names the record
    stem = path.name.split(".")[0]
    if options.benchmark is not None or "benchmark" not in roles:
        pairs_codes = np.zeros(n, dtype="int64")
        pairs = [normalise_benchmark(options.benchmark if options.benchmark is not None else stem)]
        if options.benchmark is None:
            notes.append(f"benchmark <- file name ({stem!r})")
    else:
        pairs_codes, pairs = _mapped(table[roles["benchmark"]], lambda v: normalise_benchmark(str(v)),
                                     normalise_benchmark(""))
    bench_codes, benches = _relabel(pairs_codes, [p[0] for p in pairs])
    if "subset" in roles:
        subset_codes, subsets = _mapped(table[roles["subset"]], str, "")
    else:
        subset_codes, subsets = _relabel(pairs_codes, [p[1] for p in pairs])
    return Labels(bench_codes, benches, model_codes, models, subset_codes, subsets)


def decided(table: Any, columns: Any, labels: Labels, detector: AbstentionDetector, per_row: bool = False) \
        -> tuple[_Inputs, tuple[np.ndarray, list[str], np.ndarray, list[str], int]] | None:
    """The decisive columns of ``table`` and :func:`_decide`'s outcome and rule codes for them,
    or ``None`` for a missing or unknown grade.

    The outcome of a row depends on its decisive columns alone (grade or prediction and gold,
    and the texts an abstention is read from): each distinct combination of them with the row's
    labels is decided once, not each row (:func:`_combinations`); with ``per_row``,
    ``_Inputs.per_row`` takes the decisions back to the rows."""
    roles = columns.roles
    graded = "correct" in roles
    inputs = _combinations(table, roles, graded, [(labels.bench_codes, len(labels.benches)),
                                                   (labels.model_codes, len(labels.models)),
                                                   (labels.subset_codes, len(labels.subsets))], per_row)
    found = _decide(inputs, graded, columns.final_grades, detector)
    return None if found is None else (inputs, found)


class _Inputs:
    """The decisive columns of a table (grade, prediction, gold, response) as codes into each
    column's distinct values (-1: missing), one per row, or one per distinct combination of rows
    (then ``weights`` says how many rows each stands for and ``labels`` holds the benchmark, model
    and subset codes of each combination). The deciding code reads both alike."""

    def __init__(self, table: Any, roles: dict[str, str], coded: dict[str, tuple[np.ndarray, list[Any]]],
                 combined: bool = False, weights: np.ndarray | None = None,
                 labels: list[np.ndarray] | None = None,
                 rows: tuple[np.ndarray, np.ndarray, int] | None = None) -> None:
        self._table, self.roles, self._coded, self._combined = table, roles, coded, combined
        self.weights, self.labels = weights, labels
        self.size = len(weights) if weights is not None else table.num_rows
        self._rows = rows  # (each row's folded code, the codes present in order, their bound)

    def per_row(self, values: np.ndarray) -> np.ndarray:
        """``values`` given per combination (or per row), one per table row: a gather through
        a lookup of the folded codes (at most ``_COMBINATION_LIMIT`` entries), not a search."""
        if self._rows is None:
            return values
        folded, present, bound = self._rows
        position = np.empty(bound, dtype=_small_int(len(present)))
        position[present] = np.arange(len(present))
        return values[position[folded]]

    def coded(self, role: str) -> tuple[np.ndarray, list[Any]]:
        if role not in self._coded:
            self._coded[role] = _codes(self._table[self.roles[role]])
        return self._coded[role]

    def coded_at(self, role: str, idx: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """The codes of rows ``idx`` only: a text column that is not dictionary-encoded has only
        those rows' texts encoded (the few candidates for an abstention among long responses)."""
        import pyarrow as pa

        column = None if self._combined or role in self._coded else self._table[self.roles[role]]
        if column is not None and not pa.types.is_dictionary(column.type):
            return _codes(column.combine_chunks().take(pa.array(idx)))
        codes, values = self.coded(role)
        return codes[idx], values

    def total(self, rows: np.ndarray) -> int:
        """How many table rows the rows (or combinations) ``rows`` (indices) stand for."""
        return len(rows) if self.weights is None else int(self.weights[rows].sum())


#: at most this many possible combinations of labels and decisive values are counted before deciding
_COMBINATION_LIMIT = 1 << 22


def _combinations(table: Any, roles: dict[str, str], graded: bool, labels: list[tuple[np.ndarray, int]],
                  per_row: bool = False) -> _Inputs:
    """The decisive columns of ``table``, per distinct combination with the ``labels`` (benchmark,
    model, subset codes and sizes) when those are few, else per row.

    Why: deciding rows means gathering outcome and rule codes, masking candidates for an
    abstention and folding five code columns to count them: a dozen passes over ten million rows.
    A leaderboard table holds a few thousand combinations of (benchmark, model, subset,
    prediction, gold), so one fold of the codes and one ``bincount`` leave a few thousand weighted
    rows to decide with the very same code. A column of free text (a response that Arrow did not
    read dictionary-encoded) keeps the per-row path, which encodes only the abstention candidates.
    ``per_row``: keep each row's combination, for :meth:`_Inputs.per_row` (an int per row held on).
    """
    import pyarrow as pa

    decisive = ["correct"] if graded else ["prediction", "gold"]
    decisive += [r for r in ("prediction", "response") if r in roles and r not in decisive]
    if "response" in roles and not pa.types.is_dictionary(table[roles["response"]].type):
        return _Inputs(table, roles, {})
    coded = {role: _codes(table[roles[role]]) for role in decisive}
    sizes = [size for _, size in labels] + [len(coded[role][1]) + 1 for role in decisive]
    if float(np.prod(sizes, dtype="float64")) > _COMBINATION_LIMIT:
        return _Inputs(table, roles, coded)
    folded = list(labels)
    for role in decisive:
        codes, values = coded[role]
        if table[roles[role]].null_count:  # a missing value: its column's trailing code
            codes = np.where(codes < 0, len(values), codes)
        folded.append((codes, len(values) + 1))
    combined, total = fold_codes(folded, table.num_rows)
    present, weights = count_folded(combined, total)
    decoded = unfold_codes(present, sizes)
    combos = {}
    for role, codes in zip(decisive, decoded[len(labels):], strict=True):
        values = coded[role][1]
        combos[role] = (np.where(codes == len(values), -1, codes), values)
    return _Inputs(table, roles, combos, combined=True, weights=weights, labels=decoded[:len(labels)],
                   rows=(combined, present, total) if per_row else None)


def _decide(inputs: _Inputs, graded: bool, final_grades: bool, detector: AbstentionDetector) \
        -> tuple[np.ndarray, list[str], np.ndarray, list[str], int] | None:
    """Outcome and rule codes of the rows (or combinations) of ``inputs``, with their names, and
    how many items graded wrong became abstentions by the phrases (the general reader's note), as
    :func:`rescore.outcomes.decide.classify` decides them; ``None`` for a missing or unknown grade."""
    roles = inputs.roles
    n = inputs.size
    outcome_names = list(OUTCOMES)
    if graded:
        # grades: every distinct value must parse (else the general path names the bad line)
        grade_codes, grades = _mapped_codes(*inputs.coded("correct"), parse_grade, None)
        used = [grades[i] for i in np.flatnonzero(np.bincount(grade_codes, minlength=len(grades)))]
        if any(g is None or g not in OUTCOMES for g in used):
            return None
        grades = [g if g is not None else "invalid" for g in grades]  # (unused placeholder, never counted)
        outcome = np.array([outcome_names.index(g) for g in grades], dtype="int64")[grade_codes]
        rule_names: list[str] = [RULE_GRADE]
        rule = np.zeros(n, dtype="int64")
    else:
        outcome, rule, rule_names = _compared_codes(inputs.coded("prediction"), inputs.coded("gold"), outcome_names)

    # abstention text overrides wrong/invalid: prediction if it has text, else the response (else prediction)
    over_wrong = 0  # graded wrong, then an abstention by the phrases (the general reader's note)
    candidates = np.zeros(n, dtype=bool)
    for name in _CANDIDATES:
        candidates |= outcome == outcome_names.index(name)
    if candidates.any() and ("prediction" in roles or "response" in roles):
        idx = np.flatnonzero(candidates)
        reason_codes, reason_names = _abstention_reasons(inputs, idx, detector)
        for k, reason in enumerate(reason_names):
            if reason is None or not (reason_codes == k).any():
                continue
            hit = idx[reason_codes == k]
            if graded and final_grades:  # the scale has "not attempted": its "wrong" stands
                stands = hit[outcome[hit] == outcome_names.index("wrong")]
                if len(stands):
                    kept = RULE_GRADE + RULE_DISAGREES
                    if kept not in rule_names:
                        rule_names.append(kept)
                    rule[stands] = rule_names.index(kept)
                hit = hit[outcome[hit] != outcome_names.index("wrong")]
                if not len(hit):
                    continue
            if reason not in rule_names:
                rule_names.append(reason)
            if graded:
                over_wrong += inputs.total(hit[outcome[hit] == outcome_names.index("wrong")])
            outcome[hit] = outcome_names.index("abstain")
            rule[hit] = rule_names.index(reason)
    return outcome, outcome_names, rule, rule_names, over_wrong


def _is_text(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _compared_codes(pred: tuple[np.ndarray, list[Any]], gold: tuple[np.ndarray, list[Any]],
                    outcome_names: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Outcome and rule codes without a grade column, as :func:`rescore.outcomes.decide.classify`
    decides them: a prediction is compared with the gold (correct or wrong); no prediction is
    ``invalid`` (no grade and no prediction); abstention texts are applied afterwards.
    ``pred`` and ``gold`` are (codes, distinct values), -1 for a missing value."""
    table_codes = _compared_by_pairs(pred, gold, outcome_names)
    if table_codes is not None:
        return (*table_codes, [RULE_COMPARE, RULE_NO_GRADE])
    pred_codes, preds = pred
    gold_codes, golds = gold
    golds = [*golds, None]  # a missing gold (code -1) is the trailing None: it never matches
    gold_codes = np.where(gold_codes < 0, len(golds) - 1, gold_codes)
    has_pred = pred_codes >= 0
    match = match_distinct(np.where(has_pred, pred_codes, 0) if preds else np.zeros_like(pred_codes),
                           preds or [None], gold_codes, golds)
    correct, wrong, invalid = (outcome_names.index(o) for o in ("correct", "wrong", "invalid"))
    outcome = np.where(has_pred, np.where(match, correct, wrong), invalid).astype("int64")
    rule = np.where(has_pred, 0, 1).astype("int64")
    return outcome, rule, [RULE_COMPARE, RULE_NO_GRADE]


#: at most this many (prediction, gold) pairs are decided as one table (a few MB of codes)
_PAIR_LIMIT = 1 << 20


def _compared_by_pairs(pred: tuple[np.ndarray, list[Any]], gold: tuple[np.ndarray, list[Any]],
                       outcome_names: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_compared_codes`'s outcome and rule codes, decided once per distinct (prediction, gold)
    pair of dictionary values, then one gather per row (``None`` when the pairs are too many).

    A column of answers holds a few dozen distinct values, so the pairs number hundreds: deciding
    them all with the same :func:`match_distinct` and indexing the decision by one combined code
    per row replaces the per-row gathers, comparisons and ``where`` chains of the general
    approach (about ten passes over ten million rows) with three.
    A missing prediction is the trailing prediction code (``invalid``, no grade and no
    prediction), a missing gold the trailing gold code (it never matches).
    """
    pred_codes, preds = pred
    gold_codes, golds = gold
    n_pred, n_gold = len(preds) + 1, len(golds) + 1
    if n_pred * n_gold > _PAIR_LIMIT:
        return None
    correct, wrong, invalid = (outcome_names.index(o) for o in ("correct", "wrong", "invalid"))
    outcome_of = np.full(n_pred * n_gold, invalid, dtype=np.int8)  # (last prediction row: no prediction)
    rule_of = np.ones(n_pred * n_gold, dtype=np.int8)  # RULE_NO_GRADE unless compared
    if preds:
        pair_pred = np.repeat(np.arange(len(preds)), n_gold)
        pair_gold = np.tile(np.arange(n_gold), len(preds))
        match = match_distinct(pair_pred, preds, pair_gold, [*golds, None])
        outcome_of[:len(match)] = np.where(match, correct, wrong)
        rule_of[:len(match)] = 0  # RULE_COMPARE
    # a null (code -1) becomes its column's trailing code (a pass only when there are nulls)
    if len(pred_codes) and pred_codes.min() < 0:
        pred_codes = np.where(pred_codes < 0, n_pred - 1, pred_codes)
    if len(gold_codes) and gold_codes.min() < 0:
        gold_codes = np.where(gold_codes < 0, n_gold - 1, gold_codes)
    pair = pred_codes.astype(np.int32, copy=False) * np.int32(n_gold)
    pair += gold_codes
    return outcome_of[pair], rule_of[pair]


def _confidence_note(path: Path, name: str, batch_size: int) -> str | bool | None:
    """The general path's percent note for a confidence column, or ``False`` when a value is bad.

    The general reader judges the scale per batch (``batch_size`` rows, as ``iter_batches`` cuts
    them), so the column is read again in those batches and each is judged alone, as there."""
    import pyarrow.parquet as pq

    piece = split.current()
    groups = None if piece is None else list(piece.row_groups)

    def batches() -> Any:  # each as the general reader's pandas batches hold it (numbers, or text as objects)
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size, columns=[name], row_groups=groups):
            column = batch.column(0)
            if _is_text(column.type) and hasattr(column.type, "value_type"):
                column = column.dictionary_decode()
            yield column.to_pandas()

    return batches_confidence_note(batches(), path, name)


def batches_confidence_note(batches: Any, path: Path, name: str) -> str | bool | None:
    """The note the general reader gives a confidence column it judges batch by batch (each of
    ``batches``, pandas Series, alone): the first one said, ``None``, or ``False`` when some batch
    holds a bad value (every batch is judged, as that reader would reach each)."""
    from rescore.outcomes.confidence import normalise_confidence

    first = None
    try:
        for values in batches:
            _, note = normalise_confidence(values, path=str(path), column=name)
            first = first or note
    except InputError:
        return False
    return first


def _confidence_in_range(column: Any) -> bool:
    """True when a confidence column holds only values in [0, 1] (or missing ones): numbers, or
    texts that parse to them without a percent sign.

    Then every batch the general reader judges alone passes :func:`normalise_confidence` as it
    is: no value to refuse, none above 1 to read as a percentage, no note. One vectorised pass
    settles the usual column; anything else (text, values out of range) is judged batch by batch
    as the general reader judges it, instead of a hundred pandas batches for every file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from rescore.outcomes.confidence import plain_probabilities

    if _is_text(column.type):  # numbers as text (CSV): each distinct text parsed once, as the general reader parses it
        return plain_probabilities(pc.unique(column).to_pylist())  # (a dictionary column: its values)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        return False
    return in_unit_interval(confidence_values(column))


def confidence_values(column: Any) -> np.ndarray:
    """A numeric Arrow column as float64, a null as NaN, as the general reader's pandas batches
    hold it (the item path keeps this array: converting 10M values twice cost 40 ms)."""
    import pyarrow as pa

    values = column.to_numpy() if isinstance(column, pa.ChunkedArray) else column.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype="float64")


def in_unit_interval(values: np.ndarray) -> bool:
    """No value below 0 or above 1; NaN compares False (a missing confidence is allowed), an
    infinity is out."""
    return not bool(np.any((values < 0) | (values > 1)))


def ids_typed_as_batches(kind: Any) -> bool:
    """Whether item ids of Arrow type ``kind`` are what the general reader's pandas batches make of
    them, whatever the batch: text, or whole numbers (int64). JSON ids of mixed or float type are
    typed per batch by pandas and per file by Arrow, so the columnar paths leave them to it."""
    import pyarrow as pa

    return _is_text(kind) or pa.types.is_int64(kind)


def _encode_ids(ids: Any) -> tuple[np.ndarray | None, int, int]:
    """The item ids hashed into codes by Arrow: ``(codes, distinct ids, rows)``.

    Arrow's hashing runs without the GIL, so :func:`_count_table` starts it on a thread while it
    decides the outcomes (the second core's share of one big file, issue 18 point 2). The chunks
    are hashed where they lie (:func:`rescore.read.schema.dictionary_codes`): joining 10M strings
    into one array first copied them (a quarter of a second). (Hashing two halves on two threads and merging their
    dictionaries was measured too: no faster on two cores, slower on one.)"""
    import pyarrow as pa

    chunks = [chunk for chunk in (ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids]) if len(chunk)]
    chunks = [chunk.dictionary_decode() if pa.types.is_dictionary(chunk.type) else chunk for chunk in chunks]
    n = sum(len(chunk) for chunk in chunks)
    if n < 2:
        return None, n, n
    codes, dictionary = dictionary_codes(pa.chunked_array(chunks))
    return codes, len(dictionary), n


def _keys_distinct(encoded_ids: tuple[Any, int, int], label_codes: list[np.ndarray]) -> bool:
    """True when no (labels..., item id) key repeats. ``False`` when one does (then the keys are
    hashed and checked as the general path does, which names the repeat).

    ``encoded_ids`` (:func:`_encode_ids`): as many distinct ids as rows settles it. Otherwise
    (every model of a table answering the same items) the id codes and the label codes go to
    :func:`rescore.read.schema.codes_repeat`, the item table's own check, which folds them into one
    integer per row and marks them in a bitmap: cheaper than sorting the id strings themselves.
    The column that changes least often from row to row is folded outermost (:func:`slowest_first`).
    """
    indices, span, n = encoded_ids
    if span == n:
        return True
    columns = [(indices, span)]
    columns += [(codes, int(codes.max()) + 1 if len(codes) else 1) for codes in label_codes]
    return not codes_repeat(slowest_first(columns), n)


def _checked_key_hashes(path: Path, ids: Any, bench_codes: np.ndarray, benches: list[Any], model_codes: np.ndarray,
                        models: list[Any], subset_codes: np.ndarray, subsets: list[Any], batch_size: int,
                        check: bool = True, first_row: int = 0) -> np.ndarray:
    """Key hashes exactly as the general path makes them; raises on a duplicate key, naming it as
    the general path does (it checks batch by batch: the count is of the first failing batch).
    ``check=False``: the keys are known distinct, only sort the hashes. ``first_row``: the rows'
    offset in the whole file (a piece of a split file)."""
    import pyarrow as pa

    item_codes, item_ids = _codes(ids)
    if not pa.types.is_string(ids.type):
        item_ids = [str(v) for v in item_ids]  # as the general path's astype("string")
    n = len(item_codes)
    hashes = combine_key_hashes([(bench_codes, benches), (model_codes, models), (np.zeros(n, dtype="int64"), [""]),
                                 (subset_codes, subsets), (item_codes, item_ids)], np.zeros(n, dtype="int64"))
    if not check:
        return np.sort(hashes)
    counter = FileCounter(str(path))
    rows = _LazyRows(benches, bench_codes, models, model_codes, item_ids, item_codes)
    for start in range(0, n, batch_size):
        counter.check_keys(hashes[start:start + batch_size], rows.from_row(start, first_row))
    return counter.keys()


class _LazyRows:
    """Just enough of a DataFrame for :meth:`FileCounter.check_keys` to describe a duplicate row:
    ``iloc[position]`` (a row as a dict) and ``[LINE].iloc[position]`` (its row number in the
    file, as the general reader numbers Parquet rows), from row ``first`` on."""

    def __init__(self, benches: list[str], bench_codes: np.ndarray, models: list[str], model_codes: np.ndarray,
                 item_ids: list[str], item_codes: np.ndarray, first: int = 0, offset: int = 0) -> None:
        self._cols = {"benchmark": (benches, bench_codes), "model": (models, model_codes),
                      "item_id": (item_ids, item_codes)}
        self._first = first
        self._offset = offset  # rows of the file before these (a piece of a split file)
        self.iloc = self

    def from_row(self, first: int, offset: int = 0) -> _LazyRows:
        (benches, bench_codes), (models, model_codes), (item_ids, item_codes) = self._cols.values()
        return _LazyRows(benches, bench_codes, models, model_codes, item_ids, item_codes, first, offset)

    def __contains__(self, name: str) -> bool:
        return name == LINE

    def __getitem__(self, key: int | str) -> Any:
        if key == LINE:
            return _RowNumbers(self._offset + self._first)
        return {name: values[codes[self._first + key]] for name, (values, codes) in self._cols.items()}


class _RowNumbers:
    """``rows[LINE].iloc[position]``: the row's record number in the file (from 1)."""

    def __init__(self, first: int) -> None:
        self._first = first
        self.iloc = self

    def __getitem__(self, position: int) -> int:
        return self._first + position + 1  # record numbers from 1, as the general reader's


def _relabel(codes: np.ndarray, labels: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes into the distinct labels (several codes may share a label)."""
    distinct = list(dict.fromkeys(labels))
    remap = np.array([distinct.index(label) for label in labels], dtype=_small_int(len(distinct)))
    if len(distinct) == len(labels) and bool(np.all(remap == np.arange(len(labels)))):
        return codes, distinct  # nothing merged: the codes already are the answer (no 10M-row gather)
    return remap[codes], distinct


def _abstention_reasons(inputs: _Inputs, idx: np.ndarray,
                        detector: AbstentionDetector) -> tuple[np.ndarray, list[str | None]]:
    """Per candidate row (or combination), a code into the reasons (0 = None) of ``detector.reason`` on its text.

    The text is evaluated once per distinct value, as :func:`rescore.outcomes.decide.classify` chooses it.
    """
    roles = inputs.roles
    n = len(idx)
    pred_codes, preds = inputs.coded_at("prediction", idx) if "prediction" in roles \
        else (np.full(n, -1, dtype="int64"), [])
    pred_has_text = np.array([isinstance(p, str) and p.strip() != "" for p in preds] + [False], dtype=bool)
    resp_codes, resps = inputs.coded_at("response", idx) if "response" in roles \
        else (np.full(n, -1, dtype="int64"), [])
    names: list[str | None] = [None]

    def code(reason: str | None) -> int:
        if reason not in names:
            names.append(reason)
        return names.index(reason)

    pred_reason = np.array([code(detector.reason(_as_text(p))) for p in preds] + [0], dtype="int64")
    resp_reason = np.array([code(detector.reason(_as_text(r))) for r in resps] + [0], dtype="int64")
    use_pred = pred_has_text[pred_codes]
    use_resp = ~use_pred & (resp_codes >= 0)
    # prediction text if any, else the response if any, else the (blank or missing) prediction
    chosen = np.where(use_resp, resp_reason[resp_codes], pred_reason[pred_codes])
    return chosen, names


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return " | ".join(map(str, value))
    return str(value)


def _roles_supported(columns: Any, options: LoadOptions) -> bool:
    """The column roles the Arrow counting supports: per-item rows with a model and an item id,
    graded or with text prediction and gold, no attempt/cluster/instructed-t/count columns."""
    roles = columns.roles
    if columns.counts_only or any(r in roles for r in _UNSUPPORTED_ROLES) or options.instructed_t is not None:
        return False
    if ("model" not in roles and options.model is None) or "item_id" not in roles:
        return False
    return "correct" in roles or ("prediction" in roles and "gold" in roles)
