"""``rescore calibration``: how well each model's confidences match its accuracy."""

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

SUMMARY = ["benchmark", "model", "n", "mean_confidence", "accuracy", "overconfidence", "ece_width", "ece_mass",
           "brier"]
RELIABILITY = ["benchmark", "model", "binning", "bin", "lower", "upper", "mean_confidence", "accuracy", "count"]
AUDIT = ["benchmark", "model", "instructed_t", "n", "abstention_rate", "error_rate", "accuracy_on_answered", "lower",
         "upper", "verdict", "errors_non_increasing"]


def build_report(*args: Any, **kwargs: Any) -> StatsReport:
    """:func:`rescore.score.calibration.build_report`, imported on first call."""
    from rescore.score.calibration import build_report as build

    return build(*args, **kwargs)


def print_calibration(report: StatsReport, console: Console) -> None:
    from rescore.report.grid import print_prose
    from rescore.report.stats_output import print_tables

    print_tables(report, console, {"summary": SUMMARY, "reliability": RELIABILITY, "audit": AUDIT}, {
        "summary": "Calibration on answered items (overconfidence = mean confidence − accuracy)",
        "reliability": "Reliability (per bin: mean confidence vs accuracy)",
        "audit": "Behavioural calibration: runs told a target t (accuracy on answered should clear t)",
    }, {"mean_confidence": "confidence", "overconfidence": "over", "ece_width": "ECE width",
        "ece_mass": "ECE mass", "instructed_t": "told t", "abstention_rate": "abstain", "error_rate": "wrong",
        "accuracy_on_answered": "acc answered", "errors_non_increasing": "wrong falls with t"})
    if report.tables["summary"].empty:
        print_prose(console, "no model has usable per-item confidences (see the omitted notes on stderr)")


@handle_errors
@reads_results(engine=True)
@scores_outcomes
def calibration(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    bins: o.Bins = 10,
    level: o.Level = 0.95,
    format: o.StatsFormat = None,
    output: o.Output = None,
    raw_csv: o.RawCsv = False,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Calibration of per-item confidences: ECE (equal-width and equal-mass), Brier, over/under-confidence,
    reliability tables, and the behavioural audit of runs told a target (--instructed-t).

    Example: rescore calibration sample_data/ --bins 10 -f json
    """
    fmt = prepare(paths, format, output, read)
    from rescore.score.calibration import check_bins

    check_bins(bins)  # exit 2 before any file is read
    data = load_data(paths, read)
    report = build_report(data, bins=bins, **scoring, level=level)
    emit(report, fmt, output, quiet, print_calibration, raw_csv)


def register(app: typer.Typer) -> None:
    app.command("calibration")(calibration)
