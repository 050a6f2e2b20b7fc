"""OpenCompass work directories: ``predictions/`` and ``results/`` per model and dataset.

Layout (``outputs/<cfg>/<timestamp>/``): ``predictions/<model_abbr>/<dataset_abbr>.json`` is a JSON
object keyed by string index (``"0"``, ``"1"``...) with ``prediction`` and ``gold`` (``reference``
in some evaluators); large datasets are split into ``<dataset_abbr>_0.json``, ``_1.json``... whose
indices restart at 0, so they are read together as one dataset (offsets added in split order).
``results/<model_abbr>/<dataset_abbr>.json`` holds the aggregate (``{"accuracy": 61.2}``) and, with
``--dump-eval-details``, ``details`` keyed the same way with a per-item ``correct``.

Preference: when a results file has per-item ``details``, that is the producer's own grading and
it is read; the matching predictions file is then skipped (``skip_reason``). Predictions alone are
compared with the gold after normalisation (a note says so: OpenCompass evaluators may
post-process answers, so this can differ from the official score). The results aggregate
(``accuracy``/``score``, in percent) is recorded as the producer's number. Model = the
``<model_abbr>`` folder, benchmark = dataset abbr, run = the ``<timestamp>`` folder.

Layout taken from the OpenCompass docs and third-party readers, not from a real dump (none was
available); field names beyond ``prediction``/``gold``/``details``/``correct`` are guesses that
fail loudly.
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

_SPLIT = re.compile(r"^(?P<base>.+)_(?P<part>\d+)$")
_GOLD_KEYS = ("gold", "reference", "references", "answer", "answers", "label")
_PRED_KEYS = ("prediction", "pred", "predictions")


def _kind(path: Path) -> str | None:
    """``"predictions"`` or ``"results"`` from the folder two levels up."""
    parents = path.parents
    if len(parents) >= 2 and parents[1].name in ("predictions", "results"):
        return parents[1].name
    return None


def _split_parts(path: Path) -> list[Path] | None:
    """All parts of a split predictions file, in order, when ``path`` is part 0; else None."""
    match = _SPLIT.match(path.stem)
    if not match or match.group("part") != "0":
        return None
    parts = []
    k = 0
    while (part := path.with_name(f"{match.group('base')}_{k}{path.suffix}")).is_file():
        parts.append(part)
        k += 1
    return parts


def _dataset_of(path: Path) -> str:
    """The dataset abbr of a predictions/results file (``gsm8k_0`` -> ``gsm8k`` when split)."""
    match = _SPLIT.match(path.stem)
    if match and path.with_name(f"{match.group('base')}_0{path.suffix}").is_file():
        return match.group("base")
    return path.stem


def _results_file(path: Path) -> Path:
    """``.../predictions/<model>/<ds>[_k].json`` -> ``.../results/<model>/<ds>.json``."""
    return path.parents[2] / "results" / path.parent.name / f"{_dataset_of(path)}{path.suffix}"


def _has_details(path: Path) -> bool:
    return path.is_file() and '"details"' in head_text(path, 1 << 16)


class OpenCompassAdapter(Adapter):
    name = "opencompass"
    version = "1"
    priority = 55
    honours = ()  # no producer flag acts on these files
    description = "OpenCompass predictions/<model>/<dataset>.json and results/<model>/<dataset>.json (details)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        head = head_text(path, 1 << 16).lstrip()
        if not head.startswith("{"):
            return False
        kind = _kind(path)
        details = re.search(r'"details"\s*:\s*[\{\[]', head) is not None
        if kind == "results" or (kind is None and details):
            return details and (kind == "results" or re.search(r'"(correct|is_correct)"\s*:', head) is not None)
        first_key = re.match(r'\{\s*"0"\s*:\s*\{', head)
        return first_key is not None and ('"prediction"' in head or '"origin_prompt"' in head)

    def skip_reason(self, path: Path) -> str | None:
        kind = _kind(path)
        if kind is None or path.suffix.lower() != ".json":
            return None
        if kind == "predictions":
            match = _SPLIT.match(path.stem)
            if match and match.group("part") != "0" and path.with_name(f"{match.group('base')}_0.json").is_file():
                return f"OpenCompass split predictions (read with {match.group('base')}_0.json)"
            if _has_details(_results_file(path)):
                return "OpenCompass predictions (the results file's per-item details are read instead)"
        if kind == "results" and not _has_details(path):
            head = head_text(path, 4096)
            if head.lstrip().startswith("{") and '"0"' not in head:
                return "OpenCompass aggregate result without details (read with its predictions as a cross-check)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        model = normalise_model(options.model or path.parent.name)
        dataset = _dataset_of(path)
        benchmark, subset = normalise_benchmark(options.benchmark or dataset)
        parents = path.parents
        run = parents[2].name if len(parents) >= 3 and _kind(path) else None
        info.note(f"model {model!r} <- folder <model_abbr>; benchmark {benchmark!r} <- dataset abbr {dataset!r}")
        errors = RecordErrors(path, options, info)
        doc = read_json_document(path)
        if not isinstance(doc, dict):
            raise InputError(f"expected a JSON object keyed by index, found {type(doc).__name__}", path=str(path))
        ident = {"model": model, "benchmark": benchmark, "subset": subset}
        if "details" in doc:
            rows = self._details(doc, errors, ident)
            self._aggregate(doc, info, benchmark, model, path.name)
        else:
            parts = _split_parts(path) or [path]
            if len(parts) > 1:
                info.companions.extend(str(p) for p in parts[1:])
                info.note(f"read {len(parts)} split prediction files as one dataset")
            rows = []
            offset = 0
            for number, part in enumerate(parts):
                part_doc = doc if number == 0 else read_json_document(part)
                part_errors = errors if number == 0 else RecordErrors(part, options, info)
                if not isinstance(part_doc, dict):
                    raise InputError("expected a JSON object keyed by index", path=str(part))
                part_rows, size = self._predictions(part_doc, part_errors, ident, offset)
                rows.extend(part_rows)
                offset += size
                if part_errors is not errors:
                    part_errors.finish()
            info.note("no per-item details (run with --dump-eval-details): prediction compared with gold after "
                      "normalisation, which can differ from the evaluator's own post-processing")
            results = _results_file(path) if _kind(path) == "predictions" else None
            if results is not None and results.is_file():
                try:
                    self._aggregate(read_json_document(results), info, benchmark, model, results.name)
                    info.companions.append(str(results))
                except InputError:
                    info.note(f"could not read {results}")
        errors.finish()
        if rows:
            yield batch(rows, run=run)

    @staticmethod
    def _index(key: str, position: int) -> int:
        try:
            return int(key)
        except ValueError:
            return position

    def _predictions(self, doc: dict[str, Any], errors: RecordErrors, ident: dict[str, str],
                     offset: int) -> tuple[list[dict[str, Any]], int]:
        rows = []
        largest = -1
        for position, (key, entry) in enumerate(doc.items()):
            index = self._index(key, position)
            largest = max(largest, index)
            if not isinstance(entry, dict):
                errors.bad(f"expected an object, found {type(entry).__name__}", record=key)
                continue
            pred_key = next((k for k in _PRED_KEYS if k in entry), None)
            if pred_key is None:
                errors.bad("missing prediction", record=key, field="prediction")
                continue
            gold_key = next((k for k in _GOLD_KEYS if k in entry), None)
            if gold_key is None:
                errors.bad("missing gold (or reference)", record=key, field="gold")
                continue
            predictions = entry[pred_key] if isinstance(entry[pred_key], list) else [entry[pred_key]]
            gold = entry[gold_key]
            gold_value = [str(g) for g in gold] if isinstance(gold, list) else text_or_na(gold)
            for attempt, prediction in enumerate(predictions):
                rows.append({**ident, "item_id": str(offset + index), "attempt": attempt,
                             "prediction": text_or_na(prediction), "gold": gold_value})
        return rows, largest + 1

    def _details(self, doc: dict[str, Any], errors: RecordErrors, ident: dict[str, str]) -> list[dict[str, Any]]:
        details = doc["details"]
        if isinstance(details, list):
            details = {str(i): d for i, d in enumerate(details)}
        if not isinstance(details, dict):
            errors.skip = False
            errors.bad("details is neither an object keyed by index nor a list", field="details")
        rows = []
        for key, entry in details.items():
            if not isinstance(entry, dict):
                errors.bad(f"expected an object, found {type(entry).__name__}", record=key, field="details")
                continue
            flag_key = next((k for k in ("correct", "is_correct", "score") if k in entry), None)
            if flag_key is None:
                errors.bad("detail has no correct flag", record=key, field="correct")
                continue
            flags = entry[flag_key] if isinstance(entry[flag_key], list) else [entry[flag_key]]
            preds = entry.get("pred", entry.get("prediction"))
            preds = preds if isinstance(preds, list) and len(preds) == len(flags) else [preds] * len(flags)
            gold = next((entry[k] for k in _GOLD_KEYS if k in entry), None)
            for attempt, (flag, pred) in enumerate(zip(flags, preds, strict=True)):
                grade = parse_grade(flag)
                if grade is None:
                    errors.bad(f"{flag_key} is not a grade: {flag!r}", record=key, field=flag_key)
                    break
                rows.append({**ident, "item_id": str(key), "attempt": attempt, "prediction": text_or_na(pred),
                             "gold": text_or_na(gold), "grade": grade, "grade_rule": "explicit grade"})
        return rows

    @staticmethod
    def _aggregate(doc: Any, info: SourceInfo, benchmark: str, model: str, name: str) -> None:
        if not isinstance(doc, dict):
            return
        for key in ("accuracy", "score", "acc"):
            value = doc.get(key)
            if isinstance(value, (int, float)):
                info.add_producer_metric(benchmark, model, f"OpenCompass {name} {key}", float(value) / 100.0,
                                         note="OpenCompass reports percentages; evaluators may post-process "
                                              "predictions before comparing")
                return


ADAPTER = OpenCompassAdapter()
