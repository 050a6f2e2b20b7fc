"""Every CLI option defined once (frictionless-py style) and reused by the commands.

A closed set of values is a ``Literal`` type: typer lists the choices in ``--help``, refuses any
other value (exit 2) and offers them to shell completion, while the command still receives a
plain ``str``. Help text is printed as written: ``rescore.cli.app`` escapes rich markup in every
help string, so ``[default: ...]`` or ``rescore[plots]`` are shown, not swallowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

import typer

from rescore.config import preset as config_preset
from rescore.errors import UsageError

SCORING = "Scoring"
OUTPUT = "Output"
MAPPING = "Column mapping (generic tables)"
INPUT = "Input"
PRODUCERS = "Producer-specific"

Paths = Annotated[list[str], typer.Argument(help="Result files, folders, URLs (s3://, hf://, ...) or - (stdin).",
                                              show_default=False,
                                              metavar="PATH")]
Thresholds = Annotated[
    list[float] | None,
    typer.Option("-t", "--threshold", help="Confidence target t in [0,1); repeat for several. "
                 "[default: 0 0.5 0.75 0.9]", rich_help_panel=SCORING, show_default=False),
]


def _preset_names(incomplete: str) -> list[str]:
    """Shell completion of --preset: the presets in configs/scoring.yaml."""
    from rescore.config import scoring_config

    return [name for name in scoring_config()["presets"] if name.startswith(incomplete)]


Preset = Annotated[str | None, typer.Option("--preset", help="Named thresholds from configs/scoring.yaml: "
                                            "binary, kalai, omniscience, default.", rich_help_panel=SCORING,
                                            autocompletion=_preset_names, show_default=False)]
IdkCredit = Annotated[float, typer.Option("--idk-credit", help="Abstention credit (paper: 0).",
                                          rich_help_panel=SCORING)]
Partial = Annotated[Literal["wrong", "correct", "abstain"], typer.Option(
    "--partial", help="How partial answers score.", rich_help_panel=SCORING)]
Invalid = Annotated[Literal["wrong", "abstain", "drop"], typer.Option(
    "--invalid", help="How unparsed answers score.", rich_help_panel=SCORING)]
ClusterChoice = Literal["auto", "none", "subset", "item", "column"]
Cluster = Annotated[ClusterChoice, typer.Option(
    "--cluster", help=f"SE clusters: {', '.join(get_args(ClusterChoice))} (auto: column, else item).",
    rich_help_panel=SCORING, metavar="BY")]
Level = Annotated[float, typer.Option("--level", help="Interval confidence level.", rich_help_panel=SCORING)]
FormatChoice = Literal["table", "csv", "tsv", "json", "jsonl", "parquet", "markdown"]
Format = Annotated[FormatChoice | None, typer.Option(
    "-f", "--format", help=f"{', '.join(get_args(FormatChoice))}. [default: from -o's suffix, else table]",
    rich_help_panel=OUTPUT, show_default=False, metavar="FORMAT")]
Output = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file (atomically); - is stdout.",
                                             rich_help_panel=OUTPUT, show_default=False)]
Top = Annotated[int | None, typer.Option("--top", help="Only the first N models per benchmark.",
                                         rich_help_panel=OUTPUT, show_default=False, min=1)]
Explain = Annotated[bool, typer.Option("--explain", help="Also show how many items each rule decided.",
                                       rich_help_panel=OUTPUT)]
Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="No notes or progress on stderr.", rich_help_panel=OUTPUT)]
Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.", rich_help_panel=OUTPUT)]

ModelCol = Annotated[str | None, typer.Option("--model-col", rich_help_panel=MAPPING, show_default=False)]
BenchmarkCol = Annotated[str | None, typer.Option("--benchmark-col", rich_help_panel=MAPPING, show_default=False)]
SubsetCol = Annotated[str | None, typer.Option("--subset-col", rich_help_panel=MAPPING, show_default=False)]
IdCol = Annotated[str | None, typer.Option("--id-col", rich_help_panel=MAPPING, show_default=False)]
PredCol = Annotated[str | None, typer.Option("--pred-col", help="Extracted answer.", rich_help_panel=MAPPING,
                                             show_default=False)]
ResponseCol = Annotated[str | None, typer.Option("--response-col", help="Raw model text.", rich_help_panel=MAPPING,
                                                 show_default=False)]
GoldCol = Annotated[str | None, typer.Option("--gold-col", rich_help_panel=MAPPING, show_default=False)]
CorrectCol = Annotated[str | None, typer.Option("--correct-col", help="Grade: bool, 0/1, CORRECT/INCORRECT/"
                                                "NOT_ATTEMPTED...", rich_help_panel=MAPPING, show_default=False)]
ConfidenceCol = Annotated[str | None, typer.Option("--confidence-col", help="0-1, 0-100 or 'NN%'.",
                                                   rich_help_panel=MAPPING, show_default=False)]
ClusterCol = Annotated[str | None, typer.Option("--cluster-col", rich_help_panel=MAPPING, show_default=False)]
Mapping = Annotated[str | None, typer.Option("--mapping", help="YAML role->column file (or a name under "
                                             "configs/mappings).", rich_help_panel=MAPPING, show_default=False)]
ModelName = Annotated[str | None, typer.Option("--model-name", help="Name every model read this (for files that "
                                               "lack a model name).", rich_help_panel=MAPPING, show_default=False)]
BenchmarkName = Annotated[str | None, typer.Option("--benchmark-name", help="Name every benchmark read this "
                                                   "[default: from the file]", rich_help_panel=MAPPING,
                                                   show_default=False)]
FILTER = INPUT  # --model / --benchmark select from what is read
Model = Annotated[list[str] | None, typer.Option(
    "--model", help="Only models matching this glob, e.g. 'acme/*'.",
    rich_help_panel=FILTER, show_default=False)]
Benchmark = Annotated[list[str] | None, typer.Option(
    "--benchmark", help="Only benchmarks matching this glob, e.g. 'gpqa*'.",
    rich_help_panel=FILTER, show_default=False)]

FormatHint = Annotated[str | None, typer.Option("--format-hint", help="Force one adapter (see `rescore formats`).",
                                                rich_help_panel=INPUT, show_default=False)]
SkipUnknown = Annotated[bool, typer.Option("--skip-unknown", help="No effect (old scripts): folders always skip "
                                           "unknown files.", rich_help_panel=INPUT)]
OnError = Annotated[Literal["raise", "skip"], typer.Option(
    "--on-error", help="skip = drop bad records, counted.", rich_help_panel=INPUT)]
Latest = Annotated[bool, typer.Option("--latest", help="Keep only the newest run of a model on a benchmark.",
                                      rich_help_panel=INPUT)]
AbstainPhrase = Annotated[list[str] | None, typer.Option("--abstain-phrase", help="Extra 'I don't know' phrase "
                                                         "(repeatable).", rich_help_panel=INPUT, show_default=False)]

FilterName = Annotated[str | None, typer.Option("--filter", help="lm-eval filter (default: the task's first).",
                                                rich_help_panel=PRODUCERS, show_default=False)]
Scorer = Annotated[str | None, typer.Option("--scorer", help="inspect_ai scorer / lighteval metric / lm-eval "
                                            "metric (default: the first; a name a file lacks is an error).",
                                            rich_help_panel=PRODUCERS, show_default=False)]
Epochs = Annotated[Literal["attempts", "majority", "first"], typer.Option(
    "--epochs", help="inspect_ai epochs: each attempt an item, the majority answer, or the first.",
    rich_help_panel=PRODUCERS)]
Reextract = Annotated[bool, typer.Option("--reextract/--no-reextract", help="MMLU-Pro, inspect_ai choice(): "
                                         "re-apply the answer patterns to the raw text (default); --no-reextract "
                                         "keeps the file's own extraction.", rich_help_panel=PRODUCERS,
                                         show_default=False)]
ConfidenceNorm = Annotated[Literal["raw", "length"], typer.Option(
    "--confidence-norm", help="lm-eval MC softmax over raw or length-normalised log-likelihoods.",
    rich_help_panel=PRODUCERS)]
Denominator = Annotated[Literal["submitted", "dataset"], typer.Option(
    "--denominator", help="SWE-bench: score over the submitted instances or the whole dataset.",
    rich_help_panel=PRODUCERS)]
PassScore = Annotated[float | None, typer.Option("--pass-score", help="WildBench (1-10), inspect_ai numeric "
                                                 "scores: minimum score counted correct.",
                                                 rich_help_panel=PRODUCERS, show_default=False)]
InstructedT = Annotated[float | None, typer.Option("--instructed-t", help="The target the model was told.",
                                                   rich_help_panel=PRODUCERS, show_default=False)]

ENGINE = "Engine (scale-out)"
Engine = Annotated[Literal["local", "dask"], typer.Option(
    "--engine", help="Where files are read (dask needs pip install \"rescore[dask]\").", rich_help_panel=ENGINE)]
Scheduler = Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786 "
                                               "(default: a LocalCluster sized to this machine).",
                                               rich_help_panel=ENGINE, show_default=False)]
SchedulerTimeout = Annotated[float, typer.Option("--scheduler-timeout", help="Seconds to wait for the Dask scheduler "
                                                 "and a first worker before failing (exit 3).",
                                                 rich_help_panel=ENGINE, min=0.1)]
Jobs = Annotated[int | None, typer.Option("-j", "--jobs", help="Worker processes reading files (1 = in this process). "
                                          "[default: CPU count; small inputs in-process]", rich_help_panel=ENGINE,
                                          show_default=False, min=1)]


ADVANCED_PANELS = (MAPPING, PRODUCERS, ENGINE)
HELP_ALL_HINT = ("Column-mapping, producer-specific and engine flags: rescore COMMAND --help-all "
                 "(or the CLI reference in docs/cli.md).")


def chosen_thresholds(threshold: list[float] | None, preset: str | None) -> list[float] | None:
    """``-t`` values or a ``--preset``'s (never both); None means the configured defaults."""
    if preset:
        if threshold:
            raise UsageError("give either --preset or -t, not both")
        return [float(t) for t in config_preset(preset)["thresholds"]]
    return list(threshold) if threshold else None


