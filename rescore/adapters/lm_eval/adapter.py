"""The lm-evaluation-harness adapter: detection, task set-up and reading (samples.py does the lines).

See :mod:`rescore.adapters.lm_eval.samples` for the file layout and its pitfalls, and
:mod:`rescore.adapters.lm_eval.fast` for the counts-mode path over generation samples.
"""


from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import counts_batch
from rescore.adapters.base import Adapter, FastCounts, SourceInfo, first_json_line, head_bytes
from rescore.adapters.lm_eval.samples import (
    CATEGORY_BENCHMARKS,
    IFEVAL_METRICS,
    MAX_BATCH_LINES,
    RESULTS_NAME,
    SampleReader,
    TaskSetup,
    clean_model,
    filter_names,
    find_results,
    is_loglik_pairs,
    load_results,
    metric_names,
    model_from_results,
    samples_name_parts,
    scan_filters,
)
from rescore.errors import InputError, UsageError
from rescore.outcomes.names import benchmark_family, normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import iter_jsonl


class LmEvalAdapter(Adapter):
    name = "lm_eval"
    version = "1"
    priority = 80
    honours = ("metric", "scorer", "filter_name", "confidence_norm")
    description = "lm-evaluation-harness --log_samples: samples_<task>_<ts>.jsonl (+ results_<ts>.json)."

    # -- detection ------------------------------------------------------------------------
    def detect(self, path: Path) -> bool:
        try:
            name = path.name
            if name.endswith(".jsonl"):
                line = first_json_line(path)
                return bool(line) and "doc_id" in line and "arguments" in line and (
                    "resps" in line or "filtered_resps" in line)
            if name.endswith(".json") and RESULTS_NAME.match(name):
                if not head_bytes(path, 512).lstrip().startswith(b"{"):
                    return False
                return load_results(path) is not None
        except Exception:
            return False
        return False

    def skip_reason(self, path: Path) -> str | None:
        match = RESULTS_NAME.match(path.name)
        if not match or not path.name.endswith(".json"):
            return None
        siblings = sorted(p.name for p in path.parent.glob(f"samples_*_{match.group('ts')}.jsonl"))
        if not siblings:
            return None
        listed = ", ".join(siblings[:3]) + (f" (+{len(siblings) - 3} more)" if len(siblings) > 3 else "")
        return f"lm-eval results file; read with {listed}"

    # -- reading --------------------------------------------------------------------------
    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None:
        """Counts mode for generation samples without per-line DataFrames (fast.py beside this module)."""
        if path.suffix != ".jsonl":
            return None
        from rescore.adapters.lm_eval.fast import count_generation

        return count_generation(self.task_setup, path, options, detector, info)

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        if path.suffix == ".json":
            reason = self.skip_reason(path)
            if reason:
                info.note(reason)
                return
            yield from self._results_only(path, options, info)
            return
        first = first_json_line(path)
        if first is None:
            raise InputError("first line is not a JSON object", path=str(path), line=1)
        task = self.task_setup(path, first, options, info)
        if task.output_type == "loglikelihood_rolling":
            info.note("perplexity task (loglikelihood_rolling); nothing to grade")
            return
        if options.filter_name and not task.filters:
            task.filters = scan_filters(path, options)  # no results config: learn the task's filters first
        reader = SampleReader(path, task, options, info)
        for lines in iter_jsonl(path, min(options.batch_size, MAX_BATCH_LINES), options.on_error, reader.bad_lines,
                                fields=reader.fields()):
            frame = reader.batch(lines)
            if frame is not None and len(frame):
                yield frame
        reader.finish()

    def _results_only(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        """A ``results_*.json`` without its samples: counts-only aggregates, correct = metric x n-samples.

        Each task with an accuracy-like metric (``--metric``, else acc / acc_norm / exact_match) and
        an ``n-samples`` count gives one counts row; groups and tasks without either are named in a
        note and skipped. Such a board has no per-item data (no paired tests, counts-only SEs).
        """
        doc = load_results(path)
        if doc is None:
            raise InputError("not an lm-eval results document", path=str(path))
        raw_model = model_from_results(doc)
        model = options.model or (clean_model(raw_model, info) if raw_model else None)
        if not model:
            raise InputError("no model in the results file (model_name, config.model_args); pass --model",
                             path=str(path), field="config.model_args")
        wanted = options.metric or options.scorer
        n_samples = doc.get("n-samples") if isinstance(doc.get("n-samples"), dict) else {}
        used: dict[str, list[str]] = {}
        skipped: list[str] = []
        for task, row in (doc.get("results") or {}).items():
            if not isinstance(row, dict):
                continue
            entry = n_samples.get(task)
            n = entry.get("effective") if isinstance(entry, dict) else None
            metric, value = _results_metric(row, wanted)
            if not isinstance(n, int) or value is None or not 0.0 <= value <= 1.0:
                skipped.append(task)
                continue
            benchmark, subset = (options.benchmark, "") if options.benchmark else normalise_benchmark(task)
            if not options.benchmark:
                info.task_family(benchmark, subset, benchmark_family(task))
            correct = round(value * n)
            used.setdefault(str(metric), []).append(task)
            yield counts_batch(model, benchmark, subset, correct=correct, wrong=n - correct)
        if wanted and not used:
            flag = "--metric" if options.metric else "--scorer"
            raise UsageError(f"{flag} {wanted!r} is not a metric of {path}; it has: "
                             f"{', '.join(_metric_keys(doc)) or 'no accuracy metric'}")
        if not used:
            info.note("lm-eval results file without samples and without any task to count "
                      f"(no accuracy metric with n-samples): {', '.join(skipped[:8])}")
            return
        how = "; ".join(f"{m} for {len(t)} task(s)" for m, t in used.items())
        info.note("lm-eval results file without its samples_*.jsonl: read as counts-only aggregates, correct = "
                  f"metric x n-samples ({how}; no per-item data, no abstentions)"
                  + ("" if wanted else "; --metric to choose"))
        if skipped:
            info.note(f"{len(skipped)} entries without an accuracy metric or n-samples (groups) not counted: "
                      + ", ".join(skipped[:8]) + (" ..." if len(skipped) > 8 else ""))

    def task_setup(self, path: Path, first: dict[str, Any], options: LoadOptions, info: SourceInfo) -> TaskSetup:
        task_name, ts = samples_name_parts(path.name)
        if ts is None:
            info.note(f"file name is not samples_<task>_<timestamp>.jsonl; task <- {task_name!r}, no run id")
        results_path = find_results(path, ts)
        results = load_results(results_path) if results_path else None
        config: dict[str, Any] = {}
        if results is not None and results_path is not None:
            info.companions.append(str(results_path))
            configs = results.get("configs") if isinstance(results.get("configs"), dict) else {}
            config = configs.get(task_name) if isinstance(configs.get(task_name), dict) else {}
        # model
        raw_model = model_from_results(results) if results is not None else None
        if options.model:
            model = options.model
        elif raw_model:
            model = clean_model(raw_model, info)
        else:
            folder = path.parent.name.replace("__", "/")
            model = normalise_model(folder)
            info.note(f"no results_{ts or '<ts>'}.json beside the samples file; model <- folder name {model!r}")
        # benchmark
        if options.benchmark:
            benchmark, subset = options.benchmark, ""
        else:
            benchmark, subset = normalise_benchmark(task_name)
            info.task_family(benchmark, subset, benchmark_family(task_name))
        # output type
        output_type = config.get("output_type") if isinstance(config.get("output_type"), str) else None
        if output_type is None:
            output_type = "multiple_choice" if is_loglik_pairs(first.get("filtered_resps")) else "generate_until"
            if results is None or not config:
                info.note(f"output_type inferred from the line shape ({output_type})")
        # main metric: --metric (or --scorer) when given, else the task's first
        metric = None
        candidates = metric_names(config) or [m for m in first.get("metrics") or [] if isinstance(m, str)]
        candidates += ["acc", "acc_norm", "exact_match"]
        wanted = options.metric or options.scorer
        if wanted:
            if wanted not in first or isinstance(first.get(wanted), (dict, list, str)):
                have = [k for k, v in first.items() if isinstance(v, (int, float)) and k != "doc_id"]
                flag = "--metric" if options.metric else "--scorer"
                raise UsageError(f"{flag} {wanted!r} is not a metric of {path}; its lines have: "
                                 f"{', '.join(have) or 'none'}")
            metric = wanted
        elif any(m in first for m in IFEVAL_METRICS.values()):
            metric = "ifeval"
        else:
            metric = next((m for m in candidates if m in first), None)
            others = [k for k in ("acc", "acc_norm", "acc_bytes") if k in first and k != metric]
            if metric and others:
                info.note(f"graded by {metric} (the task's first metric); the lines also have "
                          f"{', '.join(others)}: --metric to choose")
        filters = filter_names(config)
        if not filters and config:
            filters = ["none"]  # lm-eval adds a "none" filter when the task defines none
        delimiter = config.get("target_delimiter") if isinstance(config.get("target_delimiter"), str) else " "
        category_key = CATEGORY_BENCHMARKS.get(benchmark) if not subset else None
        target = first.get("target")
        index_target = isinstance(target, int) or (isinstance(target, str) and target.strip().isdigit())
        return TaskSetup(task_name, ts, model, benchmark, subset, output_type, metric, filters, delimiter, category_key,
                     results, config, index_target)


_RESULT_METRICS = ("acc", "acc_norm", "exact_match", "prompt_level_strict_acc")


def _results_metric(row: dict[str, Any], wanted: str | None) -> tuple[str | None, float | None]:
    """The metric that counts for one task of a results file: ``wanted``, else the first accuracy-like one."""
    names = [wanted] if wanted else list(_RESULT_METRICS)
    for name in names:
        for key, value in row.items():
            if key.split(",")[0] == name and isinstance(value, (int, float)) and not isinstance(value, bool):
                return name, float(value)
    return None, None


def _metric_keys(doc: dict[str, Any]) -> list[str]:
    keys = {str(k).split(",")[0] for row in (doc.get("results") or {}).values() if isinstance(row, dict)
            for k, v in row.items() if isinstance(v, (int, float)) and "stderr" not in str(k)}
    return sorted(keys)


ADAPTER = LmEvalAdapter()
