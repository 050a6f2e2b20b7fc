"""Humanity's Last Exam (centerforaisafety/hle, ``hle_eval/``): judged files, with their predictions.

``run_model_predictions.py`` writes ``hle_<model>.json`` (question_id -> ``{"model", "response",
"usage"}``); ``run_judge_results.py`` writes ``judged_hle_<model>.json.json`` (note the double
extension; third-party copies drop it) with the prediction record plus ``judge_response``
``{"correct_answer", "model_answer", "reasoning", "correct": "yes"|"no", "confidence": 0-100}``.

Mapping (the judged file is what rescore reads; the predictions file is its companion):

* ``correct`` "yes" -> correct, "no" -> wrong. There is no native abstention; the raw response is
  passed on, so :func:`rescore.outcomes.decide.classify` turns a plain "I don't know" into an abstention.
  A judge-extracted ``model_answer`` of "None" (no final answer found) is not used as the
  prediction, so the detector reads the raw response instead.
* ``confidence`` / 100 is the item confidence. The judge writes **100 when the response states no
  confidence**, so a 100 is ambiguous: when the response has no ``Confidence:`` line, the
  confidence is set to NaN (rule, not an option: a default is not a belief) and the count is noted.
* An id in the predictions but not in the judged file (the judge call failed) is ``invalid``
  (rule ``missing judgement``); HLE's own accuracy counts it as wrong. Both numbers are recorded
  as producer metrics.
* A judged file without its predictions is read on its own (it carries the response and the
  verdict); a note says that never-judged predictions cannot be detected then.

Cross-check: HLE's own calibration error, ``calib_err(p='2', beta=100)`` from ``run_judge_results.py``,
reproduced exactly (including its quirks) over the judged items; see :func:`hle_calibration_error`.
It differs from ``rescore calibration`` by design: HLE takes the RMS (not the mean absolute gap)
over bins of 100 items sorted by confidence, never counts its last (most confident) bin, and
includes the judge's default 100s and answers that are abstentions; rescore's ECE uses
equal-width and equal-mass bins over answered items with a trusted confidence only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_json_document

BENCHMARK = "hle"
RULE_MISSING = "missing judgement"
_CONFIDENCE_LINE = re.compile(r"confidence\s*\**\s*[:：]\s*\**\s*(\d{1,3}(?:\.\d+)?)\s*%?", re.IGNORECASE)
_SNIFF_BYTES = 1 << 20


def stated_confidence(response: Any) -> float | None:
    """The model's own last ``Confidence: NN%`` (0-100) in the response, or ``None`` when it gave none."""
    if not isinstance(response, str):
        return None
    found = _CONFIDENCE_LINE.findall(response)
    return float(found[-1]) if found else None


