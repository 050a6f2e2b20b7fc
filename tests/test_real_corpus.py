"""Issue 16.9: real result dumps from public repositories, read as their producers counted them.

The dumps themselves are data fetched from other people's repositories: they are kept out of this
repository (see tests/fixtures/real/README.md) and looked for, in order, under
``$RESCORE_REAL_CORPUS``, ``../shared/real_corpus`` and ``tests/fixtures/real``. Each source folder
has a PROVENANCE.md (repository, commit, paths, licence, the producer's own numbers). Every number
asserted below is the producer's: a per-record verdict it wrote, or an aggregate it printed.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest

import rescore
from tests.conftest import ROOT, invoke

CANDIDATES = [os.environ.get("RESCORE_REAL_CORPUS", ""), str(ROOT.parent / "shared" / "real_corpus"),
              str(ROOT / "tests" / "fixtures" / "real")]


def corpus(source: str) -> Path:
    """The source's folder in the first corpus location that holds its data; skip when none does."""
    for base in filter(None, CANDIDATES):
        folder = Path(base) / source
        if folder.is_dir() and any(p.suffix != ".md" for p in folder.rglob("*") if p.is_file()):
            return folder
    pytest.skip(f"real corpus source {source!r} not available (set RESCORE_REAL_CORPUS)")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _counts(data: rescore.Dataset, **where: str) -> dict[str, int]:
    items = data.items
    for column, value in where.items():
        items = items[items[column] == value]
    return {str(k): int(v) for k, v in items["outcome"].value_counts().items() if v}  # outcome is a category


# ---- simple-evals-ru: per-model files, the model only in the file name ---------------------------
def test_simple_evals_ru_simpleqa_judge_labels_decide(tmp_path: Path) -> None:
    """Eight per-model SimpleQA files; the judge's correct/incorrect/not_attempted label decides,
    not the boolean ``is_correct`` beside it (which counts a refusal as wrong)."""
    folder = corpus("simple_evals_ru") / "simpleqa"
    data = rescore.load(folder)
    files = sorted(folder.glob("*.jsonl"))
    assert len(files) == 8 and set(data.items["benchmark"]) == {"simpleqa"}
    for path in files:
        labels = [r["judge_pred"] for r in _records(path)]
        expected = {"correct": labels.count("correct"), "wrong": labels.count("incorrect"),
                    "abstain": labels.count("not_attempted")}
        got = _counts(data, model=path.stem)
        assert {k: got.get(k, 0) for k in expected} == expected, path.name
    assert data.items["gold"].isna().all()  # the model's reply in `answer` is never the gold answer


def test_simple_evals_ru_mmlu_matches_the_readme_tally() -> None:
    """The repository's README shows 61 correct and 139 errors for yandexgpt_4_lite on mmlu-pro."""
    data = rescore.load(corpus("simple_evals_ru") / "mmlu")
    counts = _counts(data, model="07_yandexgpt_4_lite")
    assert counts["correct"] == 61 and sum(counts.values()) == 200
    assert counts.get("wrong", 0) + counts.get("abstain", 0) == 139
    assert set(data.items["benchmark"]) == {"mmlu"}


# ---- IFEval (google-research instruction_following_eval) ----------------------------------------
def test_ifeval_lowvram_prompt_level_verdicts() -> None:
    folder = corpus("ifeval_lowvram")
    data = rescore.load(folder)
    for variant in ("strict", "loose"):
        records = _records(folder / f"eval_results_{variant}.jsonl")
        followed = sum(bool(r["follow_all_instructions"]) for r in records)
        counts = _counts(data, benchmark=f"ifeval_{variant}")
        assert counts["correct"] == followed and sum(counts.values()) == len(records) == 50
    runs = data.runs
    assert (runs["producer_accuracy"].round(6) == (runs["n_correct"] / runs["items"]).round(6)).all()


