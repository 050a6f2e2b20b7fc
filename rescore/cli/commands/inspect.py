"""``rescore inspect FILE...``: the first command to run on an unfamiliar dump."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rescore.cli import options as o
from rescore.cli.common import handle_errors, stdout_console
from rescore.cli.readopts import read_options, reads_results
from rescore.errors import UsageError
from rescore.read.inspection import FileReport, inspect_paths
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


@handle_errors
@reads_results()
def inspect(
    paths: o.Paths,
    read: dict[str, Any],
    examples: Annotated[int, typer.Option("--examples", help="Example rows per file.", min=0)] = 3,
    format: o.Format = None,
    debug: o.Debug = False,
) -> None:
    """Describe each file: producer, models, items, outcomes and the rule behind each, cross-checks.

    Example: [bold]rescore inspect sample_data/[/]
    """
    fmt = format or "table"
    if fmt not in ("table", "json"):
        raise UsageError("inspect --format must be table or json")
    opts = read_options(read)
    reports = inspect_paths(list(paths), opts, examples)
    if fmt == "json":
        typer.echo(dumps([r.to_dict() for r in reports]), nl=False)
        return
    console = stdout_console()
    for report in reports:
        _print_report(report, console)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