def show_advanced(shown: bool) -> None:
    """Show or hide the advanced panels in ``--help`` (they parse either way).

    A newcomer's ``--help`` fits one screen; ``--help-all`` (handled in ``cli.app.main``) shows
    the column-mapping, producer-specific and engine flags too.
    """
    for value in globals().values():
        for meta in getattr(value, "__metadata__", ()):
            if getattr(meta, "rich_help_panel", None) in ADVANCED_PANELS:
                meta.hidden = not shown


# ---- confidence-aware statistics (rescore calibration / selective / compare, leaderboard --policy) ----
CONFIDENCE = "Confidence and comparison"
StatsFormat = Annotated[Literal["table", "csv", "tsv", "json", "jsonl"] | None, typer.Option(
    "-f", "--format", help="csv, tsv, jsonl: the main table. [default: from -o's suffix, else table]",
    rich_help_panel=OUTPUT, show_default=False)]
Bins = Annotated[int, typer.Option("--bins", help="Calibration bins (equal-width and equal-mass).",
                                   rich_help_panel=CONFIDENCE, min=1)]
MaxRisk = Annotated[float | None, typer.Option("--max-risk", help="Report the largest coverage whose error rate "
                                               "among answered items is at most this.", rich_help_panel=CONFIDENCE,
                                               show_default=False)]
