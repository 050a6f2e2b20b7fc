"""Issue 16: every shape of a producer's verdict read right, unscored runs unranked, marks only where they mean
something (points 1, 5, 11 and 12). Producer-specific cases live beside each adapter's own tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import rescore
from rescore.errors import InputError
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one

from .conftest import ROOT, invoke, real_data, write_jsonl
from .test_adapter_inspect_ai import _header, _sample, write_deflate_eval, write_json_log

REAL = ROOT / "tests" / "fixtures" / "real" / "inspect_ai_repo_logs"
SCICODE = [  # SciCode's scorer returns a dict per problem (inspect_evals/scicode)
    {"Problem Correctness": 1, "Total Correct": 3, "Total Steps": 3},
    {"Problem Correctness": 0, "Total Correct": 1, "Total Steps": 3},
    {"Problem Correctness": 0, "Total Correct": 0, "Total Steps": 2},
]


def _log(tmp_path: Path, values: list[Any], *, kind: str = "json", scorers: tuple[str, ...] = ("scicode_scorer",),
         scores: list[dict] | None = None) -> Path:
    samples = [_sample(i + 1, v, f"reply {i}", scorer=scorers[0], target="x",
                       scores=scores[i] if scores else None) for i, v in enumerate(values)]
    header = _header(task="inspect_evals/scicode", scorers=scorers)
    if kind == "json":
        return write_json_log(tmp_path / "scicode.json", header, samples)
    return write_deflate_eval(tmp_path / "scicode.eval", header, samples)


def _outcomes(path: Path, **kwargs: Any) -> list[str]:
    return read_one(path, "inspect_ai", LoadOptions(**kwargs)).items["outcome"].tolist()


# -- point 1: inspect_ai scores of every shape ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_dict_scores_need_a_key_and_the_error_lists_the_keys(tmp_path: Path, kind: str) -> None:
    path = _log(tmp_path, SCICODE, kind=kind)
    with pytest.raises(InputError) as err:
        _outcomes(path)
    assert "Problem Correctness, Total Correct, Total Steps" in str(err.value) and "--score-key" in str(err.value)
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3 and "Problem Correctness, Total Correct, Total Steps" in result.stderr
    shown = invoke("inspect", str(path))  # `rescore inspect` shows the keys it saw (in its report or its error)
    assert "Problem Correctness, Total Correct, Total Steps" in " ".join((shown.stdout + shown.stderr).split())
    assert _outcomes(path, score_key="Problem Correctness") == ["correct", "wrong", "wrong"]
    board = invoke("leaderboard", str(path), "--score-key", "Problem Correctness", "-f", "json", "-q")
    group = json.loads(board.stdout)["groups"][0]
    assert (group["n_correct"], group["n_wrong"]) == (1, 2)
    # a count entry is a number above 1: say which scores pass
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        _outcomes(path, score_key="Total Correct")
    assert _outcomes(path, score_key="Total Correct", pass_score=1) == ["correct", "correct", "wrong"]
    with pytest.raises(InputError, match="'Nope' is not in this dict score"):
        _outcomes(path, score_key="Nope")
    notes = read_one(path, "inspect_ai", LoadOptions(score_key="Problem Correctness")).info.notes
    assert any("3 score value(s) are dicts (keys Problem Correctness, Total Correct, Total Steps)" in n for n in notes)


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_scalar_shapes_float_int_bool_string(tmp_path: Path, kind: str) -> None:
    path = _log(tmp_path, [1.0, 0.0, 0.5, 1, 0, True, False, "C", "I", "P", "N", "yes", "0.25"], kind=kind)
    assert _outcomes(path) == ["correct", "wrong", "partial", "correct", "wrong", "correct", "wrong", "correct",
                               "wrong", "partial", "abstain", "correct", "partial"]
    # --pass-score binarises every number (and numeric strings), on the command line too (a 0..1 scale)
    binar = _outcomes(path, pass_score=0.5)
    assert binar[:5] == ["correct", "wrong", "correct", "correct", "wrong"] and binar[-1] == "wrong"
    board = invoke("leaderboard", str(path), "--pass-score", "0.5", "-t", "0", "-q", "-f", "json")
    assert board.exit_code == 0, board.stderr
    group = json.loads(board.stdout)["groups"][0]
    expected = (binar.count("correct"), binar.count("wrong"), 1)  # the letter P stays partial
    assert (group["n_correct"], group["n_wrong"], group["n_partial"]) == expected
    bad = _log(tmp_path, ["splendid"], kind=kind)  # no grade word, no letter grade
    with pytest.raises(InputError, match="not a grade"):
        _outcomes(bad)


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_letter_grades_a_to_f_need_a_pass_grade(tmp_path: Path, kind: str) -> None:
    """A scorer grading A-F is no C/I/P/N scale (its C is a middling grade, not "correct"): refused
    until --pass-grade names the lowest passing grade; then the grades are binarised and, the scale
    having no abstention category, an "I don't know" reply is an abstention by the phrases."""
    samples = [_sample(i + 1, v, text, scorer="essay", target="x") for i, (v, text) in enumerate(
        [("A", "a"), ("B+", "b"), ("B", "c"), ("C", "d"), ("F", "e"), ("D-", "I don't know.")])]
    writer = write_json_log if kind == "json" else write_deflate_eval
    path = writer(tmp_path / f"essay.{kind}", _header(task="essays", scorers=("essay",)), samples)
    with pytest.raises(InputError, match=r"'A' is a letter grade \(A-F\), not inspect's C/I/P/N: say which grades "
                                         r"pass with --pass-grade LETTER"):
        _outcomes(path)
    assert invoke("leaderboard", str(path)).exit_code == 3
    assert _outcomes(path, pass_grade="B") == ["correct", "correct", "correct", "wrong", "wrong", "abstain"]
    assert _outcomes(path, pass_grade="B+") == ["correct", "correct", "wrong", "wrong", "wrong", "abstain"]
    notes = read_one(path, "inspect_ai", LoadOptions(pass_grade="C")).info.notes
    assert any("letter grades A-F (A 1, B+ 1, B 1, C 1, D- 1, F 1): C or better correct" in n for n in notes)
    board = json.loads(invoke("leaderboard", str(path), "--pass-grade", "c", "-t", "0", "-q", "-f", "json").stdout)
    assert (board["groups"][0]["n_correct"], board["groups"][0]["n_abstain"]) == (4, 1)
    bad = invoke("leaderboard", str(path), "--pass-grade", "Q")
    assert bad.exit_code == 2 and "--pass-grade must be a letter grade A-F" in bad.stderr
    # C/I/P/N logs read as before, and --pass-grade refuses where no file can use it
    assert _outcomes(_log(tmp_path, ["C", "I"], kind=kind)) == ["correct", "wrong"]
    from .conftest import SAMPLE

    assert invoke("leaderboard", str(SAMPLE / "simpleqa_mini"), "--pass-grade", "B").exit_code == 2


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_list_scores_take_an_index(tmp_path: Path, kind: str) -> None:
    path = _log(tmp_path, [[1, 0], [0, 1]], kind=kind)
    with pytest.raises(InputError, match=r"--score-key INDEX \(0..1\)"):
        _outcomes(path)
    assert _outcomes(path, score_key="1") == ["wrong", "correct"]
    with pytest.raises(InputError, match="not an index"):
        _outcomes(path, score_key="5")


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_several_scorers_chosen_with_scorer_and_unknown_is_an_error(tmp_path: Path, kind: str) -> None:
    scores = [{"match": {"value": "C"}, "judge": {"value": {"correct": 0, "incorrect": 0, "not_attempted": 1}}},
              {"match": {"value": "I"}, "judge": {"value": {"correct": 1, "incorrect": 0, "not_attempted": 0}}}]
    path = _log(tmp_path, [None, None], scorers=("match", "judge"), scores=scores, kind=kind)
    first = read_one(path, "inspect_ai", LoadOptions())
    assert first.items["outcome"].tolist() == ["correct", "wrong"]
    assert any("the first of match, judge" in n for n in first.info.notes)  # the ambiguity is listed
    shown = invoke("leaderboard", str(path), "-t", "0")  # ... where the user sees it
    assert "scorer 'match' used (the first of match, judge); pick another with --scorer" in shown.stderr
    assert "the first of" not in invoke("leaderboard", str(path), "-t", "0", "--scorer", "judge").stderr
    assert _outcomes(path, scorer="judge") == ["abstain", "correct"]
    result = invoke("leaderboard", str(path), "--scorer", "acc_norm")
    assert result.exit_code == 2 and "available: match, judge" in result.stderr


@pytest.mark.real_data
def test_real_float_scores_and_the_rescored_log() -> None:
    # closeness_log returns a float (inspect_ai's own test log); the cross-check with inspect's accuracy holds
    result = read_one(REAL / "log_message_deduplication.eval", "inspect_ai", LoadOptions())
    assert result.items["outcome"].tolist() == ["wrong"]
    [agg] = result.info.producer_metrics["aggregates"]
    assert agg["accuracy"] == 0.0 and agg["label"] == "inspect_ai closeness_log/accuracy"
    # the same 10 samples scored by `inspect score` (C 8, I 2; accuracy 0.8 in the header)
    scored = read_one(REAL / "2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval", "inspect_ai",
                      LoadOptions())
    assert scored.items["outcome"].value_counts().to_dict() == {"correct": 8, "wrong": 2}
    [agg] = scored.info.producer_metrics["aggregates"]
    assert agg["accuracy"] == pytest.approx(0.8)


# -- point 5: unscored runs are not ranked -----------------------------------------------------------------


@pytest.mark.real_data
def test_real_unscored_log_is_not_ranked_and_alone_exits_3() -> None:
    unscored = real_data("inspect_ai", "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval")
    alone = invoke("leaderboard", str(unscored))
    assert alone.exit_code == 3
    assert "nothing is scored: openai/gpt-4o-mini on popularity: the producer scored nothing" in alone.stderr
    scored = REAL / "2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval"
    both = invoke("leaderboard", str(unscored), str(scored), "-f", "json", "-q")
    assert both.exit_code == 0
    doc = json.loads(both.stdout)
    assert [g["model"] for g in doc["groups"]] == ["openai/gpt-4o-mini [2025-02-11T20-18-04_mj7khqpMM4GBCfVQozKgzB]"]
    [run] = doc["unscored"]
    assert run["model"].endswith("[2025-02-11T20-17-00_dPiJifoWeEQBrfWsAopzWr]") and run["n"] == 10
    assert all(r["model"] == doc["groups"][0]["model"] for r in doc["rows"])  # no rank, no marks for it
    table = invoke("leaderboard", str(unscored), str(scored), "-q")
    assert "unscored" in table.stdout and "-9.000" not in table.stdout
    markdown = invoke("leaderboard", str(unscored), str(scored), "-q", "-f", "markdown")
    assert "| unscored |" in markdown.stdout


@pytest.mark.parametrize("kind", ["json", "eval"])
@pytest.mark.parametrize("how", ["no scorer", "no sample scored"])
def test_unscored_inspect_log_is_not_ranked_and_alone_exits_3(tmp_path: Path, kind: str, how: str) -> None:
    """An inspect log written without a scorer (or whose every sample lacks a score) has no grade:
    no S(0) = 0 and S(0.9) = -9 with a rank, but an unscored row, and exit 3 when it is all there is."""
    writer = write_json_log if kind == "json" else write_deflate_eval
    header = _header(task="popularity", model="openai/none", scorers=() if how == "no scorer" else ("match",))
    samples = [_sample(i, None, "Yes", scores={}) for i in range(1, 6)]
    unscored = writer(tmp_path / f"unscored.{kind}", header, samples)
    alone = invoke("leaderboard", str(unscored))
    assert alone.exit_code == 3 and "Traceback" not in alone.stderr
    assert "nothing is scored: openai/none on popularity: the producer scored nothing" in alone.stderr
    scored = writer(tmp_path / f"scored.{kind}", _header(task="popularity", model="openai/some", scorers=("match",)),
                    [_sample(i, "C" if i % 2 else "I", "Yes", scorer="match") for i in range(1, 6)])
    doc = json.loads(invoke("leaderboard", str(unscored), str(scored), "-f", "json", "-q").stdout)
    assert [g["model"] for g in doc["groups"]] == ["openai/some"]
    assert [(u["model"], u["n"]) for u in doc["unscored"]] == [("openai/none", 5)]
    assert {r["model"] for r in doc["rows"]} == {"openai/some"}  # no rank, no marks
    table = invoke("leaderboard", str(unscored), str(scored), "-q", "-t", "0.9")
    row = next(line for line in table.stdout.splitlines() if line.startswith("openai/none"))
    assert "unscored" in row and "-9" not in row


def test_table_without_grades_or_predictions_is_unscored(tmp_path: Path) -> None:
    rows = [{"model": m, "benchmark": "qa", "item_id": str(i), "response": "text", "correct": c}
            for m, c in (("a/graded", True), ("b/ungraded", None)) for i in range(4)]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    board = rescore.leaderboard(rescore.load(path))
    assert board.groups["model"].tolist() == ["a/graded"]
    assert board.unscored["model"].tolist() == ["b/ungraded"]


# -- point 12: no ≈ for pairs sharing no items ------------------------------------------------------------


def test_no_paired_mark_for_models_sharing_no_items(tmp_path: Path) -> None:
    # 18/30 against 15/30: close, so a paired test on shared items would not separate them
    rows = ([{"model": "a/one", "benchmark": "qa", "item_id": str(i), "correct": i % 5 < 3} for i in range(30)]
            + [{"model": "b/two", "benchmark": "qa", "item_id": str(100 + i), "correct": i % 2 == 0}
               for i in range(30)])
    path = write_jsonl(tmp_path / "disjoint.jsonl", rows)
    doc = json.loads(invoke("leaderboard", str(path), "-f", "json", "-q").stdout)
    assert not any(r["overlaps_above"] for r in doc["rows"])
    assert "share no items" in doc["provenance"]["ties"]
    table = invoke("leaderboard", str(path), "-q")
    assert "≈" not in table.stdout.split("S(0) is accuracy")[0]
    assert "no ≈ between models that share no items" in " ".join(table.stdout.split())
    # with shared items the paired test still marks a close pair
    shared = [dict(r, item_id=str(int(r["item_id"]) % 100)) for r in rows]
    close = json.loads(invoke("leaderboard", str(write_jsonl(tmp_path / "shared.jsonl", shared)), "-f", "json",
                              "-q").stdout)
    assert any(r["overlaps_above"] for r in close["rows"]) and "share no items" not in close["provenance"]["ties"]


# -- point 10: --metric for lm-eval, no pooling by name, --latest says when it keeps less -------------------


def _mc_file(folder: Path) -> Path:
    from .test_adapter_lm_eval import TS1, mc_line

    folder.mkdir(parents=True, exist_ok=True)
    # the choices: "a" (1 char) and "ééééé" (5 chars, 10 UTF-8 bytes); target 1
    lines = [mc_line(0, ["a", "ééééé"], [-2.0, -6.0], 1, {"acc": 0.0, "acc_norm": 1.0, "acc_bytes": 1.0}),
             mc_line(1, ["a", "ééééé"], [-1.0, -8.0], 1, {"acc": 0.0, "acc_norm": 0.0, "acc_bytes": 1.0})]
    return write_jsonl(folder / f"samples_hellaswag_{TS1}.jsonl", lines)


def test_lm_eval_metric_chooses_the_option_and_unknown_names_are_errors(tmp_path: Path) -> None:
    path = _mc_file(tmp_path / "org__m")
    by_metric = {m: rescore.load(path, metric=m).items for m in ("acc", "acc_norm", "acc_bytes")}
    assert by_metric["acc"]["outcome"].tolist() == ["wrong", "wrong"]
    assert by_metric["acc"]["prediction"].tolist() == ["0", "0"]  # raw log-likelihood: "a"
    assert by_metric["acc_norm"]["outcome"].tolist() == ["correct", "wrong"]
    assert by_metric["acc_norm"]["prediction"].tolist() == ["1", "0"]  # -6/5 > -2/1; -8/5 < -1/1
    assert by_metric["acc_bytes"]["prediction"].tolist() == ["1", "1"]  # -6/10, -8/10 beat -2, -1
    default = rescore.load(path)
    assert default.items["outcome"].tolist() == ["wrong", "wrong"]  # the first metric, said in a note
    assert any("graded by acc (the task's first metric)" in n and "acc_norm, acc_bytes" in n for n in default.notes)
    # --scorer acc_norm used to return the acc counts silently; now it acts, and a missing name refuses
    scorer = invoke("leaderboard", str(path), "--scorer", "acc_norm", "-f", "json", "-q")
    assert json.loads(scorer.stdout)["groups"][0]["n_correct"] == 1
    missing = invoke("leaderboard", str(path), "--metric", "exact_match")
    assert missing.exit_code == 2 and "its lines have: acc, acc_norm, acc_bytes" in missing.stderr


@pytest.mark.real_data
def test_real_lm_eval_slice_is_not_pooled_with_official_mmlu_pro() -> None:
    data = rescore.load([real_data("lm_eval", "llama3.1-pro16-0827-Inst_mmlu_pro"), real_data("mmlu_pro_official")])
    sizes = data.items.groupby("benchmark").size().to_dict()
    assert sizes == {"mmlu_pro (lm_eval)": 30, "mmlu_pro (mmlu_pro)": 700}
    assert any("read from 2 producers (lm_eval, mmlu_pro)" in n for n in data.notes)
    alone = rescore.load(real_data("mmlu_pro_official"))  # one producer: the name is unchanged
    assert set(alone.items["benchmark"]) == {"mmlu_pro"}


def _run(tmp_path: Path, name: str, created: str, n: int) -> Path:
    header = _header()
    header["eval"].update(created=created, eval_id=name)
    samples = [_sample(i, "C", "ANSWER: A", answer="A") for i in range(n)]
    return write_json_log(tmp_path / f"{name}.json", header, samples)


def test_latest_says_when_the_kept_run_is_smaller(tmp_path: Path) -> None:
    full = _run(tmp_path, "full", "2025-01-01T00:00:00+00:00", 40)
    partial = _run(tmp_path, "partial", "2025-02-01T00:00:00+00:00", 18)
    for need_items in (True, False):  # items and counts mode say the same
        data = rescore.load([full, partial], latest=True, need_items=need_items)
        assert any("kept the latest (2025-02-01T00-00-00_partial)" in n
                   and "smaller than the dropped 2025-01-01T00-00-00_full (40 rows): 18 rows kept" in n
                   for n in data.notes), data.notes
    data = rescore.load([full, partial], latest=True)
    assert len(data.items) == 18
    later_full = _run(tmp_path, "later", "2025-03-01T00:00:00+00:00", 40)
    bigger = rescore.load([partial, later_full], latest=True)
    assert not any("smaller" in n for n in bigger.notes)


# -- point 11: the producer's verdict stands where its scale knows abstention -------------------------------


def test_scale_without_abstention_phrases_apply_and_the_note_says_what_the_judge_gave(tmp_path: Path) -> None:
    from .test_adapter_wildbench import _rec
    from .test_adapter_wildbench import _write as write_wildbench

    path = write_wildbench(tmp_path, [_rec("s1", "9"), _rec("s2", "3", output="I don't know."),
                                      _rec("s3", "2", output="I'm not sure."), _rec("s4", "8", output="I don't know."),
                                      _rec("s5", "4")])
    data = rescore.load(path)
    assert data.items.set_index("item_id")["outcome"].to_dict() == {
        "s1": "correct", "s2": "abstain", "s3": "abstain", "s4": "correct", "s5": "wrong"}
    assert any("2 reply(ies) say \"I don't know\"" in n and "(score: count 2: 1, 3: 1)" in n for n in data.notes)
    assert any("1 reply(ies) with an abstention phrase were scored at or above the pass score (score: count 8: 1)"
               in n for n in data.notes)


@pytest.mark.real_data
def test_real_wildbench_phrase_reply_the_judge_passed_is_named() -> None:
    data = rescore.load(real_data("wildbench"))
    assert any("1 reply(ies) with an abstention phrase were scored at or above the pass score (score: count 8: 1)"
               in n for n in data.notes)


def test_inspect_letter_grades_stand_and_disagreements_are_counted(tmp_path: Path) -> None:
    samples = [_sample(1, "I", "I don't know.", scorer="match"), _sample(2, "N", "no idea", scorer="match"),
               _sample(3, "I", "Paris", scorer="match"), _sample(4, 0, "I don't know.", scorer="match")]
    path = write_json_log(tmp_path / "l.json", _header(scorers=("match",)), samples)
    items = read_one(path, "inspect_ai", LoadOptions()).items.set_index("item_id")
    # I stays wrong (C/I/P/N has N); the number 0 has no abstention category, so phrases decide there
    assert items["outcome"].to_dict() == {"1": "wrong", "2": "abstain", "3": "wrong", "4": "abstain"}
    assert items.loc["1", "rule"] == "explicit grade; abstention phrase disagrees"
    shown = json.loads(invoke("inspect", str(path), "-f", "json").stdout)["files"][0]["rules"]
    assert {"outcome": "wrong", "rule": "explicit grade; abstention phrase disagrees", "count": 1} in shown
    explain = invoke("leaderboard", str(path), "--explain", "-q")
    assert "abstention phrase disagrees" in " ".join(explain.stdout.split())


def test_swebench_ambiguous_failures_are_invalid_and_named(tmp_path: Path) -> None:
    from .test_adapter_swebench import _report
    from .test_adapter_swebench import _write as write_report

    report = _report()
    report["ambiguous_failure_ids"] = ["u1"]
    report["infra_failure_ids"] = []
    items = rescore.load(write_report(tmp_path, report)).items.set_index("item_id")
    assert items.loc["u1", "outcome"] == "invalid"
    assert items.loc["u1", "rule"] == "ambiguous evaluator failure (ambiguous_failure_ids)"
    notes = rescore.load(write_report(tmp_path, report)).notes
    assert any("ambiguous_failure_ids (a non-standard field of this harness) lists 1 instance(s)" in n
               and "1 verdict(s) changed from the other lists: u1" in n for n in notes)
    assert not any("infra_failure_ids" in n for n in notes)  # an empty list says nothing


@pytest.mark.real_data
def test_real_math_cut_before_final_answer_is_invalid() -> None:
    path = real_data("lm_eval_table2", "SOLAR-10.7B-Instruct_math_hard",
                     "samples_leaderboard_math_algebra_hard_2024-11-14T16-01-56.818889.jsonl")
    data = rescore.load(path)
    assert data.items["outcome"].value_counts().to_dict() == {"invalid": 38, "wrong": 2}
    assert any("38 of 40 answer(s) never reach \"Final Answer\"" in n for n in data.notes)
    counted = rescore.load(path, need_items=False)  # counts mode agrees
    assert int(counted.item_counts.loc[counted.item_counts["outcome"] == "invalid", "count"].sum()) == 38


# -- real MMLU-Pro files with stored random letters (tests/fixtures/real/mmlu_pro_stored_letters) -----------

STORED = ROOT / "tests" / "fixtures" / "real" / "mmlu_pro_stored_letters"
_FIRST = r"answer is \(?([A-J])\)?"
_SECOND = r".*[aA]nswer:\s*([A-J])"
_FINAL = r"\b[A-J]\b(?!.*\b[A-J]\b)"


def _official(text: str) -> tuple[str | None, int]:
    """The official extractor written out again (compute_accuracy.py), independent of rescore's copy."""
    import re

    for stage, pattern in ((1, _FIRST), (2, _SECOND)):
        match = re.search(pattern, text)
        if match:
            return match.group(1), stage
    match = re.search(_FINAL, text, re.DOTALL)
    return (match.group(0), 3) if match else (None, 0)


