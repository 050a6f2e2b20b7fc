"""EleutherAI lm-evaluation-harness ``--log_samples`` output.

lm-eval writes, per run, ``<out>/<model_sanitised>/results_<ts>.json`` plus one
``samples_<task>_<ts>.jsonl`` per task. The **samples file is the unit read**; its results file
(same folder, same timestamp) supplies what the lines lack:

* the model (``model_name``, else ``config.model_args`` ``pretrained=``/``model=``; a local
  path keeps only its last component); without a results file, the folder name with lm-eval's
  ``__`` turned back into ``/`` (noted);
* the task's ``output_type``, filter order and metric list (``configs[task]``); without it the
  output type is inferred from the line shape (noted);
* the producer's own aggregate for the cross-check in ``rescore inspect``
  (``lm-eval <metric>,<filter>`` with ``n-samples`` effective).

A ``results_<ts>.json`` that has samples files is skipped ("read with samples_...");
one without any is an error (per-item data is missing: rerun with ``--log_samples``).
Task names contain ``_``: the task is what lies between ``samples_`` and the trailing
``_<timestamp>.jsonl``; the name is never split on ``_``. ``run`` is the timestamp, so a full
run and a later ``--limit`` run of the same model in one folder stay distinct.

**Multiple choice / loglikelihood.** ``filtered_resps`` holds one ``[loglik, is_greedy]`` pair
of STRINGS per choice. They are kept as ``choice_logliks`` (floats). The grade comes from the
task's main metric: the first of its ``metric_list`` present on the line (``acc``; ``acc_norm``
where that is what the task reports, e.g. ``leaderboard_bbh_*``, ``leaderboard_musr_*``,
``leaderboard_gpqa_*``); without a results file, the line's ``metrics`` list, else ``acc``,
else ``acc_norm``. 1 -> correct, 0 -> wrong. A loglikelihood model never abstains.

*Confidence rule*: the chosen option is the argmax the grading metric used: raw log-likelihoods
for ``acc``, log-likelihood divided by the choice's character length for ``acc_norm`` (lm-eval's
rule; the length is that of the continuation ``arguments.gen_args_i.arg_1`` without the task's
``target_delimiter``, i.e. ``len(choice)``). Confidence = softmax over the choices' scores,
evaluated at the chosen option, where the scores are the raw log-likelihoods
(``--confidence-norm raw``, default) or the length-normalised ones (``--confidence-norm
length``). Prediction = the chosen option's index as a string; gold = ``target`` (lm-eval
stringifies it: the gold index ``"3"`` for most tasks; where it is the text of one of the distinct
choices, e.g. leaderboard_gpqa's ``"(D)"``, its index, so prediction and gold are comparable).

**Generation** (``generate_until``). One line per (doc, filter): ``--filter`` picks the filter,
by default the task's first (``configs[task].filter_list`` order, else the first seen in the
file); old lm-eval lines without a ``filter`` key get their filter from the order of repeated
``doc_id``s. ``filtered_resps[0]`` is the prediction; ``[invalid]`` (the regex filter's fallback)
is an extraction failure: grade ``invalid`` with prediction NA and the raw ``resps[0][0]`` as
response, so a raw "I don't know" becomes an abstention in :func:`rescore.outcomes.decide.classify`.
The grade is the line's main metric for that filter (``exact_match``). IFEval lines
(``prompt_level_strict_acc``/``prompt_level_loose_acc`` booleans) give two benchmarks side by
side, ``ifeval_strict`` and ``ifeval_loose`` (``--ifeval-variant`` keeps one). MATH Level 5 is
graded by ``exact_match``; ``exact_match_original`` (the Minerva regex) is reported in a note.

Lines are parsed in bounded batches and each batch becomes one DataFrame built from column lists
(no per-row pandas work); the softmax is vectorised per group of equal choice counts.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from rescore.adapters.base import SourceInfo
from rescore.errors import InputError, UsageError
from rescore.outcomes.decide import RULE_UNSCORED, parse_grade
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions
from rescore.read.remote import as_path, path_token
from rescore.read.tables import iter_jsonl, read_json_document

# lm-eval's date_id: datetime.now().isoformat().replace(":", "-")
_TS = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_SAMPLES_NAME = re.compile(rf"^samples_(?P<task>.+)_(?P<ts>{_TS})\.jsonl$")
RESULTS_NAME = re.compile(rf"^(?P<stem>.+)_(?P<ts>{_TS})\.json$")
INVALID = "[invalid]"
MC_TYPES = ("multiple_choice", "loglikelihood")
IFEVAL_METRICS = {"ifeval_strict": "prompt_level_strict_acc", "ifeval_loose": "prompt_level_loose_acc"}
# benchmarks whose items carry a natural category in the doc (used as subset when the task has none)
CATEGORY_BENCHMARKS = {"mmlu_pro": "category"}
MAX_BATCH_LINES = 10_000  # each line repeats the prompt once per choice: keep batches small
_MAX_RESULTS_BYTES = 256 * 1024 * 1024


#: the metric lm-eval logs under --predict_only (no scoring happened)
BYPASS = "bypass"
#: Minerva-style MATH tasks extract the answer after "Final Answer: The final answer is ..."
_FINAL_ANSWER_TASKS = re.compile(r"^(?:leaderboard_math_.*_hard|minerva_math.*)$")
RULE_NO_FINAL_ANSWER = "extraction failure (no \"Final Answer\")"


def needs_final_answer(task: str) -> bool:
    """True for tasks whose answer is read after "Final Answer" (leaderboard_math_*_hard, minerva_math_*)."""
    return bool(_FINAL_ANSWER_TASKS.match(task))


def _has_final_answer(raw: Any) -> bool:
    return isinstance(raw, str) and "final answer" in raw.lower()


#: metrics whose chosen option is the argmax of a length-normalised log-likelihood (characters / bytes)
LENGTH_METRICS = ("acc_norm", "acc_bytes")


def samples_name_parts(name: str) -> tuple[str, str | None]:
    """``(task, timestamp)`` from a samples file name; the task keeps its underscores."""
    match = _SAMPLES_NAME.match(name)
    if match:
        return match.group("task"), match.group("ts")
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else Path(name).stem
    if stem.startswith("samples_"):
        stem = stem[len("samples_"):]
    return stem, None


def _is_results_document(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("results"), dict)
            and ("configs" in doc or "n-samples" in doc or "versions" in doc) and "config_general" not in doc)


@lru_cache(maxsize=64)
def _results_cached(path: str, mtime_ns: int, size: int) -> dict[str, Any] | None:
    doc = read_json_document(as_path(path))
    return doc if _is_results_document(doc) else None


def load_results(path: Path) -> dict[str, Any] | None:
    """The parsed results file (cached: every samples file of a run shares it), or None if not lm-eval's."""
    stat = path.stat()
    if stat.st_size > _MAX_RESULTS_BYTES:
        return None
    return _results_cached(path_token(path), stat.st_mtime_ns, stat.st_size)


