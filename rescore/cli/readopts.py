"""The flag groups commands share, declared once and added by decorators.

typer builds options from a function's signature, so a command that reads result files would
otherwise repeat some thirty parameters, and every scoring command the three that say how
partial, invalid and abstained items score. :func:`reads_results` appends the reading flags to
the command's signature (after its own options, before ``--quiet``/``--debug``) and hands the
command one dict in its ``read`` argument instead; :func:`scores_outcomes` does the same for the
scoring flags, in ``scoring`` (keyword arguments for the library's builders).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from rescore.cli import options as o
from rescore.errors import UsageError
from rescore.read.options import LoadOptions

F = TypeVar("F", bound=Callable[..., Any])

# flag parameter name -> (annotation, default, LoadOptions field)
READ_FLAGS: dict[str, tuple[Any, Any, str]] = {
    "model_col": (o.ModelCol, None, "model_col"),
    "benchmark_col": (o.BenchmarkCol, None, "benchmark_col"),
    "subset_col": (o.SubsetCol, None, "subset_col"),
    "id_col": (o.IdCol, None, "id_col"),
    "pred_col": (o.PredCol, None, "pred_col"),
    "response_col": (o.ResponseCol, None, "response_col"),
    "gold_col": (o.GoldCol, None, "gold_col"),
    "correct_col": (o.CorrectCol, None, "correct_col"),
    "confidence_col": (o.ConfidenceCol, None, "confidence_col"),
    "cluster_col": (o.ClusterCol, None, "cluster_col"),
    "mapping": (o.Mapping, None, "mapping"),
    "model_name": (o.ModelName, None, "model"),
    "benchmark_name": (o.BenchmarkName, None, "benchmark"),
    "model": (o.Model, None, "models"),
    "benchmark": (o.Benchmark, None, "benchmarks"),
    "format_hint": (o.FormatHint, None, "format_hint"),
    "skip_unknown": (o.SkipUnknown, False, "skip_unknown"),
    "on_error": (o.OnError, "raise", "on_error"),
    "latest": (o.Latest, False, "latest"),
    "abstain_phrase": (o.AbstainPhrase, None, "abstain_phrases"),
    "filter": (o.FilterName, None, "filter_name"),
    "scorer": (o.Scorer, None, "scorer"),
    "epochs": (o.Epochs, "attempts", "epochs"),
    "reextract": (o.Reextract, True, "reextract"),
    "confidence_norm": (o.ConfidenceNorm, "raw", "confidence_norm"),
    "denominator": (o.Denominator, "submitted", "denominator"),
    "pass_score": (o.PassScore, None, "pass_score"),
    "instructed_t": (o.InstructedT, None, "instructed_t"),
    "jobs": (o.Jobs, None, "jobs"),
    # issue 16: per-model files
    "model_from": (o.ModelFrom, None, "model_from"),
    "benchmark_from": (o.BenchmarkFrom, None, "benchmark_from"),
    # issue 21
    "timeout": (o.Timeout, 30.0, "timeout"),
    "cache": (o.Cache, None, "cache"),
    # issue 16 (verdicts)
    "score_key": (o.ScoreKey, None, "score_key"),
    "metric": (o.Metric, None, "metric"),
    # issue 16d (point 1)
    "pass_grade": (o.PassGrade, None, "pass_grade"),
}
ENGINE_FLAGS: dict[str, tuple[Any, Any, str]] = {
    "engine": (o.Engine, "local", "engine"),
    "scheduler": (o.Scheduler, None, "scheduler"),
    "scheduler_timeout": (o.SchedulerTimeout, 10.0, "scheduler_timeout"),
}
_TAIL = ("quiet", "debug")


def read_options(values: dict[str, Any], **fixed: Any) -> LoadOptions:
    """LoadOptions from the shared flags' values (validating the ones typer cannot, engine included)."""
    if values.get("on_error", "raise") not in ("raise", "skip"):
        raise UsageError(f"--on-error must be raise or skip, not {values['on_error']!r}")
    for flag in ("model_from", "benchmark_from"):  # issue 16: a path part naming the model / benchmark
        if values.get(flag) not in (None, "stem", "parent"):
            raise UsageError(f"--{flag.replace('_', '-')} must be stem or parent, not {values[flag]!r}")
    check_producer_options(values)
    if values.get("engine", "local") != "local" or values.get("scheduler") is not None:
        from rescore.read.engines import check_engine_options

        check_engine_options(values["engine"], values["scheduler"])  # a missing extra is exit 2, before reading
    flags = {**READ_FLAGS, **ENGINE_FLAGS}
    kw: dict[str, Any] = {flags[name][2]: value for name, value in values.items() if value is not None}
    kw["abstain_phrases"] = tuple(values.get("abstain_phrase") or ())
    for name, field in (("model", "models"), ("benchmark", "benchmarks")):  # glob filters (issue 19)
        if name in values:
            kw[field] = tuple(values[name] or ())
    kw.update(fixed)
    return LoadOptions.from_kwargs(**kw)