# ---- MMLU-Pro official script (a fork's eval_results), with foreign files -----------------------
def test_mmlu_pro_fork_matches_its_summaries_and_shows_unequal_coverage() -> None:
    folder = corpus("mmlu_pro_okuvshynov")
    result = invoke("inspect", str(folder), "-f", "json", "--examples", "0")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    by_file = {Path(r["path"]).name: r for r in doc["summary"]}
    for name, summary in (("business_result.json", "business_summary.json"),
                          ("computer science_result.json", "computer science_summary.json")):
        row = by_file[name]
        produced = next(iter(json.loads(next(folder.rglob(summary)).read_text()).values()))
        assert (row["correct"], row["wrong"]) == (int(produced["corr"]), int(produced["wrong"]))
        assert row["verdict"].startswith("match")
    kinds = {k["kind"] for k in doc["skipped_kinds"]}
    assert "a table without result columns" in kinds  # psychology_result_metrics.csv, a length table
    board = json.loads(invoke("leaderboard", str(folder), "-t", "0", "-q", "-f", "json").stdout)
    coverage = {g["model"]: round(g["coverage"], 4) for g in board["groups"]}
    assert sorted(coverage.values()) == [round(18 / 53, 4), round(35 / 53, 4)]  # two categories, one benchmark
    assert board["provenance"]["warnings"]
    aligned = invoke("leaderboard", str(folder), "-t", "0", "--common-items")
    assert aligned.exit_code == 3 and "no benchmark has an item that all of its models have" in aligned.stderr



# ---- Stanford HELM run directories (mkeohane01/LLMresearch, villageFlower/test_helm) --------------
def _helm_producer(run: Path) -> tuple[int, int, float]:
    """(test rows, test rows with exact_match 1, stats.json's test mean): HELM's own per-record verdicts
    and aggregate for the split it reports."""
    splits = {i["id"]: i["split"] for i in json.loads((run / "instances.json").read_text())}
    test = [r for r in json.loads((run / "display_predictions.json").read_text()) if splits[r["instance_id"]] == "test"]
    mean = next(s["mean"] for s in json.loads((run / "stats.json").read_text())
                if s["name"] == {"name": "exact_match", "split": "test"})
    return len(test), sum(int(r["stats"]["exact_match"]) for r in test), mean


def test_helm_llmresearch_scores_the_test_split_as_helm_does() -> None:
    """A real HELM run mixes one ``valid`` instance into nine ``test`` ones; HELM reports 1/9."""
    folder = corpus("helm_llmresearch")
    run = folder / "v1" / "mmlu_philosophy_gpt2"
    assert _helm_producer(run) == (9, 1, pytest.approx(1 / 9))
    data = rescore.load(folder)
    assert _counts(data) == {"correct": 1, "wrong": 8}
    assert set(data.items["model"]) == {"huggingface/gpt2"} and set(data.items["subset"]) == {"philosophy"}
    assert "id11" not in set(data.items["item_id"])  # the valid-split instance
    doc = json.loads(invoke("inspect", str(folder), "-f", "json", "--examples", "0").stdout)
    (row,) = doc["summary"]
    assert row["verdict"].startswith("match") and row["producer_accuracy"] == pytest.approx(1 / 9, abs=1e-6)
    notes = " ".join(doc["files"][0]["notes"])
    assert "left out 1 'valid' row(s): [1] id11" in notes


def test_helm_three_models_match_their_stats_json() -> None:
    folder = corpus("helm_test_helm")
    data = rescore.load(folder)
    expected = {"groq/llama3-70b-8192": 6, "groq/llama3-8b-8192": 5, "huggingface/Meta-Llama-3-8B": 6}
    assert set(data.items["model"]) == set(expected)
    for run in sorted((folder / "v1").iterdir()):
        model = json.loads((run / "run_spec.json").read_text())["adapter_spec"]["model"]
        n, correct, mean = _helm_producer(run)
        assert (n, correct) == (17, expected[model]) and mean == pytest.approx(correct / n)
        assert _counts(data, model=model) == {"correct": correct, "wrong": n - correct}
    board = json.loads(invoke("leaderboard", str(folder), "-t", "0", "-q", "-f", "json").stdout)
    assert {g["model"]: (g["n"], g["n_correct"]) for g in board["groups"]} == {m: (17, c) for m, c in expected.items()}