Bootstrap = Annotated[int, typer.Option("--bootstrap", help="Paired bootstrap resamples (0 = none); clusters are "
                                        "resampled whole when they exist.", rich_help_panel=CONFIDENCE, min=0)]
Seed = Annotated[int, typer.Option("--seed", help="Bootstrap seed (results are reproducible per pair).",
                                   rich_help_panel=CONFIDENCE)]
Correction = Annotated[Literal["holm", "bh", "none"], typer.Option(
    "--correction", help="Multiple comparisons across pairs: holm (family-wise), bh (false discovery rate), none.",
    rich_help_panel=CONFIDENCE)]
PolicyMode = Annotated[Literal["as-is", "calibrated", "both"], typer.Option(
    "--policy", help="calibrated: abstain unless confident > t.",
    rich_help_panel=CONFIDENCE)]
Ties = Annotated[Literal["auto", "paired", "overlap"], typer.Option(
    "--ties", help="≈ marks: paired tests or interval overlap.",
    rich_help_panel=CONFIDENCE)]


# ---- issue 16 (verdicts): which part of a producer's score decides ----
ScoreKey = Annotated[str | None, typer.Option("--score-key", help="inspect_ai: the entry of a dict score (or the "
                                              "index of a list score) that is the grade, e.g. 'Problem "
                                              "Correctness'.", rich_help_panel=PRODUCERS, show_default=False)]
