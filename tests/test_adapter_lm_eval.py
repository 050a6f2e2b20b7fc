"""lm-evaluation-harness adapter: fixtures in lm-eval's exact layout, then every real file in shared/real_data.

The fixtures are written here, line by line, the way lm-eval 0.4.x writes them (string
log-likelihoods, one line per (doc, filter), ``[invalid]``, older lines without ``filter``/``metrics``).
Expected numbers on real files were counted independently with plain ``json`` (and agree with
the generated folder's PROVENANCE.md); they are hard-coded below.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import rescore
from rescore.adapters.lm_eval import ADAPTER, choose, samples_name_parts
from rescore.errors import InputError, UsageError
from rescore.read.assemble import plan
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one
from rescore.read.plugins import detect

from .conftest import invoke, real_data, write_jsonl

TS1 = "2026-01-02T10-00-00.000001"
TS2 = "2026-01-03T11-30-00.123456"


# -- fixture writers (lm-eval's layout) ---------------------------------------------------
def mc_line(doc_id: int, choices: list[str], lls: list[float], target: int, metrics: dict[str, float],
            doc: dict[str, Any] | None = None, new: bool = True) -> dict[str, Any]:
    prompt = f"Question {doc_id}?\nAnswer:"
    line: dict[str, Any] = {
        "doc_id": doc_id, "doc": doc or {"q": doc_id}, "target": str(target),
        "arguments": {f"gen_args_{i}": {"arg_0": prompt, "arg_1": " " + c} for i, c in enumerate(choices)},
        "resps": [[[str(v), "False"]] for v in lls],
        "filtered_resps": [[str(v), "False"] for v in lls],
    }
    if new:
        line.update({"filter": "none", "metrics": list(metrics)})
    line.update({"doc_hash": "d", "prompt_hash": "p", "target_hash": "t"})
    line.update(metrics)
    return line


def gen_line(doc_id: int, raw: str, filtered: str, target: str, em: float, filter_name: str | None,
             **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "doc_id": doc_id, "doc": {"question": f"q{doc_id}"}, "target": target,
        "arguments": {"gen_args_0": {"arg_0": f"Q{doc_id}", "arg_1": {"until": ["\n\n"], "do_sample": False}}},
        "resps": [[raw]], "filtered_resps": [filtered],
    }
    if filter_name is not None:
        line.update({"filter": filter_name, "metrics": ["exact_match"]})
    line.update({"doc_hash": "d", "prompt_hash": "p", "target_hash": "t", "exact_match": em})
    line.update(extra)
    return line


def results_doc(model: str, tasks: dict[str, dict[str, Any]], results: dict[str, dict[str, Any]],
                n: dict[str, int]) -> dict[str, Any]:
    return {
        "results": results,
        "group_subtasks": {t: [] for t in tasks},
        "configs": tasks,
        "versions": {t: 1.0 for t in tasks},
        "n-shot": {t: 0 for t in tasks},
        "n-samples": {t: {"original": v, "effective": v} for t, v in n.items()},
        "config": {"model": "hf", "model_args": f"pretrained={model},dtype=bfloat16", "batch_size": 1},
        "model_name": model,
        "model_name_sanitized": model.replace("/", "__"),
    }


GSM_CFG = {"task": "gsm8k", "output_type": "generate_until",
           "filter_list": [{"name": "strict-match", "filter": []}, {"name": "flexible-extract", "filter": []}],
           "metric_list": [{"metric": "exact_match"}], "target_delimiter": " "}
BBH_CFG = {"task": "leaderboard_bbh_navigate", "output_type": "multiple_choice",
           "metric_list": [{"metric": "acc_norm"}], "target_delimiter": " "}
MMLU_CFG = {"task": "leaderboard_mmlu_pro", "output_type": "multiple_choice", "metric_list": [{"metric": "acc"}]}
IFEVAL_CFG = {"task": "leaderboard_ifeval", "output_type": "generate_until",
              "metric_list": [{"metric": "prompt_level_strict_acc"}, {"metric": "inst_level_strict_acc"},
                              {"metric": "prompt_level_loose_acc"}, {"metric": "inst_level_loose_acc"}]}

# gsm8k lines: (doc_id, raw text, strict-match, flexible-extract, target)
GSM = [
    (0, "So the answer is 42.\n#### 42", "42", "42", "42"),         # correct under both filters
    (1, "The answer is 7.", "[invalid]", "7", "8"),                # strict fails, flexible wrong
    (2, "I don't know.", "[invalid]", "[invalid]", "3"),           # abstention under both
    (3, "Hmm 12 or 13", "[invalid]", "13", "13"),                  # strict fails (invalid), flexible right
    (4, "#### 5", "5", "5", "6"),                                  # wrong under both
]


def write_run(folder: Path, ts: str = TS1, gsm_docs: int = 5) -> Path:
    """A 'full' run of acme/tiny-1b: bbh navigate (MC, acc_norm), gsm8k (2 filters), mmlu_pro, ifeval."""
    folder.mkdir(parents=True, exist_ok=True)
    bbh = [
        # raw argmax is "No" (index 1) but lm-eval's acc_norm divides by len(choice): -3/3 > -2.5/2 -> "Yes"
        mc_line(0, ["Yes", "No"], [-3.0, -2.5], 0, {"acc_norm": 1.0}),
        mc_line(1, ["Yes", "No"], [-0.5, -4.0], 1, {"acc_norm": 0.0}),
        mc_line(2, ["Yes", "No"], [-6.0, -1.0], 1, {"acc_norm": 1.0}),
    ]
    write_jsonl(folder / f"samples_leaderboard_bbh_navigate_{ts}.jsonl", bbh)
    gsm = [gen_line(d, raw, s, tgt, float(s == tgt), "strict-match") for d, raw, s, _f, tgt in GSM[:gsm_docs]]
    gsm += [gen_line(d, raw, f, tgt, float(f == tgt), "flexible-extract") for d, raw, _s, f, tgt in GSM[:gsm_docs]]
    write_jsonl(folder / f"samples_gsm8k_{ts}.jsonl", gsm)
    mmlu = [
        mc_line(0, list("ABCD"), [-1.0, -2.0, -3.0, -4.0], 0, {"acc": 1.0}, doc={"category": "biology"}),
        mc_line(1, list("ABCD"), [-1.0, -1.0, -3.0, -9.0], 2, {"acc": 0.0}, doc={"category": "law"}),
    ]
    write_jsonl(folder / f"samples_leaderboard_mmlu_pro_{ts}.jsonl", mmlu)
    ifeval = []
    for doc_id, text, strict, loose in [(0, "all lowercase text", True, True), (1, "Mixed Case", False, True),
                                        (2, "", False, False)]:
        line = gen_line(doc_id, text, text, "0", 0.0, "none")
        del line["exact_match"]
        line["metrics"] = ["prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc",
                           "inst_level_loose_acc"]
        line.update({"prompt_level_strict_acc": strict, "inst_level_strict_acc": [strict],
                     "prompt_level_loose_acc": loose, "inst_level_loose_acc": [loose]})
        ifeval.append(line)
    write_jsonl(folder / f"samples_leaderboard_ifeval_{ts}.jsonl", ifeval)
    strict_em = sum(s == t for _, _, s, _, t in GSM[:gsm_docs]) / gsm_docs
    flex_em = sum(f == t for _, _, _, f, t in GSM[:gsm_docs]) / gsm_docs
    doc = results_doc(
        "acme/tiny-1b",
        {"leaderboard_bbh_navigate": BBH_CFG, "gsm8k": GSM_CFG, "leaderboard_mmlu_pro": MMLU_CFG,
         "leaderboard_ifeval": IFEVAL_CFG},
        {"leaderboard_bbh_navigate": {"alias": " - leaderboard_bbh_navigate", "acc_norm,none": 2 / 3,
                                      "acc_norm_stderr,none": 0.3},
         "gsm8k": {"alias": "gsm8k", "exact_match,strict-match": strict_em, "exact_match,flexible-extract": flex_em},
         "leaderboard_mmlu_pro": {"alias": "leaderboard_mmlu_pro", "acc,none": 0.5},
         "leaderboard_ifeval": {"alias": "leaderboard_ifeval", "prompt_level_strict_acc,none": 1 / 3,
                                "inst_level_strict_acc,none": 1 / 3, "inst_level_strict_acc_stderr,none": "N/A",
                                "prompt_level_loose_acc,none": 2 / 3}},
        {"leaderboard_bbh_navigate": 3, "gsm8k": gsm_docs, "leaderboard_mmlu_pro": 2, "leaderboard_ifeval": 3},
    )
    (folder / f"results_{ts}.json").write_text(json.dumps(doc, indent=2))
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "out" / "acme__tiny-1b")


def items_of(path: Path, **kwargs: Any):
    return rescore.load(path, **kwargs).items


def by(items, benchmark: str):
    return items[items["benchmark"] == benchmark].sort_values("item_id").reset_index(drop=True)


# -- names and detection ------------------------------------------------------------------
def test_task_names_keep_underscores() -> None:
    assert samples_name_parts(f"samples_leaderboard_bbh_navigate_{TS1}.jsonl") == ("leaderboard_bbh_navigate", TS1)
    assert samples_name_parts("samples_my_task_2024-11-22T16-18-14.jsonl") == ("my_task", "2024-11-22T16-18-14")
    assert samples_name_parts("dump.jsonl") == ("dump", None)


def test_detect_by_content_and_skip_reason(run_dir: Path, tmp_path: Path) -> None:
    samples = run_dir / f"samples_gsm8k_{TS1}.jsonl"
    assert detect(samples) is ADAPTER
    renamed = tmp_path / "renamed.jsonl"
    renamed.write_bytes(samples.read_bytes())
    assert detect(renamed) is ADAPTER
    assert ADAPTER.skip_reason(run_dir / f"results_{TS1}.json").startswith("lm-eval results file; read with samples_")
    assert ADAPTER.skip_reason(samples) is None
    other = write_jsonl(tmp_path / "plain.jsonl", [{"doc_id": 1, "pred": "A"}])
    assert detect(other) is not ADAPTER
    chosen, skipped = plan([run_dir], LoadOptions())
    assert len(chosen) == 4 and {a.name for _, a in chosen} == {"lm_eval"}
    assert [Path(p).name for p, _ in skipped] == [f"results_{TS1}.json"]


# -- multiple choice -----------------------------------------------------------------------
def test_mc_acc_norm_choice_confidence_and_logliks(run_dir: Path) -> None:
    items = by(items_of(run_dir), "bbh")
    assert items["subset"].unique().tolist() == ["navigate"]
    assert items["model"].unique().tolist() == ["acme/tiny-1b"]
    assert items["outcome"].tolist() == ["correct", "wrong", "correct"]
    # acc_norm chooses by loglik / len(choice): item 0 -> "Yes" (0) although raw argmax is "No"
    assert items["prediction"].tolist() == ["0", "0", "1"]
    assert items["gold"].tolist() == ["0", "1", "1"]
    assert items.loc[0, "choice_logliks"] == [-3.0, -2.5]
    # raw softmax evaluated at the chosen option
    assert items.loc[0, "confidence"] == pytest.approx(1 / (1 + math.exp(0.5)))
    assert items.loc[1, "confidence"] == pytest.approx(1 / (1 + math.exp(-3.5)))
    length = by(items_of(run_dir, confidence_norm="length"), "bbh")
    assert length.loc[0, "confidence"] == pytest.approx(1 / (1 + math.exp(-1.25 + 1.0)))  # e^-1 / (e^-1 + e^-1.25)
    assert length["outcome"].tolist() == items["outcome"].tolist()


def test_mc_acc_uses_raw_argmax_and_category_subset(run_dir: Path) -> None:
    items = by(items_of(run_dir), "mmlu_pro")
    assert items["subset"].tolist() == ["biology", "law"]
    assert items["outcome"].tolist() == ["correct", "wrong"]
    assert items["prediction"].tolist() == ["0", "0"]  # a tie goes to the first option, as numpy's argmax
    assert items.loc[1, "confidence"] == pytest.approx(math.exp(-1) / (2 * math.exp(-1) + math.exp(-3) + math.exp(-9)))


def test_choose_is_vectorised_per_choice_count() -> None:
    chosen, conf = choose([[-1.0, -2.0], [-5.0, -1.0, -3.0], [-0.1]], [[1, 1], [1, 1, 1], [1]], by_length=False,
                          confidence_norm="raw")
    assert chosen.tolist() == [0, 1, 0]
    assert conf[0] == pytest.approx(1 / (1 + math.exp(-1)))
    assert math.isnan(conf[2])  # a single continuation has no alternatives


# -- generation ------------------------------------------------------------------------------
def test_generation_default_first_filter_invalid_and_abstention(run_dir: Path) -> None:
    data = rescore.load(run_dir)
    items = by(data.items, "gsm8k")
    assert len(items) == 5  # one row per doc: the other filter's lines are not double counted
    assert items["outcome"].tolist() == ["correct", "invalid", "abstain", "invalid", "wrong"]
    assert items["rule"].tolist()[1:4] == ["extraction failure", "abstention phrase", "extraction failure"]
    assert items["prediction"].isna().tolist() == [False, True, True, True, False]
    assert items.loc[2, "response"] == "I don't know."
    assert any("filter 'strict-match' used (also in file: flexible-extract" in n for n in data.notes)


def test_generation_filter_option(run_dir: Path) -> None:
    items = by(items_of(run_dir, filter_name="flexible-extract"), "gsm8k")
    assert items["outcome"].tolist() == ["correct", "wrong", "abstain", "correct", "wrong"]
    # MC tasks in the same folder have only "none": they are still read
    assert len(by(items_of(run_dir, filter_name="flexible-extract"), "bbh")) == 3
    with pytest.raises(InputError, match="filter 'bogus' not in task 'gsm8k'"):
        items_of(run_dir / f"samples_gsm8k_{TS1}.jsonl", filter_name="bogus")
    result = invoke("leaderboard", str(run_dir), "--filter", "bogus")
    assert result.exit_code == 3 and "strict-match, flexible-extract" in result.stderr


def test_ifeval_strict_and_loose_side_by_side(run_dir: Path) -> None:
    items = items_of(run_dir)
    strict, loose = by(items, "ifeval_strict"), by(items, "ifeval_loose")
    assert strict["outcome"].tolist() == ["correct", "wrong", "abstain"]  # the empty response is an abstention
    assert loose["outcome"].tolist() == ["correct", "correct", "abstain"]
    only = items_of(run_dir, ifeval_variant="strict")
    assert set(only["benchmark"]) == {"bbh", "gsm8k", "mmlu_pro", "ifeval_strict"}


def test_producer_cross_check_matches(run_dir: Path) -> None:
    options = LoadOptions()
    checked = 0
    for path, adapter in plan([run_dir], options)[0]:
        result = read_one(path, adapter.name, options)
        for agg in result.info.producer_metrics["aggregates"]:
            sel = result.items[result.items["benchmark"] == agg["benchmark"]]
            assert (sel["outcome"] == "correct").mean() == pytest.approx(agg["accuracy"]), agg
            assert agg["n"] == len(sel) and agg["model"] == "acme/tiny-1b"
            checked += 1
        assert result.info.companions == [str(run_dir / f"results_{TS1}.json")]
    labels = 5  # bbh acc_norm, gsm8k strict-match, mmlu_pro acc, ifeval strict + loose
    assert checked == labels


# -- runs ------------------------------------------------------------------------------------
def test_two_runs_in_one_folder_stay_distinct(run_dir: Path) -> None:
    # a later --limit 3 run of gsm8k only, into the same folder
    gsm = [gen_line(d, raw, s, tgt, float(s == tgt), "strict-match") for d, raw, s, _f, tgt in GSM[:3]]
    write_jsonl(run_dir / f"samples_gsm8k_{TS2}.jsonl", gsm)
    doc = results_doc("acme/tiny-1b", {"gsm8k": GSM_CFG}, {"gsm8k": {"exact_match,strict-match": 1 / 3}},
                      {"gsm8k": 3})
    (run_dir / f"results_{TS2}.json").write_text(json.dumps(doc))
    data = rescore.load(run_dir)
    gsm_items = data.items[data.items["benchmark"] == "gsm8k"]
    assert gsm_items.groupby("run").size().to_dict() == {TS1: 5, TS2: 3}
    assert sorted(gsm_items["model"].unique()) == [f"acme/tiny-1b [{TS1}]", f"acme/tiny-1b [{TS2}]"]
    latest = rescore.load(run_dir, latest=True).items
    assert latest[latest["benchmark"] == "gsm8k"]["run"].unique().tolist() == [TS2]
    assert len(latest[latest["benchmark"] == "bbh"]) == 3  # one run only: untouched


# -- older versions, missing companions, bad input ------------------------------------------
def test_old_version_lines_without_filter_or_metrics(tmp_path: Path) -> None:
    folder = tmp_path / "org__old-7b"
    folder.mkdir()
    # lm-eval before 0.4.4: no "filter"/"metrics" keys; all strict-match lines, then all flexible-extract lines
    lines = [gen_line(d, raw, s, tgt, float(s == tgt), None) for d, raw, s, _f, tgt in GSM]
    lines += [gen_line(d, raw, f, tgt, float(f == tgt), None) for d, raw, _s, f, tgt in GSM]
    write_jsonl(folder / f"samples_gsm8k_{TS1}.jsonl", lines)
    write_jsonl(folder / f"samples_winogrande_{TS1}.jsonl",
                [mc_line(0, ["a", "b"], [-1.0, -2.0], 0, {"acc": 1.0}, new=False),
                 mc_line(1, ["a", "b"], [-1.0, -2.0], 1, {"acc": 0.0}, new=False)])
    doc = results_doc("org/old-7b", {"gsm8k": GSM_CFG, "winogrande": {"output_type": "multiple_choice",
                                                                      "metric_list": [{"metric": "acc"}]}},
                      {"gsm8k": {"exact_match,strict-match": 0.2}, "winogrande": {"acc,none": 0.5}},
                      {"gsm8k": 5, "winogrande": 2})
    (folder / f"results_{TS1}.json").write_text(json.dumps(doc))
    data = rescore.load(folder)
    gsm = by(data.items, "gsm8k")
    assert gsm["outcome"].tolist() == ["correct", "invalid", "abstain", "invalid", "wrong"]
    flex = by(items_of(folder, filter_name="flexible-extract"), "gsm8k")
    assert flex["outcome"].tolist() == ["correct", "wrong", "abstain", "correct", "wrong"]
    assert by(data.items, "winogrande")["outcome"].tolist() == ["correct", "wrong"]
    assert any("no 'filter' key" in n for n in data.notes)


def test_samples_without_results_file(tmp_path: Path) -> None:
    folder = tmp_path / "org__solo-3b"
    folder.mkdir()
    write_jsonl(folder / f"samples_arc_easy_{TS1}.jsonl",
                [mc_line(0, ["red", "blue"], [-1.0, -3.0], 0, {"acc": 1.0, "acc_norm": 0.0}),
                 mc_line(1, ["red", "blue"], [-1.0, -3.0], 1, {"acc": 0.0, "acc_norm": 0.0})])
    data = rescore.load(folder)
    assert data.items["model"].unique().tolist() == ["org/solo-3b"]  # lm-eval's "__" turned back into "/"
    assert data.items["outcome"].tolist() == ["correct", "wrong"]  # the line's first metric: acc
    assert data.items["confidence"].notna().all()
    joined = "\n".join(data.notes)
    assert "model <- folder name 'org/solo-3b'" in joined and "output_type inferred from the line shape" in joined


def test_results_without_samples_reads_counts_or_skips_with_a_note(tmp_path: Path) -> None:
    # issue 16, point 10: never an error that stops the other files
    folder = tmp_path / "org__agg-only"
    folder.mkdir()
    path = folder / f"results_{TS1}.json"
    doc = results_doc("org/agg-only", {"gsm8k": GSM_CFG, "leaderboard_bbh_navigate": BBH_CFG},
                      {"gsm8k": {"exact_match,strict-match": 0.4, "exact_match_stderr,strict-match": 0.1},
                       "leaderboard_bbh_navigate": {"acc_norm,none": 0.75}, "leaderboard_bbh": {"alias": "bbh"}},
                      {"gsm8k": 5, "leaderboard_bbh_navigate": 8})
    path.write_text(json.dumps(doc))
    assert detect(path) is ADAPTER
    write_run(tmp_path / "ok")
    data = rescore.load([folder, tmp_path / "ok"])
    counts = data.counts.set_index("benchmark")
    assert (counts.loc["gsm8k", "n_correct"], counts.loc["gsm8k", "n_wrong"]) == (2, 3)  # 0.4 x 5
    assert (counts.loc["bbh", "n_correct"], counts.loc["bbh", "n_wrong"]) == (6, 2)  # 0.75 x 8
    assert any("counts-only aggregates, correct = metric x n-samples" in n for n in data.notes)
    assert any("leaderboard_bbh" in n and "not counted" in n for n in data.notes)  # the group, named
    assert len(data.items) > 0  # the other run was read too
    # --metric picks another metric, and one the file lacks is an error listing what it has
    picked = rescore.load(path, metric="acc_norm")
    assert picked.counts["benchmark"].tolist() == ["bbh"]
    with pytest.raises(UsageError, match="it has: acc_norm, exact_match"):
        rescore.load(path, metric="acc_bytes")
    # a results file without any countable task is skipped with a note, the rest goes on
    bare = tmp_path / "org__bare"
    bare.mkdir()
    (bare / f"results_{TS1}.json").write_text(json.dumps(
        results_doc("org/bare", {"gsm8k": GSM_CFG}, {"gsm8k": {}}, {"gsm8k": 5})))
    both = rescore.load([bare, tmp_path / "ok"])
    assert len(both.items) > 0 and both.counts.empty
    assert any("without any task to count" in n for n in both.notes)


def test_bad_loglik_names_line_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "org__bad"
    folder.mkdir()
    good = mc_line(0, ["a", "b"], [-1.0, -2.0], 0, {"acc": 1.0})
    bad = mc_line(1, ["a", "b"], [-1.0, -2.0], 0, {"acc": 1.0})
    bad["filtered_resps"][1][0] = "oops"
    path = write_jsonl(folder / f"samples_boolq_{TS1}.jsonl", [good, bad])
    with pytest.raises(InputError) as info:
        rescore.load(path)
    message = str(info.value)
    assert "line 2" in message and "filtered_resps" in message and "oops" in message
    data = rescore.load(path, on_error="skip")
    assert len(data.items) == 1 and data.sources[0].skipped_records == 1


# -- real files (skipped when ../shared/real_data is absent) ------------------------------------
GENERATED = {
    # file stem prefix -> (model, items, {outcome: count}); PROVENANCE.md of generated/lm_eval
    "mock__strong/samples_synthpro_gen_2026-11-23T17-47-51.757384.jsonl":
        ("mock/strong", {"correct": 210, "wrong": 43, "abstain": 22, "invalid": 25}, 0.7),
    "mock__strong/samples_synthpro_mc_2026-11-23T17-47-51.757384.jsonl":
        ("mock/strong", {"correct": 235, "wrong": 65}, 0.7833333333333333),
    "mock__medium/samples_synthpro_gen_2026-11-23T17-48-17.365391.jsonl":
        ("mock/medium", {"correct": 127, "wrong": 101, "abstain": 31, "invalid": 41}, 0.42333333333333334),
    "mock__medium/samples_synthpro_mc_2026-11-23T17-48-17.365391.jsonl":
        ("mock/medium", {"correct": 180, "wrong": 120}, 0.6),
    "mock__weak/samples_synthpro_gen_2026-11-23T17-48-34.456776.jsonl":
        ("mock/weak", {"correct": 62, "wrong": 139, "abstain": 52, "invalid": 47}, 0.20666666666666667),
    "mock__weak/samples_synthpro_mc_2026-11-23T17-48-34.456776.jsonl":
        ("mock/weak", {"correct": 81, "wrong": 219}, 0.27),
}

LLAMA = "llama3.1-pro16-0827-Inst-nc-chat_241016"
REAL = {
    # path -> (model, benchmark, subset(s), {outcome: count}, producer accuracy, producer n)
    "lm_eval/gpt-4o_gpqa/samples_leaderboard_gpqa_main_2024-11-22T16-18-14.149157.jsonl":
        ("gpt-4o", "gpqa", {"main"}, {"correct": 26, "wrong": 24}, 0.52, 50),
    "lm_eval/gpt-4o_gpqa/samples_leaderboard_gpqa_extended_2024-11-22T16-18-14.149157.jsonl":
        ("gpt-4o", "gpqa", {"extended"}, {"correct": 21, "wrong": 29}, 0.42, 50),
    "lm_eval/llama3.1-pro16-0827-Inst_mmlu_pro/samples_leaderboard_mmlu_pro_2024-12-23T09-13-20.697490.jsonl":
        (LLAMA, "mmlu_pro", {"business"}, {"correct": 5, "wrong": 25}, 0.16666666666666666, 30),
    "lm_eval/llama3.1-pro16-0827-Inst_winogrande_loglik/samples_winogrande_2024-12-23T13-17-27.691350.jsonl":
        (LLAMA, "winogrande", {""}, {"correct": 7, "wrong": 3}, 0.7, 10),
    "lm_eval_table2/SOLAR-10.7B-Instruct_math_hard/"
    "samples_leaderboard_math_algebra_hard_2024-11-14T16-01-56.818889.jsonl":
        # PROVENANCE: a broken run, generations cut off: 38 of 40 never reach "Final Answer" (invalid, issue 16)
        ("upstage/SOLAR-10.7B-Instruct-v1.0", "math_l5", {"algebra"}, {"invalid": 38, "wrong": 2}, 0.0, 307),
}


def _read(path: Path, **kwargs: Any):
    options = LoadOptions(**kwargs)
    return read_one(path, "lm_eval", options)


def _outcomes(items) -> dict[str, int]:
    return {str(k): int(v) for k, v in items["outcome"].value_counts().items() if v}  # outcome is a category


@pytest.mark.parametrize("rel", sorted(GENERATED))
def test_generated_files_match_provenance(rel: str) -> None:
    path = real_data("generated", "lm_eval", *rel.split("/"))
    model, expected, producer = GENERATED[rel]
    result = _read(path)
    items = result.items
    assert len(items) == 300 and items["item_id"].nunique() == 300
    assert _outcomes(items) == expected
    assert items["model"].unique().tolist() == [model]
    assert items["run"].unique().tolist() == [path.stem.rsplit("_", 1)[1]]
    (agg,) = result.info.producer_metrics["aggregates"]
    assert agg["accuracy"] == pytest.approx(producer) and agg["n"] == 300
    assert (items["outcome"] == "correct").mean() == pytest.approx(agg["accuracy"])
    if "_mc_" in rel:
        assert agg["label"] == "lm-eval acc,none"
        assert items["confidence"].between(0, 1).all()
        # independent check with plain json: softmax over the string log-likelihoods, at the raw argmax
        with path.open() as handle:
            lines = [json.loads(line) for line in handle]
        by_id = items.set_index("item_id")
        for line in lines[:60]:
            lls = [float(pair[0]) for pair in line["filtered_resps"]]
            top = max(lls)
            probs = [math.exp(v - top) for v in lls]
            total = sum(probs)
            assert sum(p / total for p in probs) == pytest.approx(1.0)
            row = by_id.loc[str(line["doc_id"])]
            assert row["confidence"] == pytest.approx(1 / total)  # exp(top - top) / total
            assert row["prediction"] == str(lls.index(top))
            assert row["choice_logliks"] == lls
            assert (row["outcome"] == "correct") == (line["acc"] == 1.0)
    else:
        assert agg["label"] == "lm-eval exact_match,strict-match"
        assert items["confidence"].isna().all()
        assert set(items.loc[items["outcome"] == "invalid", "rule"]) == {"extraction failure"}


def test_generated_folder_leaderboard_and_length_norm() -> None:
    folder = real_data("generated", "lm_eval")
    data = rescore.load(folder)
    assert len(data.items) == 1800
    assert data.items.groupby("benchmark").size().to_dict() == {"synthpro_gen": 900, "synthpro_mc": 900}
    assert sorted(Path(p).name for p, r in data.skipped if r.startswith("lm-eval results file; read with")) == [
        "results_2026-11-23T17-47-51.757384.json", "results_2026-11-23T17-48-17.365391.json",
        "results_2026-11-23T17-48-34.456776.json"]
    # single-letter choices all have the same length: length normalisation changes nothing here
    length = rescore.load(folder, confidence_norm="length").items
    mc = data.items["benchmark"] == "synthpro_mc"
    assert (length.loc[mc, "confidence"].round(12) == data.items.loc[mc, "confidence"].round(12)).all()


@pytest.mark.parametrize("rel", sorted(REAL))
def test_real_files(rel: str) -> None:
    path = real_data(*rel.split("/"))
    model, benchmark, subsets, expected, producer, n = REAL[rel]
    result = _read(path)
    items = result.items
    assert _outcomes(items) == expected
    assert items["model"].unique().tolist() == [model]
    assert items["benchmark"].unique().tolist() == [benchmark]
    assert set(items["subset"]) == subsets
    (agg,) = result.info.producer_metrics["aggregates"]
    assert agg["accuracy"] == pytest.approx(producer) and agg["n"] == n
    assert (items["outcome"] == "correct").mean() == pytest.approx(producer)
    if benchmark == "winogrande":  # the one real loglikelihood file: strings like "-52.0"
        assert items.sort_values("item_id").iloc[0]["choice_logliks"] == [-52.0, -43.5]
        assert items["confidence"].between(0, 1).all() and items["confidence"].notna().all()


def test_real_lm_eval_folder_results_only_file() -> None:
    # issue 16, point 10: the results-only file is read as counts (metric x n-samples), the rest per item
    folder = real_data("lm_eval")
    data = rescore.load(folder)
    assert len(data.items) == 140  # 50 + 50 + 30 + 10
    # gpqa main and extended (35 shared questions) are not pooled: separate benchmarks
    assert data.items.groupby(["benchmark", "subset"]).size().to_dict() == {
        ("gpqa_extended", ""): 50, ("gpqa_main", ""): 50, ("mmlu_pro", "business"): 30, ("winogrande", ""): 10}
    counts = data.counts.groupby("benchmark")[["n_correct", "n_wrong"]].sum()
    # the producer's numbers: leaderboard_gpqa_main acc_norm 0.30357 x 448, leaderboard_mmlu_pro acc 0.27410 x 12032
    assert tuple(counts.loc["gpqa_main"]) == (136, 312)
    assert tuple(counts.loc["mmlu_pro"]) == (3298, 12032 - 3298)
    assert tuple(counts.loc["gpqa_diamond"]) == (57, 198 - 57)  # 0.28788 x 198
    assert any("kept apart as gpqa_diamond, gpqa_extended, gpqa_main" in n for n in data.notes)


def test_real_math_l5_truncated_file_is_noted() -> None:
    path = real_data("lm_eval_table2", "SOLAR-10.7B-Instruct_math_hard",
                     "samples_leaderboard_math_algebra_hard_2024-11-14T16-01-56.818889.jsonl")
    result = _read(path)
    assert any("40 item(s) in the samples file, results file reports n-samples effective = 307" in n
               for n in result.info.notes)


def test_bundled_sample_is_lm_eval_format_with_confidences() -> None:
    from .conftest import SAMPLE

    folder = SAMPLE / "lm_eval"
    options = LoadOptions()
    counts = {}
    for path, adapter in plan([folder], options)[0]:
        assert adapter.name == "lm_eval"
        result = read_one(path, adapter.name, options)
        items = result.items
        (agg,) = result.info.producer_metrics["aggregates"]
        assert agg["label"] == "lm-eval acc_norm,none" and agg["n"] == len(items) == 64
        assert (items["outcome"] == "correct").mean() == pytest.approx(agg["accuracy"])
        assert items["confidence"].between(0.25, 1).all()  # 4 choices: the argmax holds at least 1/4
        assert set(items["gold"]) <= {"0", "1", "2", "3"}  # "(B)" is choice 1's text -> "1"
        counts[items["model"].iloc[0]] = _outcomes(items)
    assert counts == {
        "acme/bold-70b": {"correct": 29, "wrong": 35}, "acme/careful-70b": {"correct": 33, "wrong": 31},
        "nova/guess-8b": {"correct": 29, "wrong": 35}, "nova/humble-8b": {"correct": 20, "wrong": 44},
        "orbit/mid-32b": {"correct": 25, "wrong": 39}}


def test_math_l5_exact_match_original_note_and_text_targets(tmp_path: Path) -> None:
    folder = tmp_path / "org__mathy-7b"
    folder.mkdir()
    lines = [gen_line(0, "Final Answer: The final answer is $4.5$. I hope it is correct.", "4.5", "4.5", 1.0, "none",
                      exact_match_original=1.0),
             gen_line(1, "so x = \\boxed{7}", "\\boxed{7}", "7", 1, "none", exact_match_original=0),
             gen_line(2, "I don't know.", "I don't know.", "3", 0, "none", exact_match_original=0)]
    write_jsonl(folder / f"samples_leaderboard_math_algebra_hard_{TS1}.jsonl", lines)
    gpqa = [mc_line(0, ["(A)", "(B)", "(C)", "(D)"], [-3.0, -1.0, -2.0, -4.0], 1, {"acc_norm": 1.0})]
    gpqa[0]["target"] = "(B)"  # leaderboard_gpqa's target is the choice text
    write_jsonl(folder / f"samples_leaderboard_gpqa_diamond_{TS1}.jsonl", gpqa)
    data = rescore.load(folder)
    math_items = by(data.items, "math_l5")
    assert math_items["subset"].unique().tolist() == ["algebra"]
    assert math_items["outcome"].tolist() == ["correct", "correct", "abstain"]
    assert any("exact_match_original (Minerva regex) agrees on 2/3 items" in n for n in data.notes)
    gpqa_items = by(data.items, "gpqa")
    assert gpqa_items[["prediction", "gold", "outcome"]].values.tolist() == [["1", "1", "correct"]]
    with pytest.raises(rescore.errors.UsageError, match="--confidence-norm"):
        rescore.load(folder, confidence_norm="softmax")