# ---- inspect_ai logs from three other repositories ------------------------------------------------
def _eval_samples(path: Path) -> list[dict]:
    """The sample records of a ``.eval`` archive, read with nothing but zipfile and json."""
    with zipfile.ZipFile(path) as archive:
        return [json.loads(archive.read(n)) for n in archive.namelist() if n.startswith("samples/")]


def test_inspect_scicode_dict_scores_need_a_key_and_then_match() -> None:
    """SciCode scores are dicts: refused with the keys it saw, read with --score-key."""
    folder = corpus("inspect_scicode")
    (log,) = folder.glob("*.eval")
    refused = invoke("inspect", str(log), "--examples", "0")
    assert refused.exit_code == 3 and "Traceback" not in refused.stderr
    assert log.name in refused.stderr and "Problem Correctness, Total Correct, Total Steps" in refused.stderr
    assert "--score-key" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    verdicts = [s["scores"]["scicode_scorer"]["value"]["Problem Correctness"] for s in _eval_samples(log)]
    assert (len(verdicts), sum(verdicts)) == (10, 4)
    data = rescore.load(log, score_key="Problem Correctness")
    assert _counts(data) == {"correct": 4, "wrong": 6}
    assert set(data.items["model"]) == {"anthropic/claude-3-haiku-20240307"} and set(data.items["benchmark"]) == {
        "scicode"}
    with zipfile.ZipFile(log) as archive:  # the whole run's number, kept in the header: 13 of 50
        header = json.loads(archive.read("header.json"))
    means = {s["name"]: s["metrics"]["mean"]["value"] for s in header["results"]["scores"] if "mean" in s["metrics"]}
    assert means == {"Problem Correctness": 0.26}


def test_inspect_gpqa_cancelled_run_reads_its_completed_samples() -> None:
    folder = corpus("inspect_gpqa_cancelled")
    (log,) = folder.glob("*.eval")
    samples = _eval_samples(log)
    values = [s["scores"]["choice"]["value"] for s in samples]
    assert (values.count("C"), values.count("I")) == (7, 3)
    kept = rescore.load(log, reextract=False)  # the log's own grades: its two extraction failures are invalid
    assert _counts(kept) == {"correct": 7, "wrong": 1, "invalid": 2}
    data = rescore.load(log)  # default: re-parsed as current inspect does (the last ANSWER: line)
    assert _counts(data) == {"correct": 9, "wrong": 1}
    outcomes = data.items.set_index("item_id")["outcome"]
    assert outcomes["recIj8lR4tuDgrHou"] == "correct"  # "**ANSWER: D**" after an earlier "Answer: \(...\)"
    assert any("log status 'cancelled'" in n for n in data.notes)
    assert not any("the rest stay invalid" in n for n in data.notes)  # there is no rest


def test_inspect_logs_without_a_scorer_are_not_ranked() -> None:
    folder = corpus("inspect_ccot_unscored")
    logs = sorted(folder.glob("*.json"))
    assert len(logs) == 2
    for path in logs:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert "scores" not in doc["results"] and all(s["scores"] == {} for s in doc["samples"])
    data = rescore.load(folder)
    assert _counts(data) == {"invalid": 4} and set(data.items["rule"].str.split(";").str[0]) == {"unscored"}
    assert data.items["model"].nunique() == 2
    board = invoke("leaderboard", str(folder))
    assert board.exit_code == 3 and "nothing is scored" in board.stderr and "Traceback" not in board.stderr