@pytest.mark.parametrize(("name", "key", "expected"), [
    ("DeepSeek-Coder-V2", "model_outputs", {"baked": 14, "lone": 8, "null": 11, "strays": 4}),
    ("mathstral-7B", "generated_text", {"baked": 8, "lone": 0, "null": 0, "strays": 0}),
])
def test_real_stored_random_letters_are_invalid(name: str, key: str, expected: dict[str, int]) -> None:
    path = STORED / f"model_outputs_{name}_5shots.sel.json"
    raw = json.loads(path.read_text())
    records = [r for r in raw if isinstance(r, dict)]
    found = {"baked": sum(1 for r in records if r["pred"] and _official(r[key])[0] is None),
             "lone": sum(1 for r in records if r["pred"] and _official(r[key])[0] not in (None, r["pred"])),
             "null": sum(r["pred"] is None for r in records), "strays": len(raw) - len(records)}
    assert found == expected  # PROVENANCE.md's counts, from the files' own fields
    data = rescore.load(path)
    rules = data.items["rule"].value_counts()
    outcomes = data.items["outcome"].value_counts()
    assert len(data.items) == len(records)
    # a stored letter the text does not hold is invalid (or an abstention when the output ends in one)
    random_letter = int(rules.get("no answer in text (stored letter was the random fallback)", 0))
    unconfirmed = int(rules.get("no answer stated in text (stored letter unconfirmed)", 0))
    final_abstain = int(rules.get("abstention phrase (final answer)", 0))
    assert random_letter + unconfirmed + final_abstain + int(rules.get("extraction failure", 0)) + int(
        rules.get("no answer (output cut off)", 0)) == expected["baked"] + expected["lone"] + expected["null"]
    ordinary = [r for r in records if r["pred"] and _official(r[key])[0] == r["pred"]]
    assert int(outcomes.get("correct", 0)) == sum(r["pred"] == r["answer"] for r in ordinary)
    assert int(outcomes.get("wrong", 0)) == sum(r["pred"] != r["answer"] for r in ordinary)
    if expected["strays"]:  # named, not only counted
        assert any('skipped 4 top-level element(s) that are not records: [2] "other", [3] "total", [4] "chemistry"'
                   in n for n in data.notes)
    # --no-reextract keeps the stored letters: the random ones count as answers again
    plain = rescore.load(path, reextract=False).items["outcome"].value_counts()
    assert int(plain.get("invalid", 0)) + int(plain.get("abstain", 0)) <= expected["null"]


