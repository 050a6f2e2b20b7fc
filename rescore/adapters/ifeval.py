"""IFEval official checker outputs (google-research ``instruction_following_eval.evaluation_main``).

The checker writes ``<output_dir>/eval_results_strict.jsonl`` and ``eval_results_loose.jsonl``, one
line per prompt with exactly ``follow_all_instructions`` (bool), ``follow_instruction_list``,
``instruction_id_list``, ``prompt`` and ``response`` (no id, no model). Mapping:

* benchmark ``ifeval_strict`` or ``ifeval_loose`` from the file name (the lm-eval adapter uses the
  same two names for ``prompt_level_strict_acc`` / ``prompt_level_loose_acc``): two benchmarks
  shown side by side, never summed, because they grade the same responses twice;
* prompt level: ``follow_all_instructions`` true -> correct, false -> wrong; the response is passed
  on, so an empty response (the checker then fails every instruction) becomes an abstention in
  :func:`rescore.outcomes.decide.classify` (rule ``empty response``), as does a plain "I don't know";
* item id: the first 12 hex digits of the SHA-1 of the prompt (the checker joins by prompt text,
  so the prompt is the key; hashing keeps ids short and equal across models and variants);
* model: the folder name (``<model>/eval_results_strict.jsonl``) or a file-name prefix
  (``<model>_eval_results_strict.jsonl``); ``--model-name`` overrides.

A prompt that occurs twice in one file means strict and loose (or two runs) were concatenated: an
InputError naming both lines (``--on-error skip`` keeps the first and counts the rest). The
instruction-level accuracy, which the checker prints, is recorded as a producer metric.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, iter_text_lines, json_keys_in_head, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.errors import InputError
from rescore.outcomes.names import normalise_model
from rescore.read.options import LoadOptions

KEYS = ("follow_all_instructions", "follow_instruction_list", "instruction_id_list", "prompt", "response")
_VARIANT = re.compile(r"(?:^|[_\-.])(strict|loose)(?:[_\-.]|$)", re.IGNORECASE)
_PREFIX = re.compile(r"^(?P<model>.+?)[_\-.]?eval_results_(?:strict|loose)$", re.IGNORECASE)
_GENERIC_DIRS = {"", ".", "output", "outputs", "results", "eval", "evals", "ifeval"}


def prompt_id(prompt: str) -> str:
    """Stable short id for a prompt: IFEval's checker has no key and joins by prompt text."""
    return hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:12]


def variant_of(path: Path) -> str | None:
    """``strict`` or ``loose`` from the file name (``eval_results_strict.jsonl``), else None."""
    found = _VARIANT.findall(Path(path.name).stem)
    return found[-1].lower() if found else None


def model_of(path: Path) -> str | None:
    match = _PREFIX.match(Path(path.name).stem)
    if match:
        return match.group("model")
    folder = path.parent.name
    return None if folder.lower() in _GENERIC_DIRS else folder


class IFEvalAdapter(Adapter):
    name = "ifeval"
    version = "1"
    priority = 60
    honours = ()  # no producer flag acts on these files
    description = "IFEval official eval_results_strict.jsonl / eval_results_loose.jsonl (prompt level)."

    def detect(self, path: Path) -> bool:
        return path.suffix.lower() == ".jsonl" and json_keys_in_head(
            path, ("follow_all_instructions", "follow_instruction_list"), 65536)

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        variant = variant_of(path)
        if variant is None:
            variant = options.ifeval_variant or "strict"
            info.note(f"variant not in the file name (eval_results_strict/loose.jsonl): read as {variant!r}")
        elif options.ifeval_variant and options.ifeval_variant != variant:
            info.note(f"{variant} file left out (ifeval_variant={options.ifeval_variant!r})")
            return
        benchmark = f"ifeval_{variant}"
        raw_model = options.model or model_of(path)
        if raw_model is None:
            raise InputError("no model name: IFEval results name none; put the file in a folder named after the "
                             "model or pass --model-name", path=str(path))
        model = normalise_model(raw_model)
        errors = RecordErrors(path, options, info)
        rows: list[dict[str, Any]] = []
        first_line: dict[str, int] = {}
        followed = instructions = 0
        for line_no, line in iter_text_lines(path):
            record = _parse(line, line_no, errors)
            if record is None:
                continue
            prompt = record["prompt"]
            if prompt in first_line:
                errors.bad(f"prompt already on line {first_line[prompt]}: one file holds one variant; strict and "
                           "loose results go in separate files (eval_results_strict/loose.jsonl)",
                           line=line_no, field="prompt")
                continue
            first_line[prompt] = line_no
            follow_list = record["follow_instruction_list"]
            followed += sum(bool(x) for x in follow_list)
            instructions += len(follow_list)
            rows.append({
                "model": model, "benchmark": benchmark, "item_id": prompt_id(prompt),
                "grade": "correct" if record["follow_all_instructions"] else "wrong",
                "grade_rule": "explicit grade", "response": text_or_na(record.get("response")),
                "_line": line_no,
            })
        errors.finish()
        if rows:
            n_correct = sum(1 for r in rows if r["grade"] == "correct")
            info.add_producer_metric(benchmark, model, f"IFEval prompt-level {variant} accuracy", n_correct / len(rows),
                                     n=len(rows), instruction_level_accuracy=followed / instructions if instructions
                                     else None, note="the checker's printed prompt-level accuracy (instruction-level "
                                     "is a fraction per prompt, kept as an extra number only)")
            yield batch(rows)


def _parse(line: str, line_no: int, errors: RecordErrors) -> dict[str, Any] | None:
    """One checked record, or None (after ``errors.bad``) when it is malformed."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        errors.bad(f"not JSON ({exc.msg})", line=line_no)
        return None
    if not isinstance(record, dict):
        errors.bad("expected a JSON object", line=line_no)
        return None
    for key in ("follow_all_instructions", "follow_instruction_list", "prompt"):
        if key not in record:
            errors.bad("missing key", line=line_no, field=key)
            return None
    if not isinstance(record["follow_all_instructions"], bool):
        errors.bad(f"expected true/false, found {record['follow_all_instructions']!r}", line=line_no,
                   field="follow_all_instructions")
        return None
    follow_list = record["follow_instruction_list"]
    if not isinstance(follow_list, list) or not all(isinstance(x, bool) for x in follow_list):
        errors.bad("expected a list of true/false", line=line_no, field="follow_instruction_list")
        return None
    if record["follow_all_instructions"] != all(follow_list):
        errors.bad("follow_all_instructions disagrees with follow_instruction_list", line=line_no,
                   field="follow_all_instructions")
        return None
    if not isinstance(record["prompt"], str):
        errors.bad("expected a string", line=line_no, field="prompt")
        return None
    return record


ADAPTER = IFEvalAdapter()
