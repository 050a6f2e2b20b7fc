"""``rescore check``: a CI gate over the leaderboard that fails loudly (exit 1, one line per failure)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from rescore import leaderboard as build_leaderboard
from rescore.cli import options as o
from rescore.cli.ci import append_step_summary
from rescore.cli.common import handle_errors, stderr_console
from rescore.cli.output import print_notes
from rescore.cli.readopts import read_options, reads_results, scores_outcomes
from rescore.config import default_thresholds
from rescore.errors import GateFailed, UsageError
from rescore.read.load import load
from rescore.read.workers import progress_wanted
from rescore.report.atomic import check_not_input, is_stdout, text_writer, write_many
from rescore.report.files import to_markdown
from rescore.report.safe_text import escape_controls
from rescore.score.gates import evaluate, load_baseline, parse_gates, required_thresholds, to_junit
from rescore.score.jsonable import dumps

GATES = "Gates"

Min = Annotated[list[str] | None, typer.Option(
    "--min", help="Lower bound METRIC[@T]=VALUE, e.g. score@0.9=0.25 (repeatable).", rich_help_panel=GATES,
    show_default=False)]
Max = Annotated[list[str] | None, typer.Option(
    "--max", help="Upper bound METRIC[@T]=VALUE, e.g. error_rate=0.2 (repeatable).", rich_help_panel=GATES,
    show_default=False)]
ScopeModel = Annotated[list[str] | None, typer.Option(
    "--model", help="Check only this model (repeatable; default: every model).", rich_help_panel=GATES,
    show_default=False)]
ScopeBenchmark = Annotated[list[str] | None, typer.Option(
    "--benchmark", help="Check only this benchmark (repeatable; default: every benchmark).", rich_help_panel=GATES,
    show_default=False)]
Baseline = Annotated[Path | None, typer.Option(
    "--baseline", help="A previous `rescore leaderboard --format json`: fail when a score dropped by more than the "
    "combined interval.", rich_help_panel=GATES, show_default=False)]
CheckFormat = Annotated[str | None, typer.Option(
    "-f", "--format", help="text|json [default: text; json with -o]", rich_help_panel=o.OUTPUT, show_default=False)]
CheckOutput = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Write the JSON result to this file (atomically).", rich_help_panel=o.OUTPUT,
    show_default=False)]
Junit = Annotated[Path | None, typer.Option(
    "--junit", help="Write JUnit XML: one test case per gate, failed gates as failures.", rich_help_panel=o.OUTPUT,
    show_default=False)]


@handle_errors
@reads_results(exclude=("model", "benchmark"))
@scores_outcomes
def check(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    min: Min = None,
    max: Max = None,
    model: ScopeModel = None,
    benchmark: ScopeBenchmark = None,
    baseline: Baseline = None,
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    format: CheckFormat = None,
    output: CheckOutput = None,
    junit: Junit = None,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Fail (exit 1) when a gate does not hold for some benchmark x model: one FAIL line each.

    Example: [bold]rescore check runs/ --min score@0.9=0.25 --max error_rate=0.2 --baseline board.json[/]
    """
    read_options(read)  # validates the reading flags before anything else
    if is_stdout(output):  # -o -: the JSON result on stdout
        output, format = None, format or "json"
    fmt = format or ("json" if output is not None else "text")
    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    gates = parse_gates(min, max)  # malformed gates fail (exit 2) before any file is read
    if not gates and baseline is None:
        raise UsageError("nothing to check: give --min, --max or --baseline")
    base_doc = load_baseline(baseline) if baseline is not None else None
    for target in (output, junit):
        if target is not None:
            check_not_input(target, paths)
    shown = o.chosen_thresholds(threshold, preset) or default_thresholds()
    thresholds = sorted(set(shown) | set(required_thresholds(gates, base_doc)))
    load_opts = read_options(
        read, keep_text=False, progress=progress_wanted(quiet),
        # counts mode: gates read scores, SEs and rates, which counts give exactly (bounded memory in CI)
        need_items=cluster not in ("auto", "none"),
    )
    err = stderr_console()
    data = load(paths, load_opts)
    board = build_leaderboard(data, thresholds, **scoring,
                              cluster=cluster, level=level)
    if not quiet:
        print_notes(board, err)
    result = evaluate(board, gates, models=model, benchmarks=benchmark, baseline=base_doc,
                      baseline_path=str(baseline) if baseline is not None else None)
    document = dumps(result.to_dict())
    outputs = [(output, text_writer(document))] if output is not None else []
    if junit is not None:
        outputs.append((junit, text_writer(to_junit(result))))
    write_many(outputs)  # the JSON result and the JUnit file: both written, or neither replaced
    append_step_summary(result.to_markdown() + "\n" + to_markdown(board))
    lines = [escape_controls(r.line()) for r in result.failed]
    if fmt == "json" and output is None:
        typer.echo(document, nl=False)
        for line in lines:
            typer.echo(line, err=True)
    else:
        for line in lines:
            typer.echo(line)
    if result.notes and not quiet:
        for note in result.notes:
            err.print(f"[dim]note:[/] {escape(note)}", highlight=False)
    if not result.passed:
        raise GateFailed(f"{len(result.failed)} of {len(result.results)} gates failed")
    if not quiet:
        err.print(f"ok: all {len(result.results)} gates passed", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