@pytest.mark.real_data
def test_real_simpleqa_grader_verdict_stands_and_explain_lists_the_disagreements() -> None:
    folder = real_data("simpleqa_thirdparty_eyalbenba")
    path = folder / "tavily_advanced_advanced_results.first1000.jsonl"
    raw = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    items = rescore.load(path).items
    # PROVENANCE: A 617, B 169, C 214 in the slice; the grader's letters are the outcomes, exactly
    assert items["outcome"].value_counts().to_dict() == {"correct": 617, "wrong": 169, "abstain": 214}
    assert sum(r["grade"] == "B" for r in raw) == 169
    disagree = items[items["rule"] == "explicit grade; abstention phrase disagrees"]
    assert len(disagree) == 2 and set(disagree["outcome"]) == {"wrong"}
    shown = invoke("leaderboard", str(path), "--explain", "-q")
    text = " ".join(shown.stdout.split())
    assert "abstention phrases disagree (2 item(s))" in text
    assert all(item in text for item in disagree["item_id"])


def test_lm_eval_predict_only_run_is_unscored(tmp_path: Path) -> None:
    from .test_adapter_lm_eval import TS1, gen_line

    folder = tmp_path / "org__pred-only"
    folder.mkdir()
    lines = []
    for i, (raw, target) in enumerate([("4", "4"), ("5", "7"), ("I don't know.", "3")]):
        line = gen_line(i, raw, raw, target, 0, "none")
        del line["exact_match"]
        line.update(bypass=None, metrics=["bypass"])
        lines.append(line)
    path = write_jsonl(folder / f"samples_arith_{TS1}.jsonl", lines)
    for need_items in (True, False):
        data = rescore.load(path, need_items=need_items)
        assert any("predict-only run (metric 'bypass')" in n for n in data.notes)
        with pytest.raises(InputError, match="nothing is scored: org/pred-only on arith: the producer scored nothing"):
            rescore.leaderboard(data)


