"""The lm-evaluation-harness adapter: detection, task set-up and reading (samples.py does the lines).

See :mod:`rescore.adapters.lm_eval.samples` for the file layout and its pitfalls, and
:mod:`rescore.adapters.lm_eval.fast` for the counts-mode path over generation samples.
"""


from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

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
from rescore.errors import InputError
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import iter_jsonl


class LmEvalAdapter(Adapter):
    name = "lm_eval"
    version = "1"
    priority = 80
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
            raise InputError(
                "lm-eval results file without its samples_<task>_<timestamp>.jsonl files in the same folder: "
                "per-item data is missing; rerun lm-eval with --log_samples (or pass --on-error skip)",
                path=str(path),
            )
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
        # output type
        output_type = config.get("output_type") if isinstance(config.get("output_type"), str) else None
        if output_type is None:
            output_type = "multiple_choice" if is_loglik_pairs(first.get("filtered_resps")) else "generate_until"
            if results is None or not config:
                info.note(f"output_type inferred from the line shape ({output_type})")
        # main metric
        metric = None
        candidates = metric_names(config) or [m for m in first.get("metrics") or [] if isinstance(m, str)]
        candidates += ["acc", "acc_norm", "exact_match"]
        if any(m in first for m in IFEVAL_METRICS.values()):
            metric = "ifeval"
        else:
            metric = next((m for m in candidates if m in first), None)
        filters = filter_names(config)
        if not filters and config:
            filters = ["none"]  # lm-eval adds a "none" filter when the task defines none
        delimiter = config.get("target_delimiter") if isinstance(config.get("target_delimiter"), str) else " "
        category_key = CATEGORY_BENCHMARKS.get(benchmark) if not subset else None
        target = first.get("target")
        index_target = isinstance(target, int) or (isinstance(target, str) and target.strip().isdigit())
        return TaskSetup(task_name, ts, model, benchmark, subset, output_type, metric, filters, delimiter, category_key,
                     results, config, index_target)


ADAPTER = LmEvalAdapter()
