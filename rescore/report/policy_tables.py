"""How the leaderboard shows the calibrated-abstention policy (``--policy calibrated|both``).

Kept apart from the leaderboard reporters so they only call in when ``board.policy_rows`` is
set: a terminal table per benchmark (S*(t) with its interval and the gain over the
as-submitted score), a Markdown section, and the columns CSV/Parquet join onto each row.
"""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.text import Text

from rescore.report.grid import Column, half_width, print_prose, print_table
from rescore.report.layout import wider_half
from rescore.report.safe_text import escape_controls, markdown_text
from rescore.score.leaderboard import Leaderboard

CSV_COLUMNS = {"score_policy": "policy_score", "ci_low": "policy_ci_low", "ci_high": "policy_ci_high",
               "gain": "policy_gain", "rank_policy": "policy_rank", "n_answered_policy": "policy_n_answered",
               "expected_policy": "policy_expected", "calibration_gap": "policy_calibration_gap"}
CAPTION = ("S*(t): each model answers only where its confidence > t, else abstains (answers it abstained on stay "
           "abstentions); (+x) = gain over its as-submitted S(t); #r = rank among models with confidences.")


def join_policy_columns(table: pd.DataFrame, board: Leaderboard) -> pd.DataFrame:
    """The leaderboard's long table with ``policy_*`` columns added (NaN for models without confidences)."""
    if board.policy_rows is None:
        return table
    extra = board.policy_rows[["benchmark", "model", "t", *CSV_COLUMNS]].rename(columns=CSV_COLUMNS)
    return table.merge(extra, on=["benchmark", "model", "t"], how="left")


def _omitted_lines(board: Leaderboard) -> list[str]:
    if board.policy_omitted is None or board.policy_omitted.empty:
        return []
    return [f"{r.model} on {r.benchmark}: {r.reason}" for r in board.policy_omitted.itertuples(index=False)]


def print_policy(board: Leaderboard, console: Console, top: int | None = None) -> None:
    """One table per benchmark: S*(t) ± interval, gain and policy rank at every threshold."""
    if board.policy_rows is None:
        return
    rows = board.policy_rows
    ts = board.thresholds
    for benchmark, part in rows.groupby("benchmark", sort=True):
        order = board.rows[(board.rows["benchmark"] == benchmark) & (board.rows["t"] == ts[0])]
        models = [m for m in order.sort_values(["rank", "model"], kind="stable")["model"] if m in set(part["model"])]
        if top:
            models = models[:top]
        model_col = Column("model", key=True)
        per_t = [Column(f"S*(t={t:g})", justify="right") for t in ts]
        for model in models:
            model_col.cells.append(Text(escape_controls(model)))
            for column, t in zip(per_t, ts, strict=True):
                r = part[(part["model"] == model) & (part["t"] == t)]
                if r.empty:
                    column.cells.append(Text("–"))
                    continue
                r = r.iloc[0]
                text = Text(f"{r['score_policy']:+.3f}")
                text.append(half_width(wider_half(r["score_policy"], r["ci_low"], r["ci_high"])), style="dim")
                gain = r["gain"]
                text.append(f"\n(+{gain:.3f})" if gain >= 0 else f"\n({gain:.3f})",
                            style="green" if gain > 0 else "")
                text.append(f" #{int(r['rank_policy'])}")
                column.cells.append(text)
        title = Text(escape_controls(benchmark), style="bold") + Text(": calibrated-abstention policy")
        print_table(console, [model_col, *per_t], title)
    print_prose(console, Text(CAPTION, style="dim"))
    for line in _omitted_lines(board):
        print_prose(console, Text(f"policy omitted: {escape_controls(line)}", style="dim"))


def markdown_policy(board: Leaderboard, top: int | None = None) -> list[str]:
    """Markdown lines for the policy section (empty when ``--policy as-is``)."""
    if board.policy_rows is None:
        return []
    ts = board.thresholds
    lines = ["### Calibrated-abstention policy", ""]
    head = ["benchmark", "model"] + [f"S*({t:g}) (gain)" for t in ts]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join([":---", ":---"] + ["---:"] * len(ts)) + "|"]
    for (benchmark, model), part in board.policy_rows.groupby(["benchmark", "model"], sort=True):
        cells = [markdown_text(benchmark), markdown_text(model)]
        for t in ts:
            r = part[part["t"] == t]
            cells.append("–" if r.empty else f"{r.iloc[0]['score_policy']:.3f} ({r.iloc[0]['gain']:+.3f})")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", CAPTION]
    lines += [f"Omitted: {line}." for line in _omitted_lines(board)]
    return [*lines, ""]