def test_two_tasks_of_one_producer_sharing_a_name_are_not_pooled(tmp_path: Path) -> None:
    """lm-eval's ``leaderboard_mmlu_pro`` (10-shot log-likelihood) and its ``mmlu_pro_*`` group
    (generative) both normalise to mmlu_pro: different tasks, so different benchmarks, in both modes;
    the parts of one task (``mmlu_pro_law``, ``mmlu_pro_biology``) stay one benchmark."""
    from .test_adapter_lm_eval import BBH_CFG, TS1, mc_line, results_doc

    folder = tmp_path / "org__m"
    folder.mkdir()
    lines = [mc_line(i, ["a", "b"], [-1.0, -2.0], i % 2, {"acc": float(i % 2 == 0)}) for i in range(6)]
    write_jsonl(folder / f"samples_leaderboard_mmlu_pro_{TS1}.jsonl", lines)
    write_jsonl(folder / f"samples_mmlu_pro_biology_{TS1}.jsonl", lines[:4])
    write_jsonl(folder / f"samples_mmlu_pro_law_{TS1}.jsonl", lines[:3])
    for need_items in (True, False):
        data = rescore.load(folder, need_items=need_items)
        frame = data.items if need_items else data.item_counts
        sizes = (frame.groupby("benchmark").size() if need_items else frame.groupby("benchmark")["count"].sum())
        assert sizes.to_dict() == {"leaderboard_mmlu_pro": 6, "mmlu_pro": 7}
        assert any("read from 2 different lm_eval tasks (leaderboard_mmlu_pro, mmlu_pro)" in n for n in data.notes)
    board = json.loads(invoke("leaderboard", str(folder), "-t", "0", "-q", "-f", "json").stdout)
    assert sorted(g["benchmark"] for g in board["groups"]) == ["leaderboard_mmlu_pro", "mmlu_pro"]
    # one task alone keeps the normalised name
    assert set(rescore.load(folder / f"samples_mmlu_pro_law_{TS1}.jsonl").items["benchmark"]) == {"mmlu_pro"}
    # a results file without samples holding both tasks: its counts are kept apart by task too
    agg = tmp_path / "org__agg"
    agg.mkdir()
    (agg / f"results_{TS1}.json").write_text(json.dumps(results_doc(
        "org/agg", {"leaderboard_mmlu_pro": BBH_CFG, "mmlu_pro_law": BBH_CFG},
        {"leaderboard_mmlu_pro": {"acc,none": 0.5}, "mmlu_pro_law": {"acc,none": 0.25}},
        {"leaderboard_mmlu_pro": 10, "mmlu_pro_law": 8})))
    counts = rescore.load(agg).counts.set_index("benchmark")
    assert (counts.loc["leaderboard_mmlu_pro", "n_correct"], counts.loc["mmlu_pro", "n_correct"]) == (5, 2)


