"""Small shared printers for notes, skipped files and rule counts (stderr-side chatter)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..board import Leaderboard


def print_notes(board: Leaderboard, console: Console) -> None:
    for note in board.notes:
        console.print(f"[dim]note:[/] {note}", markup=True, highlight=False)
    for path, reason in board.skipped:
        console.print(f"[dim]skipped:[/] {path}: {reason}", highlight=False)


def print_explain(board: Leaderboard, console: Console) -> None:
    if board.explain is None or board.explain.empty:
        console.print("no per-item data: nothing to explain")
        return
    table = Table(title="How outcomes were decided", title_justify="left")
    for col in ("benchmark", "model", "outcome", "rule", "count"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for row in board.explain.itertuples(index=False):
        table.add_row(str(row.benchmark), str(row.model), str(row.outcome), str(row.rule), str(row.count))
    console.print(table)
