"""WildBench v2 individual-score files (allenai/WildBench, WB-Score).

``src/openai_batch_eval/batch_results_format.py`` writes
``eval_results/<version>/score.v2/eval=<judge>/<model>.json``: a JSON list, one record per task
with ``session_id``, ``parsed_result`` {strengths, weaknesses, score}, ``meta_data``,
``model_test`` ("org/model"), ``score`` (a STRING "1".."10") and ``model_output`` (the tested
model's answer as the judge saw it). Mapping:

* **binarised** at ``pass_score`` (``--pass-score``, default **7**): score >= 7 -> correct, below ->
  wrong. Why 7: the judge's rubric (``evaluation/eval_template.score.v2.md``) scores in bands of two
  and calls 5~6 "fair but has some issues (e.g., factual errors, hallucinations, missing key
  information)" and 7~8 "good enough"; a response the rubric says may contain hallucinations is
  not an answer a confidence target should reward, and a cut at 6 would split a band. WB-Score's
  own zero point is 5 ((mean - 5) * 2), so ``--pass-score 6`` reproduces "better than WB-Score's
  zero"; the value used is stated in a note.
* an empty ``model_output`` -> **abstain** (explicit, rule ``empty response``): the model said
  nothing, whatever the judge scored (real files give empty outputs 1, 2 or 4);
* items the judge dropped (its output was not JSON or lacked a score: real files hold 1021-1024 of
  the 1024 tasks) are only visible against the list of tasks: put the 1024 session ids, one per
  line, in ``session_ids.txt`` (or ``wildbench_session_ids.txt``) beside the file or one folder up,
  or pass ``reference_ids=`` (a path or a list) to :func:`rescore.load`. Each missing id becomes
  ``invalid`` (rule ``judge output dropped``).

A score that is not a number in 1..10 is an InputError naming the file, record and field
(``--on-error skip`` counts and skips it). The mean raw score and WB-Score ((mean - 5) * 2; x10 on
the leaderboard) are recorded as the producer's own numbers: a different scale, kept to cross-check
the raw scores. The judge (``eval=<judge>`` folder) becomes the ``run`` label, so scores of one
model by two judges are never merged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, json_keys_in_head, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError, UsageError
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_bounded, read_json_document

BENCHMARK = "wildbench"
DEFAULT_PASS_SCORE = 7.0
RULE_DROPPED = "judge output dropped"
RULE_EMPTY = "empty response"
REFERENCE_NAMES = ("session_ids.txt", "wildbench_session_ids.txt")


def read_reference_ids(source: str | Path | list[str] | tuple[str, ...]) -> list[str]:
    """Session ids from a list, a text file (one per line) or a JSON list file."""
    if isinstance(source, (list, tuple)):
        return [str(x) for x in source]
    path = Path(source)
    try:
        text = read_bounded(path).decode("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the reference id list ({exc.strerror})", path=str(path)) from exc
    if text.lstrip().startswith("["):
        try:
            ids = json.loads(text)
        except ValueError as exc:
            raise InputError(f"not a JSON list of session ids ({exc})", path=str(path)) from exc
        return [str(x) for x in ids]
    return [line.strip() for line in text.splitlines() if line.strip()]


def _find_reference(path: Path) -> Path | None:
    for folder in (path.parent, path.parent.parent):
        for name in REFERENCE_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


class WildBenchAdapter(Adapter):
    name = "wildbench"
    version = "1"
    priority = 60
    honours = ("pass_score",)
    says_phrase_abstentions = True  # its own note gives the judge's scores of such replies
    description = "WildBench v2 score files score.v2/eval=<judge>/<model>.json (binarised at --pass-score)."

    def detect(self, path: Path) -> bool:
        return (path.suffix.lower() == ".json" and head_text(path, 64).lstrip().startswith("[")
                and json_keys_in_head(path, ("session_id", "parsed_result", "model_test", "score"), 65536))

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        records = read_json_document(path)
        if not isinstance(records, list):
            raise InputError("a WildBench score file must be a JSON list of records", path=str(path))
        pass_score = float(options.pass_score) if options.pass_score is not None else DEFAULT_PASS_SCORE
        if not 1.0 <= pass_score <= 10.0:  # the flag also serves inspect_ai's 0..1 scores: checked per scale
            raise UsageError(f"--pass-score must be a number from 1 to 10 for WildBench's scale, not {pass_score:g} "
                             f"({path})")
        info.note(f"scores 1-10 binarised: >= {pass_score:g} correct, below wrong"
                  + (" (default; --pass-score to change)" if options.pass_score is None else " (--pass-score)"))
        judge = next((p[len("eval="):] for p in reversed(path.parent.parts) if p.startswith("eval=")), None)
        errors = RecordErrors(path, options, info)
        rows: list[dict[str, Any]] = []
        scores: list[float] = []
        seen: set[str] = set()
        model: str | None = options.model
        for index, record in enumerate(records):
            if not isinstance(record, dict) or "session_id" not in record:
                errors.bad("not a score record (no session_id)", record=index)
                continue
            sid = str(record["session_id"])
            where = f"{index} (session_id {sid})"
            if sid in seen:
                errors.bad("session_id occurs twice", record=where, field="session_id")
                continue
            score = _score(record.get("score"))
            if score is None:
                errors.bad(f"score must be a number from 1 to 10, not {record.get('score')!r}", record=where,
                           field="score")
                continue
            seen.add(sid)
            if model is None:
                model = str(record.get("model_test") or path.name.split(".")[0])
            scores.append(score)
            output = record.get("model_output")
            empty = output is None or (isinstance(output, str) and not output.strip())
            if empty:
                grade, rule = "abstain", RULE_EMPTY
            else:
                grade, rule = ("correct" if score >= pass_score else "wrong"), "explicit grade"
            rows.append({"item_id": sid, "grade": grade, "grade_rule": rule, "response": text_or_na(output),
                         "prediction": pd.NA, "_score": score})
        errors.finish()
        self._phrase_note(rows, options, info)
        model = normalise_model(model or path.name.split(".")[0])
        reference = self._reference(path, options, info)
        if reference is not None:
            dropped = [sid for sid in reference if sid not in seen]
            unknown = len(seen - set(reference))
            for sid in dropped:
                rows.append({"item_id": sid, "grade": "invalid", "grade_rule": RULE_DROPPED, "response": pd.NA,
                             "prediction": pd.NA})
            parts = ([f"{len(dropped)} of {len(reference)} reference task(s) missing from the file (judge output "
                      f"dropped): invalid (rule {RULE_DROPPED!r})"] if dropped else [])
            parts += [f"{unknown} scored id(s) are not in the reference list"] if unknown else []
            if parts:  # every reference task scored: nothing to say (no note counts zero)
                info.note("; ".join(parts))
        else:
            info.note(f"{len(seen)} scored task(s); tasks the judge dropped cannot be counted without the reference "
                      "list (session_ids.txt beside the file)")
        if scores:
            mean = sum(scores) / len(scores)
            info.add_producer_metric(
                BENCHMARK, model, "WildBench WB-Score ((mean score - 5) * 2)", None, n=len(scores), mean_score=mean,
                wb_score=(mean - 5) * 2, leaderboard_wb_score=(mean - 5) * 20,
                note="a different scale (-10..10), not an accuracy: a cross-check of the raw scores")
        for row in rows:
            row.update(model=model, benchmark=BENCHMARK)
        if rows:
            yield batch(rows, run=f"judge={judge}" if judge else None)

    def _phrase_note(self, rows: list[dict[str, Any]], options: LoadOptions, info: SourceInfo) -> None:
        """Say how many "I don't know" replies the 1-10 scale (no abstention category) turns into abstentions.

        The rubric has no place for declining, so such a reply below the pass score would count as a
        wrong answer; by the paper's argument it is an abstention (the shared phrase rule makes it
        one). The note gives the judge's scores for them, and for any it passed (those stay correct).
        """
        detector = self.abstention_detector(options)
        below: dict[float, int] = {}
        passed: dict[float, int] = {}
        for row in rows:
            score = row.pop("_score")
            if row["grade_rule"] != "explicit grade" or row["response"] is pd.NA:
                continue
            if detector.reason(str(row["response"])) is None:
                continue
            into = passed if row["grade"] == "correct" else below
            into[score] = into.get(score, 0) + 1

        def scores(counts: dict[float, int]) -> str:
            return ", ".join(f"{s:g}: {n}" for s, n in sorted(counts.items()))

        if below:
            info.note(f"{sum(below.values())} reply(ies) say \"I don't know\" (abstention phrases); the 1-10 rubric "
                      f"has no abstention category and the judge scored them below the pass score (score: count "
                      f"{scores(below)}): abstentions here, not wrong answers")
        if passed:
            info.note(f"{sum(passed.values())} reply(ies) with an abstention phrase were scored at or above the pass "
                      f"score (score: count {scores(passed)}): kept correct")

    def _reference(self, path: Path, options: LoadOptions, info: SourceInfo) -> list[str] | None:
        source = options.extra.get("reference_ids")
        if source is None:
            found = _find_reference(path)
            if found is None:
                return None
            source = found
        if not isinstance(source, (list, tuple)):
            info.companions.append(str(source))
        return read_reference_ids(source)


def _score(value: Any) -> float | None:
    """The judge's score as a float in [1, 10] (it is a string in the files), else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if value is not None else math.nan
    except ValueError:
        return None
    return number if 1 <= number <= 10 else None


ADAPTER = WildBenchAdapter()