def find_results(samples: Path, ts: str | None) -> Path | None:
    """The results file of the same run: ``results_<ts>.json`` (or ``<stem>_<ts>.json``) in the same folder."""
    if ts is None:
        return None
    preferred = samples.parent / f"results_{ts}.json"
    candidates = [preferred] if preferred.is_file() else []
    candidates += sorted(p for p in samples.parent.glob(f"*_{ts}.json") if p != preferred)
    for candidate in candidates:
        try:
            if load_results(candidate) is not None:
                return candidate
        except (InputError, OSError) as exc:
            if candidate == preferred:  # the run's own results file is broken: say so, never fall back in silence
                reason = exc.reason if isinstance(exc, InputError) else (exc.strerror or str(exc))
                raise InputError(f"the run's results file is unreadable ({reason}); fix or remove it",
                                 path=str(candidate)) from None
            continue
        if candidate == preferred:
            too_big = candidate.stat().st_size > _MAX_RESULTS_BYTES
            raise InputError("the run's results file is " + (
                f"over the {_MAX_RESULTS_BYTES // (1024 * 1024)} MB limit" if too_big
                else "not an lm-eval results document (no results/config keys)") + "; fix or remove it",
                path=str(candidate))
    return None


def _model_from_args(args: Any) -> str | None:
    if isinstance(args, dict):
        for key in ("pretrained", "model", "path", "engine"):
            if isinstance(args.get(key), str) and args[key]:
                return args[key]
        return None
    if isinstance(args, str):
        match = re.search(r"(?:^|,)\s*(?:pretrained|model|path|engine)=([^,]+)", args)
        if match:
            return match.group(1).strip()
    return None


