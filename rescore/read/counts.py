"""Counts mode: reduce each file to outcome counts as it is read, instead of keeping item rows.

Every leaderboard number is a function of outcome counts per (benchmark, model), and the
clustered standard error of counts per cluster, so a leaderboard over ten million items does
not need ten million rows in memory. With ``LoadOptions(need_items=False)`` each batch an
adapter yields is classified as usual and then reduced to

    benchmark, model, subset, run, cluster, outcome, rule -> count

(``cluster`` is ``"c:<value>"`` from a cluster column, ``"i:<subset>\\x1f<item_id>"`` when a
file repeats attempts, else NA). Memory is bounded by the number of distinct keys, not items.

The checks that the item table gets (:func:`rescore.read.schema.validate`) still hold here: unknown
outcomes and confidences outside [0, 1] are refused per batch, and duplicate (model,
benchmark, subset, item_id, attempt) keys are caught with 64-bit hashes of the keys: within a
file batch by batch (naming the line), and across files that share a (benchmark, model, run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import InputError
from rescore.read.options import ITEMS_AUTO_ROWS
from rescore.read.remote import arrow_source, as_path
from rescore.read.schema import OUTCOMES
from rescore.read.split import sampled_lines
from rescore.read.tables import located

KEYS: tuple[str, ...] = ("benchmark", "model", "subset", "run", "cluster")
COLUMNS: tuple[str, ...] = (*KEYS, "outcome", "rule", "count")
_MERGE_EVERY = 8


def empty_item_counts() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="string") for c in (*KEYS, "outcome", "rule")})
    frame["count"] = pd.Series(dtype="int64")
    return frame


class RestartWithItemClusters(Exception):
    """Raised when a file turns out to repeat attempts after batches were reduced without item keys."""


def key_hashes(batch: pd.DataFrame) -> np.ndarray:
    """64-bit hashes of (benchmark, model, run, subset, item_id, attempt), the same for every reader.

    Missing columns take their canonical defaults (run and subset "", attempt 0); each string
    column is hashed per distinct text, so files read by different paths compare equal.
    """
    parts = []
    for name in ("benchmark", "model", "run", "subset", "item_id"):
        if name in batch:
            codes, uniques = pd.factorize(batch[name].astype("string").fillna(""))
            parts.append((codes, uniques.to_numpy(dtype=object)))
        else:
            parts.append((np.zeros(len(batch), dtype="int64"), np.array([""], dtype=object)))
    attempt = pd.to_numeric(batch["attempt"], errors="coerce").fillna(0) if "attempt" in batch else None
    attempts = np.zeros(len(batch), dtype="int64") if attempt is None else attempt.to_numpy(dtype="int64")
    return combine_key_hashes(parts, attempts)


def combine_key_hashes(parts: list[tuple[np.ndarray, np.ndarray]], attempts: np.ndarray) -> np.ndarray:
    """Combine per-column (codes, distinct texts) into one uint64 hash per row (see :func:`key_hashes`)."""
    combined = np.zeros(len(attempts), dtype="uint64")
    for codes, uniques in parts:
        hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), categorize=False)[codes]  # already distinct
        combined = (combined * np.uint64(1_000_003)) ^ hashed
    return (combined * np.uint64(1_000_003)) ^ pd.util.hash_array(np.asarray(attempts, dtype="int64"))


def _line_of(batch: pd.DataFrame, position: int) -> int | None:
    if "_line" in batch:
        try:
            return int(batch["_line"].iloc[position])
        except (TypeError, ValueError):
            return None
    return None


def _where(source: str, batch: pd.DataFrame, position: int) -> dict[str, Any]:
    """The row's place for an :class:`InputError`: its line in a text file, its record number in
    a JSON document or Parquet file, else (a reader that numbers no rows) its item id."""
    number = _line_of(batch, position)
    if number is not None:
        return located(source, number)
    item_id = batch.iloc[position].get("item_id")
    return {"record": None if item_id is None else str(item_id)}


@dataclass
class FileCounter:
    """Accumulates one file's reduced counts and key hashes, batch by batch."""

    source: str
    item_clusters: bool = False
    rows: int = 0
    parts: list[pd.DataFrame] = field(default_factory=list)
    _seen: list[np.ndarray] = field(default_factory=list)
    _first_attempt: Any = None

    def add(self, batch: pd.DataFrame) -> None:
        """Validate one classified batch, check its keys, and keep only its counts."""
        if batch.empty:
            return
        self._validate(batch)
        self._check_duplicates(batch)
        attempts = batch.get("attempt")
        if attempts is not None and not self.item_clusters:
            values = pd.to_numeric(attempts, errors="coerce")
            if self._first_attempt is None:
                self._first_attempt = values.iloc[0]
            if bool((values != self._first_attempt).any()):
                if self.parts:
                    raise RestartWithItemClusters(self.source)
                self.item_clusters = True
        self.parts.append(reduce_batch(batch, self.item_clusters))
        self.rows += len(batch)
        if len(self.parts) >= 64:
            self.parts = [merge(self.parts)]

    def _validate(self, batch: pd.DataFrame) -> None:
        outcome = batch["outcome"]
        bad = ~outcome.isin(OUTCOMES).fillna(False).astype(bool)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{int(bad.sum())} row(s) with unknown outcome {outcome.iloc[pos]!r}; expected one of "
                             f"{list(OUTCOMES)}", path=self.source, **_where(self.source, batch, pos), field="outcome")
        if "confidence" in batch:
            conf = pd.to_numeric(batch["confidence"], errors="coerce")
            bad_conf = conf.notna() & ((conf < 0) | (conf > 1))
            if bad_conf.any():
                pos = int(np.flatnonzero(bad_conf.to_numpy())[0])
                raise InputError(f"{int(bad_conf.sum())} confidence value(s) outside [0, 1] (first: "
                                 f"{conf.iloc[pos]!r})", path=self.source, **_where(self.source, batch, pos),
                                 field="confidence")

    def _check_duplicates(self, batch: pd.DataFrame) -> None:
        if "item_id" not in batch:
            return
        self.check_keys(key_hashes(batch), batch)

    def check_keys(self, hashes: np.ndarray, batch: pd.DataFrame) -> None:
        """Refuse a key seen earlier in this file (or twice in ``batch``), naming the later row."""
        order = np.sort(hashes)
        dup_mask = pd.Series(hashes).duplicated(keep="first").to_numpy().copy()  # later copies are the error
        for seen in self._seen:
            pos = np.searchsorted(seen, hashes)
            pos[pos >= len(seen)] = 0
            dup_mask |= seen[pos] == hashes
        if dup_mask.any():
            first = int(np.flatnonzero(dup_mask)[0])
            row = batch.iloc[first]
            raise InputError(
                f"{int(dup_mask.sum())} row(s) repeat an earlier (model, benchmark, subset, item_id, attempt) key "
                f"(first: model={row.get('model')} benchmark={row.get('benchmark')} item_id={row.get('item_id')} "
                f"attempt={row.get('attempt', 0)})",
                path=self.source, **_where(self.source, batch, first), field="item_id")
        self._seen.append(order)
        if len(self._seen) > _MERGE_EVERY:
            self._seen = [np.sort(np.concatenate(self._seen))]

    def keys(self) -> np.ndarray:
        """All key hashes seen in this file (sorted), for the cross-file duplicate check."""
        if not self._seen:
            return np.empty(0, dtype="uint64")
        if len(self._seen) > 1:
            self._seen = [np.sort(np.concatenate(self._seen))]
        return self._seen[0]

    def result(self) -> pd.DataFrame:
        return merge(self.parts) if self.parts else empty_item_counts()


