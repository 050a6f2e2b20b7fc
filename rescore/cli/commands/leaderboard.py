"""``rescore leaderboard``: the main job."""

from __future__ import annotations

import os
from typing import Any

import typer

from rescore import leaderboard as build_leaderboard
from rescore.cli import options as o
from rescore.cli.ci import append_step_summary
from rescore.cli.common import handle_errors, stderr_console, stdout_console
from rescore.cli.readopts import read_options, reads_results, scores_outcomes
from rescore.errors import UsageError
from rescore.read.workers import progress_wanted


def load(*args: Any, **kwargs: Any) -> Any:
    """:func:`rescore.read.load.load`, imported on first call (the reading stage imports pandas: not
    at ``--help``); a name of this module, so a test can stand in for it."""
    from rescore.read.load import load as read

    return read(*args, **kwargs)


@handle_errors
@reads_results(engine=True)
@scores_outcomes
def leaderboard(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    policy: o.PolicyMode = "as-is",
    ties: o.Ties = "auto",
    interval: o.Interval = "auto",
    common_items: o.CommonItems = False,
    format: o.Format = None,
    output: o.Output = None,
    top: o.Top = None,
    explain: o.Explain = False,
    raw_csv: o.RawCsv = False,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Rank models per benchmark at each confidence target, with 95% intervals.

    Example: rescore leaderboard sample_data/ -t 0 -t 0.9 -o board.csv
    """
    load_opts = read_options(  # validates the reading flags before anything else
        read, keep_text=False, progress=progress_wanted(quiet),
        # counts mode (bounded memory) unless a clustering needs the item rows
        # (and unless --policy / --ties paired need them: both work on per-item rows). Otherwise None:
        # decide by input size, so --ties auto gets paired tests on ordinary inputs and bounded memory
        # (interval-overlap ties, with a note) on millions of items
        need_items=cluster not in ("auto", "none") or policy != "as-is" or ties == "paired" or common_items,
    )
    if not load_opts.need_items:
        load_opts.need_items = None  # (read_options drops None values, so set it here)
    from rescore.read import prefetch

    prefetch.start(paths, load_opts)  # one big JSONL file: Arrow reads it while pandas is imported below
    # the reading and reporting stages (pandas) are imported here, not when --help or another command runs
    from rescore.cli.output import print_explain, print_notes
    from rescore.report import format_from_path, render, write
    from rescore.report.terminal import print_leaderboard

    fmt = format_from_path(output, format)
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    from rescore.report.atomic import is_stdout

    if is_stdout(output) and fmt != "parquet":  # -o -: stdout, as without -o (Parquet bytes are copied there)
        output = None
    thresholds = o.chosen_thresholds(threshold, preset)
    if output is not None:
        from rescore.report.atomic import check_not_input

        check_not_input(output, paths)
    err = stderr_console()
    data = load(paths, load_opts)
    board = build_leaderboard(data, thresholds, **scoring,
                              cluster=cluster, level=level, confidence_policy=policy, ties=ties,
                              interval=interval, common_items=common_items)
    if not quiet:
        print_notes(board, err)
    if output is not None:
        write(board, fmt, output, top, raw_csv)
        if not quiet and not is_stdout(output):
            err.print(f"wrote {output} ({fmt})")
    elif fmt == "table":
        print_leaderboard(board, stdout_console(), top)
    else:
        typer.echo(render(board, fmt, top, raw_csv), nl=False)
    if os.environ.get("GITHUB_STEP_SUMMARY"):  # GitHub Actions: shown on the run's page (else skip the render)
        append_step_summary(render(board, "markdown", top))
    if explain:
        print_explain(board, stdout_console() if output is None and fmt == "table" else err)


def register(app: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
