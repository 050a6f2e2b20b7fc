"""The canonical item table: the one shape every adapter produces and every statistic reads.

One row per (model, benchmark, subset, item_id, attempt). Columns:

=============  ========  =====================================================================
column         type      meaning
=============  ========  =====================================================================
model          string    model name after normalisation (``org/name``)
benchmark      string    benchmark name after normalisation (``mmlu_pro``)
subset         string    category / sub-task; ``""`` when the benchmark has none
item_id        string    the producer's question id (stringified); row number when absent
attempt        int64     repeat index (epochs, repeated samples); 0 when single
outcome        string    one of ``correct wrong abstain partial invalid``
rule           string    what decided the outcome (``explicit grade``, ``abstention phrase``...)
confidence     float64   model's confidence in its answer, in [0, 1]; NaN when unknown
prediction     string    extracted answer (nullable)
response       string    raw model text (nullable; may be dropped to save memory)
gold           string    reference answer (nullable)
run            string    identifies one run (timestamp / log id) so reruns are never merged
source         string    the file the row came from
=============  ========  =====================================================================

Storage: in the table :func:`rescore.load` returns, the columns that repeat a few values over
many rows (:data:`CATEGORY_COLUMNS`) are pandas ``category`` columns (sorted string categories):
at ten million items the file path in ``source`` alone is 0.44 GB as Arrow strings and 10 MB as
codes. Compare them as strings (``==``, ``isin``, ``astype(str)``); to change their values,
``astype("string")`` first.

Outcome semantics: ``invalid`` means the grader or the answer extraction failed. It is never
a free "I don't know": the invalid policy (default *wrong*) decides how it scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import InputError


class Outcome(str, Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    ABSTAIN = "abstain"
    PARTIAL = "partial"
    INVALID = "invalid"


OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)

KEY_COLUMNS: tuple[str, ...] = ("model", "benchmark", "subset", "item_id", "attempt")
GROUP_COLUMNS: tuple[str, ...] = ("benchmark", "model")

ITEM_COLUMNS: dict[str, str] = {
    "model": "string",
    "benchmark": "string",
    "subset": "string",
    "item_id": "string",
    "attempt": "int64",
    "outcome": "string",
    "rule": "string",
    "confidence": "float64",
    "prediction": "string",
    "response": "string",
    "gold": "string",
    "run": "string",
    "source": "string",
}

#: the text columns with few distinct values: held as categories in a loaded table (:func:`compact`)
CATEGORY_COLUMNS: tuple[str, ...] = ("model", "benchmark", "subset", "outcome", "rule", "run", "source")

OPTIONAL_COLUMNS = ("confidence", "prediction", "response", "gold", "rule", "run")

# Extra columns a feature may carry (kept when present, never required).
EXTRA_COLUMNS: dict[str, str] = {
    "cluster": "string",
    "instructed_t": "float64",
    "choice_logliks": "object",
}


def empty_items() -> pd.DataFrame:
    """An empty canonical table with the right dtypes (useful as a concat seed).

    Built once and copied: every file read in counts mode carries one, and building a
    DataFrame column by column costs milliseconds, a copy of an empty one microseconds.
    """
    return _EMPTY_ITEMS.copy()


_EMPTY_ITEMS = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in ITEM_COLUMNS.items()})


def conform(frame: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Return ``frame`` with every canonical column present and cast to its dtype.

    Missing optional columns are filled with nulls; ``subset`` defaults to ``""`` and
    ``attempt`` to 0, so adapters only fill what their producer actually knows.
    """
    out = pd.DataFrame(index=frame.index)
    # a column the producer lacks is built in its dtype at once: a column of Python objects cast
    # afterwards cost 2.8 ms per 50,000 rows each (about 1 s of a 10M-item load), built so 0.3 ms
    fills = {"subset": "", "attempt": 0, "rule": "explicit grade", "source": source}
    for name, dtype in ITEM_COLUMNS.items():
        if name not in frame.columns:
            value = fills.get(name)
            if value is None and dtype == "string":  # Arrow's null array: 60 times faster than NA repeated
                out[name] = pd.Series(pd.array(_nulls(len(frame)), dtype="string"), index=frame.index)
                continue
            missing = np.nan if dtype == "float64" else pd.NA
            out[name] = pd.Series(missing if value is None else value, index=frame.index, dtype=dtype)
            continue
        column = frame[name]
        if dtype == "string":
            if not is_text_category(column):  # categories of text are already what compact() makes
                column = column.astype("string")
        elif dtype == "int64":
            column = pd.to_numeric(column, errors="raise").astype("int64")
        else:
            column = pd.to_numeric(column, errors="coerce").astype("float64")
        out[name] = column
    for name, dtype in EXTRA_COLUMNS.items():
        if name in frame.columns:
            out[name] = frame[name].astype(dtype) if dtype != "object" else frame[name]
    out["subset"] = out["subset"].fillna("")
    return out.reset_index(drop=True)


