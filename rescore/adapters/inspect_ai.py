"""UK AISI inspect_ai logs: ``.eval`` zip archives and ``.json`` EvalLog files.

What is read (``formats.md`` section (e)):

* ``.eval`` = zip with ``header.json`` (the EvalLog without samples) and one member per sample
  and epoch, ``samples/<id>_epoch_<n>.json``. Recent versions compress members with zstd (zip
  method 93); :mod:`rescore.read.zipfiles` reads those in memory, refusing zip bombs by
  declared size before anything is unpacked. An unfinished log without ``header.json`` falls
  back to ``_journal/start.json``.
* ``.json`` = the same EvalLog in one object with a ``samples`` list.

Identity: model ``eval.model``; benchmark ``eval.task`` without the ``inspect_evals/`` prefix,
normalised; subset the sample's ``metadata.subject``/``category`` when present; item_id the
sample ``id``; attempt ``epoch - 1`` (0 when single, like every other adapter); run the log's
creation time (UTC) plus its ``eval_id``.

Grades (``scores[scorer].value``): ``C`` correct, ``I`` wrong, ``P`` partial, ``N`` abstain
(inspect's NOANSWER, an explicit grade); numbers/bools through the shared grade parser (1
correct, 0 wrong, in between partial); one-hot dicts (``{"correct": 1, "incorrect": 0,
"not_attempted": 0}``) by their hot key. ``I`` is an *extraction failure* (grade ``invalid``)
when the scorer says ``reason: invalid_response_format`` (0.3.2xx ``choice()``), or when the
``choice`` scorer extracted no answer at all (``answer == ""``; older versions give no reason).
An ``I`` whose text is "I don't know" becomes ``abstain`` in :func:`rescore.outcomes.decide.classify`.

By default (``--no-reextract`` turns it off) rescore re-parses what ``choice()`` could not
extract, with the rule of current inspect
versions: ``ANSWER: <letters>`` anywhere in the completion, letters in any case (0.3.130 and
earlier scored a lower-case ``ANSWER: b`` as ``I`` with answer ``""``), the *last* such line (else
the last such phrase) when there are several, as current ``parse_answers`` takes ``matches[-1]``:
a real GPQA log (tests/fixtures/real/inspect_gpqa_cancelled) has "Answer: \\(...\\)" in its
reasoning before its final "**ANSWER: D**", which the first match missed. A parse is accepted only
when every letter is one of the sample's choices (one letter when the target is one letter); it
is then correct when its letters are the target's, else wrong. The log's own grade stands
otherwise, and the change counts are reported (``producer_metrics["reextract"]``).
Samples with ``error`` are ``invalid`` ("sample error"); samples without scores are ``invalid``
("unscored").

Epochs (``--epochs``): ``attempts`` (default) keeps every epoch as an attempt row;
``majority`` keeps one row per item with the most frequent outcome, a tie going to the worse
outcome (wrong < invalid < partial < abstain < correct, the order of their default scores);
``first`` keeps epoch 1.

Confidence: for multiple-choice samples whose output carries logprobs, the probability of the
answer-letter token (``exp(logprob)`` of the last token equal to the extracted letter, not
renormalised); NaN otherwise.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters._common import dumps_short
from rescore.adapters.base import Adapter, SourceInfo, head_bytes
from rescore.errors import InputError, UsageError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.outcomes.decide import RULE_UNSCORED, classify, parse_grade
from rescore.outcomes.names import benchmark_family, letter_grade_rank, normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import read_bounded
from rescore.read.zipfiles import SafeZip, is_zip, zip_names

LETTER_GRADES = {"C": "correct", "I": "wrong", "P": "partial", "N": "abstain"}
EPOCH_MODES = ("attempts", "majority", "first")
# Tie-break for --epochs majority: earlier = worse (the order of the default scores).
WORSE_FIRST = ("wrong", "invalid", "partial", "abstain", "correct")
RULE_EXTRACTION = "extraction failure"
RULE_REEXTRACTED = "re-extracted (ANSWER: letters, any case)"
# choice()'s answer line: the last line that is just "ANSWER: X", else the last "ANSWER: X" anywhere
_ANSWER_LINE = re.compile(r"(?im)^\s*ANSWER\s*:\s*([A-Za-z ,]+?)\s*\.?\s*$")
_ANSWER_ANYWHERE = re.compile(r"(?i)ANSWER\s*:\s*([A-Za-z ,]+)(?:[^\w]|$)")
RULE_ERROR = "sample error"
_SAMPLE_MEMBER = re.compile(r"^samples/(?P<id>.+)_epoch_(?P<epoch>\d+)\.json$")
_TASK_PREFIX = "inspect_evals/"
_SUBSET_KEYS = ("subject", "category")


def _is_inspect_zip(names: list[str]) -> bool:
    has_samples = any(n.startswith("samples/") for n in names)
    has_journal = any(n.startswith("_journal/") for n in names)
    return "header.json" in names or (has_journal and (has_samples or "_journal/start.json" in names))


def _looks_like_json_log(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return False
    return all(re.search(r'"' + key + r'"\s*:', text) for key in ("version", "status", "eval", "task"))


class _Log:
    """One inspect log, either format: the header dict and an iterator over sample dicts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: SafeZip | None = None
        self.header: dict[str, Any]
        self._samples: list[Any] | None = None
        self.sample_members: list[str] = []
        self.from_journal = False
        if is_zip(head_bytes(path, 8)):
            self._open_zip()
        else:
            self._open_json()

    def _open_zip(self) -> None:
        self.zip = SafeZip(self.path)
        names = self.zip.names
        if not _is_inspect_zip(names):
            self.zip.close()
            raise InputError("zip archive is not an inspect_ai log (no header.json, no samples/ with _journal/)",
                             path=str(self.path))
        self.sample_members = sorted((n for n in names if _SAMPLE_MEMBER.match(n)), key=_member_order)
        header_name = "header.json" if "header.json" in names else "_journal/start.json"
        self.from_journal = header_name != "header.json"
        # refuse a bomb before unpacking anything: every member we will read, by declared size
        self.zip.check_sizes([header_name, *self.sample_members])
        self.header = self._member_json(header_name)

    def _member_json(self, name: str) -> dict[str, Any]:
        assert self.zip is not None
        data = self.zip.read(name)
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise InputError(f"zip member is not valid JSON ({exc})", path=str(self.path), field=name) from None
        if not isinstance(obj, dict):
            raise InputError("zip member is not a JSON object", path=str(self.path), field=name)
        return obj

    def _open_json(self) -> None:
        try:
            obj = json.loads(read_bounded(self.path))
        except InputError:
            raise
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise InputError(f"not valid JSON ({exc})", path=str(self.path), line=line) from None
        except OSError as exc:
            raise InputError(f"cannot read file ({exc})", path=str(self.path)) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("eval"), dict):
            raise InputError("not an inspect_ai log (no 'eval' object)", path=str(self.path), field="eval")
        samples = obj.pop("samples", None) or []
        if not isinstance(samples, list):
            raise InputError("'samples' is not a list", path=str(self.path), field="samples")
        self._samples = samples
        self.header = obj

    def samples(self) -> Iterator[tuple[str, Any]]:
        """Yield ``(where, sample)``; ``where`` names the record for error messages."""
        if self._samples is not None:
            for i, sample in enumerate(self._samples):
                yield f"samples[{i}]", sample
            return
        for name in self.sample_members:
            yield name, self._member_json(name)

    @property
    def n_samples(self) -> int:
        return len(self._samples) if self._samples is not None else len(self.sample_members)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _member_order(name: str) -> tuple[int, Any, int]:
    match = _SAMPLE_MEMBER.match(name)
    assert match is not None
    raw = match.group("id")
    key: tuple[int, Any] = (0, int(raw)) if raw.isdigit() else (1, raw)
    return (*key, int(match.group("epoch")))


