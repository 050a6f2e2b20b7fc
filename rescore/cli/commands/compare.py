"""``rescore compare``: paired comparison of every pair of models at every confidence target."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from rescore.cli import options as o
from rescore.cli.ci import append_step_summary
from rescore.cli.common import handle_errors
from rescore.cli.readopts import reads_results, scores_outcomes
from rescore.cli.statsio import emit, load_data, prepare

if TYPE_CHECKING:  # the statistics and their printing (pandas) are imported when the command runs, not for --help
    from rescore.score.results import StatsReport

ROWS = ["benchmark", "t", "model_a", "model_b", "diff", "se", "interval", "p", "p_adjusted", "significant"]
PAIRS = ["benchmark", "model_a", "model_b", "n", "dropped", "crossover", "crossover_share", "leader_below_crossover"]
TAU = ["benchmark", "t", "kendall_tau_b", "tau_interval", "discordant_pairs"]
LABELS = {"model_a": "A", "model_b": "B", "diff": "A−B", "p_adjusted": "p adj", "significant": "sig",
          "crossover": "t* [interval]", "crossover_share": "share", "leader_below_crossover": "ahead below t*",
          "kendall_tau_b": "tau-b", "tau_interval": "interval", "discordant_pairs": "order flips"}


def _interval(low: float, high: float, digits: int = 3) -> str:
    return "–" if low != low or high != high else f"[{low:.{digits}f}, {high:.{digits}f}]"


def build_report(*args: Any, **kwargs: Any) -> StatsReport:
    """:func:`rescore.score.compare.build_report`, imported on first call."""
    from rescore.score.compare import build_report as build

    return build(*args, **kwargs)


def print_compare(report: StatsReport, console: Console) -> None:
    """Terminal view: intervals folded into one column each so a pair fits on one line."""
    from rescore.report.grid import print_prose
    from rescore.report.stats_output import print_tables
    from rescore.score.results import StatsReport

    method = report.provenance["method"]
    rows = report.tables["rows"].copy()
    rows["interval"] = [_interval(lo, hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)]
    pairs = report.tables["pairs"].copy()
    pairs["dropped"] = [f"{a}+{b}" for a, b in zip(pairs["dropped_a"], pairs["dropped_b"], strict=True)]
    pairs["crossover"] = [
        "none" if t != t else f"{t:.3f} " + _interval(lo, hi, 2)
        for t, lo, hi in zip(pairs["crossover_t"], pairs["crossover_low"], pairs["crossover_high"], strict=True)
    ]
    tau = report.tables["tau"].copy()
    tau["tau_interval"] = [_interval(lo, hi, 2) for lo, hi in zip(tau["tau_low"], tau["tau_high"], strict=True)]
    view = StatsReport(report.kind, {"rows": rows, "pairs": pairs, "tau": tau}, report.provenance)
    print_tables(view, console, {"rows": ROWS, "pairs": PAIRS, "tau": TAU}, {
        "rows": f"Paired differences A − B (SE {method['se_method']}; " + (
            f"{method['interval']} interval" if "percentile" not in method["interval"] else
            f"{method['interval']} interval of {method['bootstrap']} bootstrap resamples") +
            f"; p adjusted by {method['correction']}; exact sign-flip p when few items differ)",
        "pairs": "Crossover t*: where S_A(t) − S_B(t) changes sign (share = bootstrap resamples with a crossover)",
        "tau": "Ranking at t vs t=0 (Kendall tau-b; pairs whose order flips)",
    }, LABELS)
    if report.tables["rows"].empty:
        print_prose(console, "nothing to compare: each benchmark needs at least two models with per-item data")


@handle_errors
@reads_results(engine=True)
@scores_outcomes
def compare(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    bootstrap: o.Bootstrap = 1000,
    seed: o.Seed = 0,
    correction: o.Correction = "holm",
    pairs: o.Pairs = "auto",
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    format: o.StatsFormat = None,
    output: o.Output = None,
    raw_csv: o.RawCsv = False,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Compare every pair of models per benchmark at each target: paired difference, SE, bootstrap interval,
    adjusted p-value, the crossover target t* where their order flips, and rank agreement with t=0.

    Example: rescore compare sample_data/ -t 0 -t 0.9 --bootstrap 2000 --seed 1
    """
    fmt = prepare(paths, format, output, read)
    from rescore.score.compare import check_compare_options

    check_compare_options(bootstrap, seed, pairs)  # exit 2 before any file is read
    thresholds = o.chosen_thresholds(threshold, preset)
    data = load_data(paths, read)
    report = build_report(data, thresholds, cluster=cluster, bootstrap=bootstrap, seed=seed, correction=correction,
                          level=level, pairs=pairs, **scoring)
    emit(report, fmt, output, quiet, print_compare, raw_csv)
    if os.environ.get("GITHUB_STEP_SUMMARY"):  # GitHub Actions: shown on the run's page
        from rescore.report.stats_output import compare_markdown

        append_step_summary(compare_markdown(report))


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