def model_from_results(doc: dict[str, Any]) -> str | None:
    """Raw model name: ``model_name``, else ``config.model_args`` ``pretrained=`` (or ``model=``)."""
    name = doc.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    return _model_from_args(config.get("model_args"))


def clean_model(raw: str, info: SourceInfo) -> str:
    """Normalise; a local checkpoint path keeps its last component (a path is not a useful name)."""
    if raw.startswith(("/", "./", "../", "~")) or re.match(r"^[A-Za-z]:[\\/]", raw):
        short = PurePosixPath(raw.replace("\\", "/").rstrip("/")).name or raw
        info.note(f"model name is a local path ({raw}); using its last component {short!r}")
        raw = short
    return normalise_model(raw)


def metric_names(config: dict[str, Any]) -> list[str]:
    out = []
    for entry in config.get("metric_list") or []:
        name = entry.get("metric") if isinstance(entry, dict) else entry
        if isinstance(name, str):
            out.append(name)
    return out


def filter_names(config: dict[str, Any]) -> list[str]:
    filters = config.get("filter_list")
    if isinstance(filters, list):
        names = [f.get("name") for f in filters if isinstance(f, dict) and isinstance(f.get("name"), str)]
        if names:
            return names
    return []


def is_loglik_pairs(value: Any) -> bool:
    """``[["-1.2", "False"], ...]`` (or with one more list level): the loglikelihood shape."""
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    if isinstance(first, list) and len(first) == 1 and isinstance(first[0], list):
        first = first[0]
    return isinstance(first, list) and len(first) == 2 and str(first[1]) in ("True", "False", "true", "false")


def fast_grade(value: Any) -> str | None:
    if value is True or (type(value) in (int, float) and value == 1):
        return "correct"
    if value is False or (type(value) in (int, float) and value == 0):
        return "wrong"
    if isinstance(value, (list, dict)):
        return None
    return parse_grade(value)


def _text(value: Any) -> Any:
    if value is None:
        return pd.NA
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def first_text(value: Any) -> Any:
    """The first string leaf of ``resps``-like nesting (``[["text"]]`` -> ``"text"``)."""
    while isinstance(value, list):
        if not value:
            return pd.NA
        value = value[0]
    return _text(value)


@dataclass
class TaskSetup:
    """Everything fixed for one samples file."""

    task: str
    run: str | None
    model: str
    benchmark: str
    subset: str
    output_type: str
    metric: str | None
    filters: list[str]
    delimiter: str
    category_key: str | None
    results: dict[str, Any] | None
    config: dict[str, Any] = field(default_factory=dict)
    index_target: bool = False  # the first line's target is a choice index ("3"): choice texts not needed


