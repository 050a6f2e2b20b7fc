"""The terminal leaderboard: one table per benchmark, ranks and arrows per threshold.

Laid out by :mod:`rescore.report.grid`: the model column is never folded or dropped; when the
thresholds do not fit the width they continue in further blocks (or the table turns).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from rescore.report.grid import Column, half_width, print_prose, print_table, threshold_header
from rescore.report.layout import coverage_footer, is_partial, ranked_layout, wider_half
from rescore.report.safe_text import escape_controls, terminal_markup
from rescore.score.leaderboard import PARTIAL_MARK, Leaderboard


def _score_cell(score: float, half: float, rank: int, change: int, tie: bool) -> Text:
    """Two short lines: ``+0.496±.06`` over ``#3 ▼2 ≈`` (rank, move since t=0, overlap)."""
    text = Text(f"{score:+.3f}", style="bold" if rank == 1 else "")
    # an undefined interval (NaN) says so: "±.00" would read like certainty (issue 20)
    text.append(half_width(half), style="dim")
    text.append(f"\n#{rank}")
    if change > 0:
        text.append(f" ▲{change}", style="green")
    elif change < 0:
        text.append(f" ▼{-change}", style="red")
    if tie:
        text.append(" ≈", style="yellow")
    return text


def _unscored_rows(board: Leaderboard, benchmark: str, n_thresholds: int) -> list[list[Text | str]]:
    """A row per unscored run of this benchmark: ``unscored`` where the scores would be, no rank."""
    rows: list[list[Text | str]] = []
    for model in board.unscored.loc[board.unscored["benchmark"] == benchmark, "model"]:
        rows.append([Text(escape_controls(model)), "–", *[Text("unscored", style="yellow")] * n_thresholds, "–"])
    return rows


def unscored_lines(board: Leaderboard) -> list[str]:
    """Why each unscored run has no score (printed under the tables; its row says ``unscored``)."""
    return [f"unscored: {m} on {b} (n={n}): {reason}; not ranked, no ≈ marks"
            for b, m, n, reason in board.unscored[["benchmark", "model", "n", "reason"]].itertuples(index=False)]


def print_leaderboard(board: Leaderboard, console: Console, top: int | None = None) -> None:
    ts = board.thresholds
    for layout in ranked_layout(board, top):
        n_values = sorted(set(layout.groups["n"]))
        n_text = f"n={n_values[0]}" if len(n_values) == 1 else f"n={n_values[0]}..{n_values[-1]}"
        model = Column("model", key=True)
        idk = Column("IDK", justify="right")
        per_t = [Column(threshold_header(t), justify="right") for t in ts]
        even = Column("break\neven", justify="right")
        for g, rows in layout.entries:
            name = Text(escape_controls(g["model"]))  # names come from the files (issue 17)
            if is_partial(g):  # scored on part of the benchmark's items (issue 16)
                name.append(f" {PARTIAL_MARK}", style="yellow")
            model.cells.append(name)
            idk.cells.append(Text(f"{g['abstention_rate']:.2f}"))
            for column, x in zip(per_t, rows, strict=True):
                half = wider_half(x["score"], x["ci_low"], x["ci_high"])
                column.cells.append(_score_cell(x["score"], half, int(x["rank"]),
                                                int(x["rank_change"]), bool(x["overlaps_above"])))
            be = g["break_even_t"]
            even.cells.append(Text("–" if be != be else f"{be:.2f}"))
        for cells in _unscored_rows(board, layout.benchmark, len(ts)):  # issue 16: unscored, not ranked
            model.cells.append(cells[0])
            idk.cells.append(Text(str(cells[1])))
            for column, cell in zip(per_t, cells[2:-1], strict=True):
                column.cells.append(cell)
            even.cells.append(Text(str(cells[-1])))
        title = Text(escape_controls(layout.benchmark), style="bold") + Text(f" ({n_text})")
        print_table(console, [model, idk, *per_t, even], title)
    for line in unscored_lines(board):
        console.print(f"[yellow]{terminal_markup(line)}[/]")
    touched = board.policy_touched()
    print_prose(
        console,
        f"[dim]S(0) is accuracy. S(t) = (correct − wrong·t/(1−t) + {board.policy.idk_credit:g}·IDK)/n, "
        f"±{int(board.level * 100)}% "
        f"interval ({board.se_method}); ▲▼ rank change from t=0; ≈ {board.tie_phrase()}; "
        f"break-even: S(t) > 0 below it. partial→{board.policy.partial} ({touched['partial']}), "
        f"invalid→{board.policy.invalid} ({touched['invalid']}).[/]"
    )
    footer = coverage_footer(board)
    if footer:
        print_prose(console, Text(escape_controls(footer), style="dim"))
    if board.policy_rows is not None:
        from rescore.report.policy_tables import print_policy

        print_policy(board, console, top)