def _nulls(n: int) -> Any:
    import pyarrow as pa

    return pa.nulls(n, pa.large_string())


def _describe_rows(frame: pd.DataFrame, mask: pd.Series, limit: int = 3) -> str:
    rows = frame.loc[mask]
    parts = []
    for _, row in rows.head(limit).iterrows():
        parts.append(
            f"{row.get('source', '?')}: model={row['model']} benchmark={row['benchmark']} "
            f"item_id={row['item_id']} attempt={row['attempt']}"
        )
    more = len(rows) - limit
    suffix = f" (+{more} more)" if more > 0 else ""
    return "; ".join(parts) + suffix


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the invariants every statistic relies on; raise :class:`InputError` otherwise.

    Unknown outcomes, confidences outside [0, 1] and duplicate keys are data errors: scoring
    them anyway would silently count an item twice or trust a garbage probability.
    """
    missing = [c for c in ITEM_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"canonical table lacks columns {missing}")
    bad_outcome = ~frame["outcome"].isin(OUTCOMES)
    if bad_outcome.any():
        values = sorted(map(str, frame.loc[bad_outcome, "outcome"].unique()))[:5]
        first = frame.loc[bad_outcome].iloc[0]
        raise InputError(
            f"{int(bad_outcome.sum())} row(s) with unknown outcome {values}; expected one of {list(OUTCOMES)}",
            path=str(first["source"]),
            record=str(first["item_id"]),
            field="outcome",
        )
    conf = frame["confidence"]
    bad_conf = conf.notna() & ((conf < 0) | (conf > 1))
    if bad_conf.any():
        first = frame.loc[bad_conf].iloc[0]
        raise InputError(
            f"{int(bad_conf.sum())} confidence value(s) outside [0, 1] (first: {first['confidence']!r})",
            path=str(first["source"]),
            record=str(first["item_id"]),
            field="confidence",
        )
    if not _keys_may_repeat(frame):
        return frame
    dup = frame.duplicated(list(KEY_COLUMNS), keep=False)
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise InputError(
            f"{int(dup.sum())} rows share a (model, benchmark, subset, item_id, attempt) key: "
            + _describe_rows(frame, dup),
            path=str(first["source"]),
            record=str(first["item_id"]),
            field="item_id",
        )
    return frame


def _keys_may_repeat(frame: pd.DataFrame) -> bool:
    """False when no (model, benchmark, subset, item_id, attempt) key repeats.

    ``DataFrame.duplicated`` over the five key columns holds an int64 code array per column, their
    combination and a hash table of every row at once: about 0.7 GB at ten million items, the peak
    of loading an item table. Here each column becomes codes (a missing value is a value of its own,
    as ``duplicated`` treats it) and :func:`codes_repeat` answers; only then does the caller run
    ``duplicated`` to name the rows.
    """
    if len(frame) < 2:
        return False

    def columns() -> Iterator[tuple[np.ndarray, int]]:  # one column's codes at a time
        for column in KEY_COLUMNS:
            codes, labels = key_codes(frame[column])
            yield codes, len(labels)

    return codes_repeat(columns(), len(frame))


def key_codes(column: pd.Series) -> tuple[np.ndarray, Any]:
    """``(codes, labels)``: ``labels[codes[i]]`` is row i's value, equal values share a code and a
    missing value is a value of its own (as ``pd.factorize(use_na_sentinel=False)`` codes them).

    The codes carry no order and ``labels`` may hold values no row has (a category unused): the
    callers (the key check here, ``rescore.score.item_keys``) fold the codes into keys and count or
    renumber them, so only equality matters. A ``category`` gives its own codes, an integer column
    its offsets from its minimum (when their span is at most one per row), without hashing;
    anything else is factorised.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return _category_codes(column)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "i" and len(column):
        values = column.to_numpy()
        low, high = int(values.min()), int(values.max())
        if high - low < len(values):
            return values.astype("int64") - low, np.arange(low, high + 1)
    return pd.factorize(column, use_na_sentinel=False)