def test_task_family_cuts_the_subset_only() -> None:
    from rescore.outcomes.names import benchmark_family

    assert benchmark_family("leaderboard_bbh_navigate") == benchmark_family("leaderboard_bbh_snarks")
    assert benchmark_family("mmlu_pro_law") == benchmark_family("mmlu_pro_biology") == "mmlu_pro"
    assert benchmark_family("leaderboard_mmlu_pro") != benchmark_family("mmlu_pro_law")
    assert benchmark_family("simple_qa") == benchmark_family("simpleqa") != benchmark_family("simpleqa_verified")
    assert benchmark_family("gsm8k") == "gsm8k"


@pytest.mark.parametrize(("flag", "value", "takers"), [
    ("--scorer", "acc_norm", "inspect_ai, lighteval, lm_eval"), ("--metric", "acc_norm", "lighteval, lm_eval"),
    ("--score-key", "Total Correct", "inspect_ai"), ("--pass-score", "7", "inspect_ai, wildbench"),
    ("--filter", "strict-match", "lm_eval")])
def test_a_producer_flag_no_file_can_use_is_refused(flag: str, value: str, takers: str) -> None:
    """Every flag acts or refuses: on a plain table (or a SimpleQA grader file) these used to change nothing."""
    from .conftest import SAMPLE

    for command in ("leaderboard", "inspect"):  # inspect reads the same files: it refuses alike
        result = invoke(command, str(SAMPLE / "simpleqa_mini"), "-q", flag, value)
        assert result.exit_code == 2, command
        assert f"{flag} {value!r}" in result.stderr or f"{flag} {float(value)!r}" in result.stderr
        assert f"acts on {takers} files only, and none was read (read: simpleqa)" in result.stderr
    # in a folder mixing producers, the flag acts where it can and the other files are read as usual
    if flag == "--metric":
        mixed = invoke("leaderboard", str(SAMPLE), "-q", "-t", "0", "-f", "json", flag, "acc_norm")
        benchmarks = {g["benchmark"] for g in json.loads(mixed.stdout)["groups"]}
        assert mixed.exit_code == 0 and {"simpleqa", "mmlu_pro", "gpqa"} <= benchmarks


