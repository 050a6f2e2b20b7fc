"""TIGER-AI-Lab/MMLU-Pro official outputs: one JSON list of records per file.

Written by ``evaluate_from_local.py`` (``<save_dir>/<model>/CoT/<subjects>/<category>.json``),
``evaluate_from_api.py`` (``<output_dir>/<category>_result.json`` + ``<category>_summary.json``)
and published as ``eval_results/model_outputs_<model>_5shots.zip`` (one list of all records).
Each record: ``question_id``, ``options``, ``answer`` (gold letter), ``answer_index``,
``category``, ``pred`` (the extracted letter or null) and the raw text in ``generated_text``
(local runs) or ``model_outputs`` (API runs). The model is named only by the path.

Why the care around ``pred: null``: the official scripts score an unparsed answer with a random
letter (``random.seed(12345)`` before each draw), so the official accuracy credits about
1/|options| per failure. Here a null ``pred`` is an extraction failure (grade ``invalid``): the
output was cut off or never stated an answer. Only its *final answer* can make it an abstention:
the text after the last "answer is", else the last paragraph of an output that ended (with
closing punctuation); a cut-off output has no final answer, so the "I'm not sure" of its partial
reasoning changes nothing. The rule that decided is the row's rule (``--explain``). The
official-style number is recorded as a producer metric with the reason for the mismatch.

Re-extraction (default; ``--no-reextract`` keeps the file's ``pred``): some published files have
a random letter already baked into ``pred``, so the official three-stage extractor is applied
again to every stored letter's text: no letter found means the stored one was the random
fallback (``invalid``); another letter from an explicit statement replaces it; another letter
found only by the last (lone-letter) stage leaves the stored one unconfirmed (``invalid``). A
null ``pred`` takes a letter only from an explicit answer statement (stages 1-2, "answer is
(X)" / "Answer: X"); the last stage's lone letter is not trusted there, since in a cut-off
output it is a letter of a formula (10 of the 26 null preds of the published Llama-3-8B file)
or the pronoun in "I don't know.". Counts of every change are noted.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import RecordErrors, batch, dumps_short, head_text, json_keys_in_head, text_or_na
from rescore.adapters.base import Adapter, SourceInfo
from rescore.outcomes.decide import RULE_COMPARE
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_json_document

BENCHMARK = "mmlu_pro"
EXTRACTION_FAILURE = "extraction failure"
RULE_CUT_OFF = "no answer (output cut off)"
RULE_FINAL_ABSTAIN = "abstention phrase (final answer)"
RULE_RANDOM_LETTER = "no answer in text (stored letter was the random fallback)"
RULE_REEXTRACTED = "re-extracted (official patterns)"
RULE_UNCONFIRMED = "no answer stated in text (stored letter unconfirmed)"
RANDOM_NOTE = "official scripts replace unparsed answers with a random letter"
_FIRST = re.compile(r"answer is \(?([A-J])\)?")
_SECOND = re.compile(r".*[aA]nswer:\s*([A-J])")
_FINAL = re.compile(r"\b[A-J]\b(?!.*\b[A-J]\b)", re.DOTALL)
_FILE_MODEL = re.compile(r"^model_outputs_(?P<model>.+?)_\d+shots?(?:[._].*)?$")
_FILE_MODEL_PLAIN = re.compile(r"^model_outputs_(?P<model>.+)\.json$")
_RECORD_KEYS = ("question_id", "options", "answer", "pred")
_CATEGORIES = ("biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
               "history", "law", "math", "other", "philosophy", "physics", "psychology")
# a fork's evaluate_from_api.py (tanaybaswa/mmlu-pro, tests/fixtures/real/mmlu_pro_tanaybaswa) writes
# {model}_{subject}_result_{YYYYmmdd_HHMMSS}.json, {model}_{subject}_summary_{...}.json and
# {model}_overall_summary_{...}.json: one run per timestamp, the model only in the file name
_STAMPED = re.compile(r"^(?P<model>.+)_(?P<subject>" + "|".join(_CATEGORIES)
                      + r")_result_(?P<stamp>\d{8}_\d{6})\.json$")
_SUMMARY_NAME = re.compile(r"summary(?:_\d{8}_\d{6})?\.json$")
_STAMPED_SUMMARY = re.compile(r"^.+_(?:" + "|".join(_CATEGORIES) + r"|overall)_summary_\d{8}_\d{6}\.json$")


def extract_answer(text: str | None) -> str | None:
    """The official three-stage extractor (``evaluate_from_api.py``): first match wins, else None."""
    return extract_answer_stage(text)[0]


def extract_answer_stage(text: str | None) -> tuple[str | None, int]:
    """The official extractor's letter and the stage (1-3) that found it; ``(None, 0)`` when none did."""
    if text is None:
        return None, 0
    match = _FIRST.search(text)
    if match:
        return match.group(1), 1
    match = _SECOND.search(text)
    if match:
        return match.group(1), 2
    match = _FINAL.search(text)
    return (match.group(0), 3) if match else (None, 0)


