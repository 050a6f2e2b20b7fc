"""Stanford HELM run directories: ``benchmark_output/runs/<suite>/<run_spec_name>/``.

Read through ``display_predictions.json`` (one row per instance x perturbation x train trial:
``instance_id``, ``train_trial_index``, ``predicted_text``, ``mapped_output``, ``stats`` such as
``{"exact_match": 1.0}``), with the run's companions when present:

* ``run_spec.json``: model (``adapter_spec.model``) and scenario (the run name before ``:``,
  ``scenario_spec.args.subject`` or similar as subset); without it, ``scenario_state.json``'s
  ``adapter_spec`` and the directory name ``<scenario>:k=v,...,model=org_name`` are used.
* ``instances.json`` (else ``scenario_state.json``): the gold = references tagged ``correct``.

Correctness = the first of ``exact_match``, ``quasi_exact_match``, ``prefix_exact_match``,
``quasi_prefix_exact_match``, ``math_equiv``, ``math_equiv_chain_of_thought``, ``f1_score``
present in ``stats`` (values strictly between 0 and 1 are partial); a note names the metric.
``train_trial_index`` is the attempt.

Splits: a HELM run can hold instances of more than one split (a real MMLU run in
mkeohane01/LLMresearch mixes one ``valid`` instance into nine ``test`` ones), and HELM's own numbers
(``stats.json``, the group tables) are per split, the headline being ``test``. So when the
instances (``instances.json`` or ``scenario_state.json``) name a ``test`` split, only test rows
are scored and the others are named in a note; pooling them made the board disagree with HELM.
The producer's own aggregate is ``stats.json``'s unperturbed mean of the metric used, for the
split scored, recorded for the cross-check in ``rescore inspect``.

Perturbations: HELM's robustness/fairness runs repeat an instance id with a ``perturbation``
description. Those rows are skipped (noted with a count) so every model is scored on the same
unperturbed items; score a perturbation separately by filtering the file first. Rows with a
``reference_index`` (multiple_choice_separate_* adapters, one row per option) are skipped too:
they are per-option scores, not answers.

The layout follows HELM's source (``DisplayPrediction``, ``RunSpec``, ``Instance``) and was checked
on a real run directory (tests/fixtures/real/helm_llmresearch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.decide import parse_grade
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_json_document

METRICS = ("exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match", "math_equiv",
           "math_equiv_chain_of_thought", "f1_score")
COMPANIONS = ("run_spec.json", "scenario_state.json", "per_instance_stats.json", "stats.json", "instances.json",
              "display_requests.json", "scenario.json", "costs.json")
_SUBSET_ARGS = ("subject", "subset", "task", "dataset", "subtask", "name")


def _model_from_run_name(run_name: str) -> str | None:
    match = re.search(r"(?:^|[,:])model=([^,]+)", run_name)
    return match.group(1) if match else None


def _named(rows: list[str], shown: int = 5) -> str:
    """The first few skipped rows by record index and instance id, and how many more."""
    return ", ".join(rows[:shown]) + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


class HELMAdapter(Adapter):
    name = "helm"
    version = "2"  # 2: one split (test) scored, stats.json as the producer number
    priority = 65
    honours = ()  # no producer flag acts on these files
    description = "Stanford HELM run directory (display_predictions.json + run_spec.json / instances.json)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        head = head_text(path, 1 << 14).lstrip()
        return head.startswith("[") and all(f'"{k}"' in head for k in ("instance_id", "train_trial_index",
                                                                        "predicted_text"))

    def skip_reason(self, path: Path) -> str | None:
        if path.name in COMPANIONS and (path.parent / "display_predictions.json").is_file():
            return "HELM run file (read with display_predictions.json)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        doc = read_json_document(path)
        if not isinstance(doc, list):
            raise InputError(f"expected a JSON list of predictions, found {type(doc).__name__}", path=str(path))
        model_raw, scenario, subset, how = self._run_identity(path, info)
        model = normalise_model(options.model or model_raw)
        if options.benchmark:
            benchmark, subset = normalise_benchmark(options.benchmark)
        else:
            benchmark, pattern_subset = normalise_benchmark(scenario)
            subset = subset or pattern_subset
        info.note(f"model {model!r} <- {'--model-name' if options.model else how}; benchmark {benchmark!r}")
        gold, splits = self._instances(path.parent, info)
        errors = RecordErrors(path, options, info)
        perturbed: list[str] = []  # named in the notes (issue 16, point 12): record index and instance id
        per_reference: list[str] = []
        used: dict[str, int] = {}
        rows = []
        for index, entry in enumerate(doc):
            if not isinstance(entry, dict):
                errors.bad(f"expected an object, found {type(entry).__name__}", record=index)
                continue
            if entry.get("perturbation"):
                perturbed.append(f"[{index}] {entry.get('instance_id')}")
                continue
            if entry.get("reference_index") is not None:
                per_reference.append(f"[{index}] {entry.get('instance_id')}")
                continue
            if entry.get("instance_id") is None:
                errors.bad("missing instance_id", record=index, field="instance_id")
                continue
            stats = entry.get("stats")
            metric = next((m for m in METRICS if isinstance(stats, dict) and m in stats), None)
            if metric is None:
                errors.bad(f"stats has none of {list(METRICS[:4])}...", record=index, field="stats")
                continue
            grade = parse_grade(stats[metric])
            if grade is None:
                errors.bad(f"stats.{metric} is not a score in [0, 1]: {stats[metric]!r}", record=index, field="stats")
                continue
            used[metric] = used.get(metric, 0) + 1
            instance = str(entry["instance_id"])
            prediction = entry.get("mapped_output") or entry.get("predicted_text")
            rows.append({"model": model, "benchmark": benchmark, "subset": subset, "item_id": instance,
                         "attempt": int(entry.get("train_trial_index") or 0), "prediction": text_or_na(prediction),
                         "response": text_or_na(entry.get("predicted_text")), "gold": gold.get(instance, pd.NA),
                         "grade": grade, "grade_rule": "explicit grade", "_record": index})
        errors.finish()
        rows, split = self._one_split(rows, splits, info)
        for row in rows:
            del row["_record"]
        if len(used) == 1:
            self._producer_number(path.parent, info, benchmark, model, next(iter(used)), split)
        if used:
            info.note("correctness <- stats " + ", ".join(f"{m} ({n} rows)" for m, n in used.items()))
        if perturbed:
            info.note(f"skipped {len(perturbed)} perturbed row(s) (robustness/fairness variants): {_named(perturbed)}; "
                      "unperturbed items scored")
        if per_reference:
            info.note(f"skipped {len(per_reference)} per-option row(s) (reference_index set: separate "
                      f"multiple-choice): {_named(per_reference)}")
        if rows:
            yield batch(rows, run=path.parent.parent.name or None)

    @staticmethod
    def _run_identity(path: Path, info: SourceInfo) -> tuple[str, str, str, str]:
        """(model, scenario, subset, how) from run_spec.json, scenario_state.json or the directory name."""
        run_name = path.parent.name
        run_spec = path.parent / "run_spec.json"
        model = None
        subset = ""
        how = "directory name model=..."
        if run_spec.is_file():
            spec = read_json_document(run_spec)
            info.companions.append(str(run_spec))
            if isinstance(spec, dict):
                run_name = str(spec.get("name") or run_name)
                model = (spec.get("adapter_spec") or {}).get("model")
                args = (spec.get("scenario_spec") or {}).get("args") or {}
                subset = next((str(args[k]) for k in _SUBSET_ARGS if args.get(k)), "")
                how = "run_spec.json adapter_spec.model"
        if model is None:
            state = path.parent / "scenario_state.json"
            if state.is_file():
                spec = read_json_document(state)
                model = (spec.get("adapter_spec") or {}).get("model") if isinstance(spec, dict) else None
                how = "scenario_state.json adapter_spec.model"
        if model is None:
            model = _model_from_run_name(run_name) or run_name
            how = "directory name model=..."
        scenario = run_name.split(":", 1)[0]
        if not subset and ":" in run_name:
            params = dict(p.split("=", 1) for p in run_name.split(":", 1)[1].split(",") if "=" in p)
            subset = next((params[k] for k in _SUBSET_ARGS if params.get(k)), "")
        return str(model), scenario, subset, how

    @staticmethod
    def _one_split(rows: list[dict[str, Any]], splits: dict[str, str],
                   info: SourceInfo) -> tuple[list[dict[str, Any]], str | None]:
        """Keep the ``test`` rows when the run names a test split; the others are named in a note.

        HELM reports each split apart (test is the headline); scoring valid and test items as one
        benchmark gave a number HELM never printed. Without split information every row is kept.
        """
        present = {splits[r["item_id"]] for r in rows if r["item_id"] in splits}
        if "test" not in present:
            return rows, (present.pop() if len(present) == 1 else None)
        kept = [r for r in rows if splits.get(r["item_id"]) == "test"]
        left = [r for r in rows if splits.get(r["item_id"]) != "test"]
        if left:
            by_split: dict[str, list[str]] = {}
            for r in left:
                by_split.setdefault(splits.get(r["item_id"], "unknown"), []).append(f"[{r['_record']}] {r['item_id']}")
            info.note("scored the test split only, as HELM reports it; left out " + "; ".join(
                f"{len(names)} {name!r} row(s): {_named(names)}" for name, names in sorted(by_split.items())))
        return kept, "test"

    @staticmethod
    def _producer_number(folder: Path, info: SourceInfo, benchmark: str, model: str, metric: str,
                         split: str | None) -> None:
        """HELM's own mean of ``metric`` for ``split`` (unperturbed) from ``stats.json``, if there."""
        source = folder / "stats.json"
        if split is None or not source.is_file():
            return
        try:
            doc = read_json_document(source)
            stat = next(s for s in doc if isinstance(s, dict) and s.get("name", {}).get("name") == metric
                        and s["name"].get("split") == split and not s["name"].get("perturbation")
                        and not s["name"].get("sub_split"))
            mean = float(stat["mean"]) if stat.get("mean") is not None else float(stat["sum"]) / float(stat["count"])
        except Exception:  # a missing or odd companion must not stop the predictions from loading
            return
        info.companions.append(str(source))
        info.add_producer_metric(benchmark, model, f"HELM stats.json {metric} ({split})", mean)

    @staticmethod
    def _instances(folder: Path, info: SourceInfo) -> tuple[dict[str, str], dict[str, str]]:
        """instance id -> correct reference text(s), and instance id -> split, from instances.json
        or scenario_state.json."""
        instances: list[Any] = []
        source = folder / "instances.json"
        if source.is_file():
            doc = read_json_document(source)
            instances = doc if isinstance(doc, list) else []
        else:
            source = folder / "scenario_state.json"
            if source.is_file():
                doc = read_json_document(source)
                states = doc.get("request_states", []) if isinstance(doc, dict) else []
                instances = [s.get("instance") for s in states if isinstance(s, dict)]
        gold: dict[str, str] = {}
        splits: dict[str, str] = {}
        for instance in instances:
            if not isinstance(instance, dict) or instance.get("perturbation") or instance.get("id") is None:
                continue
            if instance.get("split"):
                splits[str(instance["id"])] = str(instance["split"])
            texts = [str((ref.get("output") or {}).get("text", "")) for ref in instance.get("references") or []
                     if isinstance(ref, dict) and "correct" in (ref.get("tags") or [])]
            if texts:
                gold[str(instance["id"])] = " | ".join(texts)
        if gold or splits:
            info.companions.append(str(source))
        return gold, splits


ADAPTER = HELMAdapter()
