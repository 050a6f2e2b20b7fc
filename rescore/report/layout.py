"""The row order every leaderboard rendering shares, with O(1) look-ups per cell.

Terminal and Markdown both list, per benchmark, the models in rank order at the first
threshold, each with its group summary and its row at every threshold. Indexing once keeps
rendering linear in the number of rows (it was a filter per cell).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
from rich.text import Text

from rescore.score.leaderboard import Leaderboard


@dataclass
class BenchmarkLayout:
    benchmark: str
    groups: pd.DataFrame  # this benchmark's group summaries
    entries: list[tuple[pd.Series, list[pd.Series]]]  # (group summary, row at each threshold), ranked


def ranked_layout(board: Leaderboard, top: int | None = None) -> Iterator[BenchmarkLayout]:
    ts = board.thresholds
    rows_by_key = {(b, m, t): row for (b, m, t), row in
                   zip(board.rows[["benchmark", "model", "t"]].itertuples(index=False, name=None),
                       (r for _, r in board.rows.iterrows()), strict=True)}
    for benchmark, groups in board.groups.groupby("benchmark", sort=True):
        by_model = {row["model"]: row for _, row in groups.iterrows()}
        first = board.rows[(board.rows["benchmark"] == benchmark) & (board.rows["t"] == ts[0])]
        order = first.sort_values(["rank", "model"], kind="stable")["model"].tolist()
        if top:
            order = order[:top]
        entries = [(by_model[m], [rows_by_key[(benchmark, m, t)] for t in ts]) for m in order]
        yield BenchmarkLayout(str(benchmark), groups, entries)


def widest(header: str, cells: list[Text | str]) -> int:
    """Width of the longest line among a column's header and cells (its min_width: never cut)."""
    lines = [line for cell in [header, *cells] for line in (cell.plain if isinstance(cell, Text) else cell).split("\n")]
    return max(Text(line).cell_len for line in lines)


def wider_half(score: float, low: float, high: float) -> float:
    """The larger half-width of an interval around its score, NaN when the interval is undefined.

    The score interval (issue 20) is asymmetric: at high t it reaches further down than up, so
    a single "±" shows the wider side rather than understate the uncertainty.
    """
    halves = [x for x in (float(high) - float(score), float(score) - float(low)) if x == x]
    return max(halves) if len(halves) == 2 else float("nan")


def is_partial(group: pd.Series) -> bool:
    """Whether a group was scored on part of its benchmark's items (issue 16.4: marked with †)."""
    from rescore.score.leaderboard import COVERAGE_TOLERANCE

    value = group.get("coverage")
    return value is not None and value == value and float(value) < 1 - COVERAGE_TOLERANCE


def coverage_footer(board: Leaderboard) -> str | None:
    """The footer line explaining the † mark, or None when every model has all of its benchmark's items."""
    from rescore.score.leaderboard import PARTIAL_MARK

    partial = board.groups[[is_partial(g) for _, g in board.groups.iterrows()]]
    if partial.empty:
        return None
    said = ", ".join(f"{m} on {b} {c:.0%}" for b, m, c in
                     partial[["benchmark", "model", "coverage"]].itertuples(index=False, name=None))
    return (f"{PARTIAL_MARK} scored on part of the benchmark's items (coverage: {said}); "
            "--common-items scores every model on the items all of them have.")