def _run_label(eval_: dict[str, Any], path: Path) -> str:
    """Creation time in UTC (sorts chronologically for --latest) plus the log's eval id."""
    ident = str(eval_.get("eval_id") or eval_.get("task_id") or path.stem)
    created = eval_.get("created")
    if not created:
        return ident
    try:
        stamp = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return f"{created}_{ident}"
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc)
    return f"{stamp.strftime('%Y-%m-%dT%H-%M-%S')}_{ident}"


def _text_of(content: Any) -> str | None:
    """Message content as text: a string, or the ``text`` parts of a content list (reasoning skipped)."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type", "text") == "text"]
        return "".join(parts)
    return str(content)


def _response(sample: dict[str, Any]) -> str | None:
    """``output.completion``, else the last assistant message's text."""
    output = sample.get("output") or {}
    if isinstance(output, dict):
        completion = output.get("completion")
        if isinstance(completion, str):
            return completion
        for choice in output.get("choices") or []:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict):
                return _text_of(message.get("content"))
    for message in reversed(sample.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return _text_of(message.get("content"))
    return None


def _answer_probability(sample: dict[str, Any], answer: Any) -> float:
    """Probability of the answer-letter token from the output logprobs (NaN when not available)."""
    if not sample.get("choices") or not isinstance(answer, str) or len(answer.strip()) != 1:
        return math.nan
    letter = answer.strip().upper()
    output = sample.get("output") or {}
    choices = output.get("choices") if isinstance(output, dict) else None
    if not choices or not isinstance(choices[0], dict):
        return math.nan
    logprobs = choices[0].get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return math.nan
    for token in reversed(content):
        if not isinstance(token, dict):
            continue
        text = str(token.get("token", "")).strip().strip("().:*").upper()
        if text == letter and isinstance(token.get("logprob"), (int, float)):
            return float(min(1.0, math.exp(float(token["logprob"]))))
    return math.nan


def _target_letters(target: Any) -> list[str]:
    """The target's answer letters, upper case (a string "A" or "AC", or a list of letters)."""
    parts = target if isinstance(target, list) else [target] if isinstance(target, str) else []
    return sorted({ch.upper() for part in parts for ch in str(part) if ch.isalpha()})


def _reparsed_letters(response: str | None, choices: Any, target_letters: list[str]) -> list[str] | None:
    """The letters of a ``ANSWER: ...`` line in any case, or None when no valid answer is there.

    Valid means every letter names one of the sample's choices, and there is exactly one when
    the target is a single letter (choice() without multiple_correct): "ANSWER: I don't know"
    or a letter past the last choice is no answer, as in inspect.
    """
    if not response or not isinstance(choices, list) or not choices:
        return None
    found = _ANSWER_LINE.findall(response) or _ANSWER_ANYWHERE.findall(response)
    if not found:
        return None
    letters = sorted({ch.upper() for ch in found[-1] if ch.isalpha()})
    allowed = {chr(ord("A") + i) for i in range(len(choices))}
    if not letters or not set(letters) <= allowed:
        return None
    if len(target_letters) == 1 and len(letters) != 1:
        return None
    return letters


def _gold(target: Any) -> Any:
    if target is None:
        return pd.NA
    if isinstance(target, list):
        return " | ".join(map(str, target))
    return str(target)


class InspectAdapter(Adapter):
    name = "inspect_ai"
    version = "2"  # 2: re-extraction takes the last ANSWER: match, as current inspect does
    priority = 80
    honours = ("scorer", "score_key", "pass_score", "pass_grade", "epochs", "reextract")
    description = "UK AISI inspect_ai logs: .eval zip (deflate or zstd) and .json EvalLog files."

    def detect(self, path: Path) -> bool:
        head = head_bytes(path, 4096)
        if is_zip(head):
            names = zip_names(path)
            return names is not None and _is_inspect_zip(names)
        return _looks_like_json_log(head)

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        if options.epochs not in EPOCH_MODES:
            raise UsageError(f"--epochs must be one of {', '.join(EPOCH_MODES)} (got {options.epochs!r})")
        log = _Log(path)
        try:
            yield from self._read(log, path, options, info)
        finally:
            log.close()

    # -- the work ------------------------------------------------------------------------
    def _read(self, log: _Log, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        header = log.header
        eval_ = header.get("eval")
        if not isinstance(eval_, dict):
            raise InputError("inspect log header has no 'eval' object", path=str(path), field="eval")
        model = normalise_model(options.model or str(eval_.get("model") or ""))
        if not model:
            raise InputError("no model in the log (eval.model); pass --model-name", path=str(path), field="eval.model")
        task = str(eval_.get("task") or "")
        if task.startswith(_TASK_PREFIX):
            task = task[len(_TASK_PREFIX):]
        if options.benchmark:
            benchmark, task_subset = options.benchmark, ""
        elif task:
            benchmark, task_subset = normalise_benchmark(task)
            info.task_family(benchmark, task_subset, benchmark_family(task))
        else:
            raise InputError("no task in the log (eval.task); pass --benchmark-name", path=str(path), field="eval.task")
        run = _run_label(eval_, path)
        self._status_notes(header, log, info)
        scorers = [str(s.get("name")) for s in eval_.get("scorers") or [] if isinstance(s, dict) and s.get("name")]
        if not scorers:
            scorers = [str(s.get("name")) for s in (header.get("results") or {}).get("scores") or []
                       if isinstance(s, dict) and s.get("name")]
        scorers = list(dict.fromkeys(scorers))
        chosen = self._choose_scorer(scorers, options, path, info)

        rows: list[dict[str, Any]] = []
        skipped: list[str] = []
        shape = _ScoreShape(options)
        counts = {"unscored": 0, "error": 0, "samples": 0, "reextract_tried": 0, "reextract_correct": 0,
                  "reextract_wrong": 0, "reextractable": 0}
        for where, sample in log.samples():
            counts["samples"] += 1
            try:
                if not isinstance(sample, dict):
                    raise InputError("sample is not a JSON object", path=str(path), record=where)
                if chosen is None and sample.get("scores"):
                    chosen = self._choose_scorer(list(sample["scores"]), options, path, info)
                row = self._row(sample, where, chosen, path, counts, reextract=options.reextract, shape=shape)
            except InputError as exc:
                if options.on_error != "skip":
                    raise
                skipped.append(f"{where}: {exc.reason}")
                continue
            row.update(model=model, benchmark=benchmark, run=run)
            if task_subset:
                row["subset"] = task_subset
            rows.append(row)
            if options.epochs == "attempts" and len(rows) >= options.batch_size:
                yield pd.DataFrame(rows)
                rows = []
        if skipped:
            info.skipped_records += len(skipped)
            info.note(f"skipped {len(skipped)} bad sample(s) (--on-error skip): " + "; ".join(skipped[:3]))
        if counts["samples"] == 0:
            info.note("the log holds no samples (written with log_samples=False, or cancelled before any finished);"
                      " nothing to rescore")
        if counts["unscored"]:
            whole = counts["unscored"] == counts["samples"]
            if whole:
                which = f" for {chosen!r}" if chosen else ""
                info.note(f"unscored log: none of its {counts['samples']} sample(s) has a score{which}; "
                          "the run gets no score and no rank (rule 'unscored')")
            else:
                info.note(f"{counts['unscored']} of {counts['samples']} sample(s) have no score; they are invalid "
                          f"(rule {RULE_UNSCORED!r})")
        if counts["error"]:
            info.note(f"{counts['error']} sample(s) ended in an error; they are invalid (rule {RULE_ERROR!r})")
        shape.note(info)
        if options.reextract:
            self._reextract_note(counts, info)
        elif counts["reextractable"]:
            info.note(f"{counts['reextractable']} choice() extraction failure(s) hold an 'ANSWER: <letter>' that "
                      "this inspect version did not extract (e.g. lower case); they stay invalid because of "
                      "--no-reextract (by default they are re-parsed as current inspect versions do)")
        frames = [pd.DataFrame(rows)] if rows else []
        if options.epochs != "attempts" and rows:
            frames = [self._reduce_epochs(frames[0], options, info)]
        n_partial = 0
        for frame in frames:
            n_partial += int((frame["grade"] == "partial").sum())
            yield frame
        if counts["samples"]:
            self._producer_metric(header, chosen, benchmark, model, options, info, n_partial,
                                  counts["reextract_correct"] + counts["reextract_wrong"])

    def _status_notes(self, header: dict[str, Any], log: _Log, info: SourceInfo) -> None:
        status = header.get("status")
        if log.from_journal:
            info.note("no header.json (unfinished log): model and task read from _journal/start.json")
        if status == "cancelled":
            info.note("log status 'cancelled': the completed samples it holds are read")
        elif status == "error":
            err = header.get("error")
            message = err.get("message") if isinstance(err, dict) else err
            info.note(f"log status 'error' ({str(message)[:120]}): the samples it holds are read")
        elif status == "started":
            info.note("log status 'started' (unfinished): the samples it holds are read")

    def _choose_scorer(self, scorers: list[str], options: LoadOptions, path: Path, info: SourceInfo) -> str | None:
        if not scorers:
            return options.scorer
        if options.scorer:
            if _match_scorer(options.scorer, scorers) is None:
                raise UsageError(f"--scorer {options.scorer!r} not in {path}; available: {', '.join(scorers)}")
            return options.scorer
        if len(scorers) > 1:
            info.note(f"scorer {scorers[0]!r} used (the first of {', '.join(scorers)}); pick another with --scorer")
        return scorers[0]

    @staticmethod
    def _reextract_note(counts: dict[str, int], info: SourceInfo) -> None:
        tried, correct, wrong = counts["reextract_tried"], counts["reextract_correct"], counts["reextract_wrong"]
        changed = correct + wrong
        info.producer_metrics["reextract"] = {"extraction_failures": tried, "changed": changed,
                                              "to_correct": correct, "to_wrong": wrong}
        if changed:  # a note that counts zero says nothing
            info.note(f"{changed} of {tried} choice() extraction failure(s) re-parsed as an answer, as current "
                      f"inspect versions do ({correct} correct, {wrong} wrong; --no-reextract keeps the log's "
                      "grades)" + ("; the rest stay invalid" if changed < tried else ""))

    def _row(self, sample: dict[str, Any], where: str, scorer: str | None, path: Path,
             counts: dict[str, int], *, reextract: bool = False, shape: _ScoreShape | None = None) -> dict[str, Any]:
        if "id" not in sample or sample["id"] is None:
            raise InputError("sample has no id", path=str(path), record=where, field="id")
        try:
            epoch = int(sample.get("epoch") or 1)
        except (TypeError, ValueError):
            raise InputError("epoch is not an integer", path=str(path), record=where, field="epoch") from None
        response = _response(sample)
        metadata = sample.get("metadata") if isinstance(sample.get("metadata"), dict) else {}
        subset = next((str(metadata[k]) for k in _SUBSET_KEYS if metadata.get(k) not in (None, "")), "")
        row: dict[str, Any] = {
            "item_id": str(sample["id"]),
            "attempt": epoch - 1,
            "subset": subset,
            "response": response if response is not None else pd.NA,
            "gold": _gold(sample.get("target")),
            "prediction": pd.NA,
            "confidence": math.nan,
        }
        scores = sample.get("scores") or {}
        if sample.get("error"):
            counts["error"] += 1
            # whatever a crashed sample left behind is not an answer (nor a free "I don't know")
            row.update(grade="invalid", grade_rule=RULE_ERROR, response=pd.NA, grade_final=True)
            return row
        key = _match_scorer(scorer, list(scores)) if scorer and isinstance(scores, dict) else None
        if key is None:
            counts["unscored"] += 1
            # no verdict at all: never a free abstention either, whatever the text says
            row.update(grade="invalid", grade_rule=RULE_UNSCORED, grade_final=True)
            return row
        score = scores[key]
        if not isinstance(score, dict) or "value" not in score:
            raise InputError("score has no 'value'", path=str(path), record=where, field=f"scores.{key}")
        grade, rule, final = _grade(score, key, path, where, shape)
        answer = score.get("answer")
        if rule == RULE_EXTRACTION and key.rsplit("/", 1)[-1] == "choice":
            target = _target_letters(sample.get("target"))
            letters = _reparsed_letters(response, sample.get("choices"), target)
            if not reextract:
                counts["reextractable"] += letters is not None  # said in a note: the flag would re-parse them
            else:
                counts["reextract_tried"] += 1
                if letters is not None:
                    grade = "correct" if letters == target else "wrong"
                    counts[f"reextract_{grade}"] += 1
                    answer, rule = ", ".join(letters), RULE_REEXTRACTED
        row.update(grade=grade, grade_rule=rule, grade_final=final)
        if rule != RULE_EXTRACTION and answer is not None:
            row["prediction"] = str(answer)
        row["confidence"] = _answer_probability(sample, answer)
        return row

    def _reduce_epochs(self, frame: pd.DataFrame, options: LoadOptions, info: SourceInfo) -> pd.DataFrame:
        """One row per item: epoch 1 (``first``) or the majority outcome, ties to the worse (``majority``)."""
        n_epochs = int(frame.groupby("item_id")["attempt"].nunique().max())
        if options.epochs == "first":
            first = frame.loc[frame.groupby("item_id")["attempt"].idxmin()].copy()
            first["attempt"] = 0
            info.note(f"--epochs first: kept epoch 1 of up to {n_epochs} per item")
            return first.reset_index(drop=True)
        detector = AbstentionDetector.from_config(extra_phrases=options.abstain_phrases)
        outcomes = classify(frame, detector)["outcome"].to_numpy()
        frame = frame.assign(_outcome=outcomes)
        rank = {o: i for i, o in enumerate(WORSE_FIRST)}
        keep: list[int] = []
        grades: list[str] = []
        rules: list[str] = []
        ties = 0
        for _, group in frame.groupby("item_id", sort=False):
            tally = group["_outcome"].value_counts()
            top = tally[tally == tally.max()].index.tolist()
            winner = min(top, key=lambda o: rank.get(o, -1))
            ties += len(top) > 1
            keep.append(group.index[group["_outcome"] == winner][0])
            grades.append(winner)
            rules.append("epochs majority (tie: worse)" if len(top) > 1 else "epochs majority")
        out = frame.loc[keep].drop(columns=["_outcome"]).copy()
        out["grade"] = grades
        out["grade_rule"] = rules
        out["attempt"] = 0
        info.note(f"--epochs majority: one row per item from up to {n_epochs} epochs (the most frequent outcome; "
                  f"{ties} tie(s) went to the worse outcome, order {' < '.join(WORSE_FIRST)})")
        return out.reset_index(drop=True)

    def _producer_metric(self, header: dict[str, Any], scorer: str | None, benchmark: str, model: str,
                         options: LoadOptions, info: SourceInfo, n_partial: int, n_reextracted: int = 0) -> None:
        """inspect's own accuracy for the chosen scorer (``results.scores[].metrics.accuracy``)."""
        entries = [s for s in (header.get("results") or {}).get("scores") or [] if isinstance(s, dict)]
        if scorer is None or not entries:
            return
        matching = [s for s in entries if _match_scorer(scorer, [str(s.get("name")), str(s.get("scorer"))])]
        matching.sort(key=lambda s: s.get("reducer") not in (None, "mean"))
        if not matching:
            return
        entry = matching[0]
        metric = (entry.get("metrics") or {}).get("accuracy")
        value = metric.get("value") if isinstance(metric, dict) else None
        if not isinstance(value, (int, float)):
            return
        notes = []
        if n_partial:
            notes.append(f"inspect's accuracy counts P as 0.5 ({n_partial} partial item(s)); "
                         "rescore counts correct only")
        if n_reextracted:
            notes.append(f"rescore re-parsed {n_reextracted} answer(s) that inspect's scorer could not extract")
        if options.epochs == "majority":
            notes.append("inspect averages epochs; --epochs majority keeps one outcome per item")
        elif options.epochs == "first":
            notes.append("inspect averages epochs; --epochs first keeps epoch 1 only")
        info.add_producer_metric(benchmark, model, f"inspect_ai {entry.get('name')}/accuracy", float(value),
                                 n=entry.get("scored_samples"), note="; ".join(notes) or None)


def _match_scorer(wanted: str | None, available: list[str]) -> str | None:
    """The available scorer key for ``wanted``: exact, else the same name without a package prefix."""
    if wanted is None:
        return None
    if wanted in available:
        return wanted
    short = wanted.rsplit("/", 1)[-1]
    for name in available:
        if name.rsplit("/", 1)[-1] == short:
            return name
    return None


class _ScoreShape:
    """How this log's score values are read, fixed by the options and remembered across samples.

    A scorer may return a letter (C/I/P/N), a grade word, a bool, a number, a dict of those
    (SciCode: ``{"Problem Correctness": 0, "Total Correct": 1, "Total Steps": 3}``) or a list.
    ``--score-key`` picks a dict entry (or a list index); numbers are correct when >=
    ``--pass-score`` (default 1.0: between 0 and 1 is partial, as inspect's P); the shapes seen
    are counted for the note.
    """

    def __init__(self, options: LoadOptions) -> None:
        self.key = options.score_key
        self.pass_score = options.pass_score
        self.pass_grade = options.pass_grade
        self.letter_grades: dict[str, int] = {}  # A-F grades seen (with --pass-grade)
        self.shapes: dict[str, int] = {}
        self.dict_keys: dict[str, None] = {}
        self.numeric_range: tuple[float, float] | None = None

    def seen(self, shape: str) -> None:
        self.shapes[shape] = self.shapes.get(shape, 0) + 1

    def note(self, info: SourceInfo) -> None:
        """Say how non-letter scores were read (numbers binarised, dict entry picked)."""
        if "dict" in self.shapes or "list" in self.shapes:
            kind = "dict" if "dict" in self.shapes else "list"
            keys = f" (keys {', '.join(self.dict_keys)})" if self.dict_keys else ""
            info.note(f"{self.shapes.get(kind, 0)} score value(s) are {kind}s{keys}: entry {self.key!r} read "
                      "(--score-key)")
        if self.letter_grades:
            seen = ", ".join(f"{g} {n}" for g, n in sorted(self.letter_grades.items(),
                                                           key=lambda kv: -(letter_grade_rank(kv[0]) or 0)))
            info.note(f"letter grades A-F ({seen}): {self.pass_grade} or better correct, below wrong (--pass-grade); "
                      "the scale has no abstention category, so abstention phrases apply")
        if self.numeric_range is not None:
            low, high = self.numeric_range
            if self.pass_score is None:
                info.note(f"numeric scores ({low:g}..{high:g}): 1 correct, 0 wrong, in between partial "
                          "(--pass-score N binarises at N)")
            else:
                info.note(f"numeric scores ({low:g}..{high:g}): >= {self.pass_score:g} correct, below wrong "
                          "(--pass-score)")


def _grade(score: dict[str, Any], scorer: str, path: Path, where: str,
           shape: _ScoreShape | None = None) -> tuple[str, str, bool]:
    """Canonical grade, rule, and whether the verdict is final (see the module docstring).

    Final means the scale has its own abstention category (C/I/P/N, a one-hot dict with
    ``not_attempted``): abstention phrases then never override it. A choice() extraction
    failure is no verdict on the content, and numbers and bools have no abstention category.
    """
    value = score.get("value")
    field = f"scores.{scorer}.value"
    shape = shape or _ScoreShape(LoadOptions())
    if shape.pass_grade is not None and letter_grade_rank(value) is not None:  # an A-F scale (C is a grade)
        grade_word = str(value).strip().upper()
        shape.letter_grades[grade_word] = shape.letter_grades.get(grade_word, 0) + 1
        passed = (letter_grade_rank(value) or 0.0) >= (letter_grade_rank(shape.pass_grade) or 0.0)
        return ("correct" if passed else "wrong"), "explicit grade", False
    if isinstance(value, str) and value.strip().upper() in LETTER_GRADES:
        grade = LETTER_GRADES[value.strip().upper()]
        if grade == "wrong":
            reason = score.get("reason") or (score.get("metadata") or {}).get("reason")
            no_answer = scorer.rsplit("/", 1)[-1] == "choice" and score.get("answer") == ""
            if reason == "invalid_response_format" or no_answer:
                return "invalid", RULE_EXTRACTION, False
        shape.seen("letter")
        return grade, "explicit grade", True
    if isinstance(value, (dict, list, tuple)):
        value, field = _entry(value, shape, path, where, field)
    if isinstance(value, dict):
        grade = _dict_grade(value, path, where, field)
        return grade, "explicit grade", any(parse_grade(k) == "abstain" for k in value)
    if value is None:
        raise InputError("score value is null (not a grade)", path=str(path), record=where, field=field)
    letter = isinstance(value, str) and value.strip().upper() in LETTER_GRADES
    return _scalar_grade(value, shape, path, where, field), "explicit grade", letter


def _entry(value: Any, shape: _ScoreShape, path: Path, where: str, field: str) -> tuple[Any, str]:
    """The ``--score-key`` entry of a dict or list score (a one-hot grade dict is read whole)."""
    if isinstance(value, dict):
        shape.dict_keys.update(dict.fromkeys(map(str, value)))
        if shape.key is None:
            if _one_hot(value) is not None:
                return value, field
            numeric = [v for v in value.values() if isinstance(v, (int, float, bool))]
            if len(value) == 1 and numeric:
                return numeric[0], field
            raise InputError(f"dict score with keys {', '.join(map(str, value))}: pick the entry that is the grade "
                             "with --score-key KEY", path=str(path), record=where, field=field)
        shape.seen("dict")
        if shape.key not in value:
            raise InputError(f"--score-key {shape.key!r} is not in this dict score (keys: "
                             f"{', '.join(map(str, value))})", path=str(path), record=where, field=field)
        return value[shape.key], f"{field}.{shape.key}"
    if shape.key is None:
        raise InputError(f"list score {dumps_short(value)}: pick the element that is the grade with --score-key "
                         f"INDEX (0..{len(value) - 1})", path=str(path), record=where, field=field)
    shape.seen("list")
    try:
        index = int(shape.key)
        return value[index], f"{field}[{index}]"
    except (ValueError, IndexError):
        raise InputError(f"--score-key {shape.key!r} is not an index of this list score of {len(value)} "
                         "element(s)", path=str(path), record=where, field=field) from None


def _scalar_grade(value: Any, shape: _ScoreShape, path: Path, where: str, field: str) -> str:
    """A letter, grade word, bool or number (numbers at ``--pass-score``)."""
    if isinstance(value, str) and value.strip().upper() in LETTER_GRADES:
        return LETTER_GRADES[value.strip().upper()]
    if isinstance(value, bool):
        return "correct" if value else "wrong"
    number: float | None = None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            parsed = parse_grade(value)
            if parsed is None and letter_grade_rank(value) is not None:
                raise InputError(f"score value {value.strip()!r} is a letter grade (A-F), not inspect's C/I/P/N: say "
                                 "which grades pass with --pass-grade LETTER (then C is a grade too)",
                                 path=str(path), record=where, field=field) from None
            if parsed is None:
                raise InputError(f"score value {value[:40]!r} is not a grade (expected C/I/P/N, a grade word, "
                                 "true/false or a number)", path=str(path), record=where, field=field) from None
            return parsed
    if number is None or math.isnan(number):
        raise InputError(f"score value {dumps_short(value)} is not a grade", path=str(path), record=where,
                         field=field)
    low, high = shape.numeric_range or (number, number)
    shape.numeric_range = (min(low, number), max(high, number))
    if shape.pass_score is not None:
        return "correct" if number >= shape.pass_score else "wrong"
    if not 0.0 <= number <= 1.0:
        raise InputError(f"score value {number:g} lies outside 0..1: say which scores pass with --pass-score N",
                         path=str(path), record=where, field=field)
    return str(parse_grade(number))


def _one_hot(value: dict[str, Any]) -> str | None:
    """The grade of a one-hot dict over grade words (``{"correct": 1, "incorrect": 0, ...}``), else None."""
    graded = {k: v for k, v in value.items() if parse_grade(k) is not None and isinstance(v, (int, float, bool))}
    if not graded:
        return None
    best = max(graded.values())
    hot = [k for k, v in graded.items() if v == best]
    if best > 0 and len(hot) == 1:
        return str(parse_grade(hot[0]))
    return None


def _dict_grade(value: dict[str, Any], path: Path, where: str, field: str) -> str:
    """A one-hot dict over grade words: the hot key wins."""
    grade = _one_hot(value)
    if grade is None:
        raise InputError(f"dict score {json.dumps(value)[:80]} has no single grade (expected one-hot "
                         "correct/incorrect/not_attempted)", path=str(path), record=where, field=field)
    return grade


ADAPTER = InspectAdapter()
