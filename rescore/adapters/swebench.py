"""SWE-bench run reports (``python -m swebench.harness.run_evaluation``), schema_version 2, v2.1 to v5.

The harness writes ``<model_name_or_path with / -> __>.<run_id>.json`` (uploaders often rename it,
so it is detected by its keys). Every submitted instance sits in exactly one of four id lists:

* ``resolved_ids`` -> correct; ``unresolved_ids`` -> wrong;
* ``empty_patch_ids`` -> **abstain** (explicit grade, rule ``empty patch``): the agent submitted
  nothing, the only natural "I don't know" among the Table-2 benchmarks;
* ``error_ids`` -> invalid (rule ``harness error``): no test verdict (patch did not apply, timeout,
  docker failure, corrupt report.json). The ``--invalid`` policy decides how it scores.

``incomplete_ids`` (dataset instances without a prediction, e.g. 475 of 500 in a 25-instance run)
are not items of this run by default (``--denominator submitted``). The official leaderboard
divides by ``total_instances``, i.e. counts them as unresolved; ``--denominator dataset`` adds them
as abstentions (the agent never tried) and says so in a note.

Companions, read when present and used only as cross-checks (never to change an outcome):
the per-instance ``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json`` (the harness's
own verdict; a disagreement means the run report is stale) and the predictions file
(``instance_id``/``model_name_or_path``/``model_patch``; it names the model of a renamed report and
confirms the empty patches). Both are listed as skipped when a folder is walked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, json_keys_in_head
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_bounded, read_json_document

BENCHMARK = "swebench"
RULE_EMPTY = "empty patch"
RULE_ERROR = "harness error"
RULE_NO_OUTCOME = "no outcome in run report"
RULE_NOT_SUBMITTED = "not submitted (--denominator dataset)"
# list name -> canonical grade, in the harness's order
UNCERTAIN_LISTS = (("infra_failure_ids", "infrastructure failure (infra_failure_ids)"),
                   ("ambiguous_failure_ids", "ambiguous evaluator failure (ambiguous_failure_ids)"))
LISTS = (("resolved_ids", "correct"), ("unresolved_ids", "wrong"), ("empty_patch_ids", "abstain"),
         ("error_ids", "invalid"))
_RULES = {"correct": "explicit grade", "wrong": "explicit grade", "abstain": RULE_EMPTY, "invalid": RULE_ERROR}
_MAX_PREDICTIONS_BYTES = 512 << 20


def is_run_report(path: Path) -> bool:
    """A JSON object whose first keys are the harness's counters (the id lists may be megabytes in)."""
    if path.suffix.lower() != ".json":
        return False
    text = head_text(path, 4096).lstrip()
    return text.startswith("{") and json_keys_in_head(path, ["total_instances"], 4096) and (
        '"submitted_instances"' in text or '"resolved_instances"' in text or '"resolved_ids"' in text)


def is_predictions(path: Path) -> bool:
    """A SWE-bench predictions file: records with ``instance_id`` and ``model_patch``."""
    if path.suffix.lower() not in (".jsonl", ".json"):
        return False
    return json_keys_in_head(path, ["instance_id", "model_patch"], 16384)


