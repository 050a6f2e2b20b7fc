"""SimpleQA results graded with the simple-evals grader letters (A/B/C), in three layouts.

1. **Third-party grader JSONL** (Eyalbenba/eval-simpleQA, ``<config>_results.jsonl``): one line per
   question with ``question_id``, ``config`` (the model / system), ``grade`` A = CORRECT,
   B = INCORRECT, C = NOT_ATTEMPTED, ``predicted`` and ``correct`` -- which is the GOLD TEXT, not
   a boolean. ``attempt`` there counts API retries, not repeats, so every line is attempt 0. A
   line with an ``error`` field is a harness failure that the producer filed under C; here it is
   ``invalid`` (rule "harness error"), never a free abstention. ``<config>_summary.json`` beside
   it (``correct_count``, ``total_samples``...) is the producer's own number for the cross-check.
2. **grade_letter variant** (e.g. runshengdu/simpleqa_verified): ``{"model_config", "summary",
   "results": [{"id", "llm_answer", "gold_answer", "grade_letter", "grade_str", "is_correct"...}]}``
   (a JSON document), or the same records one per line.
3. **openai/simple-evals** ``<eval>_<model>[_<ts>][_DEBUG].json``: only aggregate fractions
   (``is_correct``, ``is_incorrect``, ``is_not_attempted``, ``score``). Per-item grades are not
   saved by simple-evals (``_allresults.json`` holds HTML and conversations only), so this is read
   in counts-only mode with n = ``len(htmls)`` from ``<stem>_allresults.json`` (or ``n_samples``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, counts_batch, head_text, text_or_na
from rescore.adapters.base import Adapter, SourceInfo, first_json_line
from rescore.errors import InputError
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import iter_jsonl, read_json_document

BENCHMARK = "simpleqa"
LETTER_GRADES = {"A": "correct", "B": "wrong", "C": "abstain"}
WORD_GRADES = {"CORRECT": "correct", "INCORRECT": "wrong", "NOT_ATTEMPTED": "abstain", "NOT ATTEMPTED": "abstain"}
HARNESS_ERROR = "harness error"
PER_ITEM_NOTE = "per-item grades are not saved by simple-evals: counts only"
GRADER_NOTE = ("the simple-evals grader files a reply without A/B/C under C (NOT_ATTEMPTED), so some abstentions "
               "may be grader failures")
_RUN = re.compile(r"run_(\d{8}_\d{6})")
_TIMESTAMP = re.compile(r"_(\d{8}_\d{6})$")
_AGG_KEYS = ("is_correct", "is_incorrect", "is_not_attempted")


def _grade(value: Any) -> str | None:
    """A/B/C or CORRECT/INCORRECT/NOT_ATTEMPTED -> canonical outcome; None if neither."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    return LETTER_GRADES.get(text) or WORD_GRADES.get(text)


def _run_id(path: Path) -> str | None:
    for part in (path.name, path.parent.name):
        match = _RUN.search(part)
        if match:
            return match.group(1)
    return None


def _results_prefix(path: Path) -> str | None:
    """``tavily_x_results.first1000.jsonl`` -> ``tavily_x`` (the name its summary shares)."""
    name = path.name
    index = name.rfind("_results")
    return name[:index] if index > 0 else None


def _is_aggregate(doc: Any) -> bool:
    return isinstance(doc, dict) and all(k in doc for k in _AGG_KEYS) and "correct_count" not in doc


