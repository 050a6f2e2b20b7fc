"""Group items by (benchmark, model), score at every threshold, and rank with uncertainty.

The leaderboard is a pair of tidy tables: ``groups`` (one row per benchmark x model: counts,
rates, break-even target) and ``rows`` (one row per benchmark x model x threshold: score,
interval, rank, rank change from t = 0, and overlap marks). Both are plain DataFrames so a
notebook can keep going where the CLI stops; :meth:`Leaderboard.to_dict` is the JSON schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rescore.errors import UsageError
from rescore.read import counts as counting
from rescore.read import schema
from rescore.read.assemble import Dataset, skipped_summary
from rescore.read.per_file import COUNT_COLUMNS
from rescore.read.schema import OUTCOMES, on_values, plain_strings
from rescore.score.clusters import CLUSTER_CHOICES, cluster_series
from rescore.score.intervals import (
    clt_se,
    clustered_group_intervals,
    counts_interval,
    f_score_interval,
    method_name,
    wilson,
)
from rescore.score.item_keys import ItemKeys
from rescore.score.item_scores import UNSCORED_RULES
from rescore.score.jsonable import json_value, records
from rescore.score.rule import FORMULA, Policy, apply_policy, check_thresholds, penalty, score, summary_metrics
from rescore.version import __version__

SCHEMA_VERSION = 1
# UNSCORED_RULES (issue 16.5) lives in item_scores, shared with compare / calibration / selective
UNSCORED_COLUMNS = ["benchmark", "model", "n", "reason"]
ROW_COLUMNS = ["benchmark", "model", "t", "penalty", "n", "score", "se", "ci_low", "ci_high", "rank", "rank_t0",
               "rank_change", "overlaps_above", "overlaps_below", "tied_with_first"]


def count_outcomes(items: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Raw outcome counts (``n_correct`` ... ``n_invalid``) per group."""
    if items.empty:
        return pd.DataFrame(columns=[*by, *COUNT_COLUMNS])
    sizes = counting.category_combinations(items, [*by, "outcome"])
    if sizes is not None:  # category columns (the item table's): codes counted, not cross-tabulated
        sizes = sizes.dropna()  # as the cross-tabulation, which leaves out a row missing a key
        if sizes.empty:
            return pd.DataFrame(columns=[*by, *COUNT_COLUMNS])
        return plain_strings(counting.group_outcome_counts(sizes, tuple(by)))
    table = pd.crosstab([items[c] for c in by], items["outcome"])
    for outcome in OUTCOMES:
        if outcome not in table.columns:
            table[outcome] = 0
    table = table[list(OUTCOMES)].astype("int64")
    table.columns = [f"n_{o}" for o in OUTCOMES]
    return plain_strings(table.reset_index())


def rule_counts(items: pd.DataFrame) -> pd.DataFrame:
    """How many items each rule decided, per (benchmark, model, outcome, rule): for ``--explain``."""
    if items.empty:
        return pd.DataFrame(columns=["benchmark", "model", "outcome", "rule", "count"])
    sizes = counting.category_combinations(items, ["benchmark", "model", "outcome", "rule"])
    if sizes is not None:  # category columns (the item table's): codes counted, in the same order
        return plain_strings(sizes)
    return plain_strings(
        items.groupby(["benchmark", "model", "outcome", "rule"], dropna=False, observed=True)
        .size()
        .rename("count")
        .reset_index()
        .sort_values(["benchmark", "model", "outcome", "rule"], kind="stable")
        .reset_index(drop=True)
    )


