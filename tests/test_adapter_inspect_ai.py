"""inspect_ai adapter: .json and .eval logs (deflate and zstd), grades, epochs, scorers, bad zips, real logs."""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import zstandard

from rescore.errors import InputError, UsageError
from rescore.read import zipfiles as safezip
from rescore.read.load import load
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one
from rescore.read.plugins import detect, get_adapter

from .conftest import invoke, real_data

# -- fixture builders ---------------------------------------------------------------------------


def _sample(sid: Any, value: Any, completion: str, *, target: Any = "A", epoch: int = 1, answer: Any = None,
            scorer: str = "choice", choices: list[str] | None = None, reason: str | None = None,
            scores: dict | None = None, error: Any = None, logprobs: list | None = None,
            content: Any = None) -> dict[str, Any]:
    score: dict[str, Any] = {"value": value, "explanation": completion}
    if answer is not None:
        score["answer"] = answer
    if reason is not None:
        score["reason"] = reason
    text = content if content is not None else completion
    choice: dict[str, Any] = {"message": {"role": "assistant", "content": text}, "stop_reason": "stop"}
    if logprobs is not None:
        choice["logprobs"] = {"content": logprobs}
    output: dict[str, Any] = {"model": "m", "choices": [choice]}
    if content is None:
        output["completion"] = completion
    out = {"id": sid, "epoch": epoch, "input": "q?", "target": target, "output": output,
           "scores": scores if scores is not None else {scorer: score}, "metadata": {"subject": "physics"}}
    if choices is not None:
        out["choices"] = choices
    if error is not None:
        out["error"] = error
        out["scores"] = {}
    return out


def _header(*, task: str = "inspect_evals/mmlu_0_shot", model: str = "openai/gpt-4o",
            scorers: tuple[str, ...] = ("choice",), status: str = "success", accuracy: float | None = None,
            epochs: int = 1) -> dict[str, Any]:
    results = None
    if accuracy is not None:
        results = {"total_samples": 1, "completed_samples": 1, "scores": [
            {"name": scorers[0], "scorer": scorers[0], "scored_samples": 7, "metrics": {
                "accuracy": {"name": "accuracy", "value": accuracy}, "stderr": {"name": "stderr", "value": 0.1}}}]}
    return {"version": 2, "status": status,
            "eval": {"eval_id": "EVALID123", "run_id": "RUN1", "created": "2025-02-11T15:17:00-05:00", "task": task,
                     "task_id": "TASK1", "model": model, "config": {"epochs": epochs},
                     "scorers": [{"name": s, "options": {}, "metrics": []} for s in scorers]},
            "plan": {}, "results": results, "stats": {}}


def write_json_log(path: Path, header: dict, samples: list[dict]) -> Path:
    path.write_text(json.dumps({**header, "samples": samples, "reductions": []}), encoding="utf-8")
    return path


def _members(header: dict, samples: list[dict]) -> dict[str, bytes]:
    members = {"_journal/start.json": json.dumps({"version": 2, "eval": header["eval"], "plan": {}}).encode()}
    for s in samples:
        members[f"samples/{s['id']}_epoch_{s['epoch']}.json"] = json.dumps(s).encode()
    members["header.json"] = json.dumps(header).encode()
    return members


def write_deflate_eval(path: Path, header: dict, samples: list[dict]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _members(header, samples).items():
            archive.writestr(name, data)
    return path


def write_zstd_zip(path: Path, members: dict[str, bytes], *, declared: dict[str, int] | None = None) -> Path:
    """A zip whose members use compression method 93 (zstd), as inspect_ai >= 0.3.2xx writes them.

    ``declared`` overrides the uncompressed size written in the headers (to build lying archives).
    """
    compressor = zstandard.ZstdCompressor()
    local = bytearray()
    central = bytearray()
    for name, data in members.items():
        packed = compressor.compress(data)
        crc = zlib.crc32(data) & 0xFFFFFFFF
        size = (declared or {}).get(name, len(data))
        raw_name = name.encode()
        offset = len(local)
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 63, 0, 93, 0, 0x21, crc, len(packed), size,
                             len(raw_name), 0) + raw_name + packed
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 63, 63, 0, 93, 0, 0x21, crc, len(packed), size,
                               len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def write_zstd_eval(path: Path, header: dict, samples: list[dict]) -> Path:
    return write_zstd_zip(path, _members(header, samples))


