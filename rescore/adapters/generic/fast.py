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
with a model and a grade column, every grade parseable, no attempt, cluster, confidence or
instructed-t column, no mapping to counts. Anything else returns ``None`` and the general
path reads the file (and reports any error exactly as it always does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rescore.adapters.base import FastCounts, SourceInfo
from rescore.outcomes.abstention import AbstentionDetector
from rescore.outcomes.decide import RULE_GRADE, parse_grade
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.counts import FileCounter, combine_key_hashes, count_codes
from rescore.read.options import LoadOptions
from rescore.read.schema import OUTCOMES
from rescore.read.tables import LINE

_CANDIDATES = ("wrong", "invalid")  # the outcomes an abstention text may override (outcomes.classify step 3)
_UNSUPPORTED_ROLES = ("attempt", "cluster", "confidence", "instructed_t", "n_correct", "n_wrong")


def _codes(array: Any) -> tuple[np.ndarray, list[Any]]:
    """Dictionary codes (nulls -> -1) and the dictionary values as Python objects.

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
    codes = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False).astype("int64")
    return codes, array.dictionary.to_pylist()


def _mapped(array: Any, fn: Any, null_value: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes into the list of distinct ``fn(value)`` results (null -> ``null_value``)."""
    codes, values = _codes(array)
    results = [fn(v) for v in values] + [null_value]
    distinct = list(dict.fromkeys(results))
    remap = np.array([distinct.index(r) for r in results], dtype="int64")
    return remap[codes], distinct  # codes of -1 pick the trailing null entry


def count_generic_parquet(path: Path, options: LoadOptions, detector: AbstentionDetector,
                          info: SourceInfo) -> FastCounts | None:
    """The counts of a graded generic Parquet file (its notes go to ``info``), or ``None`` (the
    general path reads it). ``keys`` is ``None`` when every item id was unique (see
    :class:`rescore.read.per_file.DeferredKeys`), else the sorted key hashes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rescore.adapters.generic.columns import GRADE_SAMPLE, ColumnMap

    if path.suffix.lower() not in (".parquet", ".pq") or options.mapping or options.format_hint not in (None,
                                                                                                         "generic"):
        return None
    head_rows = min(GRADE_SAMPLE, options.batch_size)
    try:
        handle = pq.ParquetFile(path)
        names = list(handle.schema_arrow.names)
        # only the grade candidates' values are looked at (the rest go by name): read just those
        head = next(handle.iter_batches(batch_size=head_rows, columns=ColumnMap.read_by_value(names) or names[:1]),
                    None)
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
    if head_rows < options.batch_size and head.num_rows == head_rows and not columns.judged_on_whole_samples(first):
        return None
    roles = columns.roles
    if columns.counts_only or "correct" not in roles or any(r in roles for r in _UNSUPPORTED_ROLES) \
            or ("model" not in roles and options.model is None) or options.instructed_t is not None:
        return None
    if "item_id" not in roles:
        return None
    wanted = [roles[r] for r in ("model", "benchmark", "subset", "item_id", "correct", "prediction", "response")
              if r in roles]
    # label columns come as Parquet wrote them, dictionary-encoded (each distinct text read once);
    # item ids are nearly all distinct, so a dictionary would only cost a hash per row
    strings = {f.name for f in handle.schema_arrow if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
    as_dictionary = [c for c in dict.fromkeys(wanted) if c in strings and c != roles["item_id"]]
    try:
        table = pq.read_table(path, columns=list(dict.fromkeys(wanted)), read_dictionary=as_dictionary)
    except (pa.ArrowException, OSError):
        return None
    n = table.num_rows
    notes = list(columns.notes)

    # identity: model, benchmark, subset (each normalised once per distinct value)
    if options.model is not None:
        model_codes, models = np.zeros(n, dtype="int64"), [normalise_model(options.model)]
    else:
        model_type = table.schema.field(roles["model"]).type
        if pa.types.is_dictionary(model_type):
            model_type = model_type.value_type
        if not (pa.types.is_string(model_type) or pa.types.is_large_string(model_type)):
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

    # grades: every distinct value must parse (else the general path names the bad line)
    grade_codes, grades = _mapped(table[roles["correct"]], parse_grade, None)
    used = [grades[i] for i in np.flatnonzero(np.bincount(grade_codes, minlength=len(grades)))]
    if any(g is None or g not in OUTCOMES for g in used):  # a missing or unknown grade: the general path decides
        return None
    grades = [g if g is not None else "invalid" for g in grades]  # (unused placeholder, never counted)
    outcome_names = list(OUTCOMES)
    outcome = np.array([outcome_names.index(g) for g in grades], dtype="int64")[grade_codes]
    rule_names = [RULE_GRADE]
    rule = np.zeros(n, dtype="int64")

    # abstention text overrides wrong/invalid: prediction if it has text, else the response (else prediction)
    candidates = np.zeros(n, dtype=bool)
    for name in _CANDIDATES:
        candidates |= outcome == outcome_names.index(name)
    if candidates.any() and ("prediction" in roles or "response" in roles):
        idx = np.flatnonzero(candidates)
        reason_codes, reason_names = _abstention_reasons(table, roles, idx, detector)
        for k, reason in enumerate(reason_names):
            if reason is None or not (reason_codes == k).any():
                continue
            hit = idx[reason_codes == k]
            if reason not in rule_names:
                rule_names.append(reason)
            outcome[hit] = outcome_names.index("abstain")
            rule[hit] = rule_names.index(reason)

    # duplicate keys: unique item ids rule them out; otherwise hash the keys as the general path does
    ids = table[roles["item_id"]]
    if ids.null_count:
        return None  # a missing id: the general path says where
    keys = None if _all_distinct(ids) else _checked_key_hashes(path, ids, bench_codes, benches, model_codes, models,
                                                               subset_codes, subsets, options.batch_size)
    frame = count_codes((bench_codes, benches), (model_codes, models), (subset_codes, subsets),
                        (outcome, outcome_names), (rule, rule_names))
    for note in notes:
        info.note(note)
    return FastCounts(frame, n, keys)


def _all_distinct(ids: Any) -> bool:
    """True when no item id repeats (one sort in Arrow; no Python object per row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if len(ids) < 2:
        return True
    ordered = ids.take(pc.sort_indices(ids))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py()


def _checked_key_hashes(path: Path, ids: Any, bench_codes: np.ndarray, benches: list[Any], model_codes: np.ndarray,
                        models: list[Any], subset_codes: np.ndarray, subsets: list[Any], batch_size: int) -> np.ndarray:
    """Key hashes exactly as the general path makes them; raises on a duplicate key, naming it as
    the general path does (it checks batch by batch: the count is of the first failing batch)."""
    import pyarrow as pa

    item_codes, item_ids = _codes(ids)
    if not pa.types.is_string(ids.type):
        item_ids = [str(v) for v in item_ids]  # as the general path's astype("string")
    n = len(item_codes)
    hashes = combine_key_hashes([(bench_codes, benches), (model_codes, models), (np.zeros(n, dtype="int64"), [""]),
                                 (subset_codes, subsets), (item_codes, item_ids)], np.zeros(n, dtype="int64"))
    counter = FileCounter(str(path))
    rows = _LazyRows(benches, bench_codes, models, model_codes, item_ids, item_codes)
    for start in range(0, n, batch_size):
        counter.check_keys(hashes[start:start + batch_size], rows.from_row(start))
    return counter.keys()


class _LazyRows:
    """Just enough of a DataFrame for :meth:`FileCounter.check_keys` to describe a duplicate row:
    ``iloc[position]`` (a row as a dict) and ``[LINE].iloc[position]`` (its row number in the
    file, as the general reader numbers Parquet rows), from row ``first`` on."""

    def __init__(self, benches: list[str], bench_codes: np.ndarray, models: list[str], model_codes: np.ndarray,
                 item_ids: list[str], item_codes: np.ndarray, first: int = 0) -> None:
        self._cols = {"benchmark": (benches, bench_codes), "model": (models, model_codes),
                      "item_id": (item_ids, item_codes)}
        self._first = first
        self.iloc = self

    def from_row(self, first: int) -> _LazyRows:
        (benches, bench_codes), (models, model_codes), (item_ids, item_codes) = self._cols.values()
        return _LazyRows(benches, bench_codes, models, model_codes, item_ids, item_codes, first)

    def __contains__(self, name: str) -> bool:
        return name == LINE

    def __getitem__(self, key: int | str) -> Any:
        if key == LINE:
            return _RowNumbers(self._first)
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
    remap = np.array([distinct.index(label) for label in labels], dtype="int64")
    return remap[codes], distinct


def _abstention_reasons(table: Any, roles: dict[str, str], idx: np.ndarray,
                        detector: AbstentionDetector) -> tuple[np.ndarray, list[str | None]]:
    """Per candidate row, a code into the reasons (0 = None) of ``detector.reason`` on its text.

    The text is evaluated once per distinct value, as :func:`rescore.outcomes.decide.classify` chooses it.
    """
    import pyarrow as pa

    n = len(idx)

    def candidates(name: str) -> tuple[np.ndarray, list[Any]]:
        column = table[roles[name]]
        if pa.types.is_dictionary(column.type):  # codes of the whole column are cheap: index them
            codes, values = _codes(column)
            return codes[idx], values
        return _codes(column.combine_chunks().take(pa.array(idx)))  # encode only the candidates' texts

    pred_codes, preds = candidates("prediction") if "prediction" in roles else (np.full(n, -1, dtype="int64"), [])
    pred_has_text = np.array([isinstance(p, str) and p.strip() != "" for p in preds] + [False], dtype=bool)
    resp_codes, resps = candidates("response") if "response" in roles else (np.full(n, -1, dtype="int64"), [])
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
