"""Every output format carries its provenance: formula, each t and its penalty, n per group, the
partial/invalid policies and the counts they touched, adapter and version per file, resampling and
alignment (none for the leaderboard), and rescore's version."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import rescore
from rescore.score.rule import FORMULA

from .conftest import invoke

# m1: 5 correct, 2 wrong, 1 partial, 2 invalid; m2: 6 correct, 3 wrong, 1 abstain
GRADES = {"m1": ["correct"] * 5 + ["incorrect"] * 2 + ["partial"] + ["invalid"] * 2,
          "m2": ["correct"] * 6 + ["incorrect"] * 3 + ["not_attempted"]}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "quiz.csv"
    rows = [f"{m},q{i},{g}" for m, grades in GRADES.items() for i, g in enumerate(grades)]
    path.write_text("model,question_id,grade\n" + "\n".join(rows) + "\n")
    return path


ARGS = ["-t", "0", "-t", "0.75", "--partial", "abstain", "--invalid", "drop", "-q"]


def test_json(data: Path) -> None:
    result = invoke("leaderboard", str(data), "-f", "json", *ARGS)
    prov = json.loads(result.stdout)["provenance"]
    assert prov["formula"] == FORMULA
    assert prov["thresholds"] == [{"t": 0.0, "penalty": 0.0}, {"t": 0.75, "penalty": 3.0}]
    assert prov["policy"] == {"partial": "abstain", "invalid": "drop", "idk_credit": 0.0}
    assert prov["policy_counts"] == {"partial": 1, "invalid": 2, "dropped": 2}
    assert prov["resampling"] == {"method": "none", "resamples": 0, "seed": None}
    assert prov["alignment"]["items_dropped"] == 0
    assert [(s["path"], s["adapter"], s["adapter_version"], s["items"]) for s in prov["sources"]] == [
        (str(data), "generic", "1", 20)]
    assert prov["rescore_version"] == rescore.__version__
    groups = {g["model"]: g["n"] for g in json.loads(result.stdout)["groups"]}
    assert groups == {"m1": 8, "m2": 10}  # m1 lost its 2 invalid items to --invalid drop


def test_csv_and_parquet(data: Path, tmp_path: Path) -> None:
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"board{suffix}"
        assert invoke("leaderboard", str(data), "-o", str(out), *ARGS).exit_code == 0
        table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        assert set(table["formula"]) == {FORMULA}
        assert sorted(zip(table["t"], table["penalty"], strict=True)) == [(0, 0), (0, 0), (0.75, 3), (0.75, 3)]
        assert dict(zip(table["model"], table["n"], strict=False)) == {"m1": 8, "m2": 10}
        assert set(table["partial_policy"]) == {"abstain"} and set(table["invalid_policy"]) == {"drop"}
        assert dict(zip(table["model"], table["dropped"], strict=False)) == {"m1": 2, "m2": 0}
        assert dict(zip(table["model"], table["n_partial"], strict=False)) == {"m1": 1, "m2": 0}
        assert set(table["sources"]) == {f"{data} (generic v1)"}
        assert set(table["rescore_version"]) == {rescore.__version__}
    meta = json.loads(pq.read_schema(tmp_path / "board.parquet").metadata[b"rescore.provenance"])
    assert meta["policy_counts"] == {"partial": 1, "invalid": 2, "dropped": 2}


def test_markdown_fits_a_pr_comment(data: Path) -> None:
    text = invoke("leaderboard", str(data), "-f", "markdown", *ARGS).stdout
    assert f"Scoring: `{FORMULA}`; t=0 (penalty 0), t=0.75 (penalty 3)." in text
    assert "Policies: partial → abstain (1 items), invalid → drop (2 items, 2 dropped), idk_credit = 0." in text
    assert "Resampling: none" in text and f"rescore {rescore.__version__}." in text
    assert "<details><summary>Inputs: 1 files read, 0 skipped, 2 notes</summary>" in text
    assert f"- read `{data}` (generic v1, 20 items)" in text
    assert "| 1 | m1 | 8 |" in text and "| 2 | m2 | 10 |" in text  # n per group (ranked at the first t)


def test_html(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert invoke("report", str(data), "-o", str(out), *ARGS).exit_code == 0
    text = out.read_text()
    assert FORMULA.replace("<", "&lt;") in text
    assert "t=0 → penalty 0, t=0.75 → penalty 3" in text
    assert "partial → abstain (1 items touched); invalid → drop (2 items touched, 2 dropped)" in text
    assert f"<td class='name'>{data}</td><td class='name'>generic</td><td>1</td><td>20</td>" in text
    assert "<td class='name'>quiz</td><td class='name'>m1</td><td>8</td>" in text
    assert "No resampling" in text and f"rescore {rescore.__version__}" in text