def test_lighteval_takes_metric_as_lm_eval_does(tmp_path: Path) -> None:
    from .test_adapter_lighteval import _current_row, write_current

    rows = [_current_row("a", 0, None, "B", {"em": 1, "f1": 1.0}, task="synth_gen|0"),
            _current_row("b", 0, None, " C ", {"em": 0, "f1": 0.5}, task="synth_gen|0")]
    path = write_current(tmp_path, rows, model="solo", task="synth_gen|0")
    assert rescore.load(path, metric="f1").items["outcome"].tolist() == ["correct", "partial"]
    wrong = invoke("leaderboard", str(path), "--metric", "bleu")
    assert wrong.exit_code == 2 and "--metric 'bleu' is not a metric" in wrong.stderr
    assert "available: em, f1" in wrong.stderr


def test_a_judge_label_scale_with_not_attempted_keeps_its_incorrect(tmp_path: Path) -> None:
    """A plain table whose grade column is a judge's correct/incorrect/not_attempted: the judge saw
    "I don't know." and did not call it not_attempted, so its "incorrect" stands (the rule says the
    phrases disagree), in the general reader and the Parquet counts path alike. A 0/1 column has no
    such category, so there the phrases make the same reply an abstention."""
    import pandas as pd

    replies = [("I don't know.", "incorrect"), ("Paris", "correct"), ("no idea", "not_attempted"),
               ("I'm not sure.", "incorrect"), ("Lyon", "incorrect")]
    frame = pd.DataFrame({"model": "m", "id": range(5), "response": [r for r, _ in replies],
                          "judge_pred": [j for _, j in replies]})
    path = tmp_path / "judged.parquet"
    frame.to_parquet(path)
    items = rescore.load(write_jsonl(tmp_path / "judged.jsonl", frame.to_dict("records"))).items
    assert items.sort_values("item_id")["outcome"].tolist() == ["wrong", "correct", "abstain", "wrong", "wrong"]
    assert (items["rule"] == "explicit grade; abstention phrase disagrees").sum() == 2
    for need_items in (True, False):
        runs = rescore.load(path, need_items=need_items).runs
        assert (int(runs["n_correct"].sum()), int(runs["n_wrong"].sum()), int(runs["n_abstain"].sum())) == (1, 3, 1)
    explain = invoke("leaderboard", str(path), "--explain", "-q", "-t", "0")
    assert "abstention phrases disagree (2 item(s))" in " ".join(explain.stdout.split())
    binary = frame.drop(columns="judge_pred").assign(is_correct=[j == "correct" for _, j in replies])  # 0/1 only
    counted = rescore.load(write_jsonl(tmp_path / "binary.jsonl", binary.to_dict("records"))).items
    assert counted.sort_values("item_id")["outcome"].tolist() == ["abstain", "correct", "abstain", "abstain", "wrong"]


# -- point 12: notes say something true and specific ----------------------------------------------------------

_ZERO = re.compile(r"(?<![\d.,])0 (?:of |item|record|row|file|answer|repl|stored|sample|instance|line|task|null|"
                   r"pred|run|model|entr|verdict|change|letter|element|question)")


def _said(data: rescore.Dataset) -> list[str]:
    """Every note the load and the board give."""
    return list(data.notes) + list(rescore.leaderboard(data, [0.0, 0.9]).notes)


def test_no_note_counts_zero(tmp_path: Path) -> None:
    """Files of several producers in which nothing unusual happens: no note says "0 of N"."""
    from .conftest import SAMPLE
    from .test_adapter_inspect_ai import _mixed_samples
    from .test_adapter_lm_eval import write_run
    from .test_adapter_mmlu_pro import record
    from .test_adapter_mmlu_pro import write as write_mmlu_pro
    from .test_adapter_swebench import _report
    from .test_adapter_swebench import _write as write_report
    from .test_adapter_wildbench import _rec
    from .test_adapter_wildbench import _write as write_wildbench

    assert _ZERO.search("0 of 296 records have pred null") and not _ZERO.search("10 of 296 records")
    paths = [write_mmlu_pro(tmp_path / "mp" / "model_outputs_m_5shots.json",
                            [record(1, "A", "A", "The answer is (A)."), record(2, "B", "C", "The answer is (C).")]),
             write_run(tmp_path / "lm"), write_wildbench(tmp_path / "wb", [_rec("s1", "9"), _rec("s2", "3")]),
             write_json_log(tmp_path / "log.json", _header(), _mixed_samples()[:4]), SAMPLE]
    report = _report()
    report.update(ambiguous_failure_ids=[], infra_failure_ids=[])
    paths.append(write_report(tmp_path / "swe", report))
    for path in paths:
        for need_items in (True, False):
            said = _said(rescore.load(path, need_items=need_items))
            assert not [n for n in said if _ZERO.search(n)], (path, said)