def hle_calibration_error(confidence: np.ndarray, correct: np.ndarray, beta: int = 100,
                          skip_last: bool = True) -> float | None:
    """HLE's ``calib_err(confidence, correct, p='2', beta=100)`` exactly as ``run_judge_results.py`` computes it.

    Sort by confidence, cut consecutive bins of ``beta`` items (the last absorbs the remainder),
    RMS over bins of |mean confidence - accuracy| weighted by bin size / n. Quirks kept on purpose,
    because this is a reproduction: the loop runs over ``range(len(bins) - 1)``, so the LAST
    (highest-confidence) bin is never counted, and 100-199 items always give 0. With fewer than
    ``beta`` items the official code raises IndexError; here the result is ``None``.
    ``skip_last=False`` counts every bin (what the code was meant to do), recorded beside it.
    Returned on HLE's printed scale: ``100 * round(err, 2)``.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    n = len(confidence)
    if n < beta:
        return None
    order = np.argsort(confidence, kind="quicksort")
    confidence, correct = confidence[order], correct[order]
    bins = [[i * beta, (i + 1) * beta] for i in range(n // beta)]
    bins[-1] = [bins[-1][0], n]
    total = 0.0
    for lo, hi in bins[:-1] if skip_last else bins:
        size = hi - lo
        diff = abs(np.nanmean(confidence[lo:hi]) - np.nanmean(correct[lo:hi]))
        total += size / n * diff**2
    return 100 * round(math.sqrt(total), 2)


def _model_from_name(name: str) -> str:
    stem = name[len("judged_"):] if name.startswith("judged_") else name
    while stem.endswith(".json"):
        stem = stem[: -len(".json")]
    return stem[len("hle_"):] if stem.startswith("hle_") else stem


def _predictions_for(path: Path) -> Path | None:
    """``judged_hle_x.json.json`` -> ``hle_x.json``; ``judged_x.json`` -> ``hle_x.json`` or ``x.json``."""
    if not path.name.startswith("judged_"):
        return None
    rest = path.name[len("judged_"):]
    stem = rest
    while stem.endswith(".json"):
        stem = stem[: -len(".json")]
    names = [rest, stem + ".json"] if rest != stem + ".json" else [rest]
    if not stem.startswith("hle_"):
        names.insert(0, f"hle_{stem}.json")
    for name in names:
        candidate = path.with_name(name)
        if candidate.is_file() and candidate != path:
            return candidate
    return None


def _is_json_object(path: Path) -> bool:
    return path.suffix.lower() == ".json" and head_text(path, 64).lstrip().startswith("{")


def is_judged(path: Path) -> bool:
    if not _is_json_object(path):
        return False
    head = head_text(path, _SNIFF_BYTES)
    # "judge_response" is HLE's key; a name alone is only trusted in the official judged_hle_ form
    return '"judge_response"' in head or (path.name.startswith("judged_hle_") and '"response"' in head)


def is_predictions(path: Path) -> bool:
    if not (path.name.startswith("hle_") and _is_json_object(path)):
        return False
    head = head_text(path, _SNIFF_BYTES)
    return '"response"' in head and '"judge_response"' not in head


class HLEAdapter(Adapter):
    name = "hle"
    version = "1"
    priority = 60
    honours = ()  # no producer flag acts on these files
    description = "Humanity's Last Exam judged_<predictions>.json (+ hle_<model>.json predictions)."

    def detect(self, path: Path) -> bool:
        return is_judged(path)

    def skip_reason(self, path: Path) -> str | None:
        if not is_predictions(path):
            return None
        judged = [p for p in path.parent.glob("judged_*") if _predictions_for(p) == path]
        if judged:
            return f"HLE predictions; read as the companion of {judged[0].name} (missing judgements -> invalid)"
        return "HLE predictions without a judged file: nothing to score (run hle_eval/run_judge_results.py)"

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        judged = read_json_document(path)
        if not isinstance(judged, dict):
            raise InputError("an HLE judged file must be a JSON object question_id -> record", path=str(path))
        errors = RecordErrors(path, options, info)
        pred_path = _predictions_for(path)
        predictions: dict[str, Any] | None = None
        if pred_path is not None:
            doc = read_json_document(pred_path)
            if isinstance(doc, dict):
                predictions = doc
                info.companions.append(str(pred_path))
        if predictions is None:
            info.note("no predictions file hle_<model>.json beside the judged file: predictions that were never "
                      "judged (HLE counts them as wrong) cannot be detected")

        first = next((v for v in judged.values() if isinstance(v, dict)), None)
        raw_model = options.model or (first or {}).get("model") or _model_from_name(path.name)
        model = normalise_model(str(raw_model))
        rows: list[dict[str, Any]] = []
        default_100 = 0
        disagree: list[str] = []
        differs = 0
        conf_values: list[float] = []
        correct_values: list[bool] = []
        for qid, record in judged.items():
            verdict = record.get("judge_response") if isinstance(record, dict) else None
            if not isinstance(verdict, dict) or "correct" not in verdict:
                errors.bad("no judge_response with a 'correct' field", record=qid, field="judge_response")
                continue
            word = str(verdict["correct"]).strip().lower()
            if word not in ("yes", "no"):
                errors.bad(f"judge_response.correct must be 'yes' or 'no', not {verdict['correct']!r}", record=qid,
                           field="judge_response.correct")
                continue
            raw_conf = verdict.get("confidence")
            try:
                conf = float(raw_conf) if raw_conf is not None else math.nan
            except (TypeError, ValueError):
                conf = -1.0
            if not math.isnan(conf) and not 0 <= conf <= 100:
                errors.bad(f"judge_response.confidence must be 0-100, not {raw_conf!r}", record=qid,
                           field="judge_response.confidence")
                continue
            response = record.get("response")
            pred = predictions.get(qid) if predictions is not None else None
            if isinstance(pred, dict) and pred.get("response") != response:
                differs += 1
            if not math.isnan(conf):
                conf_values.append(conf / 100)
                correct_values.append(word == "yes")
            stated = stated_confidence(response)
            item_conf = conf / 100 if not math.isnan(conf) else math.nan
            if conf == 100 and stated is None:
                default_100 += 1
                item_conf = math.nan
            elif stated is not None and not math.isnan(conf) and abs(stated - conf) > 0.5:
                disagree.append(str(qid))
            answer = verdict.get("model_answer")
            rows.append({
                "model": model, "benchmark": BENCHMARK, "item_id": str(qid),
                "grade": "correct" if word == "yes" else "wrong", "grade_rule": "explicit grade",
                "prediction": pd.NA if answer is None or str(answer).strip() == "None" else text_or_na(answer),
                "response": text_or_na(response), "gold": text_or_na(verdict.get("correct_answer")),
                "confidence": item_conf,
            })
        n_judged = len(rows)
        missing: list[str] = []
        if predictions is not None:
            for qid, record in predictions.items():
                if qid in judged:
                    continue
                missing.append(str(qid))
                response = record.get("response") if isinstance(record, dict) else None
                rows.append({"model": model, "benchmark": BENCHMARK, "item_id": str(qid), "grade": "invalid",
                             "grade_rule": RULE_MISSING, "response": text_or_na(response), "confidence": math.nan})
            only_judged = [q for q in judged if q not in predictions]
            if only_judged:
                info.note(f"{len(only_judged)} judged id(s) are not in {pred_path.name}: {only_judged[:3]}")
            if missing:
                info.note(f"{len(missing)} prediction(s) never judged (absent from the judged file): invalid "
                          f"(rule {RULE_MISSING!r}); HLE's own accuracy counts them as wrong")
            if differs:
                info.note(f"{differs} judged response(s) differ from {pred_path.name} (predictions re-generated "
                          "after judging?); the judged response, the one the judge saw, is used")
        if default_100:
            info.note(f"{default_100} judge confidence(s) of 100 with no 'Confidence:' line in the response (the "
                      "judge's default when the model states none): confidence set to NaN, not trusted")
        if disagree:
            info.note(f"{len(disagree)} judge confidence(s) differ from the model's stated 'Confidence:' "
                      f"(the judge's number is used): {disagree[:3]}")
        info.producer_metrics["hle_confidence"] = {"default_100_untrusted": default_100,
                                                   "judge_vs_stated_disagree": len(disagree)}
        errors.finish()
        self._producer_metrics(model, rows, n_judged, missing, conf_values, correct_values, info)
        if rows:
            frame = batch(rows)
            frame["confidence"] = pd.to_numeric(frame["confidence"], errors="coerce").astype("float64")
            yield frame

    def _producer_metrics(self, model: str, rows: list[dict[str, Any]], n_judged: int, missing: list[str],
                          conf: list[float], correct: list[bool], info: SourceInfo) -> None:
        n_yes = sum(1 for r in rows if r["grade"] == "correct")
        calib = hle_calibration_error(np.array(conf), np.array(correct)) if conf else None
        calib_all = hle_calibration_error(np.array(conf), np.array(correct), skip_last=False) if conf else None
        calib_note = ("HLE calib_err (beta=100 bins, last bin skipped, over judged items, judge confidences "
                      "including its 100 defaults)")
        if calib is None:
            calib_note += f": not defined for {len(conf)} < 100 judged items (the official code raises IndexError)"
        n_all = len(rows)
        if n_all:
            info.add_producer_metric(
                BENCHMARK, model, "HLE accuracy (never-judged = wrong)", n_yes / n_all, n=n_all,
                note="HLE divides by the dataset size (2500 questions), which these files do not carry; here the "
                     "denominator is predictions + judged ids", calibration_error=calib,
                calibration_error_all_bins=calib_all, calibration_note=calib_note)
        if missing and n_judged:
            info.add_producer_metric(
                BENCHMARK, model, "HLE accuracy over judged items only", n_yes / n_judged, n=n_judged,
                note=f"{len(missing)} never-judged prediction(s) are invalid in rescore and wrong in HLE's accuracy; "
                     "this variant leaves them out")


ADAPTER = HLEAdapter()
