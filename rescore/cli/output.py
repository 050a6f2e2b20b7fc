"""Small shared printers for notes, skipped files and rule counts (stderr-side chatter)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from rescore.read.assemble import said_of_files
from rescore.report.safe_text import escape_controls, terminal_markup
from rescore.score.leaderboard import Leaderboard


def print_notes(board: Leaderboard, console: Console) -> None:
    for note in board.notes:
        console.print(f"[dim]note:[/] {terminal_markup(note)}", markup=True, highlight=False)
    for line in skipped_lines(board.skipped):
        console.print(f"[dim]skipped:[/] {terminal_markup(line)}", highlight=False)


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
    table = Table(title="How outcomes were decided", title_justify="left")
    for col in ("benchmark", "model", "outcome", "rule", "count"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for row in board.explain.itertuples(index=False):
        table.add_row(*(escape_controls(v) for v in (row.benchmark, row.model, row.outcome, row.rule, row.count)))
    console.print(table)
    found = board.disagreements
    if found is not None and not found.empty:
        console.print(f"The producer's verdict stood where the abstention phrases disagree ({len(found)} item(s)):")
        for (benchmark, model), group in found.groupby(["benchmark", "model"], sort=True):
            ids = group["item_id"].astype(str).tolist()
            shown = ", ".join(ids[:20]) + (f" ... (+{len(ids) - 20})" if len(ids) > 20 else "")
            console.print(f"  {terminal_markup(benchmark)} / {terminal_markup(model)}: {terminal_markup(shown)}")
