"""``rescore selective``: risk-coverage curves and AURC from per-item confidences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from rescore.cli import options as o
from rescore.cli.common import handle_errors
from rescore.cli.readopts import reads_results, scores_outcomes
from rescore.cli.statsio import emit, load_data, prepare

if TYPE_CHECKING:  # the statistics and their printing (pandas) are imported when the command runs, not for --help
    from rescore.score.results import StatsReport

SUMMARY = ["benchmark", "model", "n", "answered_share", "risk", "aurc", "aurc_optimal", "excess_aurc",
           "coverage_at_risk", "coverage_all_at_risk", "threshold_at_risk"]


def build_report(*args: Any, **kwargs: Any) -> StatsReport:
    """:func:`rescore.score.selective.build_report`, imported on first call."""
    from rescore.score.selective import build_report as build

    return build(*args, **kwargs)


def print_selective(report: StatsReport, console: Console) -> None:
    from rescore.report.grid import print_prose
    from rescore.report.stats_output import print_tables
    from rescore.score.results import StatsReport

    summary = report.tables["summary"]
    cols = SUMMARY if summary["max_risk"].notna().any() else SUMMARY[:-3]
    grid = report.tables["grid"].rename(columns=lambda c: c.replace("risk@", "") if c.startswith("risk@") else c)
    view = StatsReport(report.kind, {"summary": summary, "grid": grid}, report.provenance)
    print_tables(view, console, {"summary": cols, "grid": list(grid.columns)}, {
        "summary": "Selective prediction on answered items (risk = error rate; AURC lower is better)",
        "grid": "Risk when answering only the most confident share of answers (column = coverage)"}, {
        "answered_share": "answered", "aurc_optimal": "optimal", "excess_aurc": "excess",
        "coverage_at_risk": "coverage", "coverage_all_at_risk": "of all", "threshold_at_risk": "cut-off"})
    if summary.empty:
        print_prose(console, "no model has usable per-item confidences (see the omitted notes on stderr)")
    else:
        print_prose(console, "[dim]the curves (one point per distinct confidence) are in --format json / "
                             "-o FILE.csv[/]")


@handle_errors
@reads_results(engine=True)
@scores_outcomes
def selective(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    max_risk: o.MaxRisk = None,
    format: o.StatsFormat = None,
    output: o.Output = None,
    raw_csv: o.RawCsv = False,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Risk-coverage of answering only above a confidence cut-off: AURC, and the coverage reachable at
    --max-risk.

    Example: rescore selective sample_data/ --max-risk 0.1
    """
    fmt = prepare(paths, format, output, read)
    data = load_data(paths, read)
    report = build_report(data, max_risk=max_risk, **scoring)
    emit(report, fmt, output, quiet, print_selective, raw_csv)


def register(app: typer.Typer) -> None:
    app.command("selective")(selective)