@pytest.mark.real_data
def test_no_note_counts_zero_on_the_real_dumps() -> None:
    root = real_data()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        said = _said(rescore.load(folder, on_error="skip"))
        assert not [n for n in said if _ZERO.search(n)], folder.name


def test_gpqa_main_and_extended_are_not_pooled_and_coverage_marks_apply(tmp_path: Path) -> None:
    """lm-eval's gpqa_main and gpqa_extended share questions (35 in the real sets): with both present
    each is a benchmark of its own, and a model scored on part of one is marked (point 4)."""
    from .test_adapter_lm_eval import TS1, mc_line

    def run(model: str, task: str, n: int) -> None:
        folder = tmp_path / model
        folder.mkdir(exist_ok=True)
        write_jsonl(folder / f"samples_{task}_{TS1}.jsonl",
                    [mc_line(i, ["a", "b"], [-1.0, -2.0], i % 2, {"acc_norm": float(i % 2 == 0)}) for i in range(n)])

    run("org__a", "leaderboard_gpqa_main", 6)
    run("org__a", "leaderboard_gpqa_extended", 8)
    run("org__b", "leaderboard_gpqa_main", 3)
    data = rescore.load(tmp_path)
    assert data.items.groupby(["benchmark", "model"]).size().to_dict() == {
        ("gpqa_extended", "org/a"): 8, ("gpqa_main", "org/a"): 6, ("gpqa_main", "org/b"): 3}
    assert any("kept apart as gpqa_extended, gpqa_main" in n for n in data.notes)
    result = invoke("leaderboard", str(tmp_path), "-t", "0")
    assert "warning: unequal coverage on gpqa_main: org/b (50%)" in result.stderr
    assert "org/b †" in result.stdout and "gpqa_extended" in result.stdout
    alone = rescore.load(tmp_path / "org__b")  # one variant alone keeps the benchmark's name
    assert set(alone.items["benchmark"]) == {"gpqa"} and set(alone.items["subset"]) == {"main"}


def test_math_answers_cut_before_final_answer_are_invalid(tmp_path: Path) -> None:
    """Point 11: a MATH-style generation that never reaches "Final Answer" (cut off) has no answer
    the producer could parse: invalid, not wrong, in both modes, with a note counting them."""
    from .test_adapter_lm_eval import TS1, gen_line

    folder = tmp_path / "org__mathy"
    folder.mkdir()
    lines = [gen_line(0, "Final Answer: The final answer is $4$. I hope it is correct.", "4", "4", 1.0, "none"),
             gen_line(1, "Final Answer: The final answer is $5$. I hope it is correct.", "5", "7", 0.0, "none"),
             gen_line(2, "We expand the square: $(x+1)^2 = x^2 + 2x", "x^2 + 2x", "3", 0.0, "none"),
             gen_line(3, "Let $y = 2$. Then the sum of the first", "2", "9", 0.0, "none")]
    path = write_jsonl(folder / f"samples_leaderboard_math_algebra_hard_{TS1}.jsonl", lines)
    items = rescore.load(path).items.sort_values("item_id")
    assert items["outcome"].tolist() == ["correct", "wrong", "invalid", "invalid"]
    counted = rescore.load(path, need_items=False)
    assert counted.runs[["n_correct", "n_wrong", "n_invalid"]].values.tolist() == [[1, 1, 2]]
    assert any("2 of 4 answer(s) never reach \"Final Answer\"" in n for n in rescore.load(path).notes)


def test_a_scale_without_abstention_says_how_many_phrase_abstentions(tmp_path: Path) -> None:
    """Point 11: where the producer's scale has no abstention category (lm-eval's 0/1 metric,
    inspect's numbers, a 0/1 column) "I don't know" replies it graded wrong are abstentions by the
    phrases, and a note says how many and what the producer gave them; in counts mode alike.
    A scale with its own category (C/I/P/N) and WildBench (its own note) say nothing of it."""
    import pandas as pd

    from .test_adapter_lm_eval import TS1, gen_line

    said = "answer(s) the producer graded wrong say \"I don't know\" (or are empty): abstentions by the phrases"
    folder = tmp_path / "org__m"
    folder.mkdir()
    lines = [gen_line(i, raw, raw, target, em, "none") for i, (raw, target, em) in enumerate(
        [("4", "4", 1.0), ("I don't know.", "3", 0.0), ("I'm not sure.", "5", 0.0), ("7", "8", 0.0)])]
    lm_eval = write_jsonl(folder / f"samples_arith_{TS1}.jsonl", lines)
    table = tmp_path / "graded.parquet"
    pd.DataFrame({"model": "m", "id": range(3), "response": ["Paris", "I don't know.", "Rome"],
                  "is_correct": [True, False, False]}).to_parquet(table)
    numbers = write_json_log(tmp_path / "n.json", _header(scorers=("match",)),
                             [_sample(1, 0, "I don't know.", scorer="match"), _sample(2, 1, "A", scorer="match")])
    for path, count in ((lm_eval, 2), (table, 1), (numbers, 1)):
        for need_items in (True, False):
            notes = rescore.load(path, need_items=need_items).notes
            assert any(f"{count} {said}" in n for n in notes), (path, need_items, notes)
    letters = write_json_log(tmp_path / "l.json", _header(scorers=("match",)),
                             [_sample(1, "I", "I don't know.", scorer="match")])
    assert not any(said in n for n in rescore.load(letters).notes)
    from .test_adapter_wildbench import _rec
    from .test_adapter_wildbench import _write as write_wildbench

    wildbench = rescore.load(write_wildbench(tmp_path / "wb", [_rec("s1", "3", output="I don't know.")])).notes
    assert not any(said in n for n in wildbench) and any("1 reply(ies) say \"I don't know\"" in n for n in wildbench)