def _category_codes(column: pd.Series) -> tuple[np.ndarray, Any]:
    """A category's codes, a missing value (code -1) given the code after the last category."""
    codes = column.cat.codes.to_numpy()
    labels = column.cat.categories
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(labels), codes)
        labels = pd.Index([*labels, None], dtype=object)
    return codes, labels


#: :func:`codes_repeat` marks keys in a bitmap when the key space is at most this many times the rows
BITMAP_ROWS = 8


#: :func:`fold_key` renumbers its key before a product would reach this (far inside int64)
FOLD_LIMIT = 1 << 62


def fold_key(columns: Iterable[tuple[np.ndarray, int]]) -> tuple[np.ndarray | None, int]:
    """One int64 code per row for each row's combination of codes, and the bound they lie below:
    ``columns`` gives ``(codes, size)`` per column, codes in ``[0, size)``, the first column most
    significant. Equal codes, equal combinations; the codes carry no order beyond that.

    The columns are folded one at a time (a copy of the first one that has several values, then
    in place), and the key is renumbered (``pd.factorize``: at most one value per row) whenever the
    next product would reach :data:`FOLD_LIMIT`, so no table overflows it. ``(None, 1)`` when every
    column holds a single value (every row has the one combination). The duplicate-key check and
    the paired statistics' item keys both fold this way.
    """
    key: np.ndarray | None = None
    span = 1  # the key's codes are below span
    for codes, size in columns:
        size = max(int(size), 1)
        if key is not None and span * size >= FOLD_LIMIT:  # renumber the key first
            key, seen = pd.factorize(key)
            span = max(len(seen), 1)
        if size > 1 and key is None:
            key = np.asarray(codes).astype("int64")
        elif size > 1:
            key *= size
            key += codes
        span *= size
    return key, span


def codes_repeat(columns: Iterable[tuple[np.ndarray, int]], n: int) -> bool:
    """True when some row's combination of codes repeats; ``columns`` gives ``(codes, size)`` per
    key column, codes in ``[0, size)`` for each of the ``n`` rows.

    The one duplicate-key check of the item table (:func:`validate`) and of the counts-mode fast
    path (``adapters/generic/fast.py``): the columns are folded into one int64 code per row
    (:func:`fold_key`), and the codes are marked in a bitmap of the key space (a byte per possible
    key, renumbered first when that space is over :data:`BITMAP_ROWS` times the rows). No hash
    table of the keys themselves, no sort.
    """
    if n < 2:
        return False
    key, span = fold_key(columns)
    if key is None:
        return True  # every column holds one value: n >= 2 rows share the one key
    if span > BITMAP_ROWS * n:
        key, seen = pd.factorize(key)
        span = max(len(seen), 1)
    marked = np.zeros(span, dtype=bool)
    marked[key] = True
    return int(np.count_nonzero(marked)) < n


