"""``rescore report``: one self-contained HTML file (tables, figures, scoring rule, provenance)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from rescore import leaderboard as build_leaderboard
from rescore.cli import options as o
from rescore.cli.ci import append_step_summary
from rescore.cli.common import handle_errors, stderr_console
from rescore.cli.readopts import read_options, reads_results, scores_outcomes
from rescore.errors import UsageError
from rescore.read.workers import progress_wanted

ReportOutput = Annotated[Path | None, typer.Option(
    "-o", "--output", help="The HTML file to write (atomically). [required]", rich_help_panel=o.OUTPUT,
    show_default=False)]
Title = Annotated[str, typer.Option("--title", help="Heading of the report.", rich_help_panel=o.OUTPUT)]
Bins = Annotated[int, typer.Option("--bins", help="Confidence bins of the reliability diagrams.", min=2, max=100,
                                   rich_help_panel=o.OUTPUT)]


@handle_errors
@reads_results(engine=True)
@scores_outcomes
def report(
    paths: o.Paths,
    read: dict[str, Any],
    scoring: dict[str, Any],
    output: ReportOutput = None,
    title: Title = "rescore report",
    top: o.Top = None,
    bins: Bins = 10,
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    interval: o.Interval = "auto",
    common_items: o.CommonItems = False,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Write one self-contained HTML report: leaderboards, score-vs-target curves, rank bump chart,
    reliability and risk-coverage figures, the scoring rule, provenance. Opens offline.

    A slider re-scores and re-sorts the tables at any t in [0, 0.99]; figures are drawn by matplotlib.

    Example: rescore report sample_data/ -o report.html
    """
    # the reading and reporting stages (pandas) are imported here, not when --help or another command runs
    from rescore.cli.output import print_notes
    from rescore.read.load import load
    from rescore.report.atomic import check_not_input, is_stdout, write_text_atomic
    from rescore.report.files import to_markdown
    from rescore.report.html import PLOTS_HINT, load_matplotlib, render_html

    if output is None:
        raise UsageError("rescore report needs -o FILE.html")
    if output.suffix.lower() not in (".html", ".htm") and not is_stdout(output):
        raise UsageError(f"-o {output}: the report is HTML; name the file *.html")
    read_options(read)  # validates the reading flags before anything else
    thresholds = o.chosen_thresholds(threshold, preset)
    check_not_input(output, paths)
    load_opts = read_options(read, keep_text=False, need_items=True, progress=progress_wanted(quiet))
    err = stderr_console()
    data = load(paths, load_opts)
    board = build_leaderboard(data, thresholds, **scoring,
                              cluster=cluster, level=level, interval=interval, common_items=common_items)
    if not quiet:
        print_notes(board, err)
    text = render_html(board, data.items if data.has_items else None, title=title, top=top, bins=bins)
    write_text_atomic(output, text)
    if os.environ.get("GITHUB_STEP_SUMMARY"):  # GitHub Actions: the leaderboard on the run's page
        append_step_summary(f"HTML report: `{output}`\n\n" + to_markdown(board, top))
    if not quiet:
        if load_matplotlib() is None:
            err.print(f"note: tables only; {PLOTS_HINT}", highlight=False, markup=False)
        shown = "stdout" if is_stdout(output) else output
        err.print(f"wrote {shown} (html, {len(text) // 1024} KiB)", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
