"""Every CLI option defined once (frictionless-py style) and reused by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rescore.config import preset as config_preset
from rescore.errors import UsageError

SCORING = "Scoring"
OUTPUT = "Output"
MAPPING = "Column mapping (generic tables)"
INPUT = "Input"
PRODUCERS = "Producer-specific"

Paths = Annotated[list[Path], typer.Argument(help="One or more result files or folders (walked recursively).",
                                              show_default=False,
                                              metavar="PATH")]
Thresholds = Annotated[
    list[float] | None,
    typer.Option("-t", "--threshold", help="Confidence target t in [0,1); repeat for several. "
                 "[default: 0 0.5 0.75 0.9]", rich_help_panel=SCORING, show_default=False),
]
Preset = Annotated[str | None, typer.Option("--preset", help="Named thresholds from configs/scoring.yaml: "
                                            "binary, kalai, omniscience, default.", rich_help_panel=SCORING)]
IdkCredit = Annotated[float, typer.Option("--idk-credit", help="Credit for an abstention (0 = the paper's rule).",
                                          rich_help_panel=SCORING)]
Partial = Annotated[str, typer.Option("--partial", help="How partial answers score: wrong|correct|abstain.",
                                      rich_help_panel=SCORING)]
Invalid = Annotated[str, typer.Option("--invalid", help="How extraction/grader failures score: wrong|abstain|drop.",
                                      rich_help_panel=SCORING)]
Cluster = Annotated[str, typer.Option("--cluster", help="Clustered SEs by: auto|none|subset|item|column. auto = the "
                                      "cluster column if any, else the item when attempts repeat.",
                                      rich_help_panel=SCORING)]
Level = Annotated[float, typer.Option("--level", help="Interval confidence level.", rich_help_panel=SCORING)]
Format = Annotated[str | None, typer.Option("-f", "--format", help="table|csv|json|parquet|markdown [default: "
                                            "from -o's suffix, else table]", rich_help_panel=OUTPUT,
                                            show_default=False)]
Output = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file (atomically).",
                                             rich_help_panel=OUTPUT, show_default=False)]
Top = Annotated[int | None, typer.Option("--top", help="Show only the first N models per benchmark.",
                                         rich_help_panel=OUTPUT, show_default=False, min=1)]
Explain = Annotated[bool, typer.Option("--explain", help="Also show how many items each outcome rule decided.",
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
Model = Annotated[str | None, typer.Option("--model", help="Model name for files that lack one.",
                                           rich_help_panel=MAPPING, show_default=False)]
Benchmark = Annotated[str | None, typer.Option("--benchmark", help="Benchmark name (default: from the file).",
                                               rich_help_panel=MAPPING, show_default=False)]

FormatHint = Annotated[str | None, typer.Option("--format-hint", help="Force one adapter (see `rescore formats`).",
                                                rich_help_panel=INPUT, show_default=False)]
SkipUnknown = Annotated[bool, typer.Option("--skip-unknown", help="List unrecognised files as skipped instead of "
                                           "failing.", rich_help_panel=INPUT)]
OnError = Annotated[str, typer.Option("--on-error", help="raise|skip: skip bad records/files, count and report them.",
                                      rich_help_panel=INPUT)]
Latest = Annotated[bool, typer.Option("--latest", help="Keep only the newest run of a model on a benchmark.",
                                      rich_help_panel=INPUT)]
AbstainPhrase = Annotated[list[str] | None, typer.Option("--abstain-phrase", help="Extra 'I don't know' phrase "
                                                         "(repeatable).", rich_help_panel=INPUT, show_default=False)]

FilterName = Annotated[str | None, typer.Option("--filter", help="lm-eval filter (default: the task's first).",
                                                rich_help_panel=PRODUCERS, show_default=False)]
Scorer = Annotated[str | None, typer.Option("--scorer", help="inspect_ai scorer / lighteval metric / lm-eval "
                                            "metric (default: the first; a name a file lacks is an error).",
                                            rich_help_panel=PRODUCERS, show_default=False)]
Epochs = Annotated[str, typer.Option("--epochs", help="inspect_ai epochs: attempts|majority|first.",
                                     rich_help_panel=PRODUCERS)]
Reextract = Annotated[bool, typer.Option("--reextract/--no-reextract", help="MMLU-Pro, inspect_ai choice(): "
                                         "re-apply the answer patterns to the raw text (default); --no-reextract "
                                         "keeps the file's own extraction.", rich_help_panel=PRODUCERS,
                                         show_default=False)]
ConfidenceNorm = Annotated[str, typer.Option("--confidence-norm", help="lm-eval MC softmax over raw|length "
                                             "log-likelihoods.", rich_help_panel=PRODUCERS)]
Denominator = Annotated[str, typer.Option("--denominator", help="SWE-bench: submitted|dataset.",
                                          rich_help_panel=PRODUCERS)]
PassScore = Annotated[float | None, typer.Option("--pass-score", help="WildBench, inspect_ai numeric scores: "
                                                 "minimum score counted correct.",
                                                 rich_help_panel=PRODUCERS, show_default=False)]
InstructedT = Annotated[float | None, typer.Option("--instructed-t", help="The target the model was told.",
                                                   rich_help_panel=PRODUCERS, show_default=False)]

ENGINE = "Engine (scale-out)"
Engine = Annotated[str, typer.Option("--engine", help="Where files are read: local|dask (dask needs "
                                     "pip install \"rescore[dask]\").", rich_help_panel=ENGINE)]
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
HELP_ALL_HINT = ("Column-mapping, producer-specific and engine flags: [bold]rescore COMMAND --help-all[/] "
                 "(or the README's CLI reference).")


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
StatsFormat = Annotated[str | None, typer.Option("-f", "--format", help="table|csv|json [default: from -o's suffix, "
                                                 "else table]", rich_help_panel=OUTPUT, show_default=False)]
Bins = Annotated[int, typer.Option("--bins", help="Calibration bins (equal-width and equal-mass).",
                                   rich_help_panel=CONFIDENCE, min=1)]
MaxRisk = Annotated[float | None, typer.Option("--max-risk", help="Report the largest coverage whose error rate "
                                               "among answered items is at most this.", rich_help_panel=CONFIDENCE,
                                               show_default=False)]
Bootstrap = Annotated[int, typer.Option("--bootstrap", help="Paired bootstrap resamples (0 = none); clusters are "
                                        "resampled whole when they exist.", rich_help_panel=CONFIDENCE, min=0)]
Seed = Annotated[int, typer.Option("--seed", help="Bootstrap seed (results are reproducible per pair).",
                                   rich_help_panel=CONFIDENCE)]
Correction = Annotated[str, typer.Option("--correction", help="Multiple comparisons across pairs: holm (family-wise) "
                                         "| bh (false discovery rate) | none.", rich_help_panel=CONFIDENCE)]
PolicyMode = Annotated[str, typer.Option("--policy", help="as-is | calibrated | both: calibrated = re-score as if "
                                         "each model answered only when its confidence > t.",
                                         rich_help_panel=CONFIDENCE)]
Ties = Annotated[str, typer.Option("--ties", help="≈ marks from: auto (paired tests when item rows are loaded, else "
                                   "interval overlap) | paired (load item rows for paired tests) | overlap.",
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
