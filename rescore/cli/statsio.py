"""Shared plumbing of the confidence-aware commands (calibration, selective, compare).

Each command declares its flags (typer needs them in the signature) and hands the load-related
ones here, so all three read files exactly as ``rescore leaderboard`` does, and print their
:class:`~rescore.score.results.StatsReport` the same way: notes and skipped files on stderr, the
result as a rich table, CSV or JSON on stdout or atomically to ``-o``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from rescore.cli.common import stderr_console, stdout_console
from rescore.cli.readopts import read_options

if TYPE_CHECKING:  # the reading and reporting stages (pandas) are imported when a command runs, not for --help
    from rescore.read.assemble import Dataset
    from rescore.score.results import StatsReport


def prepare(paths: list[Path], fmt: str | None, output: Path | None, read: dict[str, Any]) -> str:
    """Validate the reading, engine and output flags before any reading; returns the format."""
    from rescore.report.stats_output import stats_format

    read_options(read)
    chosen = stats_format(output, fmt)
    if output is not None:
        from rescore.report.atomic import check_not_input

        check_not_input(output, paths)
    return chosen


def load_data(paths: list[Path], read: dict[str, Any]) -> Dataset:
    """Read the inputs with the leaderboard's load options (item rows kept: these statistics need them)."""
    from rescore.read.load import load

    return load(paths, read_options(read, keep_text=False, need_items=True))


def emit(report: StatsReport, fmt: str, output: Path | None, quiet: bool,
         print_table: Callable[[StatsReport, Console], None], raw_csv: bool = False) -> None:
    """Notes to stderr, then the report to ``-o`` or stdout (also ``-o -``)."""
    from rescore.cli.output import skipped_lines
    from rescore.report.atomic import is_stdout
    from rescore.report.safe_text import terminal_markup
    from rescore.report.stats_output import to_json, to_table_text, write_report

    if is_stdout(output):
        output = None
    err = stderr_console()
    if not quiet:
        for note in report.notes:
            err.print(f"[dim]note:[/] {terminal_markup(note)}", markup=True, highlight=False)
        skipped = [(s["path"], s["reason"]) for s in report.provenance.get("skipped", [])]
        for line in skipped_lines(skipped):  # one line per kind, as the leaderboard prints them
            err.print(f"[dim]skipped:[/] {terminal_markup(line)}", highlight=False)
        for row in report.tables.get("omitted", []).itertuples(index=False) if "omitted" in report.tables else []:
            err.print(f"[dim]omitted:[/] {terminal_markup(f'{row.model} on {row.benchmark}: {row.reason}')}",
                      highlight=False)
    if output is not None:
        written = write_report(report, fmt, output, raw_csv)
        if not quiet:
            err.print("wrote " + ", ".join(str(p) for p in written) + f" ({fmt})")
    elif fmt == "json":
        typer.echo(to_json(report), nl=False)
    elif fmt in ("csv", "tsv", "jsonl"):
        typer.echo(to_table_text(report.tables[report.main], fmt, raw_csv), nl=False)
        others = [name for name in report.tables if name != report.main]
        if others and not quiet:
            err.print(f"[dim]note:[/] {fmt.upper()} on stdout holds the {report.main} table; -o FILE.{fmt} also "
                      "writes " + ", ".join(f"FILE.{name}.{fmt}" for name in others), highlight=False)
    else:
        print_table(report, stdout_console())