# ---- lm-evaluation-harness outputs kept as a project's test data (DanielKluev/pyFade) --------------
def test_lm_eval_pyfade_per_record_verdicts_and_the_known_reason_for_its_aggregates() -> None:
    """Each samples file holds 3 of the 100 documents its results file counts: the per-record verdicts
    match exactly, and the aggregate mismatch is shown with that reason, not as a bare mismatch."""
    folder = corpus("lm_eval_pyfade")
    data = rescore.load(folder)
    assert set(data.items["benchmark"]) == {"gsm8k", "mmlu_pro_plus"}  # MMLU-Pro+ is not pooled with MMLU-Pro
    assert set(data.items.loc[data.items["benchmark"] == "mmlu_pro_plus", "subset"]) == {
        "chemistry", "health", "psychology"}
    samples = sorted(folder.rglob("samples_*.jsonl"))
    assert len(samples) == 8
    doc = json.loads(invoke("inspect", str(folder), "-f", "json", "--examples", "0").stdout)
    rows = {Path(r["path"]).name: r for r in doc["summary"]}
    for path in samples:
        records = _records(path)
        assert len(records) == 3
        row = rows[path.name]
        assert row["correct"] == sum(int(r["exact_match"]) for r in records)
        assert row["correct"] + row["wrong"] + row["invalid"] == 3
        results = json.loads(path.with_name(path.name.replace(f"samples_{_task(path)}_", "results_")
                                            .replace(".jsonl", ".json")).read_text())
        metric = next(k for k in results["results"][_task(path)] if k.startswith("exact_match,")
                      and k.split(",")[1] in {"strict-match", "custom-extract"})
        assert row["producer_accuracy"] == pytest.approx(results["results"][_task(path)][metric])
        assert row["verdict"] == "mismatch: the samples file holds 3 of the 100 samples the results file counts"
    assert _counts(data, model="gemma3_12b_u2") == {"correct": 3, "wrong": 5, "invalid": 1}
    assert _counts(data, model="gemma-3-12b-it-base") == {"correct": 6, "wrong": 3}
    assert _counts(data, benchmark="gsm8k") == {"correct": 3, "wrong": 3}


def _task(samples: Path) -> str:
    """lm-eval's task name from ``samples_<task>_<timestamp>.jsonl``."""
    return samples.name[len("samples_"):].rsplit("_", 1)[0]


# ---- IFEval checker outputs among foreign files (pshebel/kvcache) ---------------------------------
def test_ifeval_kvcache_reads_past_foreign_files_and_matches_the_printouts() -> None:
    folder = corpus("ifeval_kvcache")
    doc = json.loads(invoke("inspect", str(folder), "-f", "json", "--examples", "0").stdout)
    assert not doc["unreadable"]
    kinds = {k["kind"]: k["files"] for k in doc["skipped_kinds"]}
    assert kinds["a table without result columns"] == 3  # input_response_data.json
    assert kinds["no adapter recognises files without a suffix"] == 8  # metadata.json_<unix time>
    data = rescore.load(folder)
    expected = {"control": 2, "quantized": 2, "error": 1}
    assert set(data.items["model"]) == set(expected)
    for setting, correct in expected.items():
        printed = [float(m) for txt in (folder / setting).glob("results*.txt")
                   for m in re.findall(r"^prompt-level: ([0-9.]+)$", txt.read_text(), flags=re.M)]
        for variant in ("strict", "loose"):
            records = _records(folder / setting / f"eval_results_{variant}.jsonl")
            assert (len(records), sum(r["follow_all_instructions"] for r in records)) == (10, correct)
            assert _counts(data, model=setting, benchmark=f"ifeval_{variant}") == {"correct": correct,
                                                                                  "wrong": 10 - correct}
            assert correct / 10 in printed  # the checker printed this run's prompt-level accuracy


