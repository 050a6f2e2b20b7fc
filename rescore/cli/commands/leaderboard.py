"""``rescore leaderboard``: the main job."""

from __future__ import annotations

import os

import typer

from ... import leaderboard as build_leaderboard
from ...config import preset as get_preset
from ...errors import UsageError
from ...loading import load
from ...parallel import progress_wanted
from ...reports import format_from_path, render, write
from ...reports.terminal import print_leaderboard
from .. import options as o
from ..ci import append_step_summary
from ..common import handle_errors, stderr_console, stdout_console
from ..output import print_explain, print_notes


@handle_errors
def leaderboard(
    paths: o.Paths,
    threshold: o.Thresholds = None,
    preset: o.Preset = None,
    idk_credit: o.IdkCredit = 0.0,
    partial: o.Partial = "wrong",
    invalid: o.Invalid = "wrong",
    cluster: o.Cluster = "auto",
    level: o.Level = 0.95,
    policy: o.PolicyMode = "as-is",
    ties: o.Ties = "auto",
    format: o.Format = None,
    output: o.Output = None,
    top: o.Top = None,
    explain: o.Explain = False,
    model_col: o.ModelCol = None,
    benchmark_col: o.BenchmarkCol = None,
    subset_col: o.SubsetCol = None,
    id_col: o.IdCol = None,
    pred_col: o.PredCol = None,
    response_col: o.ResponseCol = None,
    gold_col: o.GoldCol = None,
    correct_col: o.CorrectCol = None,
    confidence_col: o.ConfidenceCol = None,
    cluster_col: o.ClusterCol = None,
    mapping: o.Mapping = None,
    model: o.Model = None,
    benchmark: o.Benchmark = None,
    format_hint: o.FormatHint = None,
    skip_unknown: o.SkipUnknown = False,
    on_error: o.OnError = "raise",
    latest: o.Latest = False,
    abstain_phrase: o.AbstainPhrase = None,
    filter: o.FilterName = None,
    scorer: o.Scorer = None,
    epochs: o.Epochs = "attempts",
    reextract: o.Reextract = False,
    confidence_norm: o.ConfidenceNorm = "raw",
    denominator: o.Denominator = "submitted",
    pass_score: o.PassScore = None,
    instructed_t: o.InstructedT = None,
    engine: o.Engine = "local",
    scheduler: o.Scheduler = None,
    scheduler_timeout: o.SchedulerTimeout = 10.0,
    jobs: o.Jobs = None,
    quiet: o.Quiet = False,
    debug: o.Debug = False,
) -> None:
    """Rank models per benchmark at each confidence target, with 95% intervals.

    Example: [bold]rescore leaderboard sample_data/ -t 0 -t 0.9 -o board.csv[/]
    """
    if on_error not in ("raise", "skip"):
        raise UsageError(f"--on-error must be raise or skip, not {on_error!r}")
    fmt = format_from_path(output, format)
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet needs -o FILE")
    thresholds = list(threshold) if threshold else None
    if preset:
        if thresholds:
            raise UsageError("give either --preset or -t, not both")
        thresholds = [float(t) for t in get_preset(preset)["thresholds"]]
    if engine != "local" or scheduler is not None:
        from ...engines import check_engine_options

        check_engine_options(engine, scheduler)  # before any reading: a missing extra is exit 2
    if output is not None:
        from ...io import check_not_input

        check_not_input(output, paths)
    load_opts = o.load_options(
        model_col=model_col, benchmark_col=benchmark_col, subset_col=subset_col, id_col=id_col,
        pred_col=pred_col, response_col=response_col, gold_col=gold_col, correct_col=correct_col,
        confidence_col=confidence_col, cluster_col=cluster_col, mapping=mapping, model=model, benchmark=benchmark,
        format_hint=format_hint, skip_unknown=skip_unknown, on_error=on_error, latest=latest,
        abstain_phrase=abstain_phrase, filter_name=filter, scorer=scorer, epochs=epochs, reextract=reextract,
        confidence_norm=confidence_norm, denominator=denominator, pass_score=pass_score,
        instructed_t=instructed_t, keep_text=False,
        engine=engine, scheduler=scheduler, scheduler_timeout=scheduler_timeout, jobs=jobs,
        # counts mode (bounded memory) unless a clustering needs the item rows
        # (and unless --policy / --ties paired need them: both work on per-item rows). Otherwise None:
        # decide by input size, so --ties auto gets paired tests on ordinary inputs and bounded memory
        # (interval-overlap ties, with a note) on millions of items
        need_items=cluster not in ("auto", "none") or policy != "as-is" or ties == "paired",
        progress=progress_wanted(quiet),
    )
    if not load_opts.need_items:
        load_opts.need_items = None  # (load_options drops None values, so set it here)
    err = stderr_console()
    data = load(paths, load_opts)
    board = build_leaderboard(data, thresholds, partial=partial, invalid=invalid, idk_credit=idk_credit,
                              cluster=cluster, level=level, confidence_policy=policy, ties=ties)
    if not quiet:
        print_notes(board, err)
    if output is not None:
        write(board, fmt, output, top)
        if not quiet:
            err.print(f"wrote {output} ({fmt})")
    elif fmt == "table":
        print_leaderboard(board, stdout_console(), top)
    else:
        typer.echo(render(board, fmt, top), nl=False)
    if os.environ.get("GITHUB_STEP_SUMMARY"):  # GitHub Actions: shown on the run's page (else skip the render)
        append_step_summary(render(board, "markdown", top))
    if explain:
        print_explain(board, stdout_console() if output is None and fmt == "table" else err)


def register(app: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