@dataclass
class Leaderboard:
    groups: pd.DataFrame
    rows: pd.DataFrame
    thresholds: list[float]
    policy: Policy
    level: float
    se_method: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    explain: pd.DataFrame | None = None
    # how the tie marks were set: paired tests where item rows exist (rescore/compare.py), else interval overlap
    tie_method: str = "interval overlap"
    # --policy calibrated|both: calibrated-abstention scores beside the as-submitted ones (rescore/policy.py)
    policy_rows: pd.DataFrame | None = None
    policy_omitted: pd.DataFrame | None = None
    # issue 16.4: unequal coverage said on stderr (the CLI prints them), and --common-items' alignment
    warnings: list[str] = field(default_factory=list)
    common_items: dict[str, Any] | None = None
    # runs without a single grade: not scored, not ranked, no marks (benchmark, model, n, reason)
    unscored: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNSCORED_COLUMNS))
    # items whose producer verdict stood although the abstention phrases disagree (--explain lists them)
    disagreements: pd.DataFrame | None = None
    # issue 16.7: the files of a model's runs shown apart ("model [run]"), which no source lists by that name
    run_sources: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # issue 20: per (benchmark, model) cluster counts (C, W, A) behind clustered intervals, so an
    # interval can be recomputed at any t (the HTML slider) by the method the board used
    cluster_counts: dict[tuple[str, str], pd.DataFrame] | None = field(default=None, repr=False)

    def intervals_at(self, benchmark: str, model: str, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of one model's S(t) at every t in ``ts`` by the board's own method and level.

        The rows hold the listed targets only; the HTML slider re-scores at any t and must show
        the interval the tables would (issue 20: not a normal one, never ``±0`` for 3 of 3 right).
        """
        low, high = self.intervals_grid(benchmark, [model], ts)
        return low[0], high[0]

    def intervals_grid(self, benchmark: str, models: list[str], ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of shape (models, ts): :meth:`intervals_at` for many models at once.

        The groups without clusters share one vectorised call per method (every element is its
        own inversion, so the numbers are those of one call per model): the slider of a
        100-model board needs 100 x 100 intervals.
        """
        ts = np.asarray(ts, dtype="float64")
        credit = self.policy.idk_credit
        groups = self.groups[self.groups["benchmark"] == benchmark].set_index("model")
        low, high = np.full((len(models), len(ts)), np.nan), np.full((len(models), len(ts)), np.nan)
        plain_rows: dict[str, list[int]] = {}
        for i, model in enumerate(models):
            g = groups.loc[model]
            method = str(g["se_method"]).split(" ")[0].split("+")[-1]
            frame = (self.cluster_counts or {}).get((benchmark, model))
            if "+" in str(g["se_method"]) and frame is not None and bool(g["per_item"]):
                _, low[i], high[i] = clustered_group_intervals(method, frame, ts, credit, self.level)
                continue
            # a group the clusters did not cover took the independent-items form of the same choice
            plain_rows.setdefault({"score-deff": "score", "lr-deff": "lr", "cr2-t": "t"}.get(method, method),
                                  []).append(i)
        for plain, rows in plain_rows.items():
            chosen = groups.loc[[models[i] for i in rows]]
            c, w, a = (np.repeat(chosen[k].to_numpy(dtype="float64"), len(ts)) for k in ("C", "W", "A"))
            lo, hi = counts_interval(plain, c, w, a, np.tile(ts, len(rows)), credit, self.level)
            low[rows], high[rows] = lo.reshape(len(rows), len(ts)), hi.reshape(len(rows), len(ts))
        return low, high

    def tie_phrase(self) -> str:
        """What the ≈ mark means for this board (footers of the terminal and Markdown tables)."""
        if self.tie_method.startswith("paired"):
            from rescore.score.compare import NO_SHARED_PHRASE

            unpaired = f"; {NO_SHARED_PHRASE}" if NO_SHARED_PHRASE in self.tie_method else ""
            return f"not significantly different from the rank above (paired test, Holm){unpaired}"
        return "interval overlaps the rank above"

    def policy_touched(self) -> dict[str, int]:
        return {
            "partial": int(self.groups["n_partial"].sum()),
            "invalid": int(self.groups["n_invalid"].sum()),
            "dropped": int(self.groups["dropped"].sum()),
        }

    def _repr_html_(self) -> str:
        """The board in a notebook: one row per model, ``S(t) [interval]`` per threshold."""
        wide = self.wide()
        table = wide[["benchmark", "model", "n"]].copy()
        for t in self.thresholds:
            table[f"t={t:g}"] = [f"{s:.3f} [{lo:.3f}, {hi:.3f}]" if pd.notna(lo) else f"{s:.3f}"
                                 for s, lo, hi in zip(wide[f"score@{t:g}"], wide[f"ci_low@{t:g}"],
                                                      wide[f"ci_high@{t:g}"], strict=True)]
        caption = (f"<p><b>rescore leaderboard</b>: S(t) [{self.level:.0%} interval, {self.se_method}] "
                   f"per threshold t; wrong answers cost t/(1-t), abstentions 0</p>")
        return caption + table.to_html(index=False, escape=True)

    def provenance(self) -> dict[str, Any]:
        return {
            "rescore_version": __version__,
            "formula": FORMULA,
            "thresholds": [{"t": t, "penalty": json_value(penalty(t))} for t in self.thresholds],
            "policy": self.policy.describe(),
            "policy_counts": self.policy_touched(),
            "interval": {"method": self.se_method, "level": self.level, "kind": interval_kind(self.se_method)},
            # stated, not implied: the leaderboard neither resamples nor aligns items across models
            "resampling": {"method": "none", "resamples": 0, "seed": None},
            "alignment": self.common_items or {"method": "none (each model is scored on all of its own items)" + (
                "; the ≈ marks test pairs on their shared (benchmark, subset, item_id, attempt)"
                if self.tie_method.startswith("paired") else ""), "items_dropped": 0},
            "ties": self.tie_method,
            "sources": self.sources,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            **({"skipped_kinds": skipped_summary(self.skipped)} if self.skipped else {}),
            "notes": list(self.notes),
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (schema ``rescore.leaderboard``, see README "JSON output")."""
        return {
            "schema": "rescore.leaderboard",
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance(),
            "groups": records(self.groups),
            "rows": records(self.rows),
            **({"policy_rows": records(self.policy_rows), "policy_omitted": records(self.policy_omitted)}
               if self.policy_rows is not None and self.policy_omitted is not None else {}),
            **({"unscored": records(self.unscored)} if not self.unscored.empty else {}),
        }

    def wide(self) -> pd.DataFrame:
        """One row per (benchmark, model) with a score column per threshold, in rank order at the
        first threshold (as the terminal, Markdown and HTML tables are)."""
        base = self.groups[["benchmark", "model", "n", "coverage", "accuracy", "error_rate", "abstention_rate",
                            "accuracy_on_attempted", "break_even_t", "f_score"]]
        parts = [base.set_index(["benchmark", "model"])]
        for t in self.thresholds:
            sub = self.rows[self.rows["t"] == t].set_index(["benchmark", "model"])
            tag = _t_label(t)
            parts.append(sub[["score", "ci_low", "ci_high", "rank", "rank_change"]].add_suffix(f"@{tag}"))
        wide = pd.concat(parts, axis=1).reset_index()
        first = _t_label(self.thresholds[0])  # rank at the first target: the order of every rendering
        return wide.sort_values(["benchmark", f"rank@{first}", "model"], kind="stable").reset_index(drop=True)


def interval_kind(se_method: str) -> str:
    """What an interval method is, in words (provenance and footers; docs/intervals.md)."""
    from rescore.score.intervals import METHOD_WORDS

    method = se_method.split("+")[-1].split(" ")[0]
    return METHOD_WORDS.get(method, method)


def _t_label(t: float) -> str:
    return f"{t:g}"


def _nothing_to_score(data: Dataset) -> Exception:
    """The input error for a dataset with no item and no count (every file skipped, or empty)."""
    from rescore.errors import InputError

    if not data.skipped:
        read = [s.path for s in data.sources]
        if read:  # name the file(s) read, so the user knows which one holds nothing
            return InputError(f"nothing to score: no graded items in {read[0]}"
                              + (f" nor in the {len(read) - 1} other file(s) read" if len(read) > 1 else ""))
        return InputError("nothing to score: the input holds no graded items")
    path, reason = data.skipped[0]
    first = f"(first: {path}: {reason})"
    if not data.sources:
        return InputError(f"nothing to score: all {len(data.skipped)} input file(s) were skipped {first}")
    return InputError(f"nothing to score: the files read hold no graded items and {len(data.skipped)} were "
                      f"skipped {first}")


def group_counts(data: Dataset) -> pd.DataFrame:
    """Raw counts per (benchmark, model) from items and counts-only aggregates together."""
    frames = []
    if data.has_items:
        per_item = count_outcomes(data.items, ["benchmark", "model"])
        per_item["per_item"] = True
        frames.append(per_item)
    elif not data.item_counts.empty:  # counts mode (rescore/counting.py): same counts, no item rows
        per_item = counting.group_outcome_counts(data.item_counts)
        per_item["per_item"] = True
        frames.append(per_item)
    if not data.counts.empty:
        agg = data.counts.groupby(["benchmark", "model"], as_index=False)[list(COUNT_COLUMNS)].sum()
        empty = agg[list(COUNT_COLUMNS)].sum(axis=1) <= 0
        if empty.any():  # n = 0 has no score: refused, never ranked (issue 20)
            from rescore.errors import InputError

            first = agg[empty].iloc[0]
            rows = data.counts[(data.counts["benchmark"] == first["benchmark"])
                               & (data.counts["model"] == first["model"])]
            source = str(rows["source"].iloc[0]) if "source" in rows and len(rows) else "counts-only input"
            raise InputError(f"{source}: counts-only row for {first['model']} on {first['benchmark']}: "
                             f"n_correct + n_wrong + n_abstain + n_partial + n_invalid is 0 (nothing to score)")
        agg["per_item"] = False
        frames.append(agg)
    if not frames:
        raise _nothing_to_score(data)
    counts = pd.concat(frames, ignore_index=True)
    dup = counts.duplicated(["benchmark", "model"], keep=False)
    if dup.any():
        first = counts[dup].iloc[0]
        from rescore.errors import InputError

        raise InputError(f"{first['model']} on {first['benchmark']} has both per-item rows and counts-only "
                         "aggregates; pass one or the other")
    return counts


COVERAGE_TOLERANCE = 1e-9
PARTIAL_MARK = "†"  # beside a model scored on part of its benchmark's items (terminal, Markdown, HTML)
_ITEM_KEY = ["subset", "item_id"]


def coverage(data: Dataset, groups: pd.DataFrame, keys: ItemKeys | None = None) -> pd.Series:
    """Per group: the share of its benchmark's items (the union over the benchmark's models) it has.

    With item rows the items are the distinct (subset, item_id); in counts mode, which keeps no
    item ids, it is the group's item rows over the largest group's of that benchmark (the union
    is at least that large, so a model below 1 is surely partial). Counts-only aggregates: NaN.
    ``keys``: the items' key codes when the caller has them (:class:`ItemKeys` of ``data.items``).
    """
    out = pd.Series(np.nan, index=groups.index, dtype="float64")
    per_item = groups["per_item"].to_numpy(dtype=bool)
    models_per_benchmark = groups.loc[per_item, "benchmark"].value_counts()
    if (models_per_benchmark <= 1).all():  # nothing to compare with: each model has all of its benchmark
        out[:] = np.where(per_item, 1.0, np.nan)
    elif data.has_items:
        mine, union = distinct_items(data.items, keys)
        values = [mine.get((b, m), np.nan) / union.get(b, np.nan)
                  for b, m in zip(groups["benchmark"], groups["model"], strict=True)]
        out[:] = np.where(per_item, values, np.nan)
    elif per_item.any():
        n = groups["n"].where(per_item)
        out[:] = (n / n.groupby(groups["benchmark"]).transform("max")).to_numpy()
    return out


def distinct_items(items: pd.DataFrame, keys: ItemKeys | None = None
                   ) -> tuple[dict[tuple[Any, Any], int], dict[Any, int]]:
    """How many distinct items (``subset``, ``item_id``) each (benchmark, model) has, and each
    benchmark over all of its models (the union), as ``drop_duplicates`` counts them (a missing
    value is a value of its own; a missing benchmark or model names no group).

    Why codes: the two ``drop_duplicates`` over every item row took 3.3 s at 10M items. Here each
    column is coded once (:class:`ItemKeys`: a category by its codes, the item ids hashed, or
    taken from ``keys``, which the paired tie marks share) and the (group, item) combinations are
    marked in a bitmap, one row of it per group, when that is at most ``schema.BITMAP_ROWS`` bytes a
    row (else sorted out with ``np.unique``): about 0.6 s, most of it hashing the item ids.
    """
    n = len(items)
    keys = keys if keys is not None else ItemKeys(items)
    codes: dict[str, np.ndarray] = {}
    names: dict[str, Any] = {}
    for column in ("benchmark", "model", *_ITEM_KEY):
        codes[column], names[column] = keys.codes(items, column)
    item, n_keys = schema.fold_key([(codes[c], len(names[c])) for c in _ITEM_KEY])
    if item is None:
        item = np.zeros(n, dtype="int64")
    if n_keys > n:  # renumbered so every product below stays under n * n (int64 for any table)
        item, seen = pd.factorize(item)
        n_keys = max(len(seen), 1)
    n_models = max(len(names["model"]), 1)
    n_groups = max(len(names["benchmark"]), 1) * n_models
    group = codes["benchmark"].astype("int64") * n_models + codes["model"]
    if n_groups * n_keys <= schema.BITMAP_ROWS * n:
        marked = np.zeros(n_groups * n_keys, dtype=bool)
        marked[group * n_keys + item] = True
        grid = marked.reshape(-1, n_models, n_keys)
        per_group = grid.sum(axis=2).ravel()
        per_benchmark = grid.any(axis=1).sum(axis=1)
    else:
        per_group = np.bincount(np.unique(group * n_keys + item) // n_keys, minlength=n_groups)
        per_benchmark = np.bincount(np.unique(codes["benchmark"].astype("int64") * n_keys + item) // n_keys,
                                    minlength=n_groups // n_models)

    def named(values: Any, code: int) -> Any:
        value = values[code]
        return None if pd.isna(value) else value

    mine = {}
    for g in np.flatnonzero(per_group):
        benchmark, model = named(names["benchmark"], g // n_models), named(names["model"], g % n_models)
        if benchmark is not None and model is not None:
            mine[(benchmark, model)] = int(per_group[g])
    union = {named(names["benchmark"], b): int(per_benchmark[b]) for b in np.flatnonzero(per_benchmark)}
    union.pop(None, None)
    return mine, union


def coverage_warnings(groups: pd.DataFrame, union: dict[str, int] | None = None) -> list[str]:
    """One warning per benchmark whose models were scored on different item sets, naming them."""
    lines: list[str] = []
    if not (groups["coverage"] < 1 - COVERAGE_TOLERANCE).any():  # the usual board: no groupby to find nothing
        return lines
    for benchmark, part in groups.groupby("benchmark", sort=True):
        partial = part[part["coverage"] < 1 - COVERAGE_TOLERANCE]
        if partial.empty:
            continue
        named = [f"{m} ({c:.0%})" for m, c in zip(partial["model"], partial["coverage"], strict=True)]
        shown = ", ".join(named[:6]) + (f" and {len(named) - 6} more" if len(named) > 6 else "")
        lines.append(f"unequal coverage on {benchmark}: {shown} of the benchmark's items; their scores are on "
                     "other items than the rest (coverage column; --common-items scores every model on the items "
                     "all of them have)")
    return lines


def common_items_only(data: Dataset) -> tuple[Dataset, dict[str, Any], list[str]]:
    """``--common-items``: keep, per benchmark, the items every model of it has (item mode).

    Returns the narrowed dataset, the provenance ``alignment`` and a note per benchmark saying
    how many items that leaves.
    """
    from dataclasses import replace

    from rescore.errors import InputError

    if not data.has_items:
        raise UsageError("--common-items needs item rows (counts-only aggregates keep no item ids)")
    items = data.items
    keys = items[["benchmark", "model", *_ITEM_KEY]].drop_duplicates()
    models = keys.groupby("benchmark")["model"].nunique()
    holders = keys.groupby(["benchmark", *_ITEM_KEY], sort=False)["model"].nunique().reset_index(name="holders")
    holders["everyone"] = holders["holders"].to_numpy() == models.reindex(holders["benchmark"]).to_numpy()
    shared = holders.loc[holders["everyone"], ["benchmark", *_ITEM_KEY]]
    kept = items.merge(shared, on=["benchmark", *_ITEM_KEY], how="inner", sort=False)
    notes = []
    for benchmark, n_models in models.items():
        union = int((holders["benchmark"] == benchmark).sum())
        common = int((shared["benchmark"] == benchmark).sum())
        left = "" if common else "; the benchmark is left out"
        notes.append(f"--common-items: {benchmark} scored on the {common} item(s) all {n_models} model(s) have "
                     f"(of {union} in the union){left}")
    if not data.counts.empty:
        notes.append("--common-items: counts-only aggregates keep no item ids and are scored on all their items")
    dropped = len(items) - len(kept)
    if kept.empty and data.counts.empty:
        raise InputError("nothing to score: no benchmark has an item that all of its models have (--common-items)")
    alignment = {"method": "intersection (--common-items): each benchmark's models are scored on the items all "
                           "of them have", "items_dropped": int(dropped)}
    return replace(data, items=kept.reset_index(drop=True)), alignment, notes
def disagreements(data: Dataset) -> pd.DataFrame | None:
    """The items whose producer verdict stood against the abstention phrases (rule ``...; abstention
    phrase disagrees``): benchmark, model, item_id, outcome, rule. None without item rows."""
    if not data.has_items:
        return None
    from rescore.outcomes.decide import RULE_DISAGREES

    hit = on_values(data.items["rule"], lambda v: v.str.endswith(RULE_DISAGREES)).fillna(False).astype(bool)
    columns = ["benchmark", "model", "item_id", "outcome", "rule"]
    return plain_strings(data.items.loc[hit, columns].reset_index(drop=True))


def dataset_rule_counts(data: Dataset) -> pd.DataFrame | None:
    """:func:`rule_counts` of the item rows, or of the counts-mode table; None with neither.

    The board needs the table twice (the unscored runs, and ``--explain``): computed once, as
    it costs a few milliseconds of small pandas operations even on a ten-row board.
    """
    if data.has_items:
        return rule_counts(data.items)
    if not data.item_counts.empty:
        return counting.rule_counts(data.item_counts)
    return None


def split_unscored(rules: pd.DataFrame | None, counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside the (benchmark, model) groups whose every item has no grade at all.

    Such a run (an inspect log written without a scorer; a table with neither grade nor
    prediction) has no score: scoring its items as invalid would print S(0) = 0 and S(0.9) = -9
    with a rank. ``rules`` is :func:`dataset_rule_counts` (None: no item rows, nothing to set
    aside). Returns the scorable counts and the unscored groups with their reason; raises the
    input error (exit 3) when nothing is left.
    """
    if rules is None or rules.empty or not _names_unscored_rule(rules["rule"]):
        return counts, pd.DataFrame(columns=UNSCORED_COLUMNS)
    from rescore.outcomes.decide import RULE_DISAGREES

    # "unscored; abstention phrase disagrees" is still unscored: the phrase note does not grade it
    base = rules["rule"].astype(str).str.removesuffix(RULE_DISAGREES)
    rules = rules.assign(rule=base, _none=base.isin(UNSCORED_RULES))
    found = []
    for (benchmark, model), group in rules.groupby(["benchmark", "model"], sort=True, observed=True):
        if group["_none"].all():
            reasons = [UNSCORED_RULES[str(r)] for r in dict.fromkeys(group["rule"].astype(str))]
            found.append((str(benchmark), str(model), int(group["count"].sum()), "; ".join(reasons)))
    unscored = pd.DataFrame(found, columns=UNSCORED_COLUMNS)
    if unscored.empty:
        return counts, unscored
    key = pd.MultiIndex.from_frame(unscored[["benchmark", "model"]])
    own = pd.MultiIndex.from_arrays([counts["benchmark"].astype(str), counts["model"].astype(str)])
    kept = counts[~own.isin(key) | ~counts["per_item"].astype(bool)].reset_index(drop=True)
    if kept.empty:
        from rescore.errors import InputError

        first = unscored.iloc[0]
        more = f" (and {len(unscored) - 1} more run(s) alike)" if len(unscored) > 1 else ""
        raise InputError(f"nothing is scored: {first['model']} on {first['benchmark']}: {first['reason']}{more}")
    return kept, unscored


def _names_unscored_rule(rules: pd.Series) -> bool:
    """Whether any rule is an unscored one (so some run may be unscored): asked of the few
    distinct rule names, so the usual board skips the per-run loop of :func:`split_unscored`
    (a groupby iteration, a tenth of a millisecond a run)."""
    from rescore.outcomes.decide import RULE_DISAGREES

    return any(str(rule).removesuffix(RULE_DISAGREES) in UNSCORED_RULES for rule in pd.unique(rules))


def build(
    data: Dataset,
    thresholds: list[float] | None = None,
    policy: Policy | None = None,
    *,
    cluster: str = "auto",
    level: float = 0.95,
    confidence_policy: str = "as-is",
    ties: str = "auto",
    interval: str = "auto",
    common_items: bool = False,
) -> Leaderboard:
    """Score and rank every (benchmark, model) at every threshold.

    ``ties``: ``auto``/``paired`` set the tie marks by paired tests where item rows exist,
    ``overlap`` by interval overlap. ``interval``: ``auto`` (the score interval for independent
    items, the clustered default with clusters), ``score``, ``lr``, ``t`` or ``clt``
    (docs/intervals.md). ``confidence_policy`` ``calibrated``/``both`` add the
    calibrated-abstention policy scores (``policy_rows``). ``common_items`` scores every model
    of a benchmark on the items all of them have (:func:`common_items_only`).
    """
    alignment = None
    aligned_notes: list[str] = []
    if common_items:
        data, alignment, aligned_notes = common_items_only(data)
    from rescore.config import default_thresholds

    thresholds = check_thresholds(thresholds if thresholds is not None else default_thresholds())
    if not (0.5 <= level < 1.0):
        raise UsageError(f"confidence level must lie in [0.5, 1), not {level!r}")
    policy = policy or Policy()
    counts = group_counts(data)
    rules = dataset_rule_counts(data)
    counts, unscored = split_unscored(rules, counts)
    groups = apply_policy(counts, policy)
    metrics = summary_metrics(groups["C"], groups["W"], groups["A"], groups["n"], policy.idk_credit)
    for name, values in metrics.items():
        groups[name] = values
    # issue 20: the derived numbers' intervals. Break-even t0 = C/(C+W) is a proportion of the
    # answered items: Wilson (with idk_credit, of (C + credit A) over (C + credit A + W)); the
    # F-score 2C/(2C + 2W + A) a ratio of multinomial means: its profile score interval
    gain = groups["C"].to_numpy(dtype="float64") + policy.idk_credit * groups["A"].to_numpy(dtype="float64")
    groups["break_even_low"], groups["break_even_high"] = wilson(gain, gain + groups["W"].to_numpy(dtype="float64"),
                                                                 level)
    groups["f_score_low"], groups["f_score_high"] = f_score_interval(groups["C"], groups["W"], groups["A"], level)

    clusters, se_method = cluster_series(data.items, cluster) if data.has_items else (None, "clt")
    cluster_counts = None
    raw = None
    if clusters is not None:
        keyed = data.items.assign(_cluster=clusters.to_numpy())
        raw = count_outcomes(keyed, ["benchmark", "model", "_cluster"])
    elif not data.has_items and not data.item_counts.empty:
        raw, se_method = _counted_clusters(data.item_counts, cluster)
    if raw is not None:
        cluster_counts = {key: apply_policy(frame, policy) for key, frame in raw.groupby(["benchmark", "model"])}
        groups["n_clusters"] = [
            len(cluster_counts[(b, m)]) if (b, m) in cluster_counts else 0
            for b, m in zip(groups["benchmark"], groups["model"], strict=True)
        ]
    else:
        groups["n_clusters"] = 0
    plain = method_name(interval, clustered=False)
    se_method = f"{se_method}+{method_name(interval, clustered=True)}" if cluster_counts is not None else plain
    groups["se_method"] = [se_method if p else f"{plain} (counts only)" for p in groups["per_item"]]

    # every (threshold, group) row at once: the scores are elementwise in t, so 99 thresholds
    # cost one pass over arrays, not 99 DataFrames
    all_ts = np.asarray(sorted(set(thresholds) | {0.0}), dtype="float64")
    n_groups = len(groups)
    tiled = np.tile(np.arange(n_groups), len(all_ts))  # row ti * n_groups + gi: group gi at all_ts[ti]
    columns = {name: groups[name].array.take(tiled) for name in ("benchmark", "model", "n", "C", "W", "A")}
    c, w, a, n = (np.asarray(columns[name]) for name in ("C", "W", "A", "n"))
    t = np.repeat(all_ts, n_groups)
    se = clt_se(c, w, a, t, policy.idk_credit)
    # issue 20: the interval method by simulation (benchmarks/coverage.py); undefined is NaN, never [s, s]
    low, high = counts_interval(plain, c, w, a, t, policy.idk_credit, level)
    if cluster_counts is not None:
        clustered = method_name(interval, clustered=True)
        per_item = groups["per_item"].to_numpy(dtype=bool)
        for gi, (b, m) in enumerate(zip(groups["benchmark"], groups["model"], strict=True)):
            if not per_item[gi] or (b, m) not in cluster_counts:
                continue
            rows = gi + n_groups * np.arange(len(all_ts))  # this group's row at every t
            se[rows], low[rows], high[rows] = clustered_group_intervals(
                clustered, cluster_counts[(b, m)], all_ts, policy.idk_credit, level)
    columns.update(t=t, penalty=penalty(t), score=score(c, w, a, n, t, policy.idk_credit), se=se,
                   ci_low=low, ci_high=high)
    table = _rank(groups, all_ts, columns)
    tie_method = "interval overlap"
    if ties not in ("auto", "paired", "overlap"):
        raise UsageError(f"--ties must be auto, paired or overlap, not {ties!r}")
    keys = ItemKeys(data.items) if data.has_items else None  # item ids hashed once, for marks and coverage
    if ties != "overlap" and data.has_items:
        from rescore.score.compare import paired_tie_marks

        items = data.items
        if not unscored.empty:  # an unscored run takes no part in the paired tests either
            gone = pd.MultiIndex.from_frame(unscored[["benchmark", "model"]].astype(str))
            items = items[~pd.MultiIndex.from_arrays([items["benchmark"].astype(str),
                                                      items["model"].astype(str)]).isin(gone)]
        table, tie_method = paired_tie_marks(table, items, policy, cluster=cluster, level=level, keys=keys)
    # the rows stay in board order (benchmark, t, rank, model): the listed targets are a selection of them
    table = table.loc[np.isin(table["t"].to_numpy(), thresholds), ROW_COLUMNS].reset_index(drop=True)

    groups = groups.sort_values(["benchmark", "model"], kind="stable").reset_index(drop=True)
    groups["coverage"] = coverage(data, groups, keys)
    groups = groups[["benchmark", "model", "per_item", "n", "coverage", "n_correct", "n_wrong", "n_abstain",
                     "n_partial", "n_invalid", "dropped", "C", "W", "A", "accuracy", "error_rate", "abstention_rate",
                     "accuracy_on_attempted", "f_score", "break_even_t", "se_method", "n_clusters",
                     "break_even_low", "break_even_high", "f_score_low", "f_score_high"]]
    notes = list(data.notes) + aligned_notes
    notes.extend(f"{m} on {b}: unscored ({reason}); not ranked" for b, m, reason in
                 unscored[["benchmark", "model", "reason"]].itertuples(index=False))
    if (~groups["per_item"]).any():
        notes.append("per-item data unavailable for: " + ", ".join(
            f"{m} on {b}" for b, m in groups.loc[~groups["per_item"], ["benchmark", "model"]].itertuples(index=False)
        ) + " (scores and standard errors from counts only)")
    policy_rows = policy_omitted = None
    from rescore.score.policies import board_policy, check_mode

    if check_mode(confidence_policy) != "as-is":
        policy_rows, policy_omitted, policy_notes = board_policy(data, thresholds, policy, level, interval)
        notes.extend(policy_notes)
    return Leaderboard(
        warnings=coverage_warnings(groups),
        common_items=alignment,
        disagreements=disagreements(data),
        run_sources=split_run_sources(data, groups),
        unscored=unscored,
        cluster_counts=cluster_counts,
        tie_method=tie_method,
        policy_rows=policy_rows,
        policy_omitted=policy_omitted,
        groups=groups,
        rows=table,
        thresholds=thresholds,
        policy=policy,
        level=level,
        se_method=se_method,
        sources=[s.to_dict() for s in data.sources],
        skipped=list(data.skipped),
        notes=notes,
        explain=rules,
    )


def split_run_sources(data: Dataset, groups: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """The files behind each model whose runs are shown apart (``"model [run]"``, see
    ``rescore.read.assemble.separate_runs``).

    A file's provenance lists the model under its own name, so without this a flat output's
    ``sources`` column would be empty for every split run (issue 16, point 7). Only the groups no
    source names are looked up, so a board without split runs pays one set lookup per group.
    """
    listed = {(b, m) for s in data.sources for b in s.benchmarks for m in s.models}
    wanted = [(str(b), str(m)) for b, m in zip(groups["benchmark"], groups["model"], strict=True)
              if (b, m) not in listed]
    if not wanted:
        return {}
    found: dict[tuple[str, str], list[str]] = {}
    if data.has_items and "source" in data.items:
        keys = pd.MultiIndex.from_arrays([data.items["benchmark"].astype(str), data.items["model"].astype(str)])
        rows = data.items.loc[keys.isin(pd.MultiIndex.from_tuples(wanted)), ["benchmark", "model", "source"]]
        for (benchmark, model), paths in rows.groupby(["benchmark", "model"], observed=True)["source"]:
            found[(str(benchmark), str(model))] = sorted({str(p) for p in paths.dropna()})
        return found
    for benchmark, model in wanted:  # counts mode: the files holding the run (SourceInfo.runs)
        paths = [s.path for s in data.sources if benchmark in s.benchmarks
                 and any(model == f"{base} [{run}]" for base in s.models for run in s.runs)]
        if paths:
            found[(benchmark, model)] = paths
    return found


def _counted_clusters(item_counts: pd.DataFrame, mode: str) -> tuple[pd.DataFrame | None, str]:
    """Per-cluster outcome counts in counts mode (the same clusters ``cluster_series`` forms on items)."""
    if mode not in CLUSTER_CHOICES:
        raise UsageError(f"--cluster must be one of {', '.join(CLUSTER_CHOICES)}, not {mode!r}")
    if mode == "subset":
        return counting.group_outcome_counts(item_counts, ("benchmark", "model", "subset")).rename(
            columns={"subset": "_cluster"}), "clustered:subset"
    labelled, method = counting.cluster_labels(item_counts, "none" if mode == "none" else "auto")
    if mode in ("item", "column") and method != f"clustered:{mode}":
        raise UsageError(f"--cluster {mode} needs per-item rows: load with need_items=True")
    if labelled is None:
        return None, method
    return counting.cluster_outcome_counts(labelled).rename(columns={"cluster": "_cluster"}), method


def _rank(groups: pd.DataFrame, all_ts: np.ndarray, columns: dict[str, Any]) -> pd.DataFrame:
    """The rows table: rank within (benchmark, t), higher score first, equal scores sharing the
    best rank; in board order (benchmark, t, rank, model), with the rank at t = 0 and the marks.

    ``columns`` hold every row in the (t, group) layout: row ti * len(groups) + gi is group gi at
    ``all_ts[ti]`` (``all_ts`` sorted, with 0). Overlap marks compare each model's interval with
    its neighbours' and with #1's: a model whose interval overlaps the leader's is "tied with #1
    in practice". Done on arrays, and the frame built once in its final order: the groupby-rank,
    two sorts and a merge of a 40-row frame cost more than every number in it.
    """
    n_groups, n_ts = len(groups), len(all_ts)
    benchmark = np.tile(_sort_codes(groups["benchmark"]), n_ts)
    t_index = np.repeat(np.arange(n_ts), n_groups)
    cell = benchmark * n_ts + t_index  # one (benchmark, t)
    rank = _rank_in_cells(np.round(np.asarray(columns["score"], dtype="float64"), 12), cell)
    zero = int(np.searchsorted(all_ts, 0.0))  # every group's rank at t = 0, for each of its rows
    rank_t0 = np.tile(rank[zero * n_groups:(zero + 1) * n_groups], n_ts)
    order = np.lexsort((np.tile(_sort_codes(groups["model"]), n_ts), rank, t_index, benchmark))
    table = pd.DataFrame({name: values[order] for name, values in columns.items()})
    table["rank"], table["rank_t0"] = rank[order], rank_t0[order]
    table["rank_change"] = table["rank_t0"] - table["rank"]
    marks = _overlap_marks(cell[order], columns["ci_low"][order], columns["ci_high"][order])
    table["overlaps_above"], table["overlaps_below"], table["tied_with_first"] = marks
    return table


def _sort_codes(values: pd.Series) -> np.ndarray:
    """Each value's place in the sorted distinct values (missing last), as ``sort_values`` orders them."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def _rank_in_cells(values: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """pandas' ``rank(method="min", ascending=False, na_option="bottom")`` of ``values`` within
    each ``cell``: 1 + the number of larger values in the cell; NaN after every number."""
    order = np.lexsort((-values, cell))  # by cell, then largest first (NaN sorts last)
    ordered, cells = values[order], cell[order]
    position = np.arange(len(order))
    same_cell = np.r_[False, cells[1:] == cells[:-1]]
    same_value = same_cell & np.r_[False, (ordered[1:] == ordered[:-1])
                                   | (np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))]
    cell_start = np.maximum.accumulate(np.where(same_cell, 0, position))
    tie_start = np.maximum.accumulate(np.where(same_value, 0, position))
    rank = np.empty(len(order), dtype="int64")
    rank[order] = tie_start - cell_start + 1
    return rank


def _overlap_marks(cell: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """overlaps_above, overlaps_below and tied_with_first of rows in board order.

    The rows of one (benchmark, t) are contiguous, best first: each is compared with the row
    before, the row after and its cell's first row, for all cells at once.
    """
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    same_as_previous = np.r_[False, cell[1:] == cell[:-1]]
    same_as_next = np.r_[cell[1:] == cell[:-1], False]
    with np.errstate(invalid="ignore"):
        above = same_as_previous & (high >= np.r_[np.nan, low[:-1]])
        below = same_as_next & (low <= np.r_[high[1:], np.nan])
        leader_low = low[np.flatnonzero(~same_as_previous)][np.cumsum(~same_as_previous) - 1]
        first = ~same_as_previous | (high >= leader_low)
    return above, below, first
