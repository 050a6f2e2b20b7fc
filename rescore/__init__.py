"""rescore: re-score existing LLM benchmark results under explicit confidence targets.

Library API (the CLI only calls these)::

    import rescore
    data = rescore.load("runs/")                    # canonical item table + provenance
    board = rescore.leaderboard(data, thresholds=[0, 0.5, 0.75, 0.9])
    board.rows                                      # pandas DataFrame, one row per benchmark x model x t
    rescore.score_counts(n_correct=60, n_wrong=30, n_abstain=10, t=0.75)
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rescore.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from rescore.read.assemble import Dataset
    from rescore.read.options import LoadOptions
    from rescore.score.leaderboard import Leaderboard

__all__ = ["Dataset", "Leaderboard", "Policy", "__version__", "leaderboard", "load", "score_counts"]


def load(
    paths: str | Path | Iterable[str | Path],
    *,
    model_col: str | None = None,
    benchmark_col: str | None = None,
    subset_col: str | None = None,
    id_col: str | None = None,
    attempt_col: str | None = None,
    pred_col: str | None = None,
    response_col: str | None = None,
    gold_col: str | None = None,
    correct_col: str | None = None,
    confidence_col: str | None = None,
    cluster_col: str | None = None,
    instructed_t_col: str | None = None,
    mapping: str | None = None,
    model: str | None = None,
    benchmark: str | None = None,
    format_hint: str | None = None,
    skip_unknown: bool = False,
    on_error: Literal["raise", "skip"] = "raise",
    latest: bool = False,
    abstain_phrases: tuple[str, ...] = (),
    filter_name: str | None = None,
    scorer: str | None = None,
    epochs: str = "attempts",
    reextract: bool = True,
    confidence_norm: str = "raw",
    denominator: str = "submitted",
    pass_score: float | None = None,
    ifeval_variant: str | None = None,
    instructed_t: float | None = None,
    keep_text: bool = True,
    need_items: bool | None = True,
    jobs: int | None = None,
    progress: bool = False,
    batch_size: int = 50000,
    engine: str = "local",
    scheduler: Any = None,
    scheduler_timeout: float = 10.0,
    timeout: float = 30.0,
    cache: str | None = None,
    score_key: str | None = None,
    metric: str | None = None,
    reference_ids: Sequence[str] | None = None,
    model_from: str | None = None,
    benchmark_from: str | None = None,
    models: tuple[str, ...] = (),
    benchmarks: tuple[str, ...] = (),
    pass_grade: str | None = None,
    options: LoadOptions | None = None,
) -> Dataset:
    """Read result files and folders into a :class:`~rescore.read.assemble.Dataset`.

    Every keyword is a field of :class:`~rescore.read.options.LoadOptions` (documented there and in
    the CLI reference: ``model_col`` is ``--model-col``); ``reference_ids`` is WildBench's list of the
    full set's ids; ``models`` and ``benchmarks`` keep only the names matching their glob patterns
    (``models=("acme/*",)``), while ``model`` and ``benchmark`` *name* what is read. Pass a prepared
    ``options`` object instead of keywords, not both. A misspelt keyword is a TypeError, as for any
    function.
    """
    from rescore.read.load import load as _load
    from rescore.read.options import LoadOptions as _LoadOptions

    keywords = {name: value for name, value in locals().items() if name in _LOAD_DEFAULTS}
    given = sorted(name for name, value in keywords.items() if value is not _LOAD_DEFAULTS[name]
                   and not (isinstance(value, (str, int, float, tuple)) and value == _LOAD_DEFAULTS[name]))
    if options is not None:
        if given:
            raise TypeError(f"load() got options ({', '.join(given)}) and an options object; pass one")
        return _load(paths, options)
    if keywords["reference_ids"] is None:
        del keywords["reference_ids"]
    return _load(paths, _LoadOptions.from_kwargs(**keywords))


_LOAD_DEFAULTS = {name: parameter.default for name, parameter in inspect.signature(load).parameters.items()
                  if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "options"}


def leaderboard(
    data: Any,
    thresholds: list[float] | None = None,
    *,
    partial: str = "wrong",
    invalid: str = "wrong",
    idk_credit: float = 0.0,
    cluster: str = "auto",
    level: float = 0.95,
    confidence_policy: str = "as-is",
    ties: str = "auto",
    interval: str = "auto",
    common_items: bool = False,
    **load_options: Any,
) -> Leaderboard:
    """Rank models per benchmark at every threshold; ``data`` is a Dataset or paths to load.

    ``confidence_policy="both"`` adds the calibrated-abstention policy scores (``board.policy_rows``);
    ``ties`` "auto" sets the ≈ marks by paired tests when item rows exist ("overlap": interval overlap);
    ``interval`` "auto" is the score interval (docs/intervals.md; "clt" is the normal one).
    ``common_items`` scores every model of a benchmark on the items all of them have (needs item rows).
    """
    from rescore.read.assemble import Dataset as _Dataset
    from rescore.score.leaderboard import build
    from rescore.score.rule import Policy as _Policy

    if not isinstance(data, _Dataset):
        data = load(data, **load_options)
    elif load_options:  # silently ignored before: a misspelt keyword changed nothing
        raise TypeError(f"leaderboard() got options ({', '.join(sorted(load_options))}) that apply only when "
                        "reading paths; data is already a loaded Dataset")
    policy = _Policy(partial=partial, invalid=invalid, idk_credit=idk_credit)
    return build(data, thresholds, policy, cluster=cluster, level=level, confidence_policy=confidence_policy,
                 ties=ties, interval=interval, common_items=common_items)


def score_counts(
    n_correct: float,
    n_wrong: float,
    n_abstain: float = 0,
    t: float = 0.0,
    idk_credit: float = 0.0,
    level: float = 0.95,
    interval: str = "auto",
) -> dict[str, Any]:
    """Score, standard error and interval at target ``t`` from counts alone.

    ``interval``: "auto"/"score" (the score interval), "lr", "t" or "clt"; ``method`` in the
    result names it. An undefined interval (n = 0; a zero SE for "t"/"clt") is NaN, not [s, s].
    (Named ``score_counts`` because ``rescore.score`` is the scoring stage's package.)
    """
    from rescore.score.intervals import clt_se, counts_interval, method_name
    from rescore.score.rule import check_threshold
    from rescore.score.rule import score as _score

    t = check_threshold(t)
    method = method_name(interval, clustered=False)
    n = n_correct + n_wrong + n_abstain
    value = float(_score(n_correct, n_wrong, n_abstain, n, t, idk_credit))
    se = float(clt_se(n_correct, n_wrong, n_abstain, t, idk_credit))
    low, high = counts_interval(method, n_correct, n_wrong, n_abstain, t, idk_credit, level)
    return {"t": t, "score": value, "se": se, "ci_low": float(low), "ci_high": float(high), "n": float(n),
            "method": method}


_REPORT_MODULES = {"calibration": "rescore.score.calibration", "selective": "rescore.score.selective",
                   "policy": "rescore.score.policies", "compare": "rescore.score.compare"}


def __getattr__(name: str) -> Any:
    if name == "Policy":
        from rescore.score.rule import Policy

        return Policy
    if name == "Dataset":
        from rescore.read.assemble import Dataset

        return Dataset
    if name == "Leaderboard":
        from rescore.score.leaderboard import Leaderboard

        return Leaderboard
    if name in _REPORT_MODULES:  # rescore.calibration.build_report(...), as before the stages had packages
        import importlib

        return importlib.import_module(_REPORT_MODULES[name])
    raise AttributeError(name)
