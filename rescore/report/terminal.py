"""The rich terminal leaderboard: one table per benchmark, ranks and arrows per threshold."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rescore.report.layout import ranked_layout, widest
from rescore.report.safe_text import escape_controls, terminal_markup
from rescore.score.leaderboard import Leaderboard


def _score_cell(score: float, half: float, rank: int, change: int, tie: bool) -> Text:
    """Two short lines: ``+0.496±.06`` over ``#3 ▼2 ≈`` (rank, move since t=0, overlap)."""
    text = Text(f"{score:+.3f}", style="bold" if rank == 1 else "")
    text.append(f"±{half:.2f}".replace("0.", ".", 1), style="dim")
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
        table = Table(title=f"[bold]{terminal_markup(layout.benchmark)}[/] ({n_text})", title_justify="left",
                      header_style="bold", show_lines=False, pad_edge=False, box=box.SIMPLE_HEAD, padding=(0, 1),
                      collapse_padding=True)
        rows: list[list[Text | str]] = []
        for g, per_t in layout.entries:
            cells: list[Text | str] = [Text(escape_controls(g["model"])), f"{g['abstention_rate']:.2f}"]
            for x in per_t:
                half = x["ci_high"] - x["score"]
                cells.append(_score_cell(x["score"], half if half == half else 0.0, int(x["rank"]),
                                         int(x["rank_change"]), bool(x["overlaps_above"])))
            be = g["break_even_t"]
            cells.append("–" if be != be else f"{be:.2f}")
            rows.append(cells)
        # the model name wraps on a narrow terminal; scores keep their width, never "+0.4…"
        rows.extend(_unscored_rows(board, layout.benchmark, len(ts)))
        table.add_column("model", overflow="fold", min_width=8)
        headers = ["IDK", *(f"t={t:g}\nwrong −{t / (1 - t):g}" for t in ts), "break\neven"]
        for k, header in enumerate(headers, start=1):
            table.add_column(header, justify="right", no_wrap=True, min_width=widest(header, [r[k] for r in rows]))
        for cells in rows:
            table.add_row(*cells)
        console.print(table)
    for line in unscored_lines(board):
        console.print(f"[yellow]{terminal_markup(line)}[/]")
    touched = board.policy_touched()
    console.print(
        f"[dim]S(0) is accuracy. S(t) = (correct − wrong·t/(1−t) + {board.policy.idk_credit:g}·IDK)/n, "
        f"±{int(board.level * 100)}% "
        f"interval ({board.se_method}); ▲▼ rank change from t=0; ≈ {board.tie_phrase()}; "
        f"break-even: S(t) > 0 below it. partial→{board.policy.partial} ({touched['partial']}), "
        f"invalid→{board.policy.invalid} ({touched['invalid']}).[/]"
    )
    if board.policy_rows is not None:
        from rescore.report.policy_tables import print_policy

        print_policy(board, console, top)
