"""HalluLens (facebookresearch/HalluLens) ``output/<TASKNAME>/<model>/eval_results.json``.

Two per-item layouts, both parallel lists indexed by question (order of ``generation.jsonl``):

* **PreciseWikiQA** (``tasks/shortform/precise_wikiqa.py``): ``{"model", "halu_Rate",
  "refusal_rate", "correct_rate", "evaluator_abstantion", "evaluator_hallucination",
  "abstantion": [bool], "halu_test_res": [bool], "abstantion_raw_generation": [...],
  "is_hallucinated_raw_generation": [...]}`` (sic: "abstantion"). ``abstantion[i]`` true ->
  abstain (the LLM abstention judge); otherwise ``halu_test_res[i]`` false -> correct, true ->
  wrong. An item judged both abstaining and not hallucinated counts as an abstention (HalluLens'
  own hallucination rate is over non-abstained items) and is counted in a note.
* **Nonexistent-entity refusal tests** (``tasks/refusal_test/nonsense_*.py``): ``{"model",
  "false_acceptance_rate", "refusal_rate", "refusal_eval_raw": [bool]}``. Every entity is made
  up, so there is no correct answer: a refusal is an abstention (0 points) and accepting the entity
  is wrong (a hallucination). At t = 0 every model scores 0; at t > 0 the ranking is by false
  acceptance.

Texts (``prompt``/``generation``/``answer``) come from the lists some versions add to
``eval_results.json`` or from ``generation.jsonl`` beside it (when its length matches). The
benchmark is ``hallulens_precise_wikiqa`` or ``hallulens_nonexistent_entities``, subset = the task
folder. LongWiki results are claim-level precision/recall, not per-question outcomes, and are not
read.

Layout confirmed from derived copies of the HalluLens code (the upstream repository itself was
not in the searchable index): field names match the upstream release's ``run_eval``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_bounded, read_json_document

PRECISE = "hallulens_precise_wikiqa"
NONSENSE = "hallulens_nonexistent_entities"
SIDE_FILES = ("generation.jsonl", "abstain_eval_raw.jsonl", "halu_eval_raw.jsonl", "raw_eval_res.jsonl")


class HalluLensAdapter(Adapter):
    name = "hallulens"
    version = "1"
    priority = 65
    honours = ()  # no producer flag acts on these files
    description = "HalluLens eval_results.json (PreciseWikiQA abstention/hallucination lists, refusal tests)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        head = head_text(path, 1 << 16)
        return head.lstrip().startswith("{") and (('"abstantion"' in head and '"halu_Rate"' in head)
                                                  or '"refusal_eval_raw"' in head)

    def skip_reason(self, path: Path) -> str | None:
        if path.name in SIDE_FILES and (path.parent / "eval_results.json").is_file():
            return "HalluLens generation / judge log (read with eval_results.json)"
        return None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        doc = read_json_document(path)
        if not isinstance(doc, dict):
            raise InputError(f"expected a JSON object, found {type(doc).__name__}", path=str(path))
        model_raw = options.model or doc.get("model") or path.parent.name
        model = normalise_model(str(model_raw))
        task = path.parent.parent.name if len(path.parents) >= 2 else ""
        errors = RecordErrors(path, options, info)
        if "refusal_eval_raw" in doc:
            benchmark, flags = NONSENSE, {"refusal_eval_raw": doc["refusal_eval_raw"]}
        else:
            benchmark, flags = PRECISE, {"abstantion": doc.get("abstantion"), "halu_test_res": doc.get("halu_test_res")}
        if options.benchmark:
            benchmark = normalise_benchmark(options.benchmark)[0]
        for key, values in flags.items():
            if not isinstance(values, list):
                raise InputError(f"{key} is not a list of booleans", path=str(path), field=key)
        lengths = {len(v) for v in flags.values()}
        if len(lengths) != 1:
            raise InputError(f"lists differ in length: { {k: len(v) for k, v in flags.items()} }", path=str(path),
                             field="halu_test_res")
        n = lengths.pop()
        texts = self._texts(path, doc, n, info)
        rows = []
        conflicts = 0
        for i in range(n):
            values = {k: v[i] for k, v in flags.items()}
            bad = next((k for k, v in values.items() if not isinstance(v, bool)), None)
            if bad is not None:
                errors.bad(f"{bad}[{i}] is not true/false: {values[bad]!r}", record=i, field=bad)
                continue
            if "refusal_eval_raw" in values:
                refused = values["refusal_eval_raw"]
                grade, rule = ("abstain", "HalluLens refusal judge") if refused else (
                    "wrong", "accepted a nonexistent entity")
            elif values["abstantion"]:
                grade, rule = "abstain", "HalluLens abstention judge"
                conflicts += not values["halu_test_res"]
            else:
                grade = "wrong" if values["halu_test_res"] else "correct"
                rule = "HalluLens hallucination judge"
            rows.append({"model": model, "benchmark": benchmark, "subset": task, "item_id": str(i), "attempt": 0,
                         "grade": grade, "grade_rule": rule, **texts[i]})
        errors.finish()
        if conflicts:
            info.note(f"{conflicts} item(s) judged abstaining and not hallucinated: counted as abstentions")
        self._metrics(doc, info, benchmark, model, n)
        if rows:
            yield batch(rows)

    @staticmethod
    def _texts(path: Path, doc: dict[str, Any], n: int, info: SourceInfo) -> list[dict[str, Any]]:
        empty: list[dict[str, Any]] = [{} for _ in range(n)]
        generation = doc.get("generation")
        if isinstance(generation, list) and len(generation) == n:
            answers = doc.get("answer") if isinstance(doc.get("answer"), list) and len(doc["answer"]) == n else None
            return [{"response": text_or_na(generation[i]), "gold": text_or_na(answers[i]) if answers else pd.NA}
                    for i in range(n)]
        side = path.parent / "generation.jsonl"
        if not side.is_file():
            return empty
        try:
            lines = [json.loads(line) for line in read_bounded(side).decode("utf-8").splitlines() if line.strip()]
        except (OSError, ValueError):
            info.note("generation.jsonl beside eval_results.json is unreadable; texts not attached")
            return empty
        if len(lines) != n:
            info.note(f"generation.jsonl has {len(lines)} lines for {n} results; texts not attached")
            return empty
        info.companions.append(str(side))
        return [{"response": text_or_na(obj.get("generation")), "gold": text_or_na(obj.get("answer"))}
                if isinstance(obj, dict) else {} for obj in lines]

    @staticmethod
    def _metrics(doc: dict[str, Any], info: SourceInfo, benchmark: str, model: str, n: int) -> None:
        if isinstance(doc.get("correct_rate"), (int, float)):
            info.add_producer_metric(benchmark, model, "HalluLens correct_rate", float(doc["correct_rate"]), n=n,
                                     note="HalluLens' correct_rate also counts abstained items the hallucination "
                                          "judge called correct", halu_rate=doc.get("halu_Rate"),
                                     refusal_rate=doc.get("refusal_rate"))
        elif isinstance(doc.get("refusal_rate"), (int, float)):
            info.add_producer_metric(benchmark, model, "HalluLens refusal_rate", None, n=n,
                                     note="refusal tests have no correct answers (accuracy 0 by construction)",
                                     refusal_rate=doc.get("refusal_rate"),
                                     false_acceptance_rate=doc.get("false_acceptance_rate"))


ADAPTER = HalluLensAdapter()