#: how many leading rows :func:`slowest_first` looks at to judge how often each column changes
ORDER_SAMPLE_ROWS = 1 << 16


def slowest_first(columns: list[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, int]]:
    """``columns`` for :func:`codes_repeat`, the one whose code changes least often from row to
    row first (stable among equals).

    Why: :func:`codes_repeat` folds the first column into the most significant part of each row's
    key, and marks the keys in a bitmap. With the slowest-changing column outermost, consecutive
    rows mark nearby bytes: a table written model after model (ids running inside each model)
    marks one model's stretch of the bitmap at a time, where folding the ids outermost strides
    across the whole bitmap once per model. On 10M rows (50 models x 200,000 ids) that was 0.26 s
    against 0.05 s in a fresh process, on the thread that decides a big file's run time. The answer
    does not depend on the order (each order maps the code combinations one-to-one onto keys).
    Judged on the first :data:`ORDER_SAMPLE_ROWS` rows: a table keeps its layout down the file.
    """

    def changes(codes: np.ndarray) -> int:
        head = np.asarray(codes[:ORDER_SAMPLE_ROWS])
        return int(np.count_nonzero(head[1:] != head[:-1]))

    return sorted(columns, key=lambda column: changes(column[0]))


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its :data:`CATEGORY_COLUMNS` as ``category`` columns (in place; returned).

    Why: an item table repeats the same few texts on every row (its file's path, its model, one of
    five outcomes, a rule), and Arrow strings store each row's copy: at ten million items those
    seven columns were 1.4 GB of a 1.9 GB table, and every statistic that grouped by them hashed
    the strings again. As categories they are a byte of codes per row, and grouping reads the
    codes. The categories are sorted, so sorting and grouping order stays that of the strings.
    Done once, on the merged table: categories of different files would not concatenate.
    """
    for name in CATEGORY_COLUMNS:
        if name in frame.columns and isinstance(frame[name].dtype, pd.StringDtype):
            frame[name] = as_category(frame[name])
    return frame


def as_category(series: pd.Series) -> pd.Series:
    """``series.astype("category")`` for a ``string`` column, the strings hashed by Arrow.

    Why: pandas' cast factorizes through its Arrow array and then recodes and sorts in Python-
    facing steps: 0.3-0.5 s per 10M-row column, seven columns per item table (about 2 s of a
    10M-item load). Arrow's ``dictionary_encode`` of the same chunks is 0.1 s; its dictionary is
    then sorted (code point order, as pandas sorts the categories) and the codes renumbered by
    one take. Same categories, codes and dtypes (``tests/test_schema_compact.py``). A column not
    held by Arrow is cast by pandas.
    """
    to_arrow = getattr(series.array, "__arrow_array__", None)
    if to_arrow is None or series.dtype.storage != "pyarrow" or len(series) == 0:
        return series.astype("category")
    indices, dictionary = dictionary_codes(to_arrow())
    return pd.Series(sorted_categorical(indices, dictionary.to_pylist(), series.dtype),
                     index=series.index, name=series.name)


def dictionary_codes(values: Any) -> tuple[np.ndarray, Any]:
    """Arrow's ``dictionary_encode`` of an Arrow array or chunked array (at least one value) as
    one numpy array of codes (-1: missing) and the Arrow dictionary they index.

    The chunks are hashed where they lie (joining them first copied every string) and share one
    memo, so each chunk's codes index the last chunk's dictionary, which is the whole column's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=values.type))
    codes = np.concatenate([(pc.fill_null(chunk.indices, -1) if chunk.null_count else chunk.indices)
                            .to_numpy(zero_copy_only=False) for chunk in encoded.chunks])
    return codes, encoded.chunk(encoded.num_chunks - 1).dictionary