def reduce_batch(batch: pd.DataFrame, item_clusters: bool = False) -> pd.DataFrame:
    """Counts per (benchmark, model, subset, run, cluster, outcome, rule) for one classified batch.

    Columns that are constant in the batch (model, benchmark, run: almost always) are left out
    of the group-by and put back as scalars, which makes the reduction a cheap value count.
    """
    n = len(batch)
    frame = pd.DataFrame(index=batch.index)
    for name in ("benchmark", "model", "run", "outcome", "rule"):
        frame[name] = batch[name].astype("string") if name in batch else pd.Series(pd.NA, index=batch.index,
                                                                                     dtype="string")
    subset = batch["subset"].astype("string").fillna("") if "subset" in batch else pd.Series("", index=batch.index,
                                                                                              dtype="string")
    frame["subset"] = subset
    if "cluster" in batch and batch["cluster"].notna().any():
        frame["cluster"] = "c:" + batch["cluster"].astype("string").fillna(batch["item_id"].astype("string"))
    elif item_clusters and "item_id" in batch:
        frame["cluster"] = "i:" + subset + "\x1f" + batch["item_id"].astype("string")
    else:
        frame["cluster"] = pd.Series(pd.NA, index=batch.index, dtype="string")
    constant: dict[str, Any] = {}
    varying: list[str] = []
    for name in (*KEYS, "outcome", "rule"):
        column = frame[name]
        first = column.iloc[0]
        same = column.isna().all() if first is pd.NA else bool((column == first).fillna(False).all())
        if same and n:
            constant[name] = first
        else:
            varying.append(name)
    if varying:
        counts = frame.groupby(varying, dropna=False, sort=False, observed=True).size().rename("count").reset_index()
    else:
        counts = pd.DataFrame({"count": [n]})
    for name, value in constant.items():
        counts[name] = pd.Series([value] * len(counts), dtype="string")
    counts["count"] = counts["count"].astype("int64")
    return counts[list(COLUMNS)].astype({c: "string" for c in COLUMNS if c != "count"})


