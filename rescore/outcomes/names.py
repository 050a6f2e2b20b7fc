"""Normalise model and benchmark names so the same thing is called the same everywhere.

``hf (pretrained=org/name,dtype=...)`` becomes ``org/name``; ``leaderboard_bbh_navigate``
becomes benchmark ``bbh``, subset ``navigate``. Rules live in ``configs/names.yaml``; user
aliases there (or ``--model-name``/``--benchmark-name``) win.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rescore.config import load_config


@lru_cache(maxsize=1)
def _rules() -> dict:
    return load_config("names.yaml") or {}


@lru_cache(maxsize=4096)
def normalise_model(raw: str) -> str:
    raw = str(raw).strip()
    rules = _rules()
    aliases = rules.get("model_aliases") or {}
    if raw in aliases:
        return str(aliases[raw])
    for pattern in rules.get("model_patterns") or []:
        match = re.search(pattern, raw)
        if match:
            name = match.group(1)
            return str(aliases.get(name, name))
    return raw


@lru_cache(maxsize=4096)
def normalise_benchmark(task: str) -> tuple[str, str]:
    """Return ``(benchmark, subset)`` for a producer's task name (subset ``""`` if none)."""
    task = str(task).strip()
    rules = _rules()
    aliases = rules.get("benchmark_aliases") or {}
    if task in aliases:
        value = aliases[task]
        if isinstance(value, dict):
            return str(value.get("benchmark", task)), str(value.get("subset", ""))
        return str(value), ""
    for rule in rules.get("benchmark_patterns") or []:
        match = re.match(rule["pattern"], task)
        if match:
            subset = match.groupdict().get("subset") or ""
            return str(rule["benchmark"]), subset
    return task, ""


@lru_cache(maxsize=4096)
def benchmark_family(task: str) -> str:
    """The producer's task with its subset cut out: which *task* a normalised benchmark came from.

    ``normalise_benchmark`` maps lm-eval's ``leaderboard_mmlu_pro`` (a 10-shot log-likelihood task)
    and ``mmlu_pro_law`` (a part of the generative ``mmlu_pro`` group) to the same ``mmlu_pro``;
    their families, ``leaderboard_mmlu_pro`` and ``mmlu_pro``, say they are different tasks, which
    the read stage keeps apart (issue 16, point 10). The parts of one task share a family
    (``leaderboard_bbh_navigate`` and ``leaderboard_bbh_snarks``: ``leaderboard_bbh``). A task named
    in ``benchmark_aliases`` is the family its alias says it is.
    """
    task = str(task).strip()
    rules = _rules()
    aliases = rules.get("benchmark_aliases") or {}
    if task in aliases:
        value = aliases[task]
        return str(value.get("benchmark", task)) if isinstance(value, dict) else str(value)
    for rule in rules.get("benchmark_patterns") or []:
        match = re.match(rule["pattern"], task)
        if match:
            if "bench" in match.re.groupindex and match.group("bench") is not None:  # spellings of one name
                start, end = match.span("bench")
                task = task[:start] + str(rule["benchmark"]) + task[end:]
                match = re.match(rule["pattern"], task) or match
            if "subset" in match.re.groupindex and match.group("subset") is not None:
                start, end = match.span("subset")
                return (task[:start].rstrip("_-/.: ") + ("_" if task[end:].strip("_-/.: ") else "")
                        + task[end:].lstrip("_-/.: ")).strip("_")
            return task
    return task


_LETTER_GRADE = re.compile(r"^([A-F])([+-]?)$")


def letter_grade_rank(value: object) -> float | None:
    """The rank of a school letter grade (``A+`` highest, ``F`` lowest), or None for anything else.

    inspect_ai scorers may grade with letters other than its C/I/P/N (issue 16, point 1); such a
    scale has no abstention category and no built-in pass mark, so ``--pass-grade`` names one.
    """
    match = _LETTER_GRADE.match(str(value).strip().upper()) if isinstance(value, str) else None
    if match is None:
        return None
    base = {"A": 5.0, "B": 4.0, "C": 3.0, "D": 2.0, "E": 1.0, "F": 0.0}[match.group(1)]
    return base + {"+": 0.3, "-": -0.3, "": 0.0}[match.group(2)]