class SimpleQAAdapter(Adapter):
    name = "simpleqa"
    version = "1"
    priority = 70
    honours = ()  # no producer flag acts on these files
    description = ("SimpleQA grader outputs: third-party JSONL (grade A/B/C, config = model), grade_letter "
                   "results, and simple-evals aggregates (counts only).")

    # -- detection -------------------------------------------------------------------------
    def detect(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            first = first_json_line(path)
            return first is not None and (self._is_grader_line(first) or self._is_letter_record(first))
        if suffix != ".json":
            return False
        head = head_text(path, 1 << 16)
        if '"results"' in head and '"grade_letter"' in head:
            return True
        if path.name.endswith("_allresults.json"):
            return '"htmls"' in head and '"is_not_attempted"' in head and self.skip_reason(path) is None
        if '"is_not_attempted"' in head and '"correct_count"' not in head and len(head) < (1 << 16):
            try:
                return _is_aggregate(read_json_document(path))
            except InputError:
                return False
        return False

    @staticmethod
    def _is_grader_line(obj: dict[str, Any]) -> bool:
        return "question_id" in obj and "predicted" in obj and _grade(obj.get("grade")) is not None

    @staticmethod
    def _is_letter_record(obj: dict[str, Any]) -> bool:
        return "grade_letter" in obj or ("grade_str" in obj and "llm_answer" in obj)

    def skip_reason(self, path: Path) -> str | None:
        name = path.name
        if name.endswith("_summary.json") and '"correct_count"' in head_text(path, 4096):
            return "SimpleQA grader summary (read with its _results.jsonl as the producer's own numbers)"
        if name.endswith("_checkpoint.json") and head_text(path, 64).lstrip().startswith("["):
            return "eval-simpleQA checkpoint (list of processed question keys)"
        if name.endswith("_allresults.json"):
            stem = path.with_name(name[: -len("_allresults.json")] + ".json")
            if stem.is_file():
                return (f"simple-evals per-sample HTML/conversations: per-item grades are not saved; "
                        f"counts read from {stem.name}")
        return None

    # -- reading ---------------------------------------------------------------------------
    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from self._read_jsonl(path, options, info)
            return
        doc = read_json_document(path)
        if isinstance(doc, dict) and isinstance(doc.get("results"), list):
            yield from self._read_letter_doc(path, doc, options, info)
        elif path.name.endswith("_allresults.json") and isinstance(doc, dict) and isinstance(doc.get("metrics"), dict):
            yield self._read_aggregate(path, {**doc["metrics"], "score": doc.get("score")}, doc, options, info)
        elif _is_aggregate(doc):
            yield self._read_aggregate(path, doc, None, options, info)
        else:
            raise InputError("not a SimpleQA results file: expected grader JSONL lines, a {'results': [...]} "
                             "document, or simple-evals is_correct/is_incorrect/is_not_attempted metrics",
                             path=str(path))

    def _benchmark(self, options: LoadOptions, path: Path) -> str:
        if options.benchmark:
            return normalise_benchmark(options.benchmark)[0]
        return "simpleqa_verified" if "simpleqa_verified" in path.as_posix().lower() else BENCHMARK

    def _read_jsonl(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        errors = RecordErrors(path, options, info)
        unreadable: list[int] = []
        benchmark = self._benchmark(options, path)
        run = _run_id(path)
        fallback_model = options.model or _results_prefix(path) or path.stem
        seen: set[tuple[str, str]] = set()
        duplicates = 0
        harness_errors = 0
        models: set[str] = set()
        for lines in iter_jsonl(path, options.batch_size, options.on_error, unreadable):
            rows = []
            for line, obj in lines:
                row = self._line(obj, line, errors, fallback_model, options)
                if row is None:
                    continue
                key = (row["model"], row["item_id"])
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                harness_errors += row.pop("_harness_error", 0)
                row.update(benchmark=benchmark, attempt=0)
                models.add(row["model"])
                rows.append(row)
            if rows:
                yield batch(rows, run=run)
        errors.finish()
        if unreadable:
            info.skipped_records += len(unreadable)
            info.note(f"skipped {len(unreadable)} unreadable line(s): {unreadable[:10]}")
        if duplicates:
            info.note(f"dropped {duplicates} repeated question_id line(s) (kept the first)")
        if harness_errors:
            info.note(f"{harness_errors} line(s) record a harness error (filed under C by the producer): "
                      "scored as invalid, not as an abstention")
        self._grader_summary(path, info, benchmark, sorted(models), len(seen))

    def _line(self, obj: dict[str, Any], line: int, errors: RecordErrors, fallback_model: str,
              options: LoadOptions) -> dict[str, Any] | None:
        letter_layout = "grade" not in obj and self._is_letter_record(obj)
        id_key = next((k for k in ("question_id", "id", "index") if obj.get(k) is not None), None)
        if id_key is None:
            errors.bad("missing question_id", line=line, field="question_id")
            return None
        grade_key = "grade" if not letter_layout else ("grade_letter" if "grade_letter" in obj else "grade_str")
        grade = _grade(obj.get(grade_key))
        if grade is None:
            errors.bad(f"grade is not A/B/C (or CORRECT/INCORRECT/NOT_ATTEMPTED): {obj.get(grade_key)!r}",
                       line=line, field=grade_key)
            return None
        model_raw = options.model or obj.get("config") or obj.get("model") or fallback_model
        prediction = obj.get("predicted", obj.get("llm_answer", obj.get("predicted_answer")))
        gold = obj.get("correct") if not letter_layout else obj.get("gold_answer", obj.get("answer"))
        row: dict[str, Any] = {
            "model": normalise_model(str(model_raw)), "subset": str(obj.get("topic") or "") if letter_layout else "",
            "item_id": str(obj[id_key]), "prediction": text_or_na(prediction), "gold": text_or_na(gold),
            "grade": grade, "grade_rule": "explicit grade",
            # A/B/C has its own abstention (C): the grader's B is never turned into one by phrases
            "grade_final": True,
        }
        if obj.get("error"):
            row.update(grade="invalid", grade_rule=HARNESS_ERROR, _harness_error=1)
        return row

    def _grader_summary(self, path: Path, info: SourceInfo, benchmark: str, models: list[str], lines: int) -> None:
        """``<config>_summary.json`` beside ``<config>_results.jsonl``: the producer's own counts."""
        prefix = _results_prefix(path)
        if prefix is None:
            return
        summary = path.with_name(prefix + "_summary.json")
        if not summary.is_file():
            return
        try:
            doc = read_json_document(summary)
            total = int(doc["total_samples"])
            correct = int(doc["correct_count"])
        except Exception:  # a broken companion must not stop the results from loading
            info.note(f"could not read {summary.name} (expected total_samples, correct_count)")
            return
        info.companions.append(str(summary))
        model = models[0] if len(models) == 1 else ", ".join(models)
        info.add_producer_metric(
            benchmark, model, f"SimpleQA {summary.name} correct_count/total_samples",
            correct / total if total else None, n=total,
            note=None if total == lines else f"the summary covers {total} questions, this file {lines}",
            correct=correct,
            incorrect=doc.get("incorrect_count"), not_attempted=doc.get("not_attempted_count"),
        )

    def _read_letter_doc(self, path: Path, doc: dict[str, Any], options: LoadOptions,
                         info: SourceInfo) -> Iterator[pd.DataFrame]:
        errors = RecordErrors(path, options, info)
        benchmark = self._benchmark(options, path)
        model_raw = options.model or self._doc_model(doc.get("model_config"))
        how = "--model-name" if options.model else "model_config"
        if model_raw is None:
            parents = path.parents
            model_raw = parents[1].name if len(parents) >= 2 and parents[1].name else path.stem
            how = "folder result/<model>/<benchmark>/"
        model = normalise_model(str(model_raw))
        info.note(f"model {model!r} <- {how}")
        rows = []
        seen: set[str] = set()
        for index, record in enumerate(doc["results"]):
            if not isinstance(record, dict):
                errors.bad(f"expected a JSON object, found {type(record).__name__}", record=index)
                continue
            row = self._line(record, index, errors, model, LoadOptions(model=model))
            if row is None:
                continue
            if row["item_id"] in seen:
                errors.bad(f"repeated id {row['item_id']!r}", record=index, field="id")
                continue
            seen.add(row["item_id"])
            row.pop("_harness_error", None)
            row.update(benchmark=benchmark, attempt=0)
            rows.append(row)
        errors.finish()
        summary = doc.get("summary")
        if isinstance(summary, dict):
            accuracy, n = self._summary_accuracy(summary)
            if accuracy is not None:
                info.add_producer_metric(benchmark, model, "SimpleQA results summary", accuracy, n=n)
        if rows:
            yield batch(rows, run=path.stem)

    @staticmethod
    def _doc_model(config: Any) -> str | None:
        if isinstance(config, str) and config:
            return config
        if isinstance(config, dict):
            for key in ("model", "model_name", "name", "model_id"):
                if isinstance(config.get(key), str) and config[key]:
                    return config[key]
        return None

    @staticmethod
    def _summary_accuracy(summary: dict[str, Any]) -> tuple[float | None, int | None]:
        total = next((summary[k] for k in ("total", "total_samples", "n", "count") if k in summary), None)
        correct = next((summary[k] for k in ("correct", "correct_count", "n_correct") if k in summary), None)
        if isinstance(total, (int, float)) and isinstance(correct, (int, float)) and total:
            return float(correct) / float(total), int(total)
        for key in ("is_correct", "accuracy"):
            if isinstance(summary.get(key), (int, float)):
                return float(summary[key]), int(total) if isinstance(total, (int, float)) else None
        return None, None

    def _read_aggregate(self, path: Path, metrics: dict[str, Any], allresults: dict[str, Any] | None,
                        options: LoadOptions, info: SourceInfo) -> pd.DataFrame:
        name = path.name
        stem = name[: -len("_allresults.json")] if name.endswith("_allresults.json") else path.stem
        if allresults is None:
            companion = path.with_name(stem + "_allresults.json")
            n = metrics.get("n_samples")
            if n is None and companion.is_file():
                allresults = read_json_document(companion)
                info.companions.append(str(companion))
            if n is None:
                n = self._n_from_allresults(allresults, companion)
        else:
            n = self._n_from_allresults(allresults, path)
        eval_name, model_raw = self._stem_parts(stem)
        model = normalise_model(options.model or model_raw)
        benchmark = normalise_benchmark(options.benchmark or eval_name)[0]
        counts = {}
        for key in _AGG_KEYS:
            value = metrics.get(key)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InputError(f"{key} is not a fraction in [0, 1]: {value!r}", path=str(path), field=key)
            exact = float(value) * n
            counts[key] = round(exact)
            if not math.isclose(exact, counts[key], abs_tol=1e-6 * max(n, 1)):
                raise InputError(f"{key} x n = {exact:.4f} is not a whole number (n = {n})", path=str(path), field=key)
        if sum(counts.values()) != n:
            raise InputError(f"correct + incorrect + not attempted = {sum(counts.values())}, expected n = {n}",
                             path=str(path), field="is_not_attempted")
        info.per_item = False
        info.note(f"{PER_ITEM_NOTE} (n = {n} from {'n_samples' if 'n_samples' in metrics else 'len(htmls)'})")
        info.note(GRADER_NOTE)
        if isinstance(metrics.get("score"), (int, float)):
            info.add_producer_metric(benchmark, model, "simple-evals score", float(metrics["score"]), n=n)
        return counts_batch(model, benchmark, "", correct=counts["is_correct"], wrong=counts["is_incorrect"],
                            abstain=counts["is_not_attempted"])

    @staticmethod
    def _n_from_allresults(allresults: dict[str, Any] | None, where: Path) -> int:
        if isinstance(allresults, dict):
            for key in ("htmls", "convos"):
                if isinstance(allresults.get(key), list):
                    return len(allresults[key])
        raise InputError("cannot tell how many questions were graded: no n_samples here and no htmls list in "
                         "<stem>_allresults.json", path=str(where), field="htmls")

    @staticmethod
    def _stem_parts(stem: str) -> tuple[str, str]:
        """``simpleqa_gpt-4o_assistant_20250101_120000_DEBUG`` -> (``simpleqa``, ``gpt-4o_assistant``)."""
        if stem.endswith("_DEBUG"):
            stem = stem[: -len("_DEBUG")]
        stem = _TIMESTAMP.sub("", stem)
        eval_name, _, model = stem.partition("_")
        return eval_name, model or stem


ADAPTER = SimpleQAAdapter()