def merge(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum counts over equal keys (keeps first-seen order, so results are deterministic)."""
    frames = [p for p in parts if len(p)]
    if not frames:
        return empty_item_counts()
    table = pd.concat(frames, ignore_index=True)
    if len(frames) == 1:
        return table
    keys = [*KEYS, "outcome", "rule"]
    return table.groupby(keys, dropna=False, sort=False, observed=True)["count"].sum().reset_index()


def _keys_of(result: Any) -> np.ndarray | None:
    keys = result.item_keys
    if _is_deferred(keys):
        keys = result.item_keys = keys.compute()
    return keys


def _is_deferred(keys: Any) -> bool:
    """Key hashes left for later (:class:`rescore.read.per_file.DeferredKeys`): anything with ``compute``."""
    return keys is not None and not isinstance(keys, np.ndarray) and hasattr(keys, "compute")


def check_cross_file_duplicates(results: list[Any],
                                compute_keys: Callable[[list[Any]], list[np.ndarray]] | None = None) -> None:
    """Refuse two files that hold the same item of the same (benchmark, model, run) twice.

    Only files whose (benchmark, model, run) groups overlap are compared, so the usual case
    (one file per model and task) costs nothing. ``compute_keys`` computes the overlapping
    files' deferred hashes in one batch elsewhere (the Dask engine: on the workers, which see
    the files); without it they are computed here.
    """
    owners: dict[tuple[Any, ...], list[int]] = {}
    for i, result in enumerate(results):
        table = result.item_counts
        if table is None or table.empty:
            continue
        for key in set(map(tuple, table[["benchmark", "model", "run"]].astype(object).to_numpy().tolist())):
            owners.setdefault(key, []).append(i)
    shared = sorted({tuple(files) for files in owners.values() if len(files) > 1})
    if compute_keys is not None:
        waiting = sorted({i for files in shared for i in files if _is_deferred(results[i].item_keys)})
        if waiting:
            hashes = compute_keys([results[i].item_keys for i in waiting])
            for i, keys in zip(waiting, hashes, strict=True):
                results[i].item_keys = keys
    for files in shared:
        seen = _keys_of(results[files[0]])
        for j in files[1:]:
            other = _keys_of(results[j])
            if seen is None or other is None:
                continue
            both = np.intersect1d(seen, other, assume_unique=True)
            if len(both):
                raise InputError(
                    f"{len(both)} item key(s) (model, benchmark, subset, item_id, attempt) also appear in "
                    f"{results[files[0]].info.path}; the same items were read twice (a copied file? give --latest, "
                    "or pass one of them)", path=results[j].info.path, field="item_id")
            seen = np.union1d(seen, other)


def group_outcome_counts(item_counts: pd.DataFrame, by: tuple[str, ...] = ("benchmark", "model")) -> pd.DataFrame:
    """``n_correct`` ... ``n_invalid`` per group, like :func:`rescore.score.leaderboard.count_outcomes` on items."""
    by = list(by)
    if item_counts.empty:
        return pd.DataFrame(columns=[*by, *(f"n_{o}" for o in OUTCOMES)])
    table = item_counts.pivot_table(index=by, columns="outcome", values="count", aggfunc="sum", fill_value=0,
                                    observed=True)
    for outcome in OUTCOMES:
        if outcome not in table.columns:
            table[outcome] = 0
    table = table[list(OUTCOMES)].astype("int64")
    table.columns = [f"n_{o}" for o in OUTCOMES]
    table.columns.name = None
    return table.reset_index()


def rule_counts(item_counts: pd.DataFrame) -> pd.DataFrame:
    """How many items each rule decided (the same table as on items, for ``--explain``)."""
    if item_counts.empty:
        return pd.DataFrame(columns=["benchmark", "model", "outcome", "rule", "count"])
    return (
        item_counts.groupby(["benchmark", "model", "outcome", "rule"], dropna=False, observed=True)["count"].sum()
        .reset_index()
        .sort_values(["benchmark", "model", "outcome", "rule"], kind="stable")
        .reset_index(drop=True)
    )


def cluster_labels(item_counts: pd.DataFrame, mode: str) -> tuple[pd.DataFrame | None, str]:
    """Rows expanded to one row per cluster label for clustered SEs, and the method name.

    ``auto`` clusters by the cluster column when any file had one, else by item when any file
    repeated attempts, else not at all (plain CLT), as on the item table. Rows without a
    label in a clustered data set are single items (singleton clusters), expanded here.
    """
    labels = item_counts["cluster"]
    has_column = bool(labels.str.startswith("c:").fillna(False).any())
    has_items = bool(labels.str.startswith("i:").fillna(False).any())
    if mode == "none" or not (has_column or has_items):
        return None, "clt"
    method = "clustered:column" if has_column else "clustered:item"
    missing = labels.isna()
    if missing.any():
        singles = item_counts[missing]
        expanded = singles.loc[singles.index.repeat(singles["count"].to_numpy())].copy()
        expanded["cluster"] = [f"s:{i}" for i in range(len(expanded))]
        expanded["count"] = 1
        item_counts = pd.concat([item_counts[~missing], expanded], ignore_index=True)
    return item_counts, method


def cluster_outcome_counts(item_counts: pd.DataFrame) -> pd.DataFrame:
    """Outcome counts per (benchmark, model, cluster), the input of the clustered SE."""
    return group_outcome_counts(item_counts, ("benchmark", "model", "cluster"))


#: bytes per item assumed when a file's lines cannot be sampled (a JSON document, a remote file)
TEXT_BYTES_PER_ITEM = 250


def estimate_items(paths: list[Any]) -> int:
    """A cheap estimate of the item count: Parquet metadata, the lines of a text table, else bytes / 250."""
    total = 0
    for path in paths:
        path = as_path(path)
        if path.suffix.lower() in (".parquet", ".pq"):
            try:
                import pyarrow.parquet as pq

                total += pq.ParquetFile(arrow_source(path, exact=True)).metadata.num_rows
                continue
            except Exception:  # unreadable: the reader will say why; estimate by size meanwhile
                pass
        try:
            size = path.stat().st_size
        except (OSError, InputError):
            continue
        sampled = sampled_lines(path, size)
        total += sampled if sampled is not None else size // TEXT_BYTES_PER_ITEM
    return total


def resolve_need_items(options: Any, paths: list[Any]) -> tuple[Any, str | None]:
    """Decide ``need_items=None``: item rows for ordinary inputs, counts mode for very large ones."""
    estimate = estimate_items(paths)
    large = estimate > ITEMS_AUTO_ROWS
    note = (f"counts mode: about {estimate:,} items in the input, so item rows were not kept (memory stays "
            "bounded); per-item features (paired tie tests, --cluster item/column, confidence policies) need "
            "them: ask for one explicitly to keep them") if large else None
    return replace(options, need_items=not large), note


# Outcome counts from integer codes: the last step every counts-mode fast path shares.
#
# A fast path (:mod:`rescore.adapters.generic.fast` for graded Parquet, :mod:`rescore.adapters.lm_eval.fast`
# for lm-eval samples) decides each *distinct* label once and keeps, per row, small integer
# codes into the label lists. Counting then is arithmetic: the codes of the key columns are
# combined into one integer per row and counted with ``np.bincount`` (or ``np.unique`` when the
# combinations are too many for a dense count), which is what makes ten million rows cheap.

#: above this many possible key combinations a dense bincount would waste memory: sort instead
_DENSE_LIMIT = 1 << 22

Coded = tuple[np.ndarray, Sequence[Any]]


def fold_codes(columns: Sequence[tuple[np.ndarray, int]], n: int) -> tuple[np.ndarray, int]:
    """One integer per row for the combination of ``columns`` (``(codes, size)`` each, codes in
    ``[0, size)``), the first column most significant, and the number of possible combinations.

    Why this shape: the fold is the hot loop of counting (two passes over the rows per column), so
    it runs in place and skips a column of one value, whose codes are all 0. It is folded in the
    integer ``np.bincount`` counts in (a dense count of few combinations would otherwise copy the
    rows into it first), else, for a sort, in int32 when every combination fits (half the bytes).
    """
    total = int(np.prod([max(int(size), 1) for _, size in columns], dtype="float64"))
    dtype = np.intp if total <= _DENSE_LIMIT or total >= 1 << 31 else np.int32
    combined: np.ndarray | None = None
    for codes, size in columns:
        size = max(int(size), 1)
        if combined is None:
            combined = np.asarray(codes).astype(dtype)  # always a fresh array, folded in place below
        elif size > 1:
            combined *= dtype(size)
            combined += codes
    return (combined if combined is not None else np.zeros(n, dtype=dtype)), total


def unfold_codes(combined: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Each column's codes back from folded combinations (:func:`fold_codes`' inverse for the same
    ``sizes``), first column first."""
    columns = []
    for size in reversed(sizes):
        size = max(int(size), 1)
        columns.append(combined % size)
        combined = combined // size
    return columns[::-1]