def sorted_categorical(codes: np.ndarray, texts: list[str], dtype: Any = "string",
                       present: Iterable[int] | None = None) -> pd.Categorical:
    """``texts[code]`` per row (code -1: missing) as the categories :func:`compact` makes: the
    texts some row has (``present``, their indices; by default all of them), sorted by code point
    as pandas sorts them, as categories of ``dtype``; the codes renumbered by one take."""
    order = sorted(range(len(texts)) if present is None else present, key=texts.__getitem__)
    rank = np.full(len(texts) + 1, -1, dtype="int32")  # the trailing -1: a missing value stays missing
    rank[order] = np.arange(len(order))
    categories = pd.Index([texts[i] for i in order], dtype=dtype)
    return pd.Categorical.from_codes(rank[codes], dtype=pd.CategoricalDtype(categories))


def without_unused_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each ``category`` column holding only the values left in it (in place;
    returned): rows dropped from a compacted table leave their texts behind as categories, which
    a grouping by the column would list as empty groups and :func:`compact` never makes."""
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].cat.remove_unused_categories()
    return frame


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``category`` column of strings as a ``string`` column again.

    For tables built *from* the item table (counts per group, rule counts): grouping by a
    category column keys the result by categories, and a report must hold the same strings,
    with the same dtype, as before the item table held categories (:func:`compact`).
    """
    cats = [name for name in frame.columns if isinstance(frame[name].dtype, pd.CategoricalDtype)
            and isinstance(frame[name].cat.categories.dtype, pd.StringDtype)]
    if not cats:
        return frame
    return frame.astype({name: frame[name].cat.categories.dtype for name in cats})


def as_string(series: pd.Series) -> pd.Series:
    """``series.astype("string")``; a ``category`` column of strings is decoded by Arrow (one take
    of its categories by code), not through a Python object per row as ``astype`` does (five
    times slower, and a 10M-row object array on the way)."""
    if not (isinstance(series.dtype, pd.CategoricalDtype) and isinstance(series.cat.categories.dtype, pd.StringDtype)):
        return series.astype("string")
    import pyarrow as pa

    codes = series.cat.codes.to_numpy()
    categories = pa.array(series.cat.categories.to_numpy(dtype=object), type=pa.large_string())
    values = categories.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.arrays.ArrowStringArray(values), index=series.index, name=series.name)


def on_values(series: pd.Series, rule: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``rule(as_string(series))``, for a vectorised string ``rule`` (``str.endswith``, ``isin``):
    on a ``category`` column ``rule`` sees each category once (and one missing value) and the
    answers are taken back to the rows, so a 10M-row column is not decoded to ask a yes/no question."""
    if not (isinstance(series.dtype, pd.CategoricalDtype) and isinstance(series.cat.categories.dtype, pd.StringDtype)):
        return rule(series.astype("string"))
    categories = pd.Series(series.cat.categories, dtype="string")
    answers = rule(pd.concat([categories, pd.Series([pd.NA], dtype="string")], ignore_index=True))
    codes = series.cat.codes.to_numpy().astype("int64")
    codes[codes < 0] = len(categories)  # a missing value: the trailing NA
    out = answers.take(codes)
    out.index = series.index
    return out.rename(series.name)


def is_text_category(column: pd.Series) -> bool:
    """Whether ``column`` is a ``category`` column of ``string`` categories (as :func:`compact` makes)."""
    return isinstance(column.dtype, pd.CategoricalDtype) and isinstance(column.cat.categories.dtype, pd.StringDtype)


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``frames`` in order, in one table.

    A column that is a category in some frames (a columnar reader makes its labels categories at
    once) is concatenated as categories only where every frame holds the very same categories;
    otherwise its categories become strings again (pandas would make Python objects of them) and
    :func:`compact` makes the merged column's categories."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_items()
    if len(frames) > 1:
        for name in frames[0].columns:
            dtypes = {f[name].dtype for f in frames if name in f.columns}
            if len(dtypes) > 1 and any(isinstance(d, pd.CategoricalDtype) for d in dtypes):
                frames = [f.assign(**{name: as_string(f[name])}) if name in f.columns and is_text_category(f[name])
                          else f for f in frames]
    return pd.concat(frames, ignore_index=True)