class SampleReader:
    """Turns batches of parsed lines into canonical batches; keeps the per-file state."""

    def __init__(self, path: Path, task: TaskSetup, options: LoadOptions, info: SourceInfo) -> None:
        self.path = path
        self.task = task
        self.options = options
        self.info = info
        self.skip_bad = options.on_error == "skip"
        self.bad_lines: list[int] = []
        self.bad_records: list[str] = []
        self.mc = task.output_type in MC_TYPES
        self.norm = options.confidence_norm
        if self.norm not in ("raw", "length"):
            raise UsageError(f"--confidence-norm must be raw or length, not {self.norm!r}")
        self.wanted = options.filter_name
        self.chosen: str | None = None
        self.seen_filters: list[str] = []
        self.count_by_doc: dict[Any, int] | None = None  # old versions: k-th repeat of a doc = k-th filter
        self.noted_repeats = False
        self.lines_used = 0
        self.other_filter_lines = 0
        self.em_original_diff = 0
        self.em_original_seen = 0
        self.metric_missing = 0
        self.no_final_answer = 0
        self.final_answer_task = needs_final_answer(task.task)
        self.variants = [v for v in IFEVAL_METRICS if self._want_variant(v)] if task.metric == "ifeval" else []

    def _want_variant(self, variant: str) -> bool:
        wanted = (self.options.ifeval_variant or "").strip().lower()
        return not wanted or wanted in ("both", "all") or variant.endswith(wanted)

    def fields(self) -> list[str]:
        """The top-level keys :meth:`batch` reads; the rest of a line (doc, prompts, hashes) is only
        validated, not built (rescore/fastjson.py: several times faster on large files)."""
        keys = ["doc_id", "filter", "filtered_resps", "target", "exact_match", "exact_match_original",
                *IFEVAL_METRICS.values()]
        if self.task.metric:
            keys.append(self.task.metric)
        if not self.mc:
            keys.append("resps")  # the raw text; an MC line's resps repeat filtered_resps
        elif self.task.metric in LENGTH_METRICS or self.norm == "length" or not self.task.index_target:
            keys.append("arguments")  # choice texts: lengths for acc_norm, and targets given as a choice's text
        if self.task.category_key:
            keys.append("doc")
        return keys

    # -- per line helpers -----------------------------------------------------------------
    def _bad(self, message: str, line: int, field: str | None = None) -> None:
        if not self.skip_bad:
            raise InputError(message, path=str(self.path), line=line, field=field)
        self.bad_records.append(f"line {line}: {message}")

    def _line_filter(self, obj: dict[str, Any]) -> str:
        name = obj.get("filter")
        if isinstance(name, str):
            return name
        # lm-eval before the "filter" key: lines come filter by filter, one per doc each, so the
        # k-th line of a doc belongs to the k-th filter (configs filter_list order)
        filters = self.task.filters
        if len(filters) == 1:
            return filters[0]
        if self.count_by_doc is None:
            self.count_by_doc = {}
        doc = obj.get("doc_id")
        doc = doc if isinstance(doc, (str, int, float, type(None))) else repr(doc)  # malformed: batch() reports it
        k = self.count_by_doc.get(doc, 0)
        self.count_by_doc[doc] = k + 1
        if k == 1 and not self.noted_repeats:
            self.noted_repeats = True
            self.info.note(f"lines have no 'filter' key (older lm-eval); the k-th line of a doc "
                           f"is taken as the k-th filter ({', '.join(filters) or 'names unknown'})")
        if k < len(filters):
            return filters[k]
        return "none" if k == 0 else f"#{k}"

    def _pick_filter(self, name: str) -> None:
        """Choose the filter once: ``--filter`` if the task has it, else the task's first."""
        task = self.task
        known = task.filters or [name]
        if self.wanted and self.wanted in known:
            self.chosen = self.wanted
        elif self.wanted and len(known) == 1:
            self.chosen = known[0]
            self.info.note(f"filter {self.wanted!r} not used by this task; read its only filter "
                           f"{known[0]!r}")
        elif self.wanted:
            raise InputError(f"filter {self.wanted!r} not in task {task.task!r} (filters: {', '.join(known)})",
                             path=str(self.path), field="filter")
        else:
            self.chosen = known[0]
        if len(known) > 1 or (task.output_type not in MC_TYPES and self.chosen != "none"):
            others = [f for f in known if f != self.chosen]
            self.info.note(f"filter {self.chosen!r} used" + (
                f" (also in file: {', '.join(others)}; choose with --filter)" if others else ""))

    # -- batches --------------------------------------------------------------------------
    def batch(self, lines: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame | None:
        task = self.task
        item_ids: list[str] = []
        subsets: list[str] = []
        grades: list[Any] = []
        rules: list[Any] = []
        preds: list[Any] = []
        responses: list[Any] = []
        golds: list[Any] = []
        benchmarks: list[str] = []
        logliks: list[list[float]] = []
        lengths: list[list[float]] = []
        for number, obj in lines:
            line_filter = self._line_filter(obj)
            if line_filter not in self.seen_filters:
                self.seen_filters.append(line_filter)
            if self.chosen is None:
                self._pick_filter(line_filter)
            if line_filter != self.chosen:
                self.other_filter_lines += 1
                continue
            doc_id = obj.get("doc_id")
            if doc_id is None or isinstance(doc_id, (dict, list)):
                self._bad("missing or malformed doc_id", number, "doc_id")
                continue
            subset = task.subset
            if task.category_key:
                doc = obj.get("doc")
                value = doc.get(task.category_key) if isinstance(doc, dict) else None
                subset = str(value) if isinstance(value, (str, int)) else ""
            if self.mc:
                parsed = self._mc_line(obj, number)
                if parsed is None:
                    continue
                lls, lens, grade, gold = parsed
                logliks.append(lls)
                lengths.append(lens)
                grades.append(grade)
                rules.append(pd.NA)
                responses.append(pd.NA)
                golds.append(gold)
                preds.append(None)  # filled after the vectorised argmax
                item_ids.append(str(doc_id))
                subsets.append(subset)
                benchmarks.append(task.benchmark)
                self.lines_used += 1
                continue
            raw = first_text(obj.get("resps"))
            filtered = obj.get("filtered_resps")
            pred = filtered[0] if isinstance(filtered, list) and filtered else filtered
            if isinstance(pred, list):
                pred = first_text(pred)
            pred = _text(pred)
            if task.metric == "ifeval":
                for variant in self.variants:
                    item_ids.append(str(doc_id))
                    subsets.append(subset)
                    benchmarks.append(variant)
                    grades.append(fast_grade(obj.get(IFEVAL_METRICS[variant])))
                    rules.append(pd.NA)
                    preds.append(pred)
                    responses.append(raw)
                    golds.append(pd.NA)
                self.lines_used += 1
                continue
            item_ids.append(str(doc_id))
            subsets.append(subset)
            benchmarks.append(task.benchmark)
            responses.append(raw)
            golds.append(_text(obj.get("target")))
            if pred is not pd.NA and pred.strip() == INVALID:
                grades.append("invalid")
                rules.append("extraction failure")
                preds.append(pd.NA)
            else:
                value = obj.get(task.metric) if task.metric else None
                grade = fast_grade(value) if value is not None else None
                if grade is None:
                    self.metric_missing += 1
                if grade == "wrong" and self.final_answer_task and not _has_final_answer(raw):
                    # cut off (or never concluded) before "Final Answer: ...": nothing was extracted
                    self.no_final_answer += 1
                    grades.append("invalid")
                    rules.append(RULE_NO_FINAL_ANSWER)
                    preds.append(pd.NA)
                else:
                    grades.append(grade)
                    rules.append(pd.NA)
                    preds.append(pred)
            if "exact_match_original" in obj and task.metric == "exact_match":
                self.em_original_seen += 1
                if fast_grade(obj.get("exact_match_original")) != fast_grade(obj.get("exact_match")):
                    self.em_original_diff += 1
            self.lines_used += 1
        if not item_ids:
            return None
        n = len(item_ids)
        columns: dict[str, Any] = {
            "model": pd.Series([task.model] * n, dtype="string"),
            "benchmark": pd.Series(benchmarks, dtype="string"),
            "subset": pd.Series(subsets, dtype="string"),
            "item_id": pd.Series(item_ids, dtype="string"),
            "attempt": np.zeros(n, dtype="int64"),
            "run": pd.Series([task.run] * n, dtype="string"),
            "grade": pd.Series(grades, dtype="string"),
            "grade_rule": pd.Series(rules, dtype="string"),
            "response": pd.Series(responses, dtype="string"),
            "gold": pd.Series(golds, dtype="string"),
        }
        if self.mc:
            chosen, confidence = choose(logliks, lengths, by_length=task.metric in LENGTH_METRICS,
                                        confidence_norm=self.norm)
            columns["prediction"] = pd.Series([str(c) if c >= 0 else pd.NA for c in chosen], dtype="string")
            columns["confidence"] = confidence
            columns["choice_logliks"] = pd.Series(logliks, dtype="object")
        else:
            columns["prediction"] = pd.Series(preds, dtype="string")
        frame = pd.DataFrame(columns)
        if task.metric == BYPASS:
            # --predict_only: lm-eval computed no metric, so there is no grade to read; comparing the
            # text with the gold here would invent one. The run is unscored (not ranked).
            frame["grade"] = pd.Series("invalid", index=frame.index, dtype="string")
            frame["grade_rule"] = pd.Series(RULE_UNSCORED, index=frame.index, dtype="string")
            frame["grade_final"] = True
        return frame

    def _mc_line(self, obj: dict[str, Any], number: int) -> tuple[list[float], list[float], Any, Any] | None:
        pairs = obj.get("filtered_resps")
        if not isinstance(pairs, list) or not pairs:
            self._bad("filtered_resps is not a list of [loglikelihood, is_greedy] pairs", number, "filtered_resps")
            return None
        lls: list[float] = []
        for pair in pairs:
            if isinstance(pair, list) and len(pair) == 1 and isinstance(pair[0], list):
                pair = pair[0]
            try:
                value = float(pair[0] if isinstance(pair, list) else pair)
            except (TypeError, ValueError, IndexError):
                self._bad(f"log-likelihood is not a number: {str(pair)[:40]!r}", number, "filtered_resps")
                return None
            if math.isnan(value):
                self._bad("log-likelihood is NaN", number, "filtered_resps")
                return None
            lls.append(value)
        choices = self._choices(obj.get("arguments"), len(lls))
        if self.task.metric == "acc_bytes":  # lm-eval's acc_bytes: loglik per UTF-8 byte of the choice
            lens = [float(max(len(c.encode("utf-8")), 1)) if c is not None else 1.0 for c in choices]
        else:
            lens = [float(max(len(c), 1)) if c is not None else 1.0 for c in choices]
        value = obj.get(self.task.metric) if self.task.metric else None
        grade = fast_grade(value) if value is not None else None
        if grade is None:
            self.metric_missing += 1
        return lls, lens, grade, self._gold(obj.get("target"), choices)

    def _choices(self, arguments: Any, n: int) -> list[str | None]:
        """Each choice's text: the continuation ``arg_1`` without the task's target delimiter."""
        conts: list[Any] = []
        if isinstance(arguments, dict):
            conts = [arg.get("arg_1") if isinstance(arg, dict) else None
                     for arg in (arguments.get(f"gen_args_{i}") for i in range(n))]
        elif isinstance(arguments, list):  # the oldest layout: a list of [context, continuation]
            conts = [a[1] if isinstance(a, (list, tuple)) and len(a) > 1 else None for a in arguments[:n]]
        delim = self.task.delimiter
        out: list[str | None] = []
        for i in range(n):
            cont = conts[i] if i < len(conts) else None
            if isinstance(cont, str) and delim and cont.startswith(delim):
                cont = cont[len(delim):]
            out.append(cont if isinstance(cont, str) else None)
        return out

    @staticmethod
    def _gold(target: Any, choices: list[str | None]) -> Any:
        """``target``; when it is the text of one of the (distinct) choices, e.g. ``"(D)"``, its index."""
        if isinstance(target, str) and not target.strip().isdigit() and None not in choices \
                and len(set(choices)) == len(choices):
            text = target.strip()
            for i, choice in enumerate(choices):
                if choice is not None and choice.strip() == text:
                    return str(i)
        return _text(target)

    def finish(self) -> None:
        task, info = self.task, self.info
        bad = len(self.bad_lines) + len(self.bad_records)
        if bad:
            info.skipped_records += bad
            reasons = [f"line {n}: invalid JSON" for n in self.bad_lines[:3]] + self.bad_records[:3]
            info.note(f"skipped {bad} bad line(s) (--on-error skip): " + "; ".join(reasons[:3]))
        if self.lines_used == 0 and self.chosen is not None:
            info.note(f"no lines for filter {self.chosen!r} (filters in file: "
                      f"{', '.join(self.seen_filters)})")
        if self.no_final_answer:
            info.note(f"{self.no_final_answer} of {self.lines_used} answer(s) never reach \"Final Answer\" (cut off, "
                      f"or no conclusion), so the task's extraction found nothing: invalid "
                      f"(rule {RULE_NO_FINAL_ANSWER!r})")
        metric_label = task.metric if task.metric != "ifeval" else "prompt_level_*_acc"
        if task.metric == BYPASS:
            info.note("predict-only run (metric 'bypass'): lm-eval scored nothing, so neither does rescore; "
                      "the run is left unscored")
        elif self.metric_missing:
            info.note(f"{self.metric_missing} line(s) without metric {metric_label!r}; "
                      "graded by prediction vs gold")
        if self.mc:
            rule = {"acc_norm": "argmax of loglik / len(choice)", "acc_bytes": "argmax of loglik / bytes(choice)"
                    }.get(str(task.metric), "argmax of loglik")
            info.note(f"graded by {task.metric}; chosen option = {rule}; confidence = softmax over "
                      f"{'length-normalised' if self.norm == 'length' else 'raw'} log-likelihoods at that option")
        if self.em_original_seen:
            agree = self.em_original_seen - self.em_original_diff
            original = self._producer_value("exact_match_original", self.chosen or "none")
            info.note(f"graded by exact_match (math_verify); exact_match_original (Minerva regex) "
                      f"agrees on {agree}/{self.em_original_seen} items"
                      + (f", producer exact_match_original = {original:.4f}" if original is not None else ""))
        self._producer_metrics()

    def _producer_value(self, metric: str, filter_name: str) -> float | None:
        results = self.task.results
        if results is None:
            return None
        row = (results.get("results") or {}).get(self.task.task)
        if not isinstance(row, dict):
            return None
        for key in (f"{metric},{filter_name}", metric):
            value = row.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    def _producer_n(self) -> int | None:
        results = self.task.results or {}
        entry = (results.get("n-samples") or {}).get(self.task.task)
        if isinstance(entry, dict) and isinstance(entry.get("effective"), int):
            return int(entry["effective"])
        row = (results.get("results") or {}).get(self.task.task)
        if isinstance(row, dict) and isinstance(row.get("sample_len"), int):
            return int(row["sample_len"])
        return None

    def _producer_metrics(self) -> None:
        task = self.task
        if task.results is None or task.metric is None:
            return
        filter_name = self.chosen or "none"
        n = self._producer_n()
        reason = None  # a known reason for a mismatch, shown by `rescore inspect` beside the verdict
        if n is not None and n != self.lines_used:
            self.info.note(f"{self.lines_used} item(s) in the samples file, results file reports "
                           f"n-samples effective = {n} (truncated or partial file?)")
            reason = f"the samples file holds {self.lines_used} of the {n} samples the results file counts"
        pairs = ([(v, IFEVAL_METRICS[v]) for v in self.variants] if task.metric == "ifeval"
                 else [(task.benchmark, task.metric)])
        for benchmark, metric in pairs:
            value = self._producer_value(metric, filter_name)
            if value is None:
                continue
            self.info.add_producer_metric(benchmark, task.model, label=f"lm-eval {metric},{filter_name}",
                                          accuracy=value, n=n, note=reason, task=task.task, subset=task.subset,
                                          run=task.run)


def scan_filters(path: Path, options: LoadOptions) -> list[str]:
    """Filter names in file order (only needed with ``--filter`` and no results config)."""
    names: list[str] = []
    counts: dict[Any, int] = {}
    for lines in iter_jsonl(path, MAX_BATCH_LINES, options.on_error, [], fields=("filter", "doc_id")):
        for _, obj in lines:
            name = obj.get("filter")
            if not isinstance(name, str):
                doc = obj.get("doc_id")
                doc = doc if isinstance(doc, (str, int, float, type(None))) else repr(doc)
                k = counts.get(doc, 0)
                counts[doc] = k + 1
                name = "none" if k == 0 else f"#{k}"
            if name not in names:
                names.append(name)
    return names


def choose(logliks: list[list[float]], lengths: list[list[float]], *, by_length: bool,
           confidence_norm: str) -> tuple[np.ndarray, np.ndarray]:
    """Chosen option and its softmax probability per row, vectorised per group of equal choice counts.

    ``by_length``: choose by loglik / character length (lm-eval's ``acc_norm``), else by raw loglik.
    ``confidence_norm``: ``raw`` or ``length`` scores inside the softmax. A single-choice row
    (``loglikelihood`` tasks) has no alternatives, so its confidence is NaN.
    """
    n = len(logliks)
    chosen = np.full(n, -1, dtype="int64")
    confidence = np.full(n, np.nan, dtype="float64")
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(logliks):
        groups.setdefault(len(row), []).append(i)
    for k, rows in groups.items():
        if k == 0:
            continue
        idx = np.asarray(rows)
        ll = np.asarray([logliks[i] for i in rows], dtype="float64")
        ln = np.asarray([lengths[i] for i in rows], dtype="float64")
        normed = ll / ln
        pick = np.argmax(normed if by_length else ll, axis=1)
        chosen[idx] = pick
        if k == 1:
            continue
        scores = normed if confidence_norm == "length" else ll
        finite = np.isfinite(scores)
        scores = np.where(finite, scores, -np.inf)
        top = scores.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        exp = np.exp(scores - top)
        total = exp.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            prob = exp[np.arange(len(rows)), pick] / total
        confidence[idx] = np.clip(prob, 0.0, 1.0)
    return chosen, confidence