def count_folded(combined: np.ndarray, total: int, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The combinations present in ``combined`` (sorted) and how many rows (or how much
    ``weights``) each has: a dense ``np.bincount`` when the combinations are few, a sort otherwise."""
    if total <= _DENSE_LIMIT:
        dense = np.bincount(combined, weights=weights, minlength=total)
        uniques = np.flatnonzero(dense)
        counts = dense[uniques]
    elif weights is None:
        uniques, counts = np.unique(combined, return_counts=True)
    else:
        uniques, inverse = np.unique(combined, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=weights)
    if counts.dtype.kind == "f":  # weighted: whole numbers, exact as float64 far beyond any row count
        counts = np.rint(counts)
    return uniques.astype("int64"), counts.astype("int64")


def category_combinations(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame | None:
    """How many rows of ``frame`` hold each combination of its ``category`` ``columns`` present,
    as ``groupby(columns, dropna=False, observed=True).size()`` gives it, sorted as
    ``sort_values(columns)`` sorts it (by category order, a missing value last); the columns stay
    categories, the sizes are ``count``. ``None`` when a column is not a category.

    Why: an item table holds its labels as categories (:func:`rescore.read.schema.compact`), so
    their codes fold into one integer per row and ``np.bincount`` counts them
    (:func:`fold_codes`, :func:`count_folded`): at 10M items 0.05-0.1 s, where pandas' grouping
    and cross-tabulation of the same columns took 0.75-1.7 s each.
    """
    if not all(isinstance(frame[name].dtype, pd.CategoricalDtype) for name in columns):
        return None
    parts: list[tuple[np.ndarray, int]] = []
    for name in columns:
        codes = frame[name].cat.codes.to_numpy()
        size = len(frame[name].cat.categories)
        if (codes < 0).any():  # a missing value: its own code, after every category (sorted last)
            codes = np.where(codes < 0, size, codes)
        parts.append((codes, size + 1))
    combined, total = fold_codes(parts, len(frame))
    uniques, sizes = count_folded(combined, total)
    out = {}
    for name, codes in zip(columns, unfold_codes(uniques, [size for _, size in parts]), strict=True):
        dtype = frame[name].dtype
        out[name] = pd.Categorical.from_codes(np.where(codes == len(dtype.categories), -1, codes), dtype=dtype)
    table = pd.DataFrame(out)
    table["count"] = sizes
    return table


def count_codes(benchmark: Coded, model: Coded, subset: Coded, outcome: Coded, rule: Coded,
                run: Any = pd.NA, weights: np.ndarray | None = None) -> pd.DataFrame:
    """Counts per (benchmark, model, subset, outcome, rule), in :data:`rescore.read.counts.COLUMNS` layout.

    Each argument is ``(codes, labels)``: one code per row into ``labels``. ``run`` is the one
    run label of the file (NA when the producer has none); ``cluster`` is NA (fast paths apply
    only to single-attempt inputs without a cluster column). ``weights``: how many items each
    row stands for (a fast path that counted distinct combinations first), else one each.
    """
    parts = [benchmark, model, subset, outcome, rule]
    dims = [max(len(labels), 1) for _, labels in parts]
    combined, total = fold_codes([(codes, size) for (codes, _), size in zip(parts, dims, strict=True)],
                                 len(benchmark[0]))
    uniques, counts = count_folded(combined, total, weights)
    b_code, m_code, s_code, o_code, r_code = unfold_codes(uniques, dims)
    labels = [labels for _, labels in parts]

    def column(values: list[Any]) -> Any:
        return pd.array(values, dtype="string")

    return pd.DataFrame({
        "benchmark": column([labels[0][i] for i in b_code]),
        "model": column([labels[1][i] for i in m_code]),
        "subset": column([labels[2][i] for i in s_code]),
        "run": column([run] * len(counts)),
        "cluster": column([pd.NA] * len(counts)),
        "outcome": column([labels[3][i] for i in o_code]),
        "rule": column([labels[4][i] for i in r_code]),
        "count": np.asarray(counts, dtype="int64"),
    }, columns=list(COLUMNS))
