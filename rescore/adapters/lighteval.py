"""HuggingFace lighteval details parquet (``details_<task>|<fewshot>_<ts>.parquet``).

Two layouts (``formats.md`` section (f)), told apart by column names:

* current (0.9+, written by 0.13.0 in ``shared/real_data/generated/lighteval``): struct columns
  ``doc`` (``id``, ``choices``, ``gold_index``, ``task_name``...), ``model_response`` (``text``,
  ``text_post_processed``, ``logprobs`` = one log-likelihood per choice for MC tasks) and
  ``metric`` (per-sample values such as ``acc``/``em``);
* older flat layout (<= 0.8, Open LLM Leaderboard details): ``predictions`` (``[logprob,
  is_greedy]`` per choice for MC, texts for generation), ``gold``, ``gold_index``, ``choices``,
  ``metrics`` (a dict), ``example``/``full_prompt``... It has no item id: the row number is used.

Identity: the model from the path (``details/<org>/<model>/<ts>/``), or ``config_general.model_name``
of the matching ``results/<org>/<model>/results_<ts>.json`` when that file exists; the task from
the file name (suite prefix such as ``lighteval|`` and the ``|<fewshot>`` suffix removed; a
``bench:sub`` task gives benchmark ``bench`` and subset ``sub``); run = the timestamp. Rows are
not in dataset order, so item_id is ``doc.id``.

Grade: the per-sample metric (``--scorer NAME`` picks one when there are several; default the
first of acc, loglikelihood_acc, em, exact_match, extractive_match, ...): 1 correct, 0 wrong,
between partial. A generation graded 0 on a letter task (every gold a single letter) whose reply is
no letter is an extraction failure, ``invalid`` (lighteval's format failure: "The answer is B" is
not an answer its exact match can read), as lm-eval's ``[invalid]``. A generation that *is*
"I don't know" becomes abstain in ``classify`` (the 0/1 metric has no abstention category).
MC confidence: softmax over the per-choice log-likelihoods, the probability of the argmax
choice (which is the prediction); the log-likelihoods are kept in ``choice_logliks``.

``results_<ts>.json`` files are companions (skipped as inputs): their per-task value of the same
metric is the producer aggregate for the cross-check.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters.base import Adapter, SourceInfo, head_bytes
from rescore.errors import InputError, UsageError
from rescore.outcomes.decide import parse_grade
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.remote import arrow_source
from rescore.read.tables import read_bounded

NEW_COLUMNS = ("doc", "model_response", "metric")
OLD_COLUMNS = ("predictions", "metrics")
OLD_MARKERS = ("example", "full_prompt", "gold_index", "choices", "gold")
PREFERRED_METRICS = (
    "acc", "loglikelihood_acc", "em", "exact_match", "extractive_match", "quasi_exact_match", "prefix_exact_match",
    "qem", "pem", "pqem", "pass@1", "acc_norm", "loglikelihood_acc_norm",
)
_FILE = re.compile(r"^details_(?P<task>.+)_(?P<ts>\d{4}-\d{2}-\d{2}T[0-9:.\-]+)\.parquet$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.\-]+$")
_RESULTS = re.compile(r"^results_.+\.json$")


def _parquet_columns(path: Path) -> list[str] | None:
    if head_bytes(path, 4) != b"PAR1":
        return None
    try:
        import pyarrow.parquet as pq

        return list(pq.read_schema(arrow_source(path, exact=True)).names)
    except Exception:  # unreadable footer: not ours to claim
        return None


def _layout(columns: list[str]) -> str | None:
    if all(c in columns for c in NEW_COLUMNS):
        return "current"
    if all(c in columns for c in OLD_COLUMNS) and sum(c in columns for c in OLD_MARKERS) >= 2:
        return "flat"
    return None


def _task_parts(task_full: str) -> tuple[str, str]:
    """``lighteval|mmlu:college_chemistry|5`` -> (``mmlu:college_chemistry``, ``5``)."""
    parts = task_full.split("|")
    fewshot = ""
    if len(parts) >= 2 and parts[-1].isdigit():
        fewshot = parts.pop()
    task = parts[-1] if parts else task_full
    return task, fewshot


def benchmark_of(task: str) -> tuple[str, str]:
    """Benchmark and subset for a lighteval task name (``gpqa:diamond`` -> gpqa, diamond)."""
    benchmark, subset = normalise_benchmark(task)
    if not subset and ":" in benchmark:
        head, sub = benchmark.split(":", 1)
        benchmark, subset = normalise_benchmark(head)[0], sub
    return benchmark, subset


def _maybe_parse(value: Any) -> Any:
    """Old details sometimes store lists/dicts as JSON or Python-repr strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            try:
                return ast.literal_eval(value)
            except (ValueError, SyntaxError):
                return value
    return value


