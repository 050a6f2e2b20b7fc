"""Per-item scored outcomes and confidence checks shared by calibration, selective, policy and compare.

The leaderboard works from counts; the confidence-aware statistics need the items themselves.
This module turns the canonical item table into three 0/1 indicators per item (``c`` correct,
``w`` wrong, ``a`` abstain) *after* the partial/invalid policy, so every statistic agrees with
the leaderboard on what an item scored, and it decides once, for every command, whether a
group's confidences are usable. Confidence is the model's probability that *its answer* is
correct, so it is judged on answered items only: an abstention has no answer to be right about.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rescore.outcomes.decide import RULE_NO_GRADE, RULE_UNSCORED
from rescore.read.schema import on_values
from rescore.score.rule import Policy

GROUP_KEYS = ["benchmark", "model"]
#: what the confidence statistics read of the items (ConfidenceGroup.items holds these and c, w, a)
CONFIDENCE_COLUMNS = ("benchmark", "model", "outcome", "confidence")
ITEM_KEYS = ["benchmark", "subset", "item_id", "attempt"]


def scored_items(items: pd.DataFrame, policy: Policy, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The items with 0/1 columns ``c``, ``w``, ``a`` after the policy; ``--invalid drop`` rows removed.

    ``partial`` scores as the policy says (wrong by default) and ``invalid`` as wrong, abstain or
    dropped, exactly as :func:`rescore.score.rule.apply_policy` does for counts.
    ``columns`` keeps only those of the item columns (the ones present): the copy made here is
    then of what the statistic reads, not of every text column (at 10M items the whole table is
    2 GB of Arrow strings, ``source`` and ``rule`` alone 0.7 GB).
    """
    if columns is not None:
        items = items[[c for c in items.columns if c in columns]]
    kind = outcome_kinds(items["outcome"])
    c, w, a, partial, invalid = (kind == k for k in range(len(_KINDS)))
    {"wrong": w, "correct": c, "abstain": a}[policy.partial][:] |= partial
    keep = np.ones(len(items), dtype=bool)
    if policy.invalid == "drop":
        keep = ~invalid
    else:
        {"wrong": w, "abstain": a}[policy.invalid][:] |= invalid
    # nothing dropped (the usual case): no row take, which would copy every Arrow string column
    out = items.copy() if keep.all() else items.loc[keep].copy()
    out["c"] = c[keep].astype("int8")
    out["w"] = w[keep].astype("int8")
    out["a"] = a[keep].astype("int8")
    return out


_KINDS = ("correct", "wrong", "abstain", "partial", "invalid")


def outcome_kinds(outcome: pd.Series) -> np.ndarray:
    """Each row's outcome as its position in ``_KINDS`` (int8; a missing outcome is ``invalid``,
    anything else -1). A loaded table's outcome is a category, so each category is looked up
    once (:func:`on_values`) and one code column is taken back to the rows: asking the rows once
    per kind cost 0.7 s at 10M items."""
    def positions(values: pd.Series) -> pd.Series:
        return pd.Series(pd.Index(_KINDS).get_indexer(values.fillna("invalid")), index=values.index)

    return on_values(outcome, positions).to_numpy(dtype="int8")


def item_values(c: np.ndarray, w: np.ndarray, a: np.ndarray, k: float, idk_credit: float = 0.0) -> np.ndarray:
    """Per-item score at penalty k: 1 correct, -k wrong, idk_credit abstain."""
    return c - k * w + idk_credit * a


def confidence_problem(conf: np.ndarray) -> str | None:
    """Why a group's answered-item confidences cannot be used, or None when they can.

    Missing, out-of-range and constant confidences are refused rather than used: a constant
    (often an adapter's default fill) carries no per-item information, and a partly missing
    column would silently change which items a metric covers.
    """
    conf = np.asarray(conf, dtype="float64")
    n = conf.size
    if n == 0:
        return "no answered items"
    missing = int(np.isnan(conf).sum())
    if missing == n:
        return "no per-item confidence"
    if missing:
        return f"{missing} of {n} answered items lack a confidence"
    bad = int((~np.isfinite(conf) | (conf < 0) | (conf > 1)).sum())
    if bad:
        return f"{bad} of {n} confidences outside [0, 1]"
    if n > 1 and float(conf.min()) == float(conf.max()):
        return f"confidence is constant ({float(conf[0]):g}) on all {n} answered items"
    return None


@dataclass
class ConfidenceGroup:
    """One (benchmark, model): its scored items, and why its confidences are unusable (None if usable)."""

    benchmark: str
    model: str
    items: pd.DataFrame
    problem: str | None

    @property
    def answered(self) -> pd.DataFrame:
        return self.items[(self.items["c"] + self.items["w"]) > 0]

    def warning(self) -> str | None:
        """A note for stderr when confidences exist but are unusable (absence alone is not news)."""
        if self.problem is None or self.problem in ("no per-item confidence", "no answered items"):
            return None
        return f"{self.model} on {self.benchmark}: {self.problem}; confidence metrics omitted"