_ANSWER_IS = re.compile(r"(?i)answer is")
_ENDED = re.compile(r"[.!?)\]\"'*`。！？]\s*$")


def final_answer(text: str | None) -> str | None:
    """What an output gives as its final answer: after the last "answer is", else the last paragraph
    of a finished output (closing punctuation); ``None`` when it was cut off or is empty."""
    if text is None or not text.strip():
        return None
    tail = list(_ANSWER_IS.finditer(text))
    if tail:
        return text[tail[-1].end():]
    if not _ENDED.search(text):
        return None  # cut off mid-sentence: no final answer, whatever the partial reasoning says
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paragraphs[-1] if paragraphs else None


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
    match = _STAMPED.match(path.name)
    if match:
        return match.group("model"), "file name <model>_<subject>_result_<timestamp>"
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
    honours = ("reextract",)
    description = "TIGER-AI-Lab/MMLU-Pro official outputs (JSON list with question_id, options, answer, pred)."

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".json":
            return False
        text = head_text(path, 1 << 16).lstrip()
        return text.startswith("[") and json_keys_in_head(path, _RECORD_KEYS, 1 << 16)

    skip_reason_is_local = True  # name and head of the file alone: --cache may remember the answer

    def skip_reason(self, path: Path) -> str | None:
        name = path.name
        if name == "eval_record_collection.csv":
            return "MMLU-Pro run log (aggregate accuracy per run only)"
        if _SUMMARY_NAME.search(name):
            text = head_text(path, 4096)
            if '"corr"' in text and '"wrong"' in text:
                return "MMLU-Pro summary (read with its <category>_result.json as the producer's own accuracy)"
            if not text.strip() and _STAMPED_SUMMARY.match(name):  # a run left it empty: no number to check
                return "MMLU-Pro summary (empty: the run wrote no numbers into it)"
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
        stray: list[tuple[int, str]] = []
        seen: set[str] = set()
        duplicates = 0
        official_correct = 0
        official_expected = 0.0
        n_null = 0
        null_hits = 0
        changes = {"null_to_letter": 0, "letter_to_null": 0, "letter_to_other_letter": 0, "no_text": 0,
                   "null_lone_letter": 0, "letter_unconfirmed": 0}
        detector = self.abstention_detector(options)
        finals = {"abstain": 0, "cut_off": 0, "abstain_stored": 0}
        for index, record in enumerate(doc):
            if not isinstance(record, dict):
                stray.append((index, dumps_short(record, 30)))
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
            rule = RULE_COMPARE
            if options.reextract:
                if text is None:
                    changes["no_text"] += 1
                else:
                    new, stage = extract_answer_stage(text)
                    old = pred or None
                    if old is None and new is not None and stage == 3:
                        changes["null_lone_letter"] += 1  # a formula's letter in a cut-off output: not an answer
                    elif old is None and new is not None:
                        changes["null_to_letter"] += 1
                        pred, rule = new, RULE_REEXTRACTED
                    elif old is not None and new is None:
                        changes["letter_to_null"] += 1
                        pred, rule = None, RULE_RANDOM_LETTER
                    elif old is not None and new != old and stage == 3:
                        # the text states no answer, and its lone letter is not the stored one: unconfirmed
                        changes["letter_unconfirmed"] += 1
                        pred, rule = None, RULE_UNCONFIRMED
                    elif old is not None and new != old:
                        changes["letter_to_other_letter"] += 1
                        pred, rule = new, RULE_REEXTRACTED
            row: dict[str, Any] = {"model": model, "benchmark": benchmark, "subset": category, "item_id": qid,
                                   "attempt": 0, "gold": gold, "response": text}
            if pred:
                row["prediction"] = pred
                row["grade"] = "correct" if pred == gold else "wrong"
                row["grade_rule"] = rule
            else:
                # no answer: invalid, unless the output's *final answer* is an abstention; a cut-off
                # text has none, whatever its partial reasoning says (the phrases see nothing else)
                final = final_answer(text)
                reason = detector.reason(final) if final is not None else None
                row["prediction"] = pd.NA
                row["grade_final"] = True
                if reason is not None:
                    finals["abstain" if rule == RULE_COMPARE else "abstain_stored"] += 1
                    row["grade"], row["grade_rule"] = "abstain", RULE_FINAL_ABSTAIN
                elif rule in (RULE_RANDOM_LETTER, RULE_UNCONFIRMED):
                    row["grade"], row["grade_rule"] = "invalid", rule
                else:
                    cut_off = final is None and bool(text and text.strip())
                    finals["cut_off"] += cut_off
                    row["grade"], row["grade_rule"] = "invalid", RULE_CUT_OFF if cut_off else EXTRACTION_FAILURE
            rows.append(row)
        errors.finish()
        if stray:
            shown = ", ".join(f"[{i}] {s}" for i, s in stray[:5]) + (" ..." if len(stray) > 5 else "")
            info.note(f"skipped {len(stray)} top-level element(s) that are not records: {shown}")
        if duplicates:
            info.note(f"dropped {duplicates} repeated question_id(s) (kept the first, as the API script does)")
        n = len(rows)
        if n and n_null:
            parts = [f"{finals['cut_off']} cut off (rule {RULE_CUT_OFF!r})" if finals["cut_off"] else "",
                     f"{finals['abstain']} whose final answer is an abstention (rule {RULE_FINAL_ABSTAIN!r})"
                     if finals["abstain"] else ""]
            parts = [p for p in parts if p]
            info.note(f"{n_null} of {n} records have pred null (no answer extracted): invalid unless the final "
                      "answer (after the last 'answer is', else the last paragraph of a finished output) is an "
                      "abstention" + (f"; {', '.join(parts)}" if parts else ""))
            info.add_producer_metric(
                benchmark, model, "MMLU-Pro official accuracy (null pred -> seeded random letter)",
                official_correct / n, n=n, note=RANDOM_NOTE if n_null else None, null_preds=n_null,
                null_expected_accuracy=(official_correct - null_hits + official_expected) / n,
            )
        if options.reextract:
            changed = (changes["null_to_letter"] + changes["letter_to_null"] + changes["letter_to_other_letter"]
                       + changes["letter_unconfirmed"])
            info.producer_metrics["reextract"] = {**changes, "changed": changed, "records": n}
            parts = [f"{changes['letter_to_null']} stored letter(s) with no answer in the text (the official "
                     "random fallback) are invalid" if changes["letter_to_null"] else "",
                     f"{changes['letter_to_other_letter']} stored letter(s) replaced by the one the text states"
                     if changes["letter_to_other_letter"] else "",
                     f"{changes['letter_unconfirmed']} stored letter(s) that the text does not state (only a "
                     "different lone letter, as in a cut-off formula) are invalid" if changes["letter_unconfirmed"]
                     else "",
                     f"{finals['abstain_stored']} of these end in an abstention (rule {RULE_FINAL_ABSTAIN!r})"
                     if finals["abstain_stored"] else "",
                     f"{changes['null_to_letter']} null pred(s) read from an explicit answer statement"
                     if changes["null_to_letter"] else "",
                     f"{changes['null_lone_letter']} null pred(s) not given the lone letter the official last stage "
                     "finds (a letter of a cut-off formula, or the pronoun in \"I don't know\")"
                     if changes["null_lone_letter"] else "",
                     f"{changes['no_text']} record(s) have no raw text, pred kept" if changes["no_text"] else ""]
            parts = [p for p in parts if p]
            if parts:  # nothing changed: nothing to say
                info.note("official answer patterns re-applied (--no-reextract keeps the stored pred): "
                          + "; ".join(parts))
        self._summary(path, info, benchmark, model)
        stamped = _STAMPED.match(path.name)
        if rows:
            yield batch(rows, run=stamped.group("stamp") if stamped else None)

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
        stamped = _STAMPED.match(path.name)
        if stamped:  # <model>_<subject>_summary_<timestamp>.json beside <model>_<subject>_result_<timestamp>.json
            summary = path.with_name(path.name.replace(f"_{stamped.group('subject')}_result_",
                                                       f"_{stamped.group('subject')}_summary_"))
        elif path.name.endswith("_result.json"):
            summary = path.with_name(path.name[: -len("_result.json")] + "_summary.json")
        else:
            return
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