Metric = Annotated[str | None, typer.Option("--metric", help="lm-eval: the metric that decides (acc | acc_norm | "
                                            "acc_bytes | exact_match ...; default: the task's first). A metric a "
                                            "file lacks is an error listing the ones it has.",
                                            rich_help_panel=PRODUCERS, show_default=False)]

# ---- issue 17: hostile input (docs/hostile.md) ----
RawCsv = Annotated[bool, typer.Option("--raw-csv", help="Write CSV cells as they are: by default a text cell "
                                      "starting with = + - @ tab or CR gets a leading ' (OWASP CSV-injection guard).",
                                      rich_help_panel=OUTPUT)]

Pairs = Annotated[str, typer.Option("--pairs", help="Which pairs compare tests: all | adjacent (each model with the "
                                    "one ranked above it and with the leader) | MODEL (it against every other) | "
                                    "auto (all up to 100 models, else adjacent).", rich_help_panel=CONFIDENCE)]


show_advanced(False)


# ---- issue 16 (folders: per-model files, coverage) ----
ModelFrom = Annotated[str | None, typer.Option("--model-from", help="Model name from the file's path: stem (file "
                                               "name) | parent (folder name). [default: the model column, else the "
                                               "stem]", rich_help_panel=MAPPING, show_default=False)]
BenchmarkFrom = Annotated[str | None, typer.Option("--benchmark-from", help="Benchmark name from the file's path: "
                                                   "stem | parent. [default: the benchmark column, else the folder "
                                                   "when the model comes from the file name, else the file name]",
                                                   rich_help_panel=MAPPING, show_default=False)]
CommonItems = Annotated[bool, typer.Option("--common-items", help="Score a benchmark's models on their shared items.",
                                           rich_help_panel=SCORING)]


# ---- issue 19: CI adoption (rescore check) ----
RequireBaseline = Annotated[bool, typer.Option(
    "--require-baseline", help="Fail a model (per benchmark) that the --baseline does not have; without it such a "
    "model gets its own line, 'new: not gated'.", rich_help_panel="Gates")]


show_advanced(False)


# ---- issue 21: remote paths and the incremental cache (rescore/read/remote.py, rescore/read/cache.py) ----
REMOTE = "Remote paths and cache"
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds per request to a remote filesystem (URL paths); "
                                        "a failing request is retried twice, then the run stops (exit 3).",
                                        rich_help_panel=REMOTE, min=0.1)]
Cache = Annotated[str | None, typer.Option("--cache", envvar="RESCORE_CACHE", help="Folder keeping each file's "
                                           "result; a re-run reads only files (or options) that changed.",
                                           rich_help_panel=REMOTE, show_default=False)]
ADVANCED_PANELS = (*ADVANCED_PANELS, REMOTE)  # shown by --help-all: the short help stays one screen


# ---- issue 20: the interval method ----------------------------------------------------------------
INTERVALS = "Intervals"  # an advanced panel: the newcomer's --help stays one screen
ADVANCED_PANELS = (*ADVANCED_PANELS, INTERVALS)
Interval = Annotated[str, typer.Option("--interval", help="Interval of S(t): auto (score interval; with clusters "
                                       "on CR2 effective counts) | score | lr | t | clt (normal, the old one). "
                                       "See docs/intervals.md.", rich_help_panel=INTERVALS)]
show_advanced(False)


# ---- issue 16d (point 1): inspect_ai letter grades ----
PassGrade = Annotated[str | None, typer.Option("--pass-grade", help="inspect_ai letter grades A-F (+/-): the lowest "
                                               "grade counted correct, e.g. B.", rich_help_panel=PRODUCERS,
                                               show_default=False)]
show_advanced(False)