def _mixed_samples() -> list[dict]:
    """One sample per grade shape the adapter must understand."""
    lp = [{"token": "ANSWER", "logprob": -0.01}, {"token": ":", "logprob": -0.01},
          {"token": " B", "logprob": math.log(0.8), "top_logprobs": [{"token": " B", "logprob": math.log(0.8)},
                                                                       {"token": " A", "logprob": math.log(0.2)}]}]
    return [
        _sample(1, "C", "ANSWER: A", answer="A", choices=["x", "y"]),
        _sample(2, "I", "ANSWER: B", answer="B", choices=["x", "y"], logprobs=lp),
        _sample(3, "P", "47", answer="47", target=["47", "49"]),
        _sample(4, "N", "", answer="", reason="no_response"),
        _sample(5, "I", "The correct option is B", answer="", choices=["x", "y"], reason="invalid_response_format"),
        _sample(6, "I", "I don't know.", answer="", choices=["x", "y"], reason="invalid_response_format"),
        _sample("q7", 1, "Paris", answer="Paris", target="Paris"),
        _sample(8, 0.0, "Lyon", target="Paris"),
        _sample(9, 0.5, "half", target="Paris"),
        _sample(10, True, "yes", target="yes"),
        _sample(11, {"correct": 0.0, "incorrect": 0.0, "not_attempted": 1.0}, "no idea", target="Paris"),
        _sample(12, {"correct": 0, "incorrect": 1, "not_attempted": 0}, "Rome", target="Paris"),
        _sample(13, None, "", error={"message": "boom", "traceback": ""}),
        _sample(14, "I", "", content=[{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "Madrid"}],
                answer="Madrid", target="Paris"),
    ]


EXPECTED_MIXED = {
    "1": ("correct", "explicit grade"), "2": ("wrong", "explicit grade"), "3": ("partial", "explicit grade"),
    "4": ("abstain", "explicit grade"), "5": ("invalid", "extraction failure"),
    "6": ("abstain", "abstention phrase"), "q7": ("correct", "explicit grade"), "8": ("wrong", "explicit grade"),
    "9": ("partial", "explicit grade"), "10": ("correct", "explicit grade"), "11": ("abstain", "explicit grade"),
    "12": ("wrong", "explicit grade"), "13": ("invalid", "sample error"), "14": ("wrong", "explicit grade"),
}