# issue 17: producer option values are checked here, before any file is read (exit 2, one line)
CHOICES = {"denominator": ("submitted", "dataset"), "epochs": ("attempts", "majority", "first"),
           "confidence_norm": ("raw", "length")}


def check_producer_options(values: dict[str, Any]) -> None:
    """Values typer cannot check: choices, and numbers that must be finite and within a scale."""
    import math

    for name, allowed in CHOICES.items():
        value = values.get(name)
        if value is not None and value not in allowed:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} must be one of {', '.join(allowed)}, not {value!r}")
    # --pass-score serves two scales: WildBench's 1-10 (its adapter refuses a value outside it) and
    # inspect_ai's numbers, which may be 0..1 (--pass-score 0.5) or counts (issue 16, point 1)
    score = values.get("pass_score")
    if score is not None and not math.isfinite(score):
        raise UsageError(f"--pass-score must be a finite number, not {score!r}")
    grade = values.get("pass_grade")
    if grade is not None:
        from rescore.outcomes.names import letter_grade_rank

        if letter_grade_rank(grade) is None:
            raise UsageError(f"--pass-grade must be a letter grade A-F (with + or -), not {grade!r}")
    t = values.get("instructed_t")
    if t is not None and not (math.isfinite(t) and 0.0 <= t < 1.0):
        raise UsageError(f"--instructed-t must be in [0, 1), not {t!r}")


SCORING_FLAGS: dict[str, tuple[Any, Any, str]] = {
    "partial": (o.Partial, "wrong", "partial"),
    "invalid": (o.Invalid, "wrong", "invalid"),
    "idk_credit": (o.IdkCredit, 0.0, "idk_credit"),
}


def reads_results(*, engine: bool = False, exclude: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Add the shared reading flags (and with ``engine=True`` the scale-out flags) to a command.

    The decorated function takes ``read: dict[str, Any]`` (the raw flag values, so it can add
    fixed settings such as ``need_items`` through :func:`read_options`) instead of the flags.
    ``exclude`` leaves out flags the command declares itself (``check --model`` also scopes the baseline).
    """
    added = {k: v for k, v in {**READ_FLAGS, **(ENGINE_FLAGS if engine else {})}.items() if k not in exclude}
    return _adds_flags(added, "read", help_hint=True)


def scores_outcomes(func: F) -> F:
    """Add ``--partial``, ``--invalid`` and ``--idk-credit``; the command takes them as
    ``scoring: dict`` (keyword arguments of :func:`rescore.leaderboard` and the stats builders)."""
    return _adds_flags(SCORING_FLAGS, "scoring", help_hint=False)(func)


def _adds_flags(added: dict[str, tuple[Any, Any, str]], argument: str, *, help_hint: bool) -> Callable[[F], F]:
    """A decorator putting the ``added`` flags in place of the command's ``argument`` parameter
    (as a dict of flag name -> value) in the signature typer reads."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        resolved = typing.get_type_hints(func, include_extras=True)  # own annotations may be strings
        own = [p.replace(annotation=resolved.get(p.name, p.annotation))
               for p in signature.parameters.values() if p.name != argument]
        head = [p for p in own if p.name not in _TAIL]
        tail = [p for p in own if p.name in _TAIL]
        extra = [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)
            for name, (annotation, default, _field) in added.items()
        ]
        parameters = head + extra + tail

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if help_hint and "paths" in kwargs:  # a reading command: "-" is stdin
                from rescore.cli.pipes import stdin_paths

                kwargs["paths"] = stdin_paths(list(kwargs["paths"]))
            values = {name: kwargs.pop(name, added[name][1]) for name in added}
            return func(*args, **{argument: values}, **kwargs)

        hints = {p.name: p.annotation for p in parameters}
        hints["return"] = resolved.get("return", signature.return_annotation)
        if help_hint:
            wrapper.__doc__ = inspect.cleandoc(func.__doc__ or "") + "\n\n" + o.HELP_ALL_HINT
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters, return_annotation=hints["return"]
        )
        wrapper.__annotations__ = hints
        return wrapper  # type: ignore[return-value]

    return decorate
