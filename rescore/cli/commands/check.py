"""``rescore check``: a CI gate over the leaderboard that fails loudly (exit 1, one line per failure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape

from rescore import leaderboard as build_leaderboard
from rescore.cli import options as o
from rescore.cli.ci import append_step_summary, error_annotation, github_actions, write_outputs
from rescore.cli.common import handle_errors, stderr_console
from rescore.cli.readopts import read_options, reads_results, scores_outcomes
from rescore.config import default_thresholds
from rescore.errors import GateFailed, UsageError
from rescore.read.workers import progress_wanted

if TYPE_CHECKING:  # the reading, scoring and reporting stages (pandas) are imported when the command runs
    from rescore.score.gates import CheckResult

GATES = "Gates"

Min = Annotated[list[str] | None, typer.Option(
    "--min", help="Lower bound METRIC[@T]=VALUE, e.g. score@0.9=0.25 (repeatable).", rich_help_panel=GATES,
    show_default=False)]
Max = Annotated[list[str] | None, typer.Option(
    "--max", help="Upper bound METRIC[@T]=VALUE, e.g. error_rate=0.2 (repeatable).", rich_help_panel=GATES,
    show_default=False)]
ScopeModel = Annotated[list[str] | None, typer.Option(
    "--model", help="Check only models matching this glob, e.g. 'acme/*' (repeatable; default: every model; ranks "
    "stay among all models read).", rich_help_panel=GATES, show_default=False)]
ScopeBenchmark = Annotated[list[str] | None, typer.Option(
    "--benchmark", help="Check only benchmarks matching this glob (repeatable; default: every benchmark).",
    rich_help_panel=GATES, show_default=False)]
Baseline = Annotated[Path | None, typer.Option(
    "--baseline", help="A previous `rescore leaderboard --format json`: fail when a score dropped by more than the "
    "combined interval.", rich_help_panel=GATES, show_default=False)]
CheckFormat = Annotated[Literal["text", "json", "jsonl"] | None, typer.Option(
    "-f", "--format", help="text: FAIL lines; json: one document; jsonl: one gate result a line. [default: text; "
    "with -o json, or jsonl for *.jsonl]", rich_help_panel=o.OUTPUT, show_default=False)]
CheckOutput = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Write the JSON (or JSONL) result to this file (atomically).", rich_help_panel=o.OUTPUT,
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
    require_baseline: o.RequireBaseline = False,
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    interval: o.Interval = "auto",
    common_items: o.CommonItems = False,
    format: CheckFormat = None,
    output: CheckOutput = None,
    junit: Junit = None,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Fail (exit 1) when a gate does not hold for some benchmark x model: one FAIL line each.

    Example: rescore check runs/ --min score@0.9=0.25 --max error_rate=0.2 --baseline board.json
    """
    from rescore.read import prefetch

    # counts mode: gates read scores, SEs and rates, which counts give exactly (bounded memory in CI)
    # (item rows for a clustering, --common-items and a coverage gate: counts keep no item ids to form the union)
    rows_needed = cluster not in ("auto", "none") or common_items
    # one big JSONL file: Arrow reads it while pandas is imported below (the gates are parsed there:
    # here a coverage gate is known by its text); this also validates the reading flags first
    coverage_named = any("coverage" in gate for gate in [*(min or []), *(max or [])])
    prefetch.start(paths, read_options(read, need_items=rows_needed or coverage_named))
    from rescore.cli.output import print_notes
    from rescore.read.load import load
    from rescore.report.atomic import check_not_input, is_stdout, text_writer, write_many
    from rescore.report.files import to_markdown
    from rescore.report.safe_text import escape_controls, markdown_text
    from rescore.score.gates import MARKDOWN_LIMIT, evaluate, load_baseline, parse_gates, required_thresholds, to_junit
    from rescore.score.jsonable import dumps

    if is_stdout(output):  # -o -: the JSON result on stdout
        output, format = None, format or "json"
    fmt = format or ("text" if output is None else "jsonl" if output.suffix.lower() == ".jsonl" else "json")
    gates = parse_gates(min, max)  # malformed gates fail (exit 2) before any file is read
    if not gates and baseline is None:
        raise UsageError("nothing to check: give --min, --max or --baseline")
    if require_baseline and baseline is None:
        raise UsageError("--require-baseline needs --baseline")
    base_doc = load_baseline(baseline) if baseline is not None else None
    for target in (output, junit):
        if target is not None:
            check_not_input(target, paths)
    shown = o.chosen_thresholds(threshold, preset) or default_thresholds()
    thresholds = sorted(set(shown) | set(required_thresholds(gates, base_doc)))
    load_opts = read_options(read, keep_text=False, progress=progress_wanted(quiet),
                             need_items=rows_needed or any(g.metric == "coverage" for g in gates))
    err = stderr_console()
    data = load(paths, load_opts)
    board = build_leaderboard(data, thresholds, **scoring,
                              cluster=cluster, level=level, interval=interval, common_items=common_items)
    if not quiet:
        print_notes(board, err)
    result = evaluate(board, gates, models=model, benchmarks=benchmark, baseline=base_doc,
                      baseline_path=str(baseline) if baseline is not None else None,
                      require_baseline=require_baseline)
    document = dumps(result.to_dict()) if fmt != "jsonl" else \
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.to_dict()["results"])
    outputs = [(output, text_writer(document))] if output is not None else []
    if junit is not None:
        outputs.append((junit, text_writer(to_junit(result))))
    write_many(outputs)  # the JSON result and the JUnit file: both written, or neither replaced
    gate_table = result.to_markdown(limit=MARKDOWN_LIMIT // 2, name=markdown_text)
    append_step_summary(gate_table + "\n" + to_markdown(board, limit=MARKDOWN_LIMIT - len(gate_table) - 1))
    if github_actions():
        write_outputs(step_outputs(result, board))
    lines = [escape_controls(r.line()) for r in result.results if not r.passed or r.kind == "new"]
    if fmt in ("json", "jsonl") and output is None:
        typer.echo(document, nl=False)
        for line in lines:
            typer.echo(line, err=True)
    else:
        for line in lines:
            typer.echo(line)
    if github_actions():  # one annotation per failed gate, on the run's page and the pull request
        json_on_stdout = fmt in ("json", "jsonl") and output is None  # keep stdout JSON
        for r in result.failed:
            on_baseline = r.kind in ("regression", "new") and baseline is not None
            typer.echo(error_annotation(escape_controls(r.line()), file=str(baseline) if on_baseline else None),
                       err=json_on_stdout)
    if result.notes and not quiet:
        for note in result.notes:
            err.print(f"[dim]note:[/] {escape(note)}", highlight=False)
    if not result.passed:
        gated = len(result.results) - sum(r.passed for r in result.new)
        raise GateFailed(f"{len(result.failed)} of {gated} gates failed")
    if not quiet:
        gated = len(result.results) - len(result.new)
        new = f" ({len(result.new)} new since the baseline, not gated)" if result.new else ""
        err.print(f"ok: all {gated} gates passed{new}", highlight=False)


def step_outputs(result: CheckResult, board: Any) -> dict[str, str]:
    """The step's outputs under GitHub Actions: pass/fail, counts, and the key scores as JSON
    (``{benchmark: {model: {t: score}}}``, 4 decimals, and each benchmark's leader at the first t)."""
    import json

    scores: dict[str, dict[str, dict[str, float | None]]] = {}
    for r in board.rows.sort_values(["benchmark", "model", "t"], kind="stable").to_dict("records"):
        value = float(r["score"])
        scores.setdefault(str(r["benchmark"]), {}).setdefault(str(r["model"]), {})[f"{r['t']:g}"] = (
            round(value, 4) if value == value else None)
    first = board.rows[board.rows["t"] == board.thresholds[0]].sort_values(["benchmark", "rank", "model"])
    leaders = {str(b): str(frame["model"].iloc[0]) for b, frame in first.groupby("benchmark", sort=True)}
    return {
        "passed": "true" if result.passed else "false",
        "gates": str(len(result.results) - sum(r.passed for r in result.new)),
        "failed": str(len(result.failed)),
        "new-models": str(len(result.new)),
        "leaders": json.dumps(leaders, ensure_ascii=False, separators=(",", ":")),
        "scores": json.dumps(scores, ensure_ascii=False, separators=(",", ":")),
    }


def register(app: typer.Typer) -> None:
    app.command("check")(check)
