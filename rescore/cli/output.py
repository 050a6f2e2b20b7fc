"""Small shared printers for notes, skipped files and rule counts (stderr-side chatter)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from rescore.errors import UsageError
from rescore.read.assemble import said_of_files, skip_kind
from rescore.report.grid import Column, print_prose, print_table
from rescore.report.safe_text import escape_controls, terminal_markup
from rescore.score.leaderboard import Leaderboard


def print_notes(board: Leaderboard, console: Console) -> None:
    for note in board.notes:
        console.print(f"[dim]note:[/] {terminal_markup(note)}", markup=True, highlight=False)
    for line in skipped_lines(board.skipped):
        console.print(f"[dim]skipped:[/] {terminal_markup(line)}", highlight=False)
    for line in board.warnings:  # issue 16.4: unequal coverage, naming the models
        console.print(f"[yellow]warning:[/] {terminal_markup(line)}", highlight=False)


def skipped_lines(skipped: list[tuple[str, str]]) -> list[str]:
    """One line per kind of skip, as notes are merged: a folder of 500 runs has 500 companion
    results files, and listing each buried the board (the JSON report still lists every one).

    The kind is the reason up to its first ";" or " (": "lm-eval results file; read with X"
    and "... read with Y" are one kind. A kind met once keeps its own line.
    """
    kinds: dict[str, list[tuple[str, str]]] = {}
    for path, reason in skipped:
        kinds.setdefault(skip_kind(reason), []).append((path, reason))
    return [said_of_files(entries[0][1], [path for path, _ in entries]) for entries in kinds.values()]


def print_explain(board: Leaderboard, console: Console) -> None:
    if board.explain is None or board.explain.empty:
        print_prose(console, "no per-item data: nothing to explain")
        return
    cols = {col: Column(col, justify="right" if col == "count" else "left", key=col in ("benchmark", "model"))
            for col in ("benchmark", "model", "outcome", "rule", "count")}
    for row in board.explain.itertuples(index=False):
        for col, column in cols.items():
            column.cells.append(Text(escape_controls(getattr(row, col))))
    print_table(console, list(cols.values()), Text("How outcomes were decided"))
    found = board.disagreements
    if found is not None and not found.empty:
        console.print(f"The producer's verdict stood where the abstention phrases disagree ({len(found)} item(s)):")
        for (benchmark, model), group in found.groupby(["benchmark", "model"], sort=True):
            ids = group["item_id"].astype(str).tolist()
            shown = ", ".join(ids[:20]) + (f" ... (+{len(ids) - 20})" if len(ids) > 20 else "")
            console.print(f"  {terminal_markup(benchmark)} / {terminal_markup(model)}: {terminal_markup(shown)}")


def captured(draw: Callable[[Console], None]) -> str:
    """What ``draw`` prints on a console, as plain text (a table written with ``-o``: no colour, and
    laid out for ``$COLUMNS`` when set, else one block, as a pipe gets it)."""
    buffer = io.StringIO()
    draw(Console(file=buffer, no_color=True, highlight=False, color_system=None, width=100_000))
    return buffer.getvalue()


def echo_or_write(text: str, output: Path | None, fmt: str, quiet: bool = False) -> None:
    """``text`` to stdout, or atomically to ``-o`` (saying so on stderr unless ``quiet``)."""
    if output is None:
        typer.echo(text, nl=False)
        return
    from rescore.report.atomic import write_text_atomic

    write_text_atomic(output, text)
    if not quiet:
        typer.echo(f"wrote {output} ({fmt})", err=True)


def format_for(output: Path | None, fmt: str | None, allowed: tuple[str, ...]) -> str:
    """``-f`` if given, else from ``-o``'s suffix (``.json``, ``.jsonl``, ``.csv``, ``.tsv``) among
    ``allowed``, else the first allowed (the terminal's)."""
    if fmt:
        if fmt not in allowed:
            raise UsageError(f"--format must be one of {', '.join(allowed)}, not {fmt!r}")
        return fmt
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return suffix if suffix in allowed else allowed[0]
