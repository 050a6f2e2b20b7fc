"""TIGER-AI-Lab/MMLU-Pro official outputs: one JSON list of records per file.

Written by ``evaluate_from_local.py`` (``<save_dir>/<model>/CoT/<subjects>/<category>.json``),
``evaluate_from_api.py`` (``<output_dir>/<category>_result.json`` + ``<category>_summary.json``)
and published as ``eval_results/model_outputs_<model>_5shots.zip`` (one list of all records).
Each record: ``question_id``, ``options``, ``answer`` (gold letter), ``answer_index``,
``category``, ``pred`` (the extracted letter or null) and the raw text in ``generated_text``
(local runs) or ``model_outputs`` (API runs). The model is named only by the path.

Why the care around ``pred: null``: the official scripts score an unparsed answer with a random
letter (``random.seed(12345)`` before each draw), so the official accuracy credits about
1/|options| per failure. Here a null ``pred`` is an extraction failure (grade ``invalid``,
prediction NA so :func:`rescore.outcomes.decide.classify` can still see an "I don't know" in the raw
text). The official-style number is recorded as a producer metric with the reason for the
mismatch. ``--reextract`` re-runs the official three-stage extractor on every raw text, because
some published files have a random letter already baked into ``pred`` and older local runs used
a weaker extractor; how many items it changed is reported. Faithfully official, so its last stage
reads the pronoun in "I don't know." as option I: compare the counts with and without the flag.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, json_keys_in_head, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.outcomes.decide import RULE_COMPARE
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_json_document

BENCHMARK = "mmlu_pro"
EXTRACTION_FAILURE = "extraction failure"
RANDOM_NOTE = "official scripts replace unparsed answers with a random letter"
_FIRST = re.compile(r"answer is \(?([A-J])\)?")
_SECOND = re.compile(r".*[aA]nswer:\s*([A-J])")
_FINAL = re.compile(r"\b[A-J]\b(?!.*\b[A-J]\b)", re.DOTALL)
_FILE_MODEL = re.compile(r"^model_outputs_(?P<model>.+?)_\d+shots?(?:[._].*)?$")
_FILE_MODEL_PLAIN = re.compile(r"^model_outputs_(?P<model>.+)\.json$")
_RECORD_KEYS = ("question_id", "options", "answer", "pred")


def extract_answer(text: str | None) -> str | None:
    """The official three-stage extractor (``evaluate_from_api.py``): first match wins, else None."""
    if text is None:
        return None
    match = _FIRST.search(text)
    if match:
        return match.group(1)
    match = _SECOND.search(text)
    if match:
        return match.group(1)
    match = _FINAL.search(text)
    return match.group(0) if match else None


def official_random_hit(n_options: int, answer_index: Any) -> bool:
    """What the official ``save_res``/``update_result`` does for a null pred: reseed, draw, compare."""
    random.seed(12345)
    x = random.randint(0, max(n_options, 1) - 1)
    return x == answer_index


def model_from_path(path: Path) -> tuple[str | None, str]:
    """(model, how it was found) from the layouts the official scripts write."""
    match = _FILE_MODEL.match(path.name) or _FILE_MODEL_PLAIN.match(path.name)
    if match:
        return match.group("model"), "file name model_outputs_<model>_5shots"
    parents = path.parents
    if len(parents) >= 3 and parents[1].name == "CoT":
        return parents[2].name, "folder <model>/CoT/<subjects>/ (evaluate_from_local.py)"
    if path.name.endswith("_result.json") and path.parent.name:
        return path.parent.name, "folder name (evaluate_from_api.py writes <output_dir>/<category>_result.json)"
    return None, ""


class MMLUProAdapter(Adapter):
    name = "mmlu_pro"
    version = "1"
    priority = 80
    description = "TIGER-AI-Lab/MMLU-Pro official outputs (JSON list with question_id, options, answer, pred)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        text = head_text(path, 1 << 16).lstrip()
        return text.startswith("[") and json_keys_in_head(path, _RECORD_KEYS, 1 << 16)

    def skip_reason(self, path: Path) -> str | None:
        name = path.name
        if name == "eval_record_collection.csv":
            return "MMLU-Pro run log (aggregate accuracy per run only)"
        if name.endswith("summary.json"):
            text = head_text(path, 4096)
            if '"corr"' in text and '"wrong"' in text:
                return "MMLU-Pro summary (read with its <category>_result.json as the producer's own accuracy)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        doc = read_json_document(path)
        errors = RecordErrors(path, options, info)
        if not isinstance(doc, list):
            errors.skip = False
            errors.bad(f"expected a JSON list of records, found {type(doc).__name__}")
        model_raw, how = model_from_path(path)
        if options.model:
            model_raw, how = options.model, "--model-name"
        if model_raw is None:
            model_raw, how = path.stem, "file stem (no model in the path; pass --model-name NAME)"
        model = normalise_model(model_raw)
        info.note(f"model {model!r} <- {how}")
        benchmark = options.benchmark or BENCHMARK
        if options.benchmark:
            benchmark = normalise_benchmark(options.benchmark)[0]

        rows: list[dict[str, Any]] = []
        stray = 0
        seen: set[str] = set()
        duplicates = 0
        official_correct = 0
        official_expected = 0.0
        n_null = 0
        null_hits = 0
        changes = {"null_to_letter": 0, "letter_to_null": 0, "letter_to_other_letter": 0, "no_text": 0}
        for index, record in enumerate(doc):
            if not isinstance(record, dict):
                stray += 1
                continue
            parsed = self._record(record, index, errors)
            if parsed is None:
                continue
            qid, gold, pred, text, options_list, answer_index, category = parsed
            if qid in seen:
                duplicates += 1
                continue
            seen.add(qid)
            # the official number, from the file's own pred (what the producer reported)
            if not pred:
                n_null += 1
                official_expected += 1.0 / max(len(options_list), 1)
                hit = official_random_hit(len(options_list), answer_index)
                official_correct += hit
                null_hits += hit
            else:
                official_correct += pred == gold
            if options.reextract:
                if text is None:
                    changes["no_text"] += 1
                else:
                    new = extract_answer(text)
                    old = pred or None
                    if old is None and new is not None:
                        changes["null_to_letter"] += 1
                    elif old is not None and new is None:
                        changes["letter_to_null"] += 1
                    elif old is not None and new != old:
                        changes["letter_to_other_letter"] += 1
                    pred = new
            row: dict[str, Any] = {"model": model, "benchmark": benchmark, "subset": category, "item_id": qid,
                                   "attempt": 0, "gold": gold, "response": text}
            if pred:
                row["prediction"] = pred
                row["grade"] = "correct" if pred == gold else "wrong"
                row["grade_rule"] = RULE_COMPARE
            else:
                row["prediction"] = pd.NA
                row["grade"] = "invalid"
                row["grade_rule"] = EXTRACTION_FAILURE
            rows.append(row)
        errors.finish()
        if stray:
            info.note(f"skipped {stray} non-record element(s) (stray strings in the top-level list)")
        if duplicates:
            info.note(f"dropped {duplicates} repeated question_id(s) (kept the first, as the API script does)")
        n = len(rows)
        if n:
            info.note(f"{n_null} of {n} records have pred null: scored as invalid (extraction failure)")
            info.add_producer_metric(
                benchmark, model, "MMLU-Pro official accuracy (null pred -> seeded random letter)",
                official_correct / n, n=n, note=RANDOM_NOTE if n_null else None, null_preds=n_null,
                null_expected_accuracy=(official_correct - null_hits + official_expected) / n,
            )
        if options.reextract:
            changed = changes["null_to_letter"] + changes["letter_to_null"] + changes["letter_to_other_letter"]
            info.producer_metrics["reextract"] = {**changes, "changed": changed, "records": n}
            info.note(f"--reextract: the official extractor changed {changed} of {n} answers "
                      f"(null->letter {changes['null_to_letter']}, letter->null {changes['letter_to_null']}, "
                      f"letter->other letter {changes['letter_to_other_letter']})"
                      + (f"; {changes['no_text']} record(s) have no raw text, pred kept" if changes["no_text"] else ""))
        self._summary(path, info, benchmark, model)
        if rows:
            yield batch(rows)

    @staticmethod
    def _record(record: dict[str, Any], index: int, errors: RecordErrors
                ) -> tuple[str, str, str | None, str | None, list[Any], Any, str] | None:
        for key in ("question_id", "answer", "options"):
            if record.get(key) is None:
                errors.bad(f"missing {key}", record=index, field=key)
                return None
        if "pred" not in record:
            errors.bad("missing pred (the extracted letter, null when extraction failed)", record=index, field="pred")
            return None
        options_list = record["options"]
        if not isinstance(options_list, list):
            errors.bad("options is not a list", record=index, field="options")
            return None
        pred = record["pred"]
        if pred is not None and not isinstance(pred, str):
            errors.bad(f"pred is not a letter or null: {pred!r}", record=index, field="pred")
            return None
        text = record.get("generated_text", record.get("model_outputs"))
        text = text_or_na(text)
        category = str(record.get("category") or "")
        return (str(record["question_id"]), str(record["answer"]), pred.strip() if pred else None,
                None if text is pd.NA else text, options_list, record.get("answer_index"), category)

    @staticmethod
    def _summary(path: Path, info: SourceInfo, benchmark: str, model: str) -> None:
        """``<category>_summary.json`` beside ``<category>_result.json``: the producer's own accuracy."""
        if not path.name.endswith("_result.json"):
            return
        summary = path.with_name(path.name[: -len("_result.json")] + "_summary.json")
        if not summary.is_file():
            return
        try:
            doc = read_json_document(summary)
            total = doc.get("total") if isinstance(doc, dict) else None
            acc = float(total["acc"])
            n = round(float(total["corr"]) + float(total["wrong"]))
        except Exception:  # a broken companion must not stop the results from loading
            info.note(f"could not read {summary.name} (expected {{'total': {{'corr', 'wrong', 'acc'}}}})")
            return
        info.companions.append(str(summary))
        info.add_producer_metric(benchmark, model, f"MMLU-Pro {summary.name} total.acc", acc, n=n, note=RANDOM_NOTE)


ADAPTER = MMLUProAdapter()