class SWEBenchAdapter(Adapter):
    name = "swebench"
    version = "1"
    priority = 60
    honours = ("denominator",)
    description = "SWE-bench harness run report <model>.<run_id>.json (+ per-instance report.json, predictions)."

    def detect(self, path: Path) -> bool:
        return is_run_report(path)

    skip_reason_is_local = True  # name and head of the file alone: --cache may remember the answer

    def skip_reason(self, path: Path) -> str | None:
        if "run_evaluation" in path.parts and not is_run_report(path):
            return ("SWE-bench per-instance log; report.json files are read as a cross-check of the run report "
                    "<model>.<run_id>.json (alone they cannot see empty patches or errors)")
        if is_predictions(path) and not is_run_report(path):
            return "SWE-bench predictions; read with the run report as a cross-check (they carry no verdict)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        report = read_json_document(path)
        if not isinstance(report, dict):
            raise InputError("a SWE-bench run report must be a JSON object", path=str(path))
        errors = RecordErrors(path, options, info)
        lists = {key: _id_list(report, key, path) for key, _ in LISTS}
        submitted = _id_list(report, "submitted_ids", path) if "submitted_ids" in report else None
        incomplete = _id_list(report, "incomplete_ids", path)

        grade: dict[str, str] = {}
        where: dict[str, str] = {}
        conflicts: set[str] = set()
        for key, outcome in LISTS:
            for iid in lists[key]:
                if iid in where:
                    errors.bad(f"instance {iid!r} is in both {where[iid]} and {key}", record=iid, field=key)
                    conflicts.add(iid)
                    continue
                where[iid] = key
                grade[iid] = outcome
        for iid in conflicts:
            grade.pop(iid, None)
        uncertain = self._uncertain(report, path, grade, where, info)
        order = list(submitted) if submitted is not None else []
        order += [iid for iid in grade if submitted is None or iid not in set(submitted)]
        if submitted is not None:
            extra = [iid for iid in grade if iid not in set(submitted)]
            if extra:
                info.note(f"{len(extra)} id(s) in the outcome lists are not in submitted_ids (kept as items): "
                          f"{extra[:3]}")
        no_outcome = [iid for iid in order if iid not in grade and iid not in conflicts]
        if no_outcome:
            info.note(f"{len(no_outcome)} submitted id(s) are in none of resolved/unresolved/empty_patch/error: "
                      f"invalid (rule {RULE_NO_OUTCOME!r}): {no_outcome[:3]}")
        _check_counts(report, lists, submitted, info)

        model_raw, run = self._model_and_run(path, report, options, info, set(order))
        model = normalise_model(model_raw)
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for iid in order:
            if iid in seen or iid in conflicts:
                continue
            seen.add(iid)
            outcome = grade.get(iid, "invalid")
            rule = uncertain.get(iid) or (_RULES[outcome] if iid in grade else RULE_NO_OUTCOME)
            rows.append({"model": model, "benchmark": BENCHMARK, "item_id": iid, "grade": outcome, "grade_rule": rule})
        if options.denominator == "dataset":
            added = [iid for iid in incomplete if iid not in seen]
            for iid in added:
                rows.append({"model": model, "benchmark": BENCHMARK, "item_id": iid, "grade": "abstain",
                             "grade_rule": RULE_NOT_SUBMITTED})
            info.note(f"--denominator dataset: {len(added)} incomplete (never submitted) instance(s) counted as "
                      "abstentions, so n = total_instances as on the official leaderboard")
        elif incomplete:
            info.note(f"{len(incomplete)} incomplete_ids (dataset instances without a prediction) are not items "
                      "(--denominator submitted); the official %resolved divides by total_instances")
        errors.finish()
        self._producer_metrics(report, lists, submitted, model, info)
        if rows:
            yield batch(rows, run=run)

    @staticmethod
    def _uncertain(report: dict[str, Any], path: Path, grade: dict[str, str], where: dict[str, str],
                   info: SourceInfo) -> dict[str, str]:
        """Non-standard lists of evaluator failures (newer harness forks): no verdict on the patch.

        ``infra_failure_ids`` (the infrastructure failed) and ``ambiguous_failure_ids`` (the
        evaluator could not tell, e.g. no tests collected) are not answers the model got wrong:
        an id there is ``invalid``, whatever other list also holds it, and a note names the field,
        how many verdicts it changed and the first ids.
        """
        rules: dict[str, str] = {}
        for key, rule in UNCERTAIN_LISTS:
            if key not in report:
                continue
            ids = _id_list(report, key, path)
            changed = [iid for iid in ids if grade.get(iid) != "invalid"]
            for iid in ids:
                was = where.get(iid)
                grade[iid] = "invalid"
                where[iid] = key if was is None else was
                rules[iid] = rule
            if ids:
                info.note(f"{key} (a non-standard field of this harness) lists {len(ids)} instance(s): invalid, "
                          f"no verdict on the patch (rule {rule!r}); {len(changed)} verdict(s) changed from the "
                          f"other lists: {', '.join(changed[:5])}" + (" ..." if len(changed) > 5 else ""))
        return rules

    # -- model, run and companions ----------------------------------------------------------
    def _model_and_run(self, path: Path, report: dict[str, Any], options: LoadOptions, info: SourceInfo,
                       ids: set[str]) -> tuple[str, str]:
        """Model and run id from (in order) --model-name, the predictions file, the logs folder, the file name.

        The file name ``<model>.<run_id>.json`` is only trusted when a companion agrees or none exists,
        because renamed reports (``vanilla.eval.json``) would otherwise yield model "vanilla".
        """
        stem = path.name[: -len(".json")]
        name_model, _, name_run = stem.rpartition(".") if "." in stem else (stem, "", "")
        name_model = name_model.replace("__", "/")
        predictions = _find_predictions(path, ids)
        pred_model = None
        if predictions is not None:
            pred_path, records = predictions
            info.companions.append(str(pred_path))
            pred_model = _check_predictions(pred_path, records, report, info)
        logs = _find_logs(path, name_run, name_model, pred_model, ids)
        log_model = None
        run = ""
        if logs is not None:
            info.companions.append(str(logs))
            run, log_model = logs.parent.name, logs.name.replace("__", "/")
            _check_instance_reports(logs, report, info)
        if options.model:
            model = options.model
        elif pred_model:
            model = pred_model
            if pred_model != name_model:
                info.note(f"model {pred_model!r} from the predictions file (the file name says {name_model!r})")
        elif log_model:
            model = log_model
            info.note(f"model {log_model!r} from the logs folder name")
        else:
            model = name_model
            info.note(f"model {name_model!r} from the file name <model>.<run_id>.json (no predictions file found "
                      "to confirm it)")
        if not run:
            run = name_run if (name_run and name_model == model) else stem
        return model, run

    def _producer_metrics(self, report: dict[str, Any], lists: dict[str, list[str]], submitted: list[str] | None,
                          model: str, info: SourceInfo) -> None:
        resolved = len(lists["resolved_ids"])
        n_sub = len(submitted) if submitted is not None else sum(len(v) for v in lists.values())
        counters = {k: report.get(k) for k in ("total_instances", "submitted_instances", "resolved_instances",
                                               "unresolved_instances", "empty_patch_instances", "error_instances")}
        if n_sub:
            info.add_producer_metric(BENCHMARK, normalise_model(model), "SWE-bench resolved_ids/submitted_ids",
                                     resolved / n_sub, n=n_sub, counters=counters,
                                     note="equal to rescore's accuracy with --denominator submitted (the default)")
        total = report.get("total_instances")
        if isinstance(total, int) and total > 0:
            info.add_producer_metric(
                BENCHMARK, normalise_model(model), "SWE-bench %resolved (resolved/total_instances)", resolved / total,
                n=total, note="the official leaderboard divides by total_instances (every instance without a "
                "prediction counts as unresolved); equal to rescore's accuracy with --denominator dataset")


