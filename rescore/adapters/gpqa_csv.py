"""GPQA official baseline logs (idavidrein/gpqa ``baselines/run_baseline.py``): one CSV per run.

``logs/<prompt_type>_<model>[_<few_shot_n>]_<YYYY-mm-dd_HH-MM-SS>.csv`` with the header
``Question id, Question, Correct answer, Model answer, Correct, Model response`` (some forks add
``Response time (s)``). Answers are option TEXTS, not letters (choices are shuffled per seed), and
``Correct`` is the string ``True``/``False``. The model is named only by the file name.

``Model answer == "Couldn't find an answer choice!"`` means the regex parser found no (A)-(D): an
extraction failure (grade ``invalid``, prediction NA, so the raw response still decides whether it
was an "I don't know"). The upstream script also writes that string for question 69 without
asking the model ("hack to deal with long answers", empty response): that row is ``invalid`` with
rule "not asked (upstream skips question 69)" and no response, so it is never a free abstention.
The ``.log`` written beside the CSV ends with ``Accuracy: x`` (refusals count as wrong), read as
the producer's own number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, head_text
from rescore.adapters.base import Adapter, SourceInfo
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import LINE, iter_table

NO_ANSWER = "Couldn't find an answer choice!"
EXTRACTION_FAILURE = "extraction failure"
NOT_ASKED = "not asked (upstream skips question 69)"
COLUMNS = ("Question id", "Question", "Correct answer", "Model answer", "Correct", "Model response")
PROMPT_TYPES = ("zero_shot_chain_of_thought", "retrieval_content", "self_consistency", "chain_of_thought",
                "zero_shot", "retrieval", "5_shot", "few_shot")
_TIMESTAMP = re.compile(r"_(\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})$")
_ACCURACY = re.compile(r"Accuracy: ([0-9.eE+-]+)")
_REFUSALS = re.compile(r"Refusal fraction: ([0-9.eE+-]+)")


def parse_log_name(stem: str) -> tuple[str | None, str, str | None]:
    """``zero_shot_gpt-4_2024-01-02_03-04-05`` -> (``zero_shot``, ``gpt-4``, ``2024-01-02_03-04-05``)."""
    match = _TIMESTAMP.search(stem)
    run = match.group(1) if match else None
    rest = stem[: match.start()] if match else stem
    for prompt_type in PROMPT_TYPES:
        if rest.startswith(prompt_type + "_"):
            return prompt_type, rest[len(prompt_type) + 1:], run
    return None, rest, run


class GPQACsvAdapter(Adapter):
    name = "gpqa_csv"
    version = "1"
    priority = 60
    honours = ()  # no producer flag acts on these files
    description = "GPQA official baseline CSV logs (Question id, Correct answer, Model answer, Correct, ...)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".csv":
            return False
        header = head_text(path, 1024).splitlines()[:1]
        return bool(header) and all(c in header[0] for c in ("Question id", "Correct answer", "Model answer",
                                                             "Correct"))

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        prompt_type, model_raw, run = parse_log_name(path.stem)
        model = normalise_model(options.model or model_raw)
        benchmark, subset = normalise_benchmark(options.benchmark) if options.benchmark else ("gpqa", "")
        info.note(f"model {model!r} <- {'--model-name' if options.model else 'file name <prompt_type>_<model>_<time>'}"
                  + (f"; prompt type {prompt_type}" if prompt_type else ""))
        if not options.benchmark:
            info.note("GPQA subset (main/diamond/extended) is not recorded in the log; "
                      "pass --benchmark-name gpqa_diamond")
        errors = RecordErrors(path, options, info)
        failures = 0
        for raw in iter_table(path, options.batch_size, options.on_error):
            missing = [c for c in COLUMNS[:5] if c not in raw.columns]
            if missing:
                errors.skip = False
                errors.bad(f"not a GPQA baseline log: missing column(s) {missing}", field=missing[0])
            rows = []
            for record in raw.to_dict("records"):
                row = self._row(record, errors, prompt_type)
                if row is None:
                    continue
                failures += row["grade_rule"] != "explicit grade"
                row.update(model=model, benchmark=benchmark, subset=subset, attempt=0)
                rows.append(row)
            if rows:
                yield batch(rows, run=run)
        errors.finish()
        if failures:
            info.note(f"{failures} row(s) say {NO_ANSWER!r}: scored as invalid (extraction failure), "
                      "the producer counted them as wrong")
        self._log_metrics(path, info, benchmark, model)

    @staticmethod
    def _row(record: dict[str, Any], errors: RecordErrors, prompt_type: str | None) -> dict[str, Any] | None:
        line = int(record[LINE])
        qid = str(record["Question id"]).strip()
        if not qid:
            errors.bad("empty Question id", line=line, field="Question id")
            return None
        correct = str(record["Correct"]).strip().lower()
        if correct not in ("true", "false"):
            errors.bad(f"Correct is not True/False: {record['Correct']!r}", line=line, field="Correct")
            return None
        answer = str(record["Model answer"])
        response: Any = record.get("Model response", "")
        if prompt_type == "self_consistency" or response is None:
            response = pd.NA  # self-consistency saves only the majority letter, never the text
        row: dict[str, Any] = {"item_id": qid, "gold": str(record["Correct answer"]), "response": response}
        if answer.strip() == NO_ANSWER:
            row.update(prediction=pd.NA, grade="invalid", grade_rule=EXTRACTION_FAILURE)
            if qid == "69" and (response is pd.NA or not str(response).strip()):
                row.update(response=pd.NA, grade_rule=NOT_ASKED)
        else:
            row.update(prediction=answer, grade="correct" if correct == "true" else "wrong",
                       grade_rule="explicit grade")
        return row

    @staticmethod
    def _log_metrics(path: Path, info: SourceInfo, benchmark: str, model: str) -> None:
        log = path.with_suffix(".log")
        if not log.is_file():
            return
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        accuracy = _ACCURACY.findall(text)
        if not accuracy:
            return
        refusals = _REFUSALS.findall(text)
        info.companions.append(str(log))
        info.add_producer_metric(benchmark, model, f"GPQA {log.name} Accuracy", float(accuracy[-1]),
                                 note="the baseline script counts refusals (no answer parsed) as wrong",
                                 refusal_fraction=float(refusals[-1]) if refusals else None)


ADAPTER = GPQACsvAdapter()
