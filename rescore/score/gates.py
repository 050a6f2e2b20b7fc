"""Quality gates over a leaderboard: the library behind ``rescore check``.

A gate is ``METRIC[@T]=VALUE`` used as a lower (``--min``) or upper (``--max``) bound, e.g.
``score@0.9=0.25`` or ``error_rate=0.2``. Metrics with ``@t`` come from the leaderboard rows
(``score``, ``ci_low``, ``ci_high``, ``se``, ``rank``, ``rank_change``); metrics without come
from the groups (``accuracy``, ``error_rate``, ``abstention_rate``, ``accuracy_on_attempted``,
``f_score``, ``break_even_t``, ``n``, ``coverage`` ...). Every gate is evaluated for every (benchmark, model)
in scope, so one gate can fail several times, and each failure is reported on its own line.

A baseline (a previous ``rescore leaderboard --format json``) adds one regression gate per
(benchmark, model, t) present in both: it fails when the score dropped by more than the
combined interval half-width z*sqrt(se_now^2 + se_before^2), i.e. when the drop is
significant at the leaderboard's level. The two runs are treated as independent samples
(the baseline keeps no items to pair on), which is conservative when they share items.
A (benchmark, model) the baseline does not have gets a result of its own, kind ``new``: it
passes (``new: not gated``, said on its own line so it is not silently skipped) unless
``require_baseline`` is set, when it fails.

A metric that is unavailable (NaN, e.g. break-even with no answers) fails its gate: a CI gate
that silently passes on missing data is worse than one that fails loudly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.errors import InputError, UsageError
from rescore.read.options import matching
from rescore.score.intervals import z_value
from rescore.score.leaderboard import Leaderboard
from rescore.score.rule import check_threshold

ROW_METRICS = ("score", "ci_low", "ci_high", "se", "rank", "rank_change")
GROUP_METRICS = ("accuracy", "error_rate", "abstention_rate", "accuracy_on_attempted", "f_score", "break_even_t",
                 "n", "n_correct", "n_wrong", "n_abstain", "n_partial", "n_invalid", "dropped", "coverage")
CHECK_SCHEMA_VERSION = 1
MARKDOWN_LIMIT = 65_536  # GitHub stops a comment (and truncates a step summary's use in one) here
EPS = 1e-9
_GATE = re.compile(r"^\s*(?P<metric>[A-Za-z_]+)\s*(?:@\s*(?P<t>[^=\s]+))?\s*=\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Gate:
    """One bound: ``metric@t >= value`` (kind ``min``) or ``metric@t <= value`` (kind ``max``)."""

    metric: str
    t: float | None
    kind: str
    bound: float

    @property
    def label(self) -> str:
        return self.metric if self.t is None else f"{self.metric}@{self.t:g}"


def parse_gate(expr: str, kind: str) -> Gate:
    """Parse ``METRIC[@T]=VALUE``; a malformed expression is a usage error (exit 2)."""
    if kind not in ("min", "max"):
        raise UsageError(f"gate kind must be min or max, not {kind!r}")
    match = _GATE.match(expr or "")
    if not match:
        raise UsageError(f"--{kind} {expr!r}: expected METRIC[@T]=VALUE, e.g. score@0.9=0.25 or error_rate=0.2")
    metric, t_text, value_text = match.group("metric"), match.group("t"), match.group("value")
    try:
        bound = float(value_text)
    except ValueError:
        raise UsageError(f"--{kind} {expr!r}: {value_text!r} is not a number") from None
    if math.isnan(bound):
        raise UsageError(f"--{kind} {expr!r}: the bound must be a number, not NaN")
    if metric in ROW_METRICS:
        if t_text is None:
            raise UsageError(f"--{kind} {expr!r}: {metric} needs a target, e.g. {metric}@0.9={value_text}")
        try:
            t = check_threshold(float(t_text))
        except ValueError:
            raise UsageError(f"--{kind} {expr!r}: target {t_text!r} is not a number in [0, 1)") from None
        return Gate(metric, t, kind, bound)
    if metric in GROUP_METRICS:
        if t_text is not None:
            raise UsageError(f"--{kind} {expr!r}: {metric} does not depend on t; drop '@{t_text}'")
        return Gate(metric, None, kind, bound)
    raise UsageError(f"--{kind} {expr!r}: unknown metric {metric!r}; choose from "
                     f"{', '.join(m + '@t' for m in ROW_METRICS)}, {', '.join(GROUP_METRICS)}")


def parse_gates(mins: list[str] | None = None, maxs: list[str] | None = None) -> list[Gate]:
    return [parse_gate(e, "min") for e in mins or []] + [parse_gate(e, "max") for e in maxs or []]


@dataclass
class GateResult:
    """One gate evaluated on one (benchmark, model)."""

    benchmark: str
    model: str
    gate: str
    kind: str
    metric: str
    t: float | None
    bound: float | None
    value: float | None
    passed: bool
    message: str
    baseline: float | None = None
    allowed_drop: float | None = None

    def line(self) -> str:
        status = "NEW" if self.kind == "new" and self.passed else ("PASS" if self.passed else "FAIL")
        return f"{status} {self.benchmark} {self.model} {self.message}"


@dataclass
class CheckResult:
    """All gate results plus what was checked against what (the ``--format json`` document)."""

    results: list[GateResult]
    provenance: dict[str, Any]
    baseline_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def new(self) -> list[GateResult]:
        """Models (per benchmark) the baseline does not have: not gated, or failed with require_baseline."""
        return [r for r in self.results if r.kind == "new"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "rescore.check",
            "schema_version": CHECK_SCHEMA_VERSION,
            "passed": self.passed,
            "n_gates": len(self.results),
            "n_failed": len(self.failed),
            "baseline": self.baseline_path,
            "notes": list(self.notes),
            "results": [{k: _clean(v) for k, v in asdict(r).items()} for r in self.results],
            "provenance": self.provenance,
        }

    def to_markdown(self, limit: int | None = None, name: Callable[[str], str] | None = None) -> str:
        """A gate table for a PR comment or ``$GITHUB_STEP_SUMMARY``; with ``limit`` (characters),
        rows past the first 20 that would take more than half of it are folded into one count;
        ``name`` escapes model and benchmark names (the CLI passes
        ``rescore.report.safe_text.markdown_text``: names come from files, and ``[x](url)`` or
        ``*x*`` must not become a link or emphasis)."""
        name = name or _md
        status = "passed" if self.passed else f"FAILED ({len(self.failed)} of {len(self.results)} gates)"
        lines = [f"## rescore check: {status}", ""]
        if self.results:
            lines += ["| result | benchmark | model | gate |", "|:---|:---|:---|:---|"]
            shown = sorted(self.results, key=lambda r: (r.passed, r.kind != "new"))
            for k, r in enumerate(shown):
                if limit is not None and k >= 20 and sum(map(len, lines)) + len(lines) > limit // 2:
                    rest = shown[k:]
                    lines.append(f"| … | {len(rest)} more rows | | {sum(not r.passed for r in rest)} failed, "
                                 f"{sum(r.passed for r in rest)} passed: cut to keep the summary under "
                                 f"{MARKDOWN_LIMIT:,} characters; the JSON output (-o) has every row |")
                    break
                mark = "🆕 new" if r.kind == "new" and r.passed else ("✅ pass" if r.passed else "❌ FAIL")
                lines.append(f"| {mark} | {name(r.benchmark)} | {name(r.model)} | {_md(r.message)} |")
        lines.extend(f"- note: {_md(n)}" for n in self.notes)
        return "\n".join(lines) + "\n"


def _clean(x: Any) -> Any:
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else round(x, 6)
    return x


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _num(x: Any) -> float:
    if x is None or x is pd.NA:
        return float("nan")
    return float(x)


def _show(x: float) -> str:
    return "unavailable" if math.isnan(x) else f"{round(x, 4) + 0.0:g}"


def required_thresholds(gates: list[Gate], baseline: dict[str, Any] | None = None) -> list[float]:
    """Thresholds the leaderboard must contain for these gates (and the baseline's)."""
    ts = {g.t for g in gates if g.t is not None}
    if baseline is not None:
        ts |= {float(r["t"]) for r in baseline["rows"]}
    return sorted(ts)


def load_baseline(path: str | Path) -> dict[str, Any]:
    """Read a previous ``rescore leaderboard --format json``; anything else is an input error (exit 3)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("baseline file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"baseline is not readable JSON ({exc})", path=str(path)) from None
    if not isinstance(doc, dict) or doc.get("schema") != "rescore.leaderboard":
        raise InputError("baseline must be the output of `rescore leaderboard --format json` "
                         "(schema rescore.leaderboard)", path=str(path), field="schema")
    rows = doc.get("rows")
    if not isinstance(rows, list):
        raise InputError("baseline has no rows list", path=str(path), field="rows")
    for i, row in enumerate(rows):
        missing = [k for k in ("benchmark", "model", "t", "score") if not isinstance(row, dict) or k not in row]
        if missing:
            raise InputError(f"baseline row lacks {', '.join(missing)}", path=str(path), record=i, field=missing[0])
        try:
            check_threshold(row["t"])
        except (UsageError, TypeError, ValueError) as exc:
            raise InputError(str(exc), path=str(path), record=i, field="t") from None
        score = row["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float)) or score != score:
            raise InputError(f"baseline score is not a number: {str(score)[:40]!r}", path=str(path), record=i,
                             field="score")
    return doc


def _scope(frame: pd.DataFrame, models: list[str] | None, benchmarks: list[str] | None) -> pd.DataFrame:
    """The rows whose model and benchmark match the glob patterns (``--model 'acme/*'``)."""
    if models:
        frame = frame[frame["model"].isin(matching(set(frame["model"].astype(str)), models))]
    if benchmarks:
        frame = frame[frame["benchmark"].isin(matching(set(frame["benchmark"].astype(str)), benchmarks))]
    return frame


def _check_scope(board: Leaderboard, models: list[str] | None, benchmarks: list[str] | None) -> None:
    for name, wanted, column in (("model", models, "model"), ("benchmark", benchmarks, "benchmark")):
        have = sorted(set(board.groups[column]))
        unknown = [w for w in wanted or [] if not matching(have, [w])]
        if unknown:
            raise InputError(f"--{name} {unknown[0]!r} is not in the results (have: {', '.join(have)})")


def evaluate(
    board: Leaderboard,
    gates: list[Gate],
    *,
    models: list[str] | None = None,
    benchmarks: list[str] | None = None,
    baseline: dict[str, Any] | None = None,
    baseline_path: str | None = None,
    require_baseline: bool = False,
) -> CheckResult:
    """Evaluate every gate on every (benchmark, model) in scope, plus baseline regressions (and a
    ``new`` result per model the baseline lacks, failed when ``require_baseline``)."""
    if not gates and baseline is None:
        raise UsageError("nothing to check: give --min, --max or --baseline")
    _check_scope(board, models, benchmarks)
    groups = _scope(board.groups, models, benchmarks).sort_values(["benchmark", "model"], kind="stable")
    rows = _scope(board.rows, models, benchmarks)
    by_row = {(b, m, float(t)): r for b, m, t, r in zip(rows["benchmark"], rows["model"], rows["t"],
                                                         rows.to_dict("records"), strict=True)}
    results: list[GateResult] = []
    for gate in gates:
        for g in groups.to_dict("records"):
            bench, model = str(g["benchmark"]), str(g["model"])
            if gate.t is None:
                value = _num(g[gate.metric])
            else:
                row = by_row.get((bench, model, gate.t))
                if row is None:
                    raise UsageError(f"t={gate.t:g} is not among the leaderboard thresholds; add -t {gate.t:g}")
                value = _num(row[gate.metric])
            # within EPS of the bound passes: -2.9999999999999996 is -3 (t/(1-t) is inexact in binary)
            ok = not math.isnan(value) and (value >= gate.bound - EPS if gate.kind == "min"
                                            else value <= gate.bound + EPS)
            relation = {("min", True): ">=", ("max", True): "<=", ("min", False): "<", ("max", False): ">"}[
                (gate.kind, ok)]
            message = f"{gate.label}={_show(value)} {relation} {gate.bound:g}"
            if math.isnan(value):
                message = f"{gate.label} unavailable (needs {'>=' if gate.kind == 'min' else '<='} {gate.bound:g})"
            results.append(GateResult(bench, model, gate.label, gate.kind, gate.metric, gate.t, gate.bound, value,
                                      ok, message))
    notes: list[str] = []
    if baseline is not None:
        results.extend(_regressions(board, baseline, by_row, models, benchmarks, notes))
        results.extend(_new_models(groups, baseline, models, benchmarks, require_baseline))
    elif require_baseline:
        raise UsageError("--require-baseline needs --baseline")
    return CheckResult(results=results, provenance=board.provenance(), baseline_path=baseline_path, notes=notes)


def _regressions(board: Leaderboard, baseline: dict[str, Any], by_row: dict[tuple[str, str, float], dict],
                 models: list[str] | None, benchmarks: list[str] | None, notes: list[str]) -> list[GateResult]:
    """One gate per baseline row in scope: fail when the score dropped significantly, or vanished."""
    z = z_value(board.level)
    base = _scope(pd.DataFrame(baseline["rows"]), models, benchmarks)
    out: list[GateResult] = []
    missing_reported: set[tuple[str, str]] = set()
    for r in base.sort_values(["benchmark", "model", "t"], kind="stable").to_dict("records"):
        bench, model, t = str(r["benchmark"]), str(r["model"]), float(r["t"])
        label = f"score@{t:g}"
        before = _num(r["score"])
        now_row = by_row.get((bench, model, t))
        if now_row is None:
            if (bench, model) not in missing_reported:
                missing_reported.add((bench, model))
                out.append(GateResult(bench, model, "baseline", "regression", "score", None, None, None, False,
                                      "in the baseline but missing from the current results"))
            continue
        now = _num(now_row["score"])
        se_now, se_before = _num(now_row.get("se")), _num(r.get("se"))
        if math.isnan(se_now) or math.isnan(se_before):
            notes.append(f"{bench} {model} {label}: no standard error on one side; compared point scores only")
        allowed = z * math.sqrt(sum(s * s for s in (se_now, se_before) if not math.isnan(s)))
        drop = before - now
        if math.isnan(now) or math.isnan(before):
            ok, message = False, f"{label} unavailable (baseline {_show(before)}, now {_show(now)})"
        else:
            ok = drop <= allowed + EPS
            if ok:
                message = f"{label}={_show(now)} vs baseline {_show(before)} (drop {_show(drop)} <= {_show(allowed)})"
            else:
                message = (f"{label}={_show(now)} regressed from {_show(before)} (drop {_show(drop)} > "
                           f"{_show(allowed)}, the combined {round(board.level * 100)}% interval)")
        out.append(GateResult(bench, model, label, "regression", "score", t, before - allowed, now, ok, message,
                              baseline=before, allowed_drop=allowed))
    return out


def _new_models(groups: pd.DataFrame, baseline: dict[str, Any], models: list[str] | None,
                benchmarks: list[str] | None, require: bool) -> list[GateResult]:
    """One result per (benchmark, model) in scope that the baseline does not have."""
    base = _scope(pd.DataFrame(baseline["rows"]), models, benchmarks)
    known = {(str(b), str(m)) for b, m in zip(base["benchmark"], base["model"], strict=True)} if len(base) else set()
    out = []
    for bench, model in zip(groups["benchmark"], groups["model"], strict=True):
        if (str(bench), str(model)) in known:
            continue
        message = ("new: not in the baseline (--require-baseline)" if require
                   else "new: not gated (not in the baseline)")
        out.append(GateResult(str(bench), str(model), "baseline", "new", "score", None, None, None, not require,
                              message))
    return out


def check(
    board: Leaderboard,
    mins: list[str] | None = None,
    maxs: list[str] | None = None,
    *,
    models: list[str] | None = None,
    benchmarks: list[str] | None = None,
    baseline: str | Path | None = None,
    require_baseline: bool = False,
) -> CheckResult:
    """Parse gate expressions, read the baseline, and evaluate (what ``rescore check`` prints)."""
    gates = parse_gates(mins, maxs)
    doc = load_baseline(baseline) if baseline is not None else None
    return evaluate(board, gates, models=models, benchmarks=benchmarks, baseline=doc,
                    baseline_path=str(baseline) if baseline is not None else None,
                    require_baseline=require_baseline)


def to_junit(result: CheckResult) -> str:
    """JUnit XML: one test case per evaluated gate; failed gates carry a ``<failure>``."""
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="rescore check", tests=str(len(result.results)),
                       failures=str(len(result.failed)), errors="0",
                       skipped=str(sum(r.passed for r in result.new)))
    for r in result.results:
        case = ET.SubElement(suite, "testcase", classname=f"rescore.{r.benchmark}", name=f"{r.model} {r.gate}")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.line(), type=r.kind)
            failure.text = r.line()
        elif r.kind == "new":  # not gated: a skipped case, so it shows without failing the build
            ET.SubElement(case, "skipped", message=r.message)
    root = ET.Element("testsuites", name="rescore", tests=suite.get("tests", "0"),
                      failures=suite.get("failures", "0"))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