def _id_list(report: dict[str, Any], key: str, path: Path) -> list[str]:
    value = report.get(key) or []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError("expected a list of instance ids (strings)", path=str(path), field=key)
    return value


def _check_counts(report: dict[str, Any], lists: dict[str, list[str]], submitted: list[str] | None,
                  info: SourceInfo) -> None:
    """The harness's counters must match its lists, and submitted = resolved+unresolved+empty+error."""
    for key, _ in LISTS:
        counter = report.get(key.replace("_ids", "_instances"))
        if isinstance(counter, int) and counter != len(lists[key]):
            info.note(f"{key.replace('_ids', '_instances')} = {counter} but {key} lists {len(lists[key])} id(s)")
    if submitted is not None:
        total = sum(len(v) for v in lists.values())
        if total != len(submitted):
            info.note(f"submitted ({len(submitted)}) != resolved + unresolved + empty_patch + error ({total})")


def _find_predictions(path: Path, ids: set[str]) -> tuple[Path, list[dict[str, Any]]] | None:
    """The predictions file beside the report (or in ``predictions/``) whose ids cover the submitted ids."""
    best: tuple[int, Path, list[dict[str, Any]]] | None = None
    folders = [path.parent, path.parent / "predictions"]
    for folder in folders:
        if not folder.is_dir():
            continue
        for candidate in sorted(folder.iterdir()):
            if candidate == path or not candidate.is_file() or not is_predictions(candidate):
                continue
            if candidate.stat().st_size > _MAX_PREDICTIONS_BYTES:
                continue
            records = _read_predictions(candidate)
            if records is None:
                continue
            pred_ids = {str(r.get("instance_id")) for r in records}
            overlap = len(pred_ids & ids)
            if ids and overlap == len(ids) and (best is None or overlap > best[0]):
                best = (overlap, candidate, records)
    return (best[1], best[2]) if best else None


