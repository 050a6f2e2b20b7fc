"""``rescore inspect FILE...``: the first command to run on an unfamiliar dump."""

from __future__ import annotations

import io
import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rescore.cli import options as o
from rescore.cli.common import handle_errors, stdout_console
from rescore.cli.output import skipped_lines
from rescore.cli.readopts import read_options, reads_results
from rescore.errors import InputError, UsageError
from rescore.read.inspection import FileReport, inspect_document, inspect_folder, summary_row
from rescore.read.schema import OUTCOMES
from rescore.report.safe_text import terminal_markup
from rescore.score.jsonable import dumps


def _print_report(report: FileReport, console: Console) -> None:
    m = terminal_markup  # file names, model names, notes and example text come from the files
    console.rule(f"[bold]{m(report.path)}")
    if report.error:
        console.print(f"[red]error:[/] {m(report.error)}")
        return
    console.print(f"producer: [bold]{report.adapter}[/] (adapter v{report.adapter_version})")
    console.print(f"models: {m(', '.join(report.models)) or '–'}")
    console.print(f"benchmarks: {m(', '.join(report.benchmarks)) or '–'}"
                  + (f"; subsets: {m(', '.join(report.subsets[:12]))}" + (" ..." if len(report.subsets) > 12 else "")
                     if report.subsets else ""))
    kind = "items" if report.per_item else "items (counts only: per-item data unavailable)"
    console.print(f"{kind}: {report.items}  " + "  ".join(f"{k}={v}" for k, v in report.outcomes.items()))
    if report.skipped_records:
        console.print(f"skipped records: {report.skipped_records}")
    conf = report.confidence
    console.print("confidence: " + (f"{conf['count']} items, range {conf['min']}..{conf['max']}, mean {conf['mean']}"
                                    if conf.get("available") else "not available"))
    if report.rules:
        table = Table(title="how outcomes were decided", title_justify="left", show_edge=False)
        for col in ("outcome", "rule", "count"):
            table.add_column(col, justify="right" if col == "count" else "left")
        for rule in report.rules:
            table.add_row(m(rule["outcome"]), m(rule["rule"]), str(rule["count"]))
        console.print(table)
    for check in report.cross_checks:
        mark = {True: "[green]match[/]", False: "[red]MISMATCH[/]", None: "[dim]n/a[/]"}[check.match]
        theirs = "–" if check.producer_accuracy is None else f"{check.producer_accuracy:.4f}"
        ours = "–" if check.rescore_accuracy is None else f"{check.rescore_accuracy:.4f}"
        line = (f"cross-check {m(check.benchmark)} / {m(check.model)}: {m(check.label)} = "
                f"{theirs}, rescore t=0 accuracy = "
                f"{ours} ({check.n_rescore} items) {mark}")
        console.print(line + (f" [dim]({m(check.note)})[/]" if check.note else ""))
        if check.extra:
            console.print("  producer also reports: " + m(", ".join(f"{k}={v}" for k, v in check.extra.items())))
    for note in report.notes:
        console.print(f"[dim]note:[/] {m(note)}")
    if report.examples:
        table = Table(title="examples", title_justify="left", show_edge=False)
        columns = [c for c in ("item_id", "outcome", "rule", "confidence", "prediction", "gold", "response")
                   if any(row.get(c) is not None for row in report.examples)]
        for col in columns:
            table.add_column(col, overflow="fold", max_width=40)
        for row in report.examples:
            table.add_row(*[m(("" if row.get(c) is None else str(row.get(c)))[:120]) for c in columns])
        console.print(table)


def _print_summary(reports: list[FileReport], skipped: list[tuple[str, str]], console: Console) -> None:
    """The folder's survey: a row per file (producer, models, items, outcomes, the cross-check).

    Files are named relative to the folder they share, so the table fits a terminal."""
    table = Table(title="summary", title_justify="left", show_edge=False, pad_edge=False)
    outcomes = "/".join(o[0].upper() for o in OUTCOMES)
    table.add_column("file", overflow="fold", ratio=3)
    table.add_column("producer", overflow="fold")
    table.add_column("models", overflow="fold", ratio=1)
    for col in ("items", outcomes, "producer", "t=0"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("cross-check", overflow="fold", ratio=2)
    root = os.path.commonpath([r.path for r in reports]) if reports else ""
    root = root if reports and not any(r.path == root for r in reports) else os.path.dirname(root)
    for report in reports:
        row = summary_row(report)
        models = ", ".join(row["models"][:2]) + (f" +{len(row['models']) - 2}" if len(row["models"]) > 2 else "")
        error = str(row["error"] or "")
        if error.startswith(row["path"]):  # the row names the file already
            error = error[len(row["path"]):].lstrip(",: ")
        verdict = row["verdict"] if not row["error"] else f"error: {error}"
        name = os.path.relpath(row["path"], root) if root else row["path"]
        table.add_row(terminal_markup(name), row["producer"], terminal_markup(models), str(row["items"]),
                      "/".join(str(row[o]) for o in OUTCOMES), _number(row["producer_accuracy"]),
                      _number(row["rescore_accuracy"]), terminal_markup(verdict))
    console.rule("[bold]summary" + (f" of {terminal_markup(root)}" if root else ""))
    console.print(table)
    console.print(f"{len(reports)} file(s) read" + (f", {sum(1 for r in reports if r.error)} unreadable"
                                                    if any(r.error for r in reports) else "")
                  + (f", {len(skipped)} skipped" if skipped else ""), highlight=False)
    for line in skipped_lines(skipped):
        console.print(f"[dim]skipped:[/] {terminal_markup(line)}", highlight=False)


def _number(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


@handle_errors
@reads_results()
def inspect(
    paths: o.Paths,
    read: dict[str, Any],
    examples: Annotated[int, typer.Option("--examples", help="Example rows per file.", min=0)] = 3,
    format: o.Format = None,
    output: o.Output = None,
    debug: o.Debug = False,
) -> None:
    """Describe each file: producer, models, items, outcomes and the rule behind each, cross-checks.

    On several files (a folder) it goes on past files it cannot read, lists them, and ends with a
    summary table, a row per file; exit 3 if some could not be read (unless --on-error skip).

    Example: [bold]rescore inspect sample_data/[/]
    """
    fmt = format or ("json" if output is not None and output.suffix.lower() == ".json" else "table")
    if fmt not in ("table", "json"):
        raise UsageError("inspect --format must be table or json")
    opts = read_options(read)
    if output is not None:
        from rescore.report.atomic import check_not_input

        check_not_input(output, paths)
    several = len(paths) > 1 or any(path.is_dir() for path in paths)
    reports, skipped = inspect_folder(list(paths), opts, examples, keep_going=several)
    if fmt == "json":
        text = dumps(inspect_document(reports, skipped))
    else:
        console = Console(file=io.StringIO(), no_color=True, highlight=False, width=120) if output is not None \
            else stdout_console()
        for report in reports:
            _print_report(report, console)
        if several:
            _print_summary(reports, skipped, console)
        text = console.file.getvalue() if output is not None else ""  # type: ignore[attr-defined]
    if output is not None:
        from rescore.report.atomic import write_text_atomic

        write_text_atomic(output, text)
    elif fmt == "json":
        typer.echo(text, nl=False)
    failed = [r for r in reports if r.error and opts.on_error != "skip"]
    if failed:
        raise InputError(f"{len(failed)} of {len(reports)} file(s) could not be read (listed in the summary; "
                         "--on-error skip lists them without failing)", path=failed[0].path)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
