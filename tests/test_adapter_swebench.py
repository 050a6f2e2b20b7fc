"""SWE-bench run reports: outcome lists, denominator, companions (predictions, report.json), bad input, real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.adapters.swebench import ADAPTER
from rescore.errors import InputError
from rescore.read.plugins import detect

from .conftest import invoke, real_data, write_jsonl

MODEL = "org__agent-7b"
RUN = "run_42"


def _report(**lists: list[str]) -> dict:
    base = {"resolved_ids": ["r1", "r2"], "unresolved_ids": ["u1"], "empty_patch_ids": ["e1"], "error_ids": ["x1"],
            "incomplete_ids": ["i1", "i2", "i3"]}
    base.update(lists)
    keys = ("resolved_ids", "unresolved_ids", "empty_patch_ids", "error_ids")
    submitted = [i for k in keys for i in base[k]]
    return {"total_instances": len(submitted) + len(base["incomplete_ids"]), "submitted_instances": len(submitted),
            "completed_instances": 3, "resolved_instances": len(base["resolved_ids"]),
            "unresolved_instances": len(base["unresolved_ids"]), "empty_patch_instances": len(base["empty_patch_ids"]),
            "error_instances": len(base["error_ids"]), "completed_ids": ["r1", "r2", "u1"],
            "submitted_ids": submitted, **base, "schema_version": 2}


def _write(folder: Path, report: dict, name: str = f"{MODEL}.{RUN}.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(report, indent=4))
    return path


def _counts(items) -> dict[str, int]:
    return items["outcome"].value_counts().to_dict()


def test_outcome_lists_map_to_outcomes(tmp_path: Path) -> None:
    path = _write(tmp_path, _report())
    assert detect(path) is ADAPTER
    data = rescore.load(path)
    items = data.items.set_index("item_id")
    assert _counts(data.items) == {"correct": 2, "wrong": 1, "abstain": 1, "invalid": 1}
    assert items.loc["e1", "rule"] == "empty patch"
    assert items.loc["x1", "rule"] == "harness error"
    assert set(data.items["model"]) == {"org/agent-7b"}
    assert set(data.items["run"]) == {RUN}
    assert set(data.items["benchmark"]) == {"swebench"}
    labels = {a["label"]: a for a in data.sources[0].producer_metrics["aggregates"]}
    assert labels["SWE-bench resolved_ids/submitted_ids"]["accuracy"] == pytest.approx(2 / 5)
    assert labels["SWE-bench %resolved (resolved/total_instances)"]["accuracy"] == pytest.approx(2 / 8)


def test_denominator_dataset_adds_incomplete_as_abstentions(tmp_path: Path) -> None:
    path = _write(tmp_path, _report())
    data = rescore.load(path, denominator="dataset")
    assert len(data.items) == 8
    assert (data.items["rule"] == "not submitted (--denominator dataset)").sum() == 3
    assert _counts(data.items)["abstain"] == 4
    assert any("--denominator dataset: 3 incomplete" in n for n in data.notes)


def test_an_id_in_two_lists_is_an_error_naming_file_and_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _report(unresolved_ids=["u1", "r2"]))
    with pytest.raises(InputError) as err:
        rescore.load(path)
    assert str(path) in str(err.value) and "'r2'" in str(err.value) and "unresolved_ids" in str(err.value)
    result = invoke("leaderboard", str(path))
    assert result.exit_code == 3 and "r2" in result.stderr
    data = rescore.load(path, on_error="skip")
    assert "r2" not in set(data.items["item_id"]) and data.sources[0].skipped_records == 1
    assert len(data.items) == 4  # r1, u1, e1, x1


def test_renamed_report_takes_the_model_from_the_predictions(tmp_path: Path) -> None:
    _write(tmp_path, _report(), name="baseline.eval.json")
    preds = [{"instance_id": i, "model_name_or_path": "acme/coder", "model_patch": "" if i == "e1" else "diff"}
             for i in ("r1", "r2", "u1", "e1", "x1")]
    (tmp_path / "predictions").mkdir()
    write_jsonl(tmp_path / "predictions" / "preds.jsonl", preds)
    data = rescore.load(tmp_path)
    assert set(data.items["model"]) == {"acme/coder"}
    info = data.sources[0]
    assert info.producer_metrics["swebench_predictions"]["agree"] is True
    assert any(p.endswith("preds.jsonl") and "SWE-bench predictions" in r for p, r in data.skipped)


def test_predictions_disagreeing_on_empty_patches_are_noted(tmp_path: Path) -> None:
    path = _write(tmp_path, _report())
    preds = [{"instance_id": i, "model_name_or_path": "org/agent-7b", "model_patch": None if i in ("e1", "u1") else "d"}
             for i in ("r1", "r2", "u1", "e1", "x1")]
    write_jsonl(tmp_path / "preds.jsonl", preds)
    data = rescore.load(path)
    check = data.sources[0].producer_metrics["swebench_predictions"]
    assert check["agree"] is False and check["empty_only_in_predictions"] == ["u1"]
    assert _counts(data.items)["wrong"] == 1  # the run report's lists decide


def test_instance_reports_are_cross_checked_and_skipped(tmp_path: Path) -> None:
    _write(tmp_path, _report())
    logs = tmp_path / "logs" / "run_evaluation" / RUN / MODEL
    for iid, resolved in (("r1", True), ("r2", False), ("u1", False)):
        (logs / iid).mkdir(parents=True)
        (logs / iid / "report.json").write_text(json.dumps({iid: {"patch_is_None": False, "resolved": resolved}}))
    (logs / "u1" / "patch.diff").write_text("diff --git a b")
    data = rescore.load(tmp_path)
    check = data.sources[0].producer_metrics["swebench_instance_reports"]
    assert check["read"] == 3
    assert check["mismatches"] == ["r2: run report says resolved, report.json says resolved=False"]
    assert _counts(data.items)["correct"] == 2  # a cross-check never changes an outcome
    skipped = [p for p, reason in data.skipped if "SWE-bench per-instance log" in reason]
    assert len(skipped) == 4
    assert ADAPTER.skip_reason(logs / "r1" / "report.json")


def test_bad_list_is_an_input_error(tmp_path: Path) -> None:
    report = _report()
    report["error_ids"] = "x1"
    path = _write(tmp_path, report)
    with pytest.raises(InputError, match="error_ids"):
        rescore.load(path)


# -- real runs (pepealonso95/TDAD, see shared/real_data/swebench/PROVENANCE.md) -------------------

@pytest.mark.parametrize(("folder", "report_name", "model", "expected", "incomplete"), [
    ("batch25_baseline", "opencode-qwen3.5-35B-A3B-baseline.eval_20260311_034331.json",
     "opencode-qwen3.5-35B-A3B-baseline", {"correct": 6, "wrong": 1, "abstain": 15, "invalid": 3}, 475),
    ("vanilla_resume42", "vanilla.eval.json", "qwen-mini", {"correct": 15, "wrong": 19, "abstain": 8}, 458),
])
def test_real_run_reports(folder: str, report_name: str, model: str, expected: dict[str, int], incomplete: int) -> None:
    root = real_data("swebench", folder)
    raw = json.loads((root / report_name).read_text())
    submitted = len(raw["submitted_ids"])
    # the harness invariant, checked on the raw file
    assert submitted == sum(len(raw[k]) for k in ("resolved_ids", "unresolved_ids", "empty_patch_ids", "error_ids"))
    data = rescore.load(root)
    assert len(data.items) == submitted == sum(expected.values())
    assert _counts(data.items) == expected
    assert expected["correct"] == len(raw["resolved_ids"]) and expected["abstain"] == len(raw["empty_patch_ids"])
    assert set(data.items["model"]) == {model}
    info = data.sources[0]
    assert info.producer_metrics["swebench_predictions"]["agree"] is True
    labels = {a["label"]: a for a in info.producer_metrics["aggregates"]}
    assert labels["SWE-bench resolved_ids/submitted_ids"]["accuracy"] == pytest.approx(expected["correct"] / submitted)
    assert len(raw["incomplete_ids"]) == incomplete
    wide = rescore.load(root, denominator="dataset")
    assert len(wide.items) == raw["total_instances"] == 500
    assert (wide.items["outcome"] == "correct").mean() == pytest.approx(
        labels["SWE-bench %resolved (resolved/total_instances)"]["accuracy"])


def test_real_instance_reports_agree_and_errors_have_none() -> None:
    root = real_data("swebench", "batch25_baseline")
    data = rescore.load(root)
    check = data.sources[0].producer_metrics["swebench_instance_reports"]
    assert check == {"folder": check["folder"], "read": 7, "mismatches": []}
    errors = data.items.loc[data.items["outcome"] == "invalid", "item_id"].tolist()
    assert sorted(errors) == ["psf__requests-1724", "psf__requests-1766", "psf__requests-2317"]
    assert set(data.items["run"]) == {"eval_20260311_034331"}
    result = invoke("leaderboard", str(root), "--format", "json", "-t", "0", "-t", "0.5")
    group = json.loads(result.stdout)["groups"][0]
    counts = tuple(group[k] for k in ("n", "n_correct", "n_wrong", "n_abstain", "n_invalid"))
    assert counts == (25, 6, 1, 15, 3)