def test_no_note_suggests_a_flag_already_given(tmp_path: Path) -> None:
    """Point 12: "pick another with --scorer", "--metric to choose", "use --latest ..." are said only
    to a user who has not given that flag."""
    from .test_adapter_lighteval import _current_row, write_current
    from .test_adapter_mmlu_pro import RECORDS
    from .test_adapter_mmlu_pro import write as write_mmlu_pro
    from .test_adapter_wildbench import _rec
    from .test_adapter_wildbench import _write as write_wildbench

    scores = [{"match": {"value": "C"}, "judge": {"value": "I"}}, {"match": {"value": "I"}, "judge": {"value": "C"}}]
    two_scorers = _log(tmp_path, [None, None], scorers=("match", "judge"), scores=scores)
    lighteval = write_current(tmp_path / "le", [_current_row("a", 0, None, "B", {"em": 1, "f1": 1.0}, task="g|0")],
                              model="solo", task="g|0")
    (tmp_path / "runs").mkdir()
    runs = [_run(tmp_path / "runs", name, created, 4) for name, created in
            (("r1", "2025-01-01T00:00:00+00:00"), ("r2", "2025-02-01T00:00:00+00:00"))]
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (two_scorers, {"scorer": "judge"}, "--scorer"),
        (_mc_file(tmp_path / "org__m"), {"metric": "acc_norm"}, "--metric"),
        (lighteval, {"metric": "f1"}, "--metric"), (lighteval, {"scorer": "f1"}, "--scorer"),
        (write_wildbench(tmp_path / "wb", [_rec("s1", "9")]), {"pass_score": 6}, "--pass-score"),
        (runs, {"latest": True}, "--latest"),
        (write_mmlu_pro(tmp_path / "mp" / "model_outputs_m_5shots.json", RECORDS), {"reextract": False},
         "--no-reextract"),
    ]
    for path, kwargs, flag in cases:
        offer = re.compile(rf"(?:with|use|try) {flag}\b|{flag}(?: [\w|]+)? (?:to|chooses?) ")
        bare = rescore.load(path).notes  # without the flag the offer is made (where there is one)
        given = rescore.load(path, **kwargs).notes
        assert not [n for n in given if offer.search(n)], (flag, given)
        if flag in ("--scorer", "--latest"):
            assert any(offer.search(n) for n in bare), (flag, bare)


@pytest.mark.parametrize(("flags", "said"), [
    (["--model-from", "parent"], "--model-from 'parent' acts on generic files only"),
    (["--benchmark-from", "stem"], "--benchmark-from 'stem' acts on generic files only"),
    (["--epochs", "majority"], "--epochs 'majority' acts on inspect_ai files only"),
    (["--denominator", "dataset"], "--denominator 'dataset' acts on swebench files only"),
    (["--no-reextract"], "--no-reextract acts on inspect_ai, mmlu_pro files only"),
    (["--instructed-t", "0.5"], "--instructed-t 0.5 acts on generic files only")])
def test_producer_flags_with_defaults_refuse_too(flags: list[str], said: str) -> None:
    """Flags whose value differs from their default count as given: on lm-eval files they did nothing."""
    from .conftest import SAMPLE

    result = invoke("leaderboard", str(SAMPLE / "lm_eval"), "-q", *flags)
    assert result.exit_code == 2 and f"{said}, and none was read (read: lm_eval)" in result.stderr
    # the default spelled out is no request: nothing to refuse
    assert invoke("leaderboard", str(SAMPLE / "lm_eval"), "-q", "--epochs", "attempts", "--reextract").exit_code == 0


def test_statistics_commands_leave_unscored_runs_out(tmp_path: Path) -> None:
    """Point 5: no significance mark for an unscored run in ``compare`` either (it used to be scored
    as all-wrong: "A−B −0.700, sig yes"); it is listed as omitted with the reason; alone, exit 3."""
    unscored = write_json_log(tmp_path / "none.json", _header(task="pop", model="o/none", scorers=()),
                              [_sample(i, None, "Yes", scores={}) for i in range(1, 21)])
    scored = [write_json_log(tmp_path / f"{name}.json", _header(task="pop", model=f"o/{name}", scorers=("match",)),
                             [_sample(i, "C" if i % k else "I", "Yes", scorer="match") for i in range(1, 21)])
              for name, k in (("some", 3), ("more", 4))]
    doc = json.loads(invoke("compare", str(unscored), *map(str, scored), "-f", "json", "-q", "--bootstrap", "0").stdout)
    assert [{r["model_a"], r["model_b"]} for r in doc["pairs"]] == [{"o/more", "o/some"}]
    assert doc["rows"] and not any("o/none" in (r["model_a"], r["model_b"]) for r in doc["rows"])
    assert [(o["model"], o["reason"].split(":")[0]) for o in doc["omitted"]] == [("o/none", "unscored")]
    for command in ("compare", "calibration", "selective"):
        alone = invoke(command, str(unscored), "-q")
        assert alone.exit_code == 3 and "nothing is scored: o/none on pop" in alone.stderr, command


def test_the_calibrated_policy_leaves_unscored_runs_out(tmp_path: Path) -> None:
    """Point 5 for ``--policy calibrated|both``: an unscored run with confidences was policy-scored
    as all-wrong (S*(0.5) = -0.37, ranked last); it is omitted with the reason, as on the board."""
    rows = [{"model": model, "benchmark": "bx", "question_id": f"q{i}", "confidence": 0.1 + 0.03 * i,
             "grade": None if model == "none" else ("CORRECT" if i % 3 else "INCORRECT")}
            for model in ("a", "none") for i in range(20)]
    path = write_jsonl(tmp_path / "runs.jsonl", rows)
    for policy in ("calibrated", "both"):
        doc = json.loads(invoke("leaderboard", str(path), "-q", "-t", "0.5", "--policy", policy, "-f", "json").stdout)
        assert [(r["model"], r["rank_policy"]) for r in doc["policy_rows"]] == [("a", 1)]
        assert [(o["model"], o["reason"].split(":")[0]) for o in doc["policy_omitted"]] == [("none", "unscored")]


def test_an_unscored_sample_has_no_verdict_for_phrases_to_disagree_with(tmp_path: Path) -> None:
    """An ungraded sample that says "I don't know" is unscored, and its rule says only that: the
    "; abstention phrase disagrees" suffix is for a verdict that stands against the phrases."""
    path = write_json_log(tmp_path / "none.json", _header(task="pop", model="o/none", scorers=()),
                          [_sample(i, None, "I don't know", scores={}) for i in range(1, 4)])
    items = rescore.load(path).items
    assert set(items["rule"].astype(str)) == {"unscored"}