def _as_list(value: Any) -> list[Any]:
    value = _maybe_parse(value)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "tolist"):
        return list(value.tolist())
    return [value]


def _softmax_max(logliks: list[float]) -> tuple[int, float]:
    top = max(range(len(logliks)), key=lambda i: logliks[i])
    peak = logliks[top]
    total = sum(math.exp(v - peak) for v in logliks)
    return top, 1.0 / total


class _Context:
    """What the path (and the matching results json) says about one details file."""

    def __init__(self, path: Path, options: LoadOptions, info: SourceInfo) -> None:
        match = _FILE.match(path.name)
        self.task_full = match.group("task") if match else None
        self.run: str | None = match.group("ts") if match else None
        parts = path.parts
        details_at = max((i for i, p in enumerate(parts[:-1]) if p == "details"), default=None)
        model_parts: list[str] = []
        if details_at is not None:
            model_parts = list(parts[details_at + 1:-1])
            if model_parts and _TIMESTAMP.match(model_parts[-1]):
                self.run = self.run or model_parts[-1]
                model_parts = model_parts[:-1]
        self.model_from_path = "/".join(model_parts) or None
        self.results: dict[str, Any] | None = None
        self.results_path: Path | None = None
        if details_at is not None and self.run:
            root = Path(*parts[:details_at])
            self._find_results(root, model_parts, info)
        name = None
        if self.results is not None:
            general = self.results.get("config_general") or {}
            name = general.get("model_name") or (general.get("model_config") or {}).get("model_name")
        if options.model:
            self.model = normalise_model(options.model)
        elif name:
            self.model = normalise_model(str(name))
        elif self.model_from_path:
            self.model = normalise_model(self.model_from_path)
            info.note(f"model <- path ({self.model_from_path!r})")
        else:
            raise InputError("cannot tell the model: the file is not under details/<model>/<timestamp>/ and no "
                             "results json was found; pass --model-name", path=str(path))

    def _find_results(self, root: Path, model_parts: list[str], info: SourceInfo) -> None:
        candidate = root.joinpath("results", *model_parts, f"results_{self.run}.json")
        if not candidate.is_file():
            found = sorted(root.joinpath("results").rglob(f"results_{self.run}.json")) if (root / "results").is_dir() \
                else []
            candidate = found[0] if len(found) == 1 else candidate
        if not candidate.is_file():
            return
        try:
            doc = json.loads(read_bounded(candidate))
        except (OSError, ValueError) as exc:
            info.note(f"results file {candidate} unreadable ({exc}); no producer cross-check")
            return
        if isinstance(doc, dict):
            self.results = doc
            self.results_path = candidate
            info.companions.append(str(candidate))