def confidence_groups(items: pd.DataFrame, policy: Policy) -> Iterator[ConfidenceGroup]:
    """Every (benchmark, model) of the item table, sorted, with its confidence verdict."""
    if items.empty:
        return
    scored = scored_items(items, policy, CONFIDENCE_COLUMNS)
    if "confidence" not in scored.columns:
        scored = scored.assign(confidence=np.nan)
    for (benchmark, model), frame in scored.groupby(GROUP_KEYS, sort=True, observed=True):
        answered = frame[(frame["c"] + frame["w"]) > 0]
        problem = confidence_problem(answered["confidence"].to_numpy(dtype="float64"))
        if problem is not None and problem.endswith("lack a confidence"):
            kinds = set(answered.loc[answered["confidence"].isna(), "outcome"].astype(str))
            if kinds <= {"invalid", "partial"}:  # e.g. never-judged items scored as wrong by --invalid wrong
                problem += (f" (all {'/'.join(sorted(kinds))} items scored as answers; --invalid drop|abstain "
                            "or --partial abstain leaves them out)")
        yield ConfidenceGroup(str(benchmark), str(model), frame, problem)


def usable_groups(items: pd.DataFrame, policy: Policy, omitted: list[tuple[str, str, str]],
                  notes: list[str]) -> Iterator[ConfidenceGroup]:
    """The groups whose confidences can be trusted; the others are recorded in ``omitted``/``notes``.

    Every confidence metric skips the same groups for the same stated reason, never computing
    on garbage.
    """
    for group in confidence_groups(items, policy):
        if group.problem is None:
            yield group
            continue
        omitted.append((group.benchmark, group.model, group.problem))
        warning = group.warning()
        if warning:
            notes.append(warning)


#: rules that mean "the producer gave no grade at all" -> why such a run cannot be scored (issue 16, point 5)
UNSCORED_RULES = {
    RULE_UNSCORED: "the producer scored nothing (a log written without a scorer, every sample without a score, "
                "an lm-eval --predict_only run)",
    RULE_NO_GRADE: "no grade and no prediction to compare with the gold answer",
}


def without_unscored(data: Any) -> tuple[Any, list[tuple[str, str, str]]]:
    """The dataset without its unscored runs (every item ungraded), and those runs as omitted rows.

    ``rescore compare``, ``calibration`` and ``selective`` would otherwise score such a run's
    items as invalid, i.e. wrong, and report a "significant" difference from a run that was never
    graded (issue 16, point 5). Nothing scored at all is the input error the leaderboard gives (exit 3).
    """
    from dataclasses import replace

    from rescore.outcomes.decide import RULE_DISAGREES

    items = getattr(data, "items", None)
    if items is None or items.empty or "rule" not in items:
        return data, []
    none = on_values(items["rule"], lambda v: v.str.removesuffix(RULE_DISAGREES).isin(list(UNSCORED_RULES))
                     ).fillna(False).astype(bool)
    if not none.any():
        return data, []
    keys = items[["benchmark", "model"]].astype(str)
    graded = keys.loc[~none.to_numpy()].drop_duplicates()
    every = keys.drop_duplicates()
    gone = every.merge(graded, how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"][["benchmark", "model"]].sort_values(["benchmark", "model"])
    if gone.empty:
        return data, []
    omitted = []
    for benchmark, model in gone.itertuples(index=False):
        mine = none & (keys["benchmark"] == benchmark).to_numpy() & (keys["model"] == model).to_numpy()
        said = dict.fromkeys(str(r).removesuffix(RULE_DISAGREES) for r in pd.unique(items["rule"][mine]))
        reasons = "; ".join(UNSCORED_RULES[r] for r in said)
        omitted.append((str(benchmark), str(model), f"unscored: {reasons}"))
    drop = pd.MultiIndex.from_frame(gone)
    kept = items[~pd.MultiIndex.from_frame(keys).isin(drop)].reset_index(drop=True)
    if kept.empty and getattr(data, "counts", pd.DataFrame()).empty:
        from rescore.errors import InputError

        benchmark, model, reason = omitted[0]
        more = f" (and {len(omitted) - 1} more run(s) alike)" if len(omitted) > 1 else ""
        raise InputError(f"nothing is scored: {model} on {benchmark}: {reason.removeprefix('unscored: ')}{more}")
    return replace(data, items=kept), omitted


def omitted_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Models left out of a confidence metric, with the reason, as a small table."""
    return pd.DataFrame(rows, columns=["benchmark", "model", "reason"])


def as_dataset(data: Any, **load_options: Any) -> Any:
    """A :class:`~rescore.read.assemble.Dataset` from a Dataset or from paths to load (like ``rescore.leaderboard``)."""
    from rescore.read.assemble import Dataset
    from rescore.read.load import load

    if isinstance(data, Dataset):
        if load_options:
            raise TypeError(f"load options ({', '.join(sorted(load_options))}) apply when reading paths; "
                            "this Dataset is already loaded")
        return data
    return load(data, **load_options)


def counts_only(data: Any) -> list[tuple[str, str, str]]:
    """(benchmark, model, reason) for groups read from counts-only aggregates: no items, no confidences."""
    counts = getattr(data, "counts", None)
    if counts is None or counts.empty:
        return []
    pairs = counts[["benchmark", "model"]].drop_duplicates().sort_values(["benchmark", "model"])
    return [(str(b), str(m), "counts only: per-item data unavailable") for b, m in pairs.itertuples(index=False)]
