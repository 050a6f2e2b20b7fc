"""Omni-MATH judge outputs (KbsdJames/Omni-MATH): the GPT-4 judge and Omni-Judge jsonl files.

* GPT judge (``GPT_eval/examples/<model>_gpteval.jsonl``, read by ``GPT_eval/get_result.py``): one
  line per item with ``original_json``, a JSON **string** (so each line is decoded twice) holding
  ``source, domain, difficulty, problem, answer, model_generation``, and ``gen``, the judge's report.
* Omni-Judge (``omni_judge.py``): one line with ``domain, difficulty, source, problem, answer,
  model_generation, omni_judge`` (the report).

The report reads ``## Student Final Answer\\n<ans>\\n\\n## Equivalence Judgement\\nTRUE|FALSE\\n\\n##
Justification\\n...``. It is parsed exactly as the official ``parse_report`` does (split on "## ",
first line = title, next line = value). Mapping:

* "Equivalence Judgement" ``TRUE`` -> correct; anything else -> wrong (the official rule);
* "Student Final Answer" ``None`` (the judge found no final answer: the model never finished)
  -> **abstain**, rule ``no final answer``, unless judged TRUE;
* a report with no sections or no "Equivalence Judgement" -> **invalid** (rule ``unparseable
  judge report``). The official script silently drops such items (``continue``) from its
  denominator; rescore keeps them, and records the official number as a producer metric.

Item id: the first 12 hex digits of the SHA-1 of the problem text (the files carry no id).
Model: the file name without ``_gpteval`` / ``_omni_judge`` / ``_judged``; ``--model-name`` overrides.
The judge (``judge=gpt`` or ``judge=omni-judge``) is the ``run`` label, so both verdicts on one
model's generations are shown apart rather than merged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, iter_text_lines, text_or_na
from rescore.adapters.base import Adapter, SourceInfo, first_json_line
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions

BENCHMARK = "omni_math"
RULE_NO_ANSWER = "no final answer"
RULE_UNPARSEABLE = "unparseable judge report"
_SUFFIX = re.compile(r"(?:[_\-.](?:gpt_?eval|omni_?judge(?:_vllm)?|judged|judge|outfile|out|results?))+$",
                     re.IGNORECASE)


def parse_report(report: str) -> dict[str, str]:
    """The official ``parse_report`` (GPT_eval/get_result.py): section title -> first line (Justification: all)."""
    data: dict[str, str] = {}
    for part in report.split("## ")[1:]:
        lines = part.strip().split("\n")
        title = lines[0].strip()
        if title == "Justification":
            data[title] = "\n".join(lines[1:]).strip()
        else:
            data[title] = lines[1].strip() if len(lines) > 1 else ""
    return data


def _kind(record: dict[str, Any] | None) -> str | None:
    if not record:
        return None
    if "omni_judge" in record and "problem" in record:
        return "omni_judge"
    if "original_json" in record and "gen" in record:
        return "gpt"
    return None


class OmniMathAdapter(Adapter):
    name = "omni_math"
    version = "1"
    priority = 60
    honours = ()  # no producer flag acts on these files
    description = "Omni-MATH GPT-judge <model>_gpteval.jsonl and Omni-Judge outputs."

    def detect(self, path: Path) -> bool:
        return path.suffix.lower() == ".jsonl" and _kind(first_json_line(path)) is not None

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        stem = path.name[: -len(path.suffix)]
        raw_model = options.model or _SUFFIX.sub("", stem) or stem
        model = normalise_model(raw_model)
        if not options.model:
            info.note(f"model {raw_model!r} from the file name")
        errors = RecordErrors(path, options, info)
        rows: list[dict[str, Any]] = []
        kinds: set[str] = set()
        seen: dict[str, int] = {}
        anomalies = 0
        for line_no, line in iter_text_lines(path):
            item = _item(line, line_no, errors)
            if item is None:
                continue
            problem, fields, report, kind = item
            item_id = hashlib.sha1(problem.encode("utf-8")).hexdigest()[:12]
            if item_id in seen:
                errors.bad(f"problem already on line {seen[item_id]}", line=line_no, field="problem")
                continue
            seen[item_id] = line_no
            kinds.add(kind)
            parsed = parse_report(report) if isinstance(report, str) else {}
            judgement = parsed.get("Equivalence Judgement")
            answer = parsed.get("Student Final Answer")
            row = {"model": model, "benchmark": BENCHMARK, "item_id": item_id,
                   "response": text_or_na(fields.get("model_generation")), "gold": text_or_na(fields.get("answer")),
                   "_line": line_no}
            if not parsed or judgement is None:
                row.update(grade="invalid", grade_rule=RULE_UNPARSEABLE, prediction=pd.NA)
            elif judgement == "TRUE":
                anomalies += answer == "None"
                row.update(grade="correct", grade_rule="explicit grade", prediction=text_or_na(answer))
            elif answer == "None":
                row.update(grade="abstain", grade_rule=RULE_NO_ANSWER, prediction=pd.NA)
            else:
                row.update(grade="wrong", grade_rule="explicit grade", prediction=text_or_na(answer))
            rows.append(row)
        errors.finish()
        if anomalies:
            info.note(f"{anomalies} item(s) judged TRUE with 'Student Final Answer: None' (kept correct)")
        if rows:
            self._producer_metric(model, rows, info)
            # the judge is the run: GPT-4 and Omni-Judge verdicts on the same generations are never merged
            yield batch(rows, run="judge=" + ("gpt" if kinds == {"gpt"} else "omni-judge" if kinds == {"omni_judge"}
                                              else "mixed"))

    def _producer_metric(self, model: str, rows: list[dict[str, Any]], info: SourceInfo) -> None:
        unparseable = sum(1 for r in rows if r["grade"] == "invalid")
        scored = len(rows) - unparseable
        n_true = sum(1 for r in rows if r["grade"] == "correct")
        if unparseable:
            info.note(f"{unparseable} unparseable judge report(s): invalid here; the official get_result.py drops "
                      "them from its denominator")
        info.add_producer_metric(
            BENCHMARK, model, "Omni-MATH get_result.py Total Accuracy", n_true / scored if scored else None, n=scored,
            note=(f"the official script drops {unparseable} unparseable report(s); rescore counts them as invalid"
                  if unparseable else None))


def _item(line: str, line_no: int, errors: RecordErrors) -> tuple[str, dict[str, Any], Any, str] | None:
    """(problem, fields, judge report, judge kind) of one line; None after ``errors.bad`` when malformed."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        errors.bad(f"not JSON ({exc.msg})", line=line_no)
        return None
    kind = _kind(record if isinstance(record, dict) else None)
    if kind is None:
        errors.bad("neither a GPT-judge record (original_json + gen) nor an Omni-Judge record (omni_judge)",
                   line=line_no)
        return None
    if kind == "gpt":
        try:
            fields = json.loads(record["original_json"]) if isinstance(record["original_json"], str) else None
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            errors.bad("original_json is not a JSON-encoded object", line=line_no, field="original_json")
            return None
        report = record["gen"]
    else:
        fields, report = record, record["omni_judge"]
    problem = fields.get("problem")
    if not isinstance(problem, str):
        errors.bad("no problem text", line=line_no, field="problem")
        return None
    return problem, fields, report, kind


ADAPTER = OmniMathAdapter()