@pytest.fixture(params=["json", "deflate", "zstd"])
def mixed_log(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    header = _header(accuracy=3 / 13)
    writer = {"json": write_json_log, "deflate": write_deflate_eval, "zstd": write_zstd_eval}[request.param]
    suffix = ".json" if request.param == "json" else ".eval"
    return writer(tmp_path / f"2025-02-11T15-17-00-05-00_mmlu_abc{suffix}", header, _mixed_samples())


def _read(path: Path, **kwargs: Any):
    return read_one(path, "inspect_ai", LoadOptions(**kwargs))


# -- fixtures in every format ------------------------------------------------------------------


def test_every_format_is_detected_and_gives_the_same_outcomes(mixed_log: Path) -> None:
    assert detect(mixed_log) is get_adapter("inspect_ai")
    result = _read(mixed_log)
    items = result.items.set_index("item_id")
    assert len(items) == 14
    got = {i: (r.outcome, r.rule) for i, r in items.iterrows()}
    assert got == EXPECTED_MIXED
    assert set(items["model"]) == {"openai/gpt-4o"}
    assert set(items["benchmark"]) == {"mmlu"}  # inspect_evals/mmlu_0_shot -> mmlu (configs/names.yaml)
    assert set(items["subset"]) == {"physics"}
    assert set(items["run"]) == {"2025-02-11T20-17-00_EVALID123"}  # creation time in UTC + eval id
    assert set(items["attempt"]) == {0}
    assert items.loc["3", "gold"] == "47 | 49"
    assert items.loc["1", "prediction"] == "A" and items.loc["1", "response"] == "ANSWER: A"
    assert pd.isna(items.loc["5", "prediction"])  # extraction failure: the raw response is what counts
    assert items.loc["14", "response"] == "Madrid"  # text part of a content list; reasoning skipped
    assert items.loc["2", "confidence"] == pytest.approx(0.8)
    assert items["confidence"].notna().sum() == 1  # only the MC sample with logprobs
    assert any("1 sample(s) ended in an error" in n for n in result.info.notes)
    [agg] = result.info.producer_metrics["aggregates"]
    assert agg["label"] == "inspect_ai choice/accuracy" and agg["accuracy"] == pytest.approx(3 / 13)
    assert agg["benchmark"] == "mmlu" and agg["model"] == "openai/gpt-4o"
    assert "P as 0.5" in agg["note"]


def test_json_detection_is_by_content(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text(json.dumps({"version": 1, "results": {}}))
    assert detect(other) is not get_adapter("inspect_ai")
    log = write_json_log(tmp_path / "renamed.txtlog", _header(), [_sample(1, "C", "ANSWER: A", answer="A")])
    assert get_adapter("inspect_ai").detect(log)


def test_unfinished_eval_without_header_reads_journal_start(tmp_path: Path) -> None:
    members = _members(_header(), [_sample(1, "C", "ANSWER: A", answer="A")])
    del members["header.json"]
    path = tmp_path / "unfinished.eval"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert detect(path) is get_adapter("inspect_ai")
    result = _read(path)
    assert result.items["outcome"].tolist() == ["correct"]
    assert any("_journal/start.json" in n for n in result.info.notes)


# -- scorers --------------------------------------------------------------------------------------


def _two_scorer_log(tmp_path: Path) -> Path:
    samples = [_sample(i, None, "x", scores={"match": {"value": "C", "answer": "x"},
                                             "model_graded_fact": {"value": "I" if i < 3 else "C"}})
               for i in range(1, 5)]
    return write_json_log(tmp_path / "two.json", _header(scorers=("match", "model_graded_fact")), samples)


def test_several_scorers_default_first_and_pick(tmp_path: Path) -> None:
    path = _two_scorer_log(tmp_path)
    first = _read(path)
    assert first.items["outcome"].value_counts().to_dict() == {"correct": 4}
    assert any("scorer 'match' used (the first of match, model_graded_fact)" in n for n in first.info.notes)
    picked = _read(path, scorer="model_graded_fact")
    assert picked.items["outcome"].value_counts().to_dict() == {"wrong": 2, "correct": 2}
    with pytest.raises(UsageError, match="available: match, model_graded_fact"):
        _read(path, scorer="nope")
    result = invoke("leaderboard", str(path), "--scorer", "nope")
    assert result.exit_code == 2
    assert "available: match, model_graded_fact" in result.stderr


# -- epochs ---------------------------------------------------------------------------------------


def _epoch_log(tmp_path: Path) -> Path:
    plan = {1: ["C", "C", "I"], 2: ["C", "I", "N"], 3: ["N", "N", "C"], 4: ["I", "C"]}
    samples = [_sample(i, v, "ANSWER: A" if v == "C" else ("" if v == "N" else "ANSWER: B"),
                       answer="" if v == "N" else ("A" if v == "C" else "B"), epoch=e + 1)
               for i, values in plan.items() for e, v in enumerate(values)]
    return write_deflate_eval(tmp_path / "epochs.eval", _header(epochs=3), samples)


def test_epochs_attempts_majority_first(tmp_path: Path) -> None:
    path = _epoch_log(tmp_path)
    attempts = _read(path).items
    assert len(attempts) == 11
    assert sorted(attempts.loc[attempts["item_id"] == "1", "attempt"]) == [0, 1, 2]
    majority = _read(path, epochs="majority").items.set_index("item_id")
    assert len(majority) == 4 and set(majority["attempt"]) == {0}
    # 1: C,C,I -> correct; 2: C,I,N tie -> worst = wrong; 3: N,N,C -> abstain; 4: I,C tie -> wrong
    assert majority["outcome"].to_dict() == {"1": "correct", "2": "wrong", "3": "abstain", "4": "wrong"}
    assert majority.loc["2", "rule"] == "epochs majority (tie: worse)"
    assert majority.loc["1", "rule"] == "epochs majority"
    first = _read(path, epochs="first").items.set_index("item_id")
    assert first["outcome"].to_dict() == {"1": "correct", "2": "correct", "3": "abstain", "4": "wrong"}
    with pytest.raises(UsageError, match="--epochs"):
        _read(path, epochs="best")


# -- unscored, cancelled, errors ------------------------------------------------------------------


def test_unscored_and_cancelled_logs(tmp_path: Path) -> None:
    samples = [_sample(i, None, "Yes", scores={}) for i in (1, 2, 3)]
    path = write_json_log(tmp_path / "u.json", _header(status="cancelled"), samples)
    result = _read(path)
    assert result.items["outcome"].tolist() == ["invalid"] * 3
    assert set(result.items["rule"]) == {"unscored"}
    assert any("unscored log" in n for n in result.info.notes)
    assert any("cancelled" in n for n in result.info.notes)
    assert "aggregates" not in result.info.producer_metrics


def test_bad_score_value_names_record_and_field(tmp_path: Path) -> None:
    path = write_json_log(tmp_path / "bad.json", _header(), [_sample(1, "C", "a", answer="a"),
                                                             _sample(2, 7.5, "b")])
    with pytest.raises(InputError) as info:
        _read(path)
    assert "samples[1]" in str(info.value) and "scores.choice.value" in str(info.value)
    skipped = _read(path, on_error="skip")
    assert len(skipped.items) == 1 and skipped.info.skipped_records == 1


# -- bad zips ---------------------------------------------------------------------------------------


def test_reextract_reparses_what_old_choice_scorers_could_not_extract(tmp_path: Path) -> None:
    four = ["w", "x", "y", "z"]
    samples = [  # (sample, outcome without --reextract, outcome with it)
        _sample(1, "I", "ANSWER: b", answer="", target="B", choices=four),  # 0.3.130: lower case not extracted
        _sample(2, "I", "ANSWER: c", answer="", target="B", choices=four),
        _sample(3, "I", "Thinking...\nANSWER: d.", answer="", target="D", choices=four),
        _sample(4, "I", "ANSWER: e", answer="", target="A", choices=four),  # no fifth choice
        _sample(5, "I", "ANSWER: I don't know", answer="", target="A", choices=four),
        _sample(6, "I", "I'd pick B", answer="", target="B", choices=four),  # no ANSWER: line
        _sample(7, "I", "answer: a, c", answer="", target="A", choices=four),  # two letters, one expected
        _sample(8, "I", "ANSWER: a, c", answer="", target=["A", "C"], choices=four),  # multiple_correct
        _sample(9, "I", "ANSWER: B", answer="B", target="A", choices=four),  # extracted and wrong: stays
        _sample(10, "I", "ANSWER: a", answer="", target="A", choices=four, scorer="match"),  # not choice()
    ]
    path = write_json_log(tmp_path / "old.json", _header(scorers=("choice", "match")), samples)
    before = _read(path, reextract=False).items.set_index("item_id")
    after_result = _read(path)  # re-parsing is the default (issue 16)
    after = after_result.items.set_index("item_id")
    expected_after = {"1": "correct", "2": "wrong", "3": "correct", "4": "invalid", "5": "abstain", "6": "invalid",
                      "7": "invalid", "8": "correct", "9": "wrong", "10": "invalid"}
    assert before["outcome"].to_dict() == {**expected_after, "1": "invalid", "2": "invalid", "3": "invalid",
                                           "8": "invalid"}
    assert after["outcome"].to_dict() == expected_after
    assert after.loc["1", "prediction"] == "B" and after.loc["8", "prediction"] == "A, C"
    assert after.loc["1", "rule"] == "re-extracted (ANSWER: letters, any case)"
    # sample 10 is scored by "match" only, so it is unscored under choice(): not an extraction failure
    assert after_result.info.producer_metrics["reextract"] == {"extraction_failures": 8, "changed": 4,
                                                               "to_correct": 3, "to_wrong": 1}
    assert any(note.startswith("4 of 8 choice() extraction failure(s) re-parsed") for note in after_result.info.notes)
    # with --no-reextract, a note says how many the default would re-parse
    assert any(note.startswith("4 choice() extraction failure(s) hold an 'ANSWER: <letter>'")
               and "--no-reextract" in note for note in _read(path, reextract=False).info.notes)
    assert not any("ANSWER: <letter>" in note for note in after_result.info.notes)


def test_reextract_takes_the_last_answer_as_current_inspect(tmp_path: Path) -> None:
    """inspect's parse_answers keeps ``matches[-1]``: an earlier "Answer: \\(x\\)" in the reasoning (a real
    GPQA log, tests/fixtures/real/inspect_gpqa_cancelled) must not hide the final "**ANSWER: D**"."""
    four = ["w", "x", "y", "z"]
    samples = [
        _sample(1, "I", "The Answer: \\(2\\pi\\) here.\n\n**ANSWER: D**", answer="", target="D", choices=four),
        _sample(2, "I", "ANSWER: A\nOn reflection:\nANSWER: C", answer="", target="C", choices=four),
        _sample(3, "I", "ANSWER: C\nOn reflection:\nANSWER: x", answer="", target="C", choices=four),
    ]
    path = write_json_log(tmp_path / "last.json", _header(scorers=("choice",)), samples)
    after = _read(path)
    assert after.items.set_index("item_id")["outcome"].to_dict() == {"1": "correct", "2": "correct", "3": "invalid"}
    assert any(n.startswith("2 of 3 choice() extraction failure(s)") and n.endswith("the rest stay invalid")
               for n in after.info.notes)


def test_zip_that_is_not_an_inspect_log(tmp_path: Path) -> None:
    path = tmp_path / "other.eval"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert not get_adapter("inspect_ai").detect(path)
    with pytest.raises(InputError, match="not an inspect_ai log") as info:
        _read(path)
    assert str(path) in str(info.value)
    result = invoke("leaderboard", str(path), "--format-hint", "inspect_ai")
    assert result.exit_code == 3
    assert "other.eval" in result.stderr and "not an inspect_ai log" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("writer", [write_deflate_eval, write_zstd_eval])
def test_truncated_zip(tmp_path: Path, writer: Any) -> None:
    full = writer(tmp_path / "full.eval", _header(), [_sample(i, "C", "ANSWER: A", answer="A") for i in range(20)])
    cut = tmp_path / "cut.eval"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    assert not get_adapter("inspect_ai").detect(cut)  # never raises
    with pytest.raises(InputError, match=r"cut\.eval"):
        _read(cut)
    result = invoke("leaderboard", str(cut), "--format-hint", "inspect_ai")
    assert result.exit_code == 3 and "cut.eval" in result.stderr


def test_zip_bomb_refused_by_declared_size_before_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_zstd_eval(tmp_path / "big.eval", _header(), [_sample(1, "C", "ANSWER: A" * 500, answer="A")])
    monkeypatch.setattr(safezip, "MAX_MEMBER_BYTES", 1000)

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("decompressed despite the declared size")

    monkeypatch.setattr(zstandard, "ZstdDecompressor", explode)
    with pytest.raises(InputError, match="zip bomb") as info:
        _read(path)
    assert "samples/1_epoch_1.json" in str(info.value)


def test_total_size_limit_and_lying_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = [_sample(i, "C", "ANSWER: A", answer="A") for i in range(5)]
    path = write_zstd_eval(tmp_path / "many.eval", _header(), samples)
    sample_bytes = sum(len(json.dumps(s)) for s in samples)
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", sample_bytes)  # + header.json: over the limit in all
    with pytest.raises(InputError, match="in all"):
        _read(path)
    monkeypatch.undo()
    members = _members(_header(), samples[:1])
    liar = write_zstd_zip(tmp_path / "liar.eval", members, declared={"samples/0_epoch_1.json": 10})
    with pytest.raises(InputError, match="declared 10 bytes"):
        _read(liar)


def test_corrupt_member_json(tmp_path: Path) -> None:
    members = _members(_header(), [])
    members["samples/1_epoch_1.json"] = b"{not json"
    path = write_zstd_zip(tmp_path / "corrupt.eval", members)
    with pytest.raises(InputError, match="not valid JSON") as info:
        _read(path)
    assert "samples/1_epoch_1.json" in str(info.value)


# -- real logs (shared/real_data) --------------------------------------------------------------------

GEN285 = ("generated", "inspect_ai", "inspect_ai-0.3.285")
GEN130 = ("generated", "inspect_ai", "inspect_ai-0.3.130")

# Truth from generated/inspect_ai/PROVENANCE.md (correct / wrong / abstain / invalid / partial).
REAL_COUNTS = [
    ((*GEN285, "2026-11-23T18-08-06-00-00_synth-mcq_dy67nEVpHy9DSm45eoHi9N.eval"), "mockllm/alpha", "synth_mcq",
     {"correct": 109, "wrong": 25, "abstain": 10, "invalid": 6}, 134),
    ((*GEN285, "2026-11-23T18-08-10-00-00_synth-mcq_gSGv4DbqnXmjt6982pAJjJ.eval"), "mockllm/beta", "synth_mcq",
     {"correct": 56, "wrong": 60, "abstain": 21, "invalid": 13}, 0),
    ((*GEN285, "2026-11-23T18-08-13-00-00_synth-short_LcFqFc3kZdYLcNuK8WHRTb.eval"), "mockllm/alpha", "synth_short",
     {"correct": 81, "wrong": 18, "abstain": 13, "partial": 8}, 0),
    ((*GEN285, "2026-11-23T18-08-15-00-00_synth-short_i9siRQ8WgRZvuwFeQQQTw9.json"), "mockllm/beta", "synth_short",
     {"correct": 41, "wrong": 41, "abstain": 26, "partial": 12}, 0),
    ((*GEN285, "2026-11-23T18-08-18-00-00_synth-mcq_7CBsouFEQkg3Wi76QCuHCe.eval"), "mockllm/model", "synth_mcq",
     {"correct": 260, "wrong": 126, "abstain": 47, "invalid": 17}, 0),
    # 0.3.130 scores a lower-case "ANSWER: b" as I with answer "": rescore calls that an extraction failure
    # (9 right + 2 wrong letters here), so invalid = 6 + 11 and wrong = 25 - 2 against PROVENANCE's truth.
    ((*GEN130, "2026-11-23T18-14-42+00-00_synth-mcq_jUehaSMf4SiSopbuXwN5cD.eval"), "mockllm/alpha", "synth_mcq",
     {"correct": 100, "wrong": 23, "abstain": 10, "invalid": 17}, 123),
    ((*GEN130, "2026-11-23T18-14-49+00-00_synth-short_AUVBkbB8TFAWv5iLePqk9D.json"), "mockllm/beta", "synth_short",
     {"correct": 41, "wrong": 41, "abstain": 26, "partial": 12}, 0),
    # truth 260/126/47/17; 24 right + 6 wrong lower-case letters are extraction failures in 0.3.130
    ((*GEN130, "2026-11-23T18-14-54+00-00_synth-mcq_H8sfK5FGqiTgYZ9KJPeuy9.eval"), "mockllm/model", "synth_mcq",
     {"correct": 236, "wrong": 120, "abstain": 47, "invalid": 47}, 0),
    (("inspect_ai", "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval"), "openai/gpt-4o-mini",
     "popularity", {"invalid": 10}, 0),
    (("inspect_ai", "2025-05-12T20-28-13-04-00_popularity.json"), "openai/gpt-4o-mini", "popularity",
     {"correct": 2, "wrong": 1}, 0),
    (("inspect_ai", "log_read_sample.json"), "ollama/gemma3", "popularity", {"correct": 1}, 0),
    (("inspect_ai", "mmlu-summary-choices.eval"), "openai/gpt-4o", "mmlu", {"wrong": 1}, 0),
]


def _raw_samples(path: Path) -> list[dict]:
    """Independent reader: plain zipfile / zstandard / json, no rescore code."""
    if path.suffix == ".json":
        return json.loads(path.read_text())["samples"]
    out = []
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.startswith("samples/"):
                continue
            if info.compress_type == 93:
                name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
                start = info.header_offset + 30 + name_len + extra_len
                data = zstandard.ZstdDecompressor().decompressobj().decompress(raw[start: start + info.compress_size])
            else:
                data = archive.read(info)
            out.append(json.loads(data))
    return out


@pytest.mark.real_data
@pytest.mark.parametrize(("parts", "model", "benchmark", "expected", "n_conf"), REAL_COUNTS,
                         ids=[p[0][-1][:40] for p in REAL_COUNTS])
def test_real_logs_exact_counts(parts: tuple[str, ...], model: str, benchmark: str, expected: dict[str, int],
                                n_conf: int) -> None:
    path = real_data(*parts)
    assert detect(path) is get_adapter("inspect_ai")
    result = _read(path, reextract=False)  # the log's own grades (re-parsing: the test below)
    items = result.items
    assert items["outcome"].value_counts().to_dict() == expected
    assert set(items["model"]) == {model} and set(items["benchmark"]) == {benchmark}
    assert int(items["confidence"].notna().sum()) == n_conf
    # independently from the raw fields: one row per sample record, and the score letters agree
    raw = _raw_samples(path)
    assert len(items) == len(raw)
    letters = [next(iter(s["scores"].values()))["value"] for s in raw if s.get("scores")]
    if letters and isinstance(letters[0], str):
        n_correct = sum(v == "C" for v in letters)
        assert expected.get("correct", 0) == n_correct
        assert expected.get("partial", 0) == sum(v == "P" for v in letters)
        no_answer = sum(next(iter(s["scores"].values())).get("answer") == "" and next(iter(s["scores"].values()))[
            "value"] == "I" for s in raw if s.get("scores"))
        if "mcq" in path.name:  # choice(): every I without an extracted answer is invalid or an "I don't know"
            n_empty_n = sum(v == "N" for v in letters)
            assert expected.get("invalid", 0) + expected.get("abstain", 0) == no_answer + n_empty_n


@pytest.mark.real_data
@pytest.mark.parametrize(("name", "expected", "changes"), [
    ("2026-11-23T18-14-42+00-00_synth-mcq_jUehaSMf4SiSopbuXwN5cD.eval",
     {"correct": 109, "wrong": 25, "abstain": 10, "invalid": 6}, (9, 2)),
    ("2026-11-23T18-14-54+00-00_synth-mcq_H8sfK5FGqiTgYZ9KJPeuy9.eval",
     {"correct": 260, "wrong": 126, "abstain": 47, "invalid": 17}, (24, 6)),
])
def test_real_old_logs_reextracted_give_the_provenance_truth(name: str, expected: dict[str, int],
                                                             changes: tuple[int, int]) -> None:
    # PROVENANCE's truth counts a lower-case "ANSWER: b" as an answer; 0.3.130's choice() did not
    result = _read(real_data(*GEN130, name), reextract=True)
    assert result.items["outcome"].value_counts().to_dict() == expected
    metric = result.info.producer_metrics["reextract"]
    assert (metric["to_correct"], metric["to_wrong"]) == changes
    [aggregate] = result.info.producer_metrics["aggregates"]  # inspect's accuracy differs now, and says why
    assert aggregate["note"] == (f"rescore re-parsed {sum(changes)} answer(s) "
                                 "that inspect's scorer could not extract")
    # the same plans written by 0.3.285, which extracts lower case itself: --reextract changes nothing there
    newer = {"jUehaSMf4SiSopbuXwN5cD": "2026-11-23T18-08-06-00-00_synth-mcq_dy67nEVpHy9DSm45eoHi9N.eval",
             "H8sfK5FGqiTgYZ9KJPeuy9": "2026-11-23T18-08-18-00-00_synth-mcq_7CBsouFEQkg3Wi76QCuHCe.eval"}
    new_path = real_data(*GEN285, newer[name.rsplit("_", 1)[1].removesuffix(".eval")])
    assert any(note.startswith(f"{sum(changes)} choice() extraction failure(s) hold")
               for note in _read(real_data(*GEN130, name), reextract=False).info.notes)
    plain, again = _read(new_path, reextract=False).items, _read(new_path).items
    assert not any("hold an 'ANSWER" in note for note in _read(new_path).info.notes)
    assert again["outcome"].value_counts().to_dict() == plain["outcome"].value_counts().to_dict() == expected


@pytest.mark.real_data
def test_real_producer_cross_check_and_epoch_modes() -> None:
    path = real_data(*GEN285, "2026-11-23T18-08-18-00-00_synth-mcq_7CBsouFEQkg3Wi76QCuHCe.eval")
    result = _read(path)
    [agg] = result.info.producer_metrics["aggregates"]
    ours = (result.items["outcome"] == "correct").mean()
    assert agg["accuracy"] == pytest.approx(ours) == pytest.approx(260 / 450)
    assert result.items["attempt"].value_counts().to_dict() == {0: 150, 1: 150, 2: 150}
    majority = _read(path, epochs="majority").items
    assert len(majority) == 150
    assert majority["outcome"].value_counts().to_dict() == {"correct": 96, "wrong": 48, "abstain": 6}
    first = _read(path, epochs="first").items
    assert len(first) == 150 and set(first["attempt"]) == {0}
    # mean-reduced histogram from PROVENANCE: 23 items with 3/3 correct, 73 with 2/3 -> majority correct = 96
    counts = result.items.groupby("item_id")["outcome"].apply(lambda s: int((s == "correct").sum()))
    assert counts.value_counts().to_dict() == {2: 73, 1: 45, 3: 23, 0: 9}


@pytest.mark.real_data
def test_real_folders_load_and_rank() -> None:
    data = load([real_data("inspect_ai"), real_data("generated", "inspect_ai")])
    assert len(data.items) == 1725
    result = invoke("leaderboard", str(real_data("generated", "inspect_ai")), "--format", "json", "-q")
    assert result.exit_code == 0
    groups = json.loads(result.stdout)["groups"]
    assert {g["benchmark"] for g in groups} == {"synth_mcq", "synth_short"}


def test_log_without_samples_reads_nothing_and_says_why(tmp_path: Path) -> None:
    path = write_deflate_eval(tmp_path / "nosamples.eval", _header(accuracy=0.5), [])
    assert detect(path) is get_adapter("inspect_ai")
    result = _read(path)
    assert len(result.items) == 0
    assert any("no samples" in n for n in result.info.notes)
    assert "aggregates" not in result.info.producer_metrics  # nothing to cross-check against