class LightevalAdapter(Adapter):
    name = "lighteval"
    version = "1"
    priority = 80
    honours = ("scorer", "metric")
    description = "HuggingFace lighteval details parquet (current struct layout and the older flat layout)."

    def detect(self, path: Path) -> bool:
        columns = _parquet_columns(path)
        if columns is None:
            return False
        if _layout(columns) is not None:
            return True
        # a details file with columns missing: claim it, so read() says precisely what is missing
        return path.name.startswith("details_") and any(c in columns for c in (*NEW_COLUMNS, *OLD_COLUMNS))

    skip_reason_is_local = True  # name and head of the file alone: --cache may remember the answer

    def skip_reason(self, path: Path) -> str | None:
        if not _RESULTS.match(path.name):
            return None
        head = head_bytes(path, 4096).decode("utf-8", errors="replace")
        if '"config_general"' in head:
            return "lighteval results summary: read with its details parquet (producer cross-check)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(arrow_source(path, exact=True))
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise InputError(f"not a readable parquet file ({exc})", path=str(path)) from None
        columns = list(parquet.schema_arrow.names)
        layout = _layout(columns)
        if layout is None:
            new_missing = [c for c in NEW_COLUMNS if c not in columns]
            old_missing = [c for c in OLD_COLUMNS if c not in columns]
            raise InputError(
                f"not a lighteval details table: missing columns {new_missing} (current layout) or {old_missing} "
                f"(older flat layout); columns are {columns[:12]}",
                path=str(path), field=(new_missing or old_missing or ["?"])[0])
        if layout == "current":
            self._check_fields(parquet, path)
        context = _Context(path, options, info)
        task_full = context.task_full
        metric: str | None = None
        row_offset = 0
        n_rows = 0
        try:
            for record_batch in parquet.iter_batches(batch_size=options.batch_size):
                records = record_batch.to_pylist()
                if task_full is None:
                    task_full = self._task_from_rows(records, layout, path, options)
                rows = []
                for i, record in enumerate(records):
                    if metric is None:
                        metric = self._choose_metric(record, layout, options, path, info)
                    rows.append(self._row(record, layout, metric, row_offset + i, path))
                frame = pd.DataFrame(rows)
                if len(frame):
                    benchmark, subset = (options.benchmark, "") if options.benchmark else benchmark_of(
                        _task_parts(task_full)[0])
                    frame["model"] = context.model
                    frame["benchmark"] = benchmark
                    frame["subset"] = subset
                    frame["run"] = context.run if context.run is not None else pd.NA
                    n_rows += len(frame)
                    yield frame
                row_offset += len(records)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"corrupt parquet data ({exc})", path=str(path)) from None
        if layout == "flat":
            info.note("older flat lighteval layout: item_id <- row number (no id column)")
        if task_full is not None and metric is not None and n_rows:
            self._producer_metric(context, task_full, metric, options, info, n_rows)

    # -- helpers -------------------------------------------------------------------------
    def _check_fields(self, parquet: Any, path: Path) -> None:
        import pyarrow as pa

        schema = parquet.schema_arrow
        for column, needed in (("doc", ("choices", "gold_index")), ("model_response", ("text", "logprobs"))):
            kind = schema.field(column).type
            if not pa.types.is_struct(kind):
                raise InputError(f"column {column!r} is not a struct", path=str(path), field=column)
            names = [kind.field(i).name for i in range(kind.num_fields)]
            for name in needed:
                if name not in names:
                    raise InputError(f"struct column {column!r} lacks field {name!r}", path=str(path),
                                     field=f"{column}.{name}")

    def _task_from_rows(self, records: list[dict[str, Any]], layout: str, path: Path, options: LoadOptions) -> str:
        if options.benchmark:
            return options.benchmark
        if layout == "current" and records and isinstance(records[0].get("doc"), dict):
            name = records[0]["doc"].get("task_name")
            if name:
                return str(name)
        raise InputError("cannot tell the task: file name is not details_<task>_<timestamp>.parquet; "
                         "pass --benchmark-name", path=str(path))

    def _metrics_of(self, record: dict[str, Any], layout: str) -> dict[str, Any]:
        value = record.get("metric") if layout == "current" else _maybe_parse(record.get("metrics"))
        return value if isinstance(value, dict) else {}

    def _choose_metric(self, record: dict[str, Any], layout: str, options: LoadOptions, path: Path,
                       info: SourceInfo) -> str:
        names = [k for k, v in self._metrics_of(record, layout).items() if v is not None]
        if not names:
            raise InputError("no per-sample metric values", path=str(path), record=0,
                             field="metric" if layout == "current" else "metrics")
        wanted = options.metric or options.scorer  # --metric as for lm-eval, or --scorer
        if wanted:
            if wanted not in names:
                flag = "--metric" if options.metric else "--scorer"
                raise UsageError(f"{flag} {wanted!r} is not a metric of {path}; available: {', '.join(names)}")
            return wanted
        chosen = next((m for m in PREFERRED_METRICS if m in names), names[0])
        if len(names) > 1:
            info.note(f"metric {chosen!r} grades items (of {', '.join(names)}); pick another with --scorer")
        return chosen

    def _row(self, record: dict[str, Any], layout: str, metric: str, row_number: int, path: Path) -> dict[str, Any]:
        if layout == "current":
            doc = record.get("doc") or {}
            response = record.get("model_response") or {}
            item_id = doc.get("id")
            item_id = str(item_id) if item_id not in (None, "") else str(row_number)
            choices = _as_list(doc.get("choices"))
            gold_index = doc.get("gold_index")
            logliks = _as_list(response.get("logprobs"))
            texts = _as_list(response.get("text"))
            processed = _as_list(response.get("text_post_processed"))
            golds = None
        else:
            item_id = str(row_number)
            choices = _as_list(record.get("choices"))
            gold_index = _maybe_parse(record.get("gold_index"))
            predictions = _as_list(record.get("predictions"))
            logliks = [p[0] for p in predictions if isinstance(p, (list, tuple)) and p] if predictions and all(
                isinstance(p, (list, tuple)) for p in predictions) else []
            texts = [] if logliks else [p for p in predictions if isinstance(p, str)]
            processed = []
            golds = _as_list(record.get("gold"))
        value = self._metrics_of(record, layout).get(metric)
        grade = None
        if value is not None:
            grade = parse_grade(value)
            if grade is None:
                raise InputError(f"metric value {value!r} is not a 0-1 grade", path=str(path), record=item_id,
                                 field=f"metric.{metric}" if layout == "current" else f"metrics.{metric}")
        indices = [int(i) for i in _as_list(gold_index) if isinstance(i, (int, float)) and not isinstance(i, bool)]
        gold_texts = [str(choices[i]).strip() for i in indices if 0 <= i < len(choices)]
        if not gold_texts and golds:
            gold_texts = [str(g).strip() for g in golds]
        row: dict[str, Any] = {
            "item_id": item_id,
            "attempt": 0,
            "grade": grade if grade is not None else pd.NA,
            "grade_rule": "explicit grade",
            "gold": " | ".join(gold_texts) if gold_texts else pd.NA,
            "confidence": math.nan,
            "prediction": pd.NA,
            "response": pd.NA,
        }
        numeric = [float(v) for v in logliks if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(numeric) >= 2 and len(numeric) == len(logliks) and (not choices or len(choices) == len(numeric)):
            top, probability = _softmax_max(numeric)
            row["confidence"] = probability
            row["prediction"] = str(choices[top]).strip() if choices else str(top)
            row["choice_logliks"] = numeric
        else:
            if texts:
                row["response"] = str(texts[0])
            if processed and processed[0] is not None:
                row["prediction"] = str(processed[0])
            elif texts:
                row["prediction"] = str(texts[0])
            if grade == "wrong" and _letter_task_unparsed(gold_texts, row["prediction"]):
                # a letter task whose reply is no letter: the metric could not read an answer (lighteval's
                # format failure), as lm-eval's "[invalid]"; an "I don't know" among them is still an abstention
                row["grade"], row["grade_rule"] = "invalid", RULE_FORMAT
        return row

    def _producer_metric(self, context: _Context, task_full: str, metric: str, options: LoadOptions,
                         info: SourceInfo, n_rows: int) -> None:
        results = (context.results or {}).get("results")
        if not isinstance(results, dict):
            return
        entry = results.get(task_full)
        if entry is None:
            task, fewshot = _task_parts(task_full)
            entry = next((v for k, v in results.items() if k != "all" and _task_parts(k) == (task, fewshot)), None)
        if not isinstance(entry, dict) or not isinstance(entry.get(metric), (int, float)):
            return
        benchmark, subset = benchmark_of(_task_parts(task_full)[0])
        benchmark = options.benchmark or benchmark
        info.add_producer_metric(benchmark, context.model, f"lighteval {task_full} {metric}", float(entry[metric]),
                                 n=n_rows, results_file=str(context.results_path), subset=subset or None)


RULE_FORMAT = "extraction failure (letter task, no letter in the reply)"
_LETTER = re.compile(r"^\(?[A-Z]\)?\.?$")


def _letter_task_unparsed(golds: list[str], prediction: Any) -> bool:
    """True when every gold is one letter (A, (B)) and the reply, stripped, is not one."""
    if not golds or not all(_LETTER.match(g.strip()) for g in golds):
        return False
    if prediction is None or prediction is pd.NA:
        return True
    return _LETTER.match(str(prediction).strip()) is None


ADAPTER = LightevalAdapter()
