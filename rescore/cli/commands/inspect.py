"""``rescore inspect FILE...``: the first command to run on an unfamiliar dump."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.text import Text

from rescore.cli import options as o
from rescore.cli.common import handle_errors, stdout_console
from rescore.cli.pipes import dash_is_stdout
from rescore.cli.readopts import read_options, reads_results
from rescore.errors import InputError
from rescore.read.options import matching
from rescore.read.remote import is_url

if TYPE_CHECKING:  # the reading and reporting stages (pandas) are imported when the command runs, not for --help
    from rescore.read.inspection import FileReport

INSPECT_FORMATS = ("table", "json", "jsonl")
InspectFormat = Annotated[Literal["table", "json", "jsonl"] | None, typer.Option(
    "-f", "--format", help="Output format. [default: from -o's suffix, else table]", rich_help_panel=o.OUTPUT,
    show_default=False)]
PREVIEW = 60  # characters of an example's text shown in the table


def _print_report(report: FileReport, console: Console) -> None:
    from rescore.report.grid import Column, print_prose, print_table
    from rescore.report.safe_text import escape_controls, terminal_markup

    say = functools.partial(print_prose, console)  # wrapped to the width, no trailing spaces
    m = terminal_markup  # file names, model names, notes and example text come from the files
    say(Text("── ") + Text(escape_controls(report.path), style="bold"))  # the whole path (a rule cut it with "…")
    if report.error:
        say(f"[red]error:[/] {m(report.error)}")
        return
    say(f"producer: [bold]{report.adapter}[/] (adapter v{report.adapter_version})")
    say(f"models: {m(', '.join(report.models)) or '–'}")
    say(f"benchmarks: {m(', '.join(report.benchmarks)) or '–'}"
        + (f"; subsets: {m(', '.join(report.subsets[:12]))}" + (" ..." if len(report.subsets) > 12 else "")
           if report.subsets else ""))
    kind = "items" if report.per_item else "items (counts only: per-item data unavailable)"
    say(f"{kind}: {report.items}  " + "  ".join(f"{k}={v}" for k, v in report.outcomes.items()))
    if report.skipped_records:
        say(f"skipped records: {report.skipped_records}")
    conf = report.confidence
    say("confidence: " + (f"{conf['count']} items, range {conf['min']}..{conf['max']}, mean {conf['mean']}"
                                    if conf.get("available") else "not available"))
    if report.rules:
        print_table(console, [Column(col, [Text(escape_controls(rule[col])) for rule in report.rules],
                                     justify="right" if col == "count" else "left", key=col == "outcome")
                              for col in ("outcome", "rule", "count")], Text("how outcomes were decided"))
    for check in report.cross_checks:
        mark = {True: "[green]match[/]", False: "[red]MISMATCH[/]", None: "[dim]n/a[/]"}[check.match]
        theirs = "–" if check.producer_accuracy is None else f"{check.producer_accuracy:.4f}"
        ours = "–" if check.rescore_accuracy is None else f"{check.rescore_accuracy:.4f}"
        line = (f"cross-check {m(check.benchmark)} / {m(check.model)}: {m(check.label)} = "
                f"{theirs}, rescore t=0 accuracy = "
                f"{ours} ({check.n_rescore} items) {mark}")
        say(line + (f" [dim]({m(check.note)})[/]" if check.note else ""))
        if check.extra:
            say("  producer also reports: " + m(", ".join(f"{k}={v}" for k, v in check.extra.items())))
    for note in report.notes:
        say(f"[dim]note:[/] {m(note)}")
    if report.examples:
        columns = [c for c in ("item_id", "outcome", "rule", "confidence", "prediction", "gold", "response")
                   if any(row.get(c) is not None for row in report.examples)]
        print_table(console, [Column(c, [Text(_preview(row.get(c))) for row in report.examples], key=c == "item_id")
                              for c in columns], Text("examples"))


def _preview(value: Any, limit: int = PREVIEW) -> str:
    """An example's text on one line, shortened past ``limit`` characters with a visible "…"
    (a preview: the whole text is in ``--format json``)."""
    from rescore.report.safe_text import escape_controls

    text = "" if value is None else escape_controls(" ".join(str(value).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_summary(reports: list[FileReport], skipped: list[tuple[str, str]], console: Console) -> None:
    """The folder's survey: a row per file (producer, models, items, outcomes, the cross-check).

    Files are named relative to the folder they share, so the table fits a terminal."""
    from rescore.cli.output import skipped_lines
    from rescore.read.inspection import summary_row
    from rescore.read.schema import OUTCOMES
    from rescore.report.grid import Column, print_prose, print_table
    from rescore.report.safe_text import escape_controls, terminal_markup

    outcomes = "/".join(o[0].upper() for o in OUTCOMES)
    root = os.path.commonpath([r.path for r in reports]) if reports else ""
    root = root if reports and not any(r.path == root for r in reports) else os.path.dirname(root)
    columns = [Column("file", key=True), Column("producer"), Column("models", wrap=True),
               Column("items", justify="right"), Column(outcomes, justify="right"),
               Column("producer\nt=0", justify="right"), Column("rescore\nt=0", justify="right"),
               Column("cross-check", wrap=True)]
    for report in reports:
        row = summary_row(report)
        models = ", ".join(row["models"][:2]) + (f" +{len(row['models']) - 2}" if len(row["models"]) > 2 else "")
        error = str(row["error"] or "")
        if error.startswith(row["path"]):  # the row names the file already
            error = error[len(row["path"]):].lstrip(",: ")
        verdict = row["verdict"] if not row["error"] else f"error: {error}"
        name = os.path.relpath(row["path"], root) if root else row["path"]
        values = [name, row["producer"], models, str(row["items"]), "/".join(str(row[o]) for o in OUTCOMES),
                  _number(row["producer_accuracy"]), _number(row["rescore_accuracy"]), verdict]
        for column, value in zip(columns, values, strict=True):
            column.cells.append(Text(escape_controls(value)))
    title = Text("summary", style="bold") + (Text(f" of {escape_controls(root)}") if root else Text(""))
    print_table(console, columns, title)
    print_prose(console, Text(f"{len(reports)} file(s) read" + (f", {sum(1 for r in reports if r.error)} unreadable"
                                                                if any(r.error for r in reports) else "")
                              + (f", {len(skipped)} skipped" if skipped else "")))
    for line in skipped_lines(skipped):
        print_prose(console, f"[dim]skipped:[/] {terminal_markup(line)}")


def _number(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


@handle_errors
@reads_results()
def inspect(
    paths: o.Paths,
    read: dict[str, Any],
    examples: Annotated[int, typer.Option("--examples", help="Example rows per file.", min=0)] = 3,
    format: InspectFormat = None,
    output: o.Output = None,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Describe each file: producer, models, items, outcomes and the rule behind each, cross-checks.

    On several files (a folder) it goes on past files it cannot read, lists them, and ends with a
    summary table, a row per file; exit 3 if some could not be read (unless --on-error skip).

    Example: rescore inspect sample_data/
    """
    from rescore.cli.output import captured, echo_or_write, format_for
    from rescore.read.inspection import inspect_document, inspect_folder
    from rescore.report.atomic import check_not_input
    from rescore.score.jsonable import dumps, json_lines

    output = dash_is_stdout(output)
    fmt = format_for(output, format, INSPECT_FORMATS)
    opts = read_options(read)
    if output is not None:
        check_not_input(output, paths)
    # a URL may name a folder or a glob: keep going past one bad file, as for a folder
    several = len(paths) > 1 or any(is_url(path) or Path(path).is_dir() for path in paths)
    reports, skipped = inspect_folder(list(paths), opts, examples, keep_going=several)
    if opts.models or opts.benchmarks:  # --model / --benchmark: the files holding a match (and every error)
        reports = [r for r in reports if r.error or (matching(r.models, opts.models or None)
                                                     and matching(r.benchmarks, opts.benchmarks or None))]
    if fmt == "json":
        echo_or_write(dumps(inspect_document(reports, skipped)), output, fmt, quiet)
    elif fmt == "jsonl":  # one file's report a line
        echo_or_write(json_lines([r.to_dict() for r in reports]), output, fmt, quiet)
    else:
        def draw(console: Console) -> None:
            for report in reports:
                _print_report(report, console)
            if several:
                _print_summary(reports, skipped, console)

        if output is None:
            draw(stdout_console())
        else:
            echo_or_write(captured(draw), output, fmt, quiet)
    failed = [r for r in reports if r.error and opts.on_error != "skip"]
    if failed:
        raise InputError(f"{len(failed)} of {len(reports)} file(s) could not be read (listed in the summary; "
                         "--on-error skip lists them without failing)", path=failed[0].path)


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)