def _read_predictions(path: Path) -> list[dict[str, Any]] | None:
    """JSONL, a JSON list, or a dict id -> prediction (SWE-agent); None when unreadable."""
    try:
        text = read_bounded(path).decode("utf-8")
        if path.suffix.lower() == ".jsonl":
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            records = list(doc.values()) if isinstance(doc, dict) else doc
    except (OSError, ValueError):
        return None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return None
    return records


def _check_predictions(pred_path: Path, records: list[dict[str, Any]], report: dict[str, Any],
                       info: SourceInfo) -> str | None:
    """Confirm the empty patches; return the model (the harness takes it from the first prediction)."""
    first = records[0] if records else None
    model = str(first.get("model_name_or_path")) if first and first.get("model_name_or_path") else None
    submitted = set(report.get("submitted_ids") or [])
    empty_pred = {str(r.get("instance_id")) for r in records if r.get("model_patch") in ("", None)}
    if submitted:
        empty_pred &= submitted
    empty_report = set(report.get("empty_patch_ids") or [])
    check = {"file": str(pred_path), "records": len(records), "empty_patches": len(empty_pred),
             "agree": empty_pred == empty_report}
    if empty_pred != empty_report:
        only_pred = sorted(empty_pred - empty_report)
        only_report = sorted(empty_report - empty_pred)
        check.update(empty_only_in_predictions=only_pred, empty_only_in_report=only_report)
        info.note(f"predictions file {pred_path.name} disagrees with empty_patch_ids: {len(only_pred)} empty only in "
                  f"predictions {only_pred[:3]}, {len(only_report)} only in the report {only_report[:3]} "
                  "(the run report's lists are used)")
    info.producer_metrics["swebench_predictions"] = check
    return model


def _find_logs(path: Path, name_run: str, name_model: str, pred_model: str | None, ids: set[str]) -> Path | None:
    """``logs/run_evaluation/<run_id>/<model>`` for this report: by run id from the name, else by model + ids."""
    for base in (path.parent, path.parent.parent):
        root = base / "logs" / "run_evaluation"
        if not root.is_dir():
            continue
        models = [m for m in sorted(root.glob("*/*")) if m.is_dir()]
        wanted = {x.replace("/", "__") for x in (name_model, pred_model) if x}
        exact = [m for m in models if m.parent.name == name_run and m.name in wanted]
        if len(exact) == 1:
            return exact[0]
        by_ids = [m for m in models if (m.name in wanted or not wanted)
                  and {d.name for d in m.iterdir() if d.is_dir()} <= ids and any(d.is_dir() for d in m.iterdir())]
        if len(by_ids) == 1:
            return by_ids[0]
    return None


def _check_instance_reports(logs: Path, report: dict[str, Any], info: SourceInfo) -> None:
    """Compare each per-instance verdict with the run report's lists (a cross-check, never an override)."""
    resolved = set(report.get("resolved_ids") or [])
    unresolved = set(report.get("unresolved_ids") or [])
    errors = set(report.get("error_ids") or [])
    mismatches: list[str] = []
    read = 0
    for iid in sorted(resolved | unresolved | errors):
        file = logs / iid / "report.json"
        if not file.is_file():
            if iid in resolved | unresolved:
                mismatches.append(f"{iid}: graded in the run report but no report.json")
            continue
        try:
            verdict = json.loads(read_bounded(file))[iid]["resolved"]
        except (OSError, ValueError, KeyError, TypeError):
            if iid not in errors:
                mismatches.append(f"{iid}: report.json unreadable but the run report has a verdict")
            continue
        read += 1
        if iid in errors:
            mismatches.append(f"{iid}: error in the run report but report.json says resolved={verdict}")
        elif bool(verdict) != (iid in resolved):
            mismatches.append(f"{iid}: run report says {'resolved' if iid in resolved else 'unresolved'}, "
                              f"report.json says resolved={verdict}")
    info.producer_metrics["swebench_instance_reports"] = {"folder": str(logs), "read": read,
                                                          "mismatches": mismatches}
    if mismatches:
        info.note(f"{len(mismatches)} per-instance report.json disagreement(s) with the run report (its lists are "
                  f"used): {mismatches[:3]}")
    else:
        info.note(f"{read} per-instance report.json verdict(s) agree with the run report")


ADAPTER = SWEBenchAdapter()