# ---- a fork of MMLU-Pro's API script with stamped file names (tanaybaswa/mmlu-pro) --------------
def test_mmlu_pro_stamped_runs_match_their_summaries() -> None:
    folder = corpus("mmlu_pro_tanaybaswa")
    produced: dict[str, list[int]] = {}
    for summary in folder.glob("gpt-4o_*_summary_*.json"):
        if "_overall_" in summary.name:
            continue
        total = json.loads(summary.read_text())["total"]
        stamp = summary.name.rsplit("_summary_", 1)[1][: -len(".json")]
        counts = produced.setdefault(stamp, [0, 0])
        counts[0] += int(total["corr"])
        counts[1] += int(total["wrong"])
    assert produced == {"20241128_095624": [11, 3], "20241128_100410": [10, 4], "20241128_100808": [11, 3],
                        "20241128_101335": [10, 4], "20241128_102306": [10, 4]}
    data = rescore.load(folder)
    # one model, five runs of the same 14 questions: shown apart as "gpt-4o [<timestamp>]"
    assert set(data.items["model"]) == {f"gpt-4o [{stamp}]" for stamp in produced}
    assert set(data.items["benchmark"]) == {"mmlu_pro"} and data.items["item_id"].nunique() == 14
    for stamp, (correct, wrong) in produced.items():
        assert _counts(data, model=f"gpt-4o [{stamp}]") == {"correct": correct, "wrong": wrong}
    doc = json.loads(invoke("inspect", str(folder), "-f", "json", "--examples", "0").stdout)
    assert len(doc["summary"]) == 70 and all(r["verdict"] == "match" for r in doc["summary"])
    kinds = {k["kind"]: k["files"] for k in doc["skipped_kinds"]}
    assert kinds["MMLU-Pro summary"] == 72 and not doc["unreadable"]  # 70 subjects, 2 overall (one empty)


def test_the_committed_corpus_in_one_walk() -> None:
    """Every committed source at once (issue 16, points 8 and 9; the sources whose licence allows
    redistribution, see tests/fixtures/real/README.md): each file matches its producer's number, has
    none, or mismatches with the known reason, and nothing is unreadable."""
    root = ROOT / "tests" / "fixtures" / "real"
    committed = ["helm_test_helm", "lm_eval_pyfade", "mmlu_pro_tanaybaswa", "simple_evals_ru", "mmlu_pro_okuvshynov",
                 "inspect_ai_repo_logs", "mmlu_pro_stored_letters"]
    for source in committed:
        if corpus(source).parent != root:
            pytest.skip(f"{source} is not in the checkout")
    result = invoke("inspect", str(root), "-f", "json", "--examples", "0")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert not doc["unreadable"]
    assert {"helm", "lm_eval", "inspect_ai", "generic", "mmlu_pro"} <= {r["producer"] for r in doc["summary"]}
    for row in doc["summary"]:
        assert row["verdict"] in ("match", "no producer number") or row["verdict"].startswith(
            "mismatch: "), row  # a mismatch always says why
    assert sum(r["verdict"] == "match" for r in doc["summary"]) >= 70


def test_the_whole_corpus_in_one_walk() -> None:
    """With the corpus kept outside the repository ($RESCORE_REAL_CORPUS: the sources without a
    licence file too): the one file that needs a flag is listed with it, and the walk goes on."""
    folder = corpus("inspect_scicode")
    result = invoke("inspect", str(folder.parent), "-f", "json", "--examples", "0")
    assert result.exit_code == 3  # the SciCode log needs --score-key: listed, not fatal to the walk
    doc = json.loads(result.stdout)
    (unreadable,) = doc["unreadable"]
    assert "inspect_scicode" in unreadable["path"] and "--score-key" in unreadable["error"]
    assert {"helm", "inspect_ai", "ifeval"} <= {r["producer"] for r in doc["summary"]}
    assert all(r["verdict"] in ("match", "no producer number", "error") or r["verdict"].startswith("mismatch: ")
               for r in doc["summary"])
    flagged = invoke("inspect", str(folder), "-f", "json", "--examples", "0", "--score-key", "Problem Correctness")
    assert flagged.exit_code == 0 and not json.loads(flagged.stdout)["unreadable"]
