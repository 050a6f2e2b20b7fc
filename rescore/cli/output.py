"""Small shared printers for notes, skipped files and rule counts (stderr-side chatter)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from rescore.read.assemble import said_of_files
from rescore.report.grid import Column, print_table
from rescore.score.leaderboard import Leaderboard


def print_notes(board: Leaderboard, console: Console) -> None:
    for note in board.notes:
        console.print(f"[dim]note:[/] {note}", markup=True, highlight=False)
    for line in skipped_lines(board.skipped):
        console.print(f"[dim]skipped:[/] {line}", highlight=False)


def skipped_lines(skipped: list[tuple[str, str]]) -> list[str]:
    """One line per kind of skip, as notes are merged: a folder of 500 runs has 500 companion
    results files, and listing each buried the board (the JSON report still lists every one).

    The kind is the reason up to its first ";" or " (": "lm-eval results file; read with X"
    and "... read with Y" are one kind. A kind met once keeps its own line.
    """
    kinds: dict[str, list[tuple[str, str]]] = {}
    for path, reason in skipped:
        kind = reason.split(";", 1)[0].split(" (", 1)[0].strip()
        kinds.setdefault(kind, []).append((path, reason))
    return [said_of_files(entries[0][1], [path for path, _ in entries]) for entries in kinds.values()]


def print_explain(board: Leaderboard, console: Console) -> None:
    if board.explain is None or board.explain.empty:
        console.print("no per-item data: nothing to explain")
        return
    cols = {col: Column(col, justify="right" if col == "count" else "left", key=col in ("benchmark", "model"))
            for col in ("benchmark", "model", "outcome", "rule", "count")}
    for row in board.explain.itertuples(index=False):
        for col, column in cols.items():
            column.cells.append(Text(str(getattr(row, col))))
    print_table(console, list(cols.values()), Text("How outcomes were decided"))
