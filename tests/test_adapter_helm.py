"""HELM run directories: display_predictions + run_spec / instances, perturbations, main metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError
from rescore.read.inspection import inspect_paths
from rescore.read.plugins import detect

RUN = "mmlu:subject=anatomy,method=multiple_choice_joint,model=openai_gpt-4"


def run_dir(tmp_path: Path, predictions: list, *, spec: bool = True, instances: bool = True) -> Path:
    folder = tmp_path / "benchmark_output" / "runs" / "v1" / RUN
    folder.mkdir(parents=True)
    (folder / "display_predictions.json").write_text(json.dumps(predictions, indent=2))
    if spec:
        (folder / "run_spec.json").write_text(json.dumps({
            "name": RUN, "scenario_spec": {"class_name": "helm...MMLUScenario", "args": {"subject": "anatomy"}},
            "adapter_spec": {"method": "multiple_choice_joint", "model": "openai/gpt-4"}, "metric_specs": []}))
    if instances:
        (folder / "instances.json").write_text(json.dumps([
            {"input": {"text": "Q?"}, "references": [{"output": {"text": "bone"}, "tags": ["correct"]},
                                                     {"output": {"text": "skin"}, "tags": []}],
             "split": "test", "id": f"id{i}"} for i in range(3)]))
    (folder / "per_instance_stats.json").write_text("[]")
    (folder / "stats.json").write_text("[]")
    return folder


def pred(instance: str, em: float, text: str, trial: int = 0, **extra) -> dict:
    return {"instance_id": instance, "train_trial_index": trial, "predicted_text": text, "mapped_output": text,
            "stats": {"num_output_tokens": 1.0, "exact_match": em}, **extra}


PREDICTIONS = [
    pred("id0", 1.0, "bone"),
    pred("id1", 0.0, "skin"),
    pred("id2", 0.0, "I don't know"),
    pred("id1", 1.0, "BONE", perturbation={"name": "typos", "robustness": True, "prob": 0.1}),
]


def test_reads_run_with_spec_and_gold(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, PREDICTIONS)
    assert detect(folder / "display_predictions.json").name == "helm"
    data = rescore.load(tmp_path)
    items = data.items.set_index("item_id")
    assert items["outcome"].to_dict() == {"id0": "correct", "id1": "wrong", "id2": "abstain"}
    assert set(items["model"]) == {"openai/gpt-4"} and set(items["benchmark"]) == {"mmlu"}
    assert set(items["subset"]) == {"anatomy"} and items.loc["id1", "gold"] == "bone"
    assert set(items["run"]) == {"v1"}
    assert any("skipped 1 perturbed row(s) (robustness/fairness variants): [3] id1;" in n for n in data.notes)
    assert any("exact_match (3 rows)" in n for n in data.notes)
    skipped = {Path(p).name for p, _ in data.skipped}
    assert {"run_spec.json", "instances.json", "per_instance_stats.json", "stats.json"} <= skipped


def test_model_from_directory_name_and_trials(tmp_path: Path) -> None:
    run_dir(tmp_path, [pred("id0", 1.0, "bone", 0), pred("id0", 0.5, "bo", 1)], spec=False, instances=False)
    items = rescore.load(tmp_path).items
    assert set(items["model"]) == {"openai_gpt-4"}
    assert items[["attempt", "outcome"]].values.tolist() == [[0, "correct"], [1, "partial"]]


def test_missing_metric_names_record(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, [PREDICTIONS[0], {"instance_id": "x", "train_trial_index": 0,
                                                 "predicted_text": "a", "stats": {"num_output_tokens": 1}}])
    with pytest.raises(InputError) as err:
        rescore.load(folder / "display_predictions.json")
    assert (err.value.record, err.value.field) == (1, "stats")
    assert rescore.load(folder / "display_predictions.json", on_error="skip").sources[0].skipped_records == 1


def _splits(folder: Path, splits: list[str]) -> None:
    """Rewrite instances.json with one split per instance (id0, id1, id2)."""
    doc = json.loads((folder / "instances.json").read_text())
    for instance, split in zip(doc, splits, strict=True):
        instance["split"] = split
    (folder / "instances.json").write_text(json.dumps(doc))


def test_mixed_splits_score_the_test_split_with_helms_own_number(tmp_path: Path) -> None:
    """HELM reports each split apart; a valid instance among test ones is left out and named, and
    stats.json's test mean is the producer number (issue 16: a real run mixed 1 valid into 9 test)."""
    folder = run_dir(tmp_path, PREDICTIONS[:3])
    _splits(folder, ["valid", "test", "test"])
    (folder / "stats.json").write_text(json.dumps([
        {"name": {"name": "exact_match", "split": "valid"}, "count": 1, "sum": 1.0, "mean": 1.0},
        {"name": {"name": "exact_match", "split": "test", "perturbation": {"name": "typos"}},
         "count": 1, "mean": 0.9},
        {"name": {"name": "exact_match", "split": "test"}, "count": 1, "sum": 0.0, "mean": 0.0}]))
    data = rescore.load(tmp_path)
    assert sorted(data.items["item_id"]) == ["id1", "id2"]
    assert any("left out 1 'valid' row(s): [0] id0" in n for n in data.notes)
    (report,) = inspect_paths([folder / "display_predictions.json"])
    (check,) = report.cross_checks
    # the unperturbed test mean, not the perturbed 0.9 nor the valid 1.0
    assert check.producer_accuracy == 0.0 and check.match and check.n_rescore == 2


def test_one_split_only_keeps_every_row(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, PREDICTIONS[:3])
    _splits(folder, ["valid", "valid", "valid"])
    data = rescore.load(tmp_path)
    assert sorted(data.items["item_id"]) == ["id0", "id1", "id2"]
    assert not any("left out" in n for n in data.notes)
