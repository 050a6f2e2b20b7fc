"""CLI of the confidence-aware commands: JSON equals the library, every new flag, every error path."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from rescore.score import calibration, compare, selective

from .conftest import SAMPLE, invoke

MMLU = SAMPLE / "mmlu_pro_mini"


def same(stdout: str, report: object) -> None:
    assert json.loads(stdout) == json.loads(json.dumps(report.to_dict()))  # type: ignore[attr-defined]


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """Three models, 40 items; m2's confidence is constant, so it is omitted with a warning."""
    lines = ["model,question_id,pred,answer,confidence,category"]
    for m in range(3):
        for i in range(40):
            pred = "A" if (i * (m + 2)) % 5 else "B"
            conf = 0.7 if m == 2 else round(0.3 + 0.6 * ((i * 7 + m) % 11) / 10, 2)
            lines.append(f"m{m},q{i},{pred},A,{conf},s{i % 4}")
    path = tmp_path / "bench.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_calibration_json_equals_library(table: Path) -> None:
    args = ["--bins", "5", "--partial", "abstain", "--invalid", "abstain", "--idk-credit", "0.1", "--level", "0.9"]
    result = invoke("calibration", str(table), "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    same(result.stdout, calibration.build_report(table, bins=5, partial="abstain", invalid="abstain",
                                                 idk_credit=0.1, level=0.9))
    doc = json.loads(result.stdout)
    assert doc["schema"] == "rescore.calibration" and doc["provenance"]["bins"] == 5
    assert [r["model"] for r in doc["summary"]] == ["m0", "m1"]
    assert doc["omitted"] == [{"benchmark": "bench", "model": "m2",
                               "reason": "confidence is constant (0.7) on all 40 answered items"}]
    assert "m2 on bench: confidence is constant (0.7) on all 40 answered items; confidence metrics omitted" in \
        result.stderr
    assert {r["binning"] for r in doc["reliability"]} == {"width", "mass"}


def test_calibration_on_sample_table_and_quiet() -> None:
    result = invoke("calibration", str(MMLU))
    assert result.exit_code == 0, result.stderr
    assert "Calibration on answered items" in result.stdout and "acme/bold-70b" in result.stdout
    assert "0.184" in result.stdout  # ECE (equal-width) of acme/bold-70b
    assert invoke("calibration", str(MMLU), "-q").stderr == ""


def test_selective_json_and_csv(table: Path, tmp_path: Path) -> None:
    result = invoke("selective", str(table), "--max-risk", "0.25", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    same(result.stdout, selective.build_report(table, max_risk=0.25))
    csv = invoke("selective", str(MMLU), "-f", "csv", "--max-risk", "0.2")
    assert csv.stdout.startswith("benchmark,model,n,n_total,answered_share,risk,aurc,")
    assert "FILE.curve.csv" in csv.stderr
    out = tmp_path / "sel.csv"
    written = invoke("selective", str(MMLU), "-o", str(out), "--max-risk", "0.2")
    assert written.exit_code == 0, written.stderr
    assert len(pd.read_csv(out)) == 5
    curve = pd.read_csv(tmp_path / "sel.curve.csv")
    assert curve.groupby("model")["n_answered"].max().tolist() == [280, 181, 280, 93, 247]
    assert (tmp_path / "sel.omitted.csv").exists()
    assert list(pd.read_csv(tmp_path / "sel.grid.csv").columns)[-1] == "risk@1"
    table_out = invoke("selective", str(MMLU), "--max-risk", "0.2", "-q").stdout
    assert "cut-off" in table_out and "0.539" in table_out  # acme/bold-70b: 151 of 280 answered at risk <= .2
    assert "Risk when answering only the most confident" in table_out


def test_compare_json_equals_library_with_every_flag(table: Path) -> None:
    args = ["-t", "0", "-t", "0.75", "--bootstrap", "300", "--seed", "7", "--correction", "bh", "--cluster",
            "subset", "--level", "0.9"]
    result = invoke("compare", str(table), "-f", "json", "-q", *args)
    assert result.exit_code == 0, result.stderr
    same(result.stdout, compare.build_report(table, [0, 0.75], bootstrap=300, seed=7, correction="bh",
                                             cluster="subset", level=0.9))
    doc = json.loads(result.stdout)
    assert doc["provenance"]["method"] == {"test": compare.paired_test_name("clustered:subset"), "se_method":
                                           "clustered:subset", "correction": "bh", "alpha": 0.1, "bootstrap": 300,
                                           "seed": 7, "bootstrap_unit": "cluster", "interval": "90% t(G-1) x CR2 SE"}
    assert len(doc["rows"]) == 3 * 2 and len(doc["pairs"]) == 3 and len(doc["tau"]) == 2
    assert all(r["p_adjusted"] == r["p_bh"] for r in doc["rows"])
    again = invoke("compare", str(table), "-f", "json", "-q", *args)
    assert again.stdout == result.stdout  # seeded


def test_compare_preset_table_and_csv(tmp_path: Path) -> None:
    result = invoke("compare", str(MMLU), "--preset", "kalai", "--bootstrap", "100")
    assert result.exit_code == 0, result.stderr
    assert "Paired differences" in result.stdout and "Crossover t*" in result.stdout and "tau-b" in result.stdout
    assert "0.323 [" in result.stdout  # acme/bold-70b vs acme/careful-70b: t* = 32/99
    out = tmp_path / "cmp.csv"
    assert invoke("compare", str(MMLU), "-o", str(out), "--bootstrap", "0", "-q").exit_code == 0
    rows = pd.read_csv(out)
    assert len(rows) == 10 * 4 and rows["ci_low"].isna().all()  # no bootstrap: no interval
    assert sorted(p.name for p in tmp_path.glob("cmp.*.csv")) == ["cmp.omitted.csv", "cmp.pairs.csv",
                                                                  "cmp.tau.csv", "cmp.ties.csv"]
    json_out = tmp_path / "cmp.json"
    assert invoke("compare", str(MMLU), "-o", str(json_out), "--bootstrap", "0", "-q").exit_code == 0
    assert json.loads(json_out.read_text())["schema"] == "rescore.compare"


def test_compare_warns_about_dropped_items(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct\n" + "".join(f"a,{i},{i % 2}\n" for i in range(10))
                    + "".join(f"b,{i},1\n" for i in range(3, 12)))
    result = invoke("compare", str(path), "-t", "0", "--bootstrap", "50", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "a vs b: 3 + 2 items not shared by both were dropped (7 compared)" in result.stderr
    assert json.loads(result.stdout)["pairs"][0]["n"] == 7


def test_instructed_t_audit(tmp_path: Path) -> None:
    path = tmp_path / "told.csv"
    path.write_text("model,id,correct,confidence\n" + "".join(f"m,{i},{int(i < 45)},0.8\n" for i in range(50)))
    result = invoke("calibration", str(path), "--instructed-t", "0.9", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    audit = json.loads(result.stdout)["audit"]
    assert len(audit) == 1 and audit[0]["instructed_t"] == 0.9 and audit[0]["accuracy_on_answered"] == 0.9
    assert audit[0]["verdict"] == "inconclusive"
    shown = invoke("calibration", str(path), "--instructed-t", "0.5", "-q").stdout
    assert "Behavioural calibration" in shown and "clears" in shown


def test_no_confidence_anywhere_is_stated(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct\nm,1,1\nm,2,0\n")
    result = invoke("calibration", str(path))
    assert result.exit_code == 0
    assert "no model has usable per-item confidences" in result.stdout
    assert "omitted: m on b: no per-item confidence" in result.stderr
    sel = invoke("selective", str(path))
    assert sel.exit_code == 0 and "no model has usable per-item confidences" in sel.stdout


def test_partly_missing_confidence_is_omitted(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,0.9\nm,2,0,\nm,3,1,0.4\n")
    result = invoke("selective", str(path), "-f", "json")
    assert json.loads(result.stdout)["omitted"][0]["reason"] == "1 of 3 answered items lack a confidence"
    assert "confidence metrics omitted" in result.stderr


def test_confidence_out_of_range_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,0.9\nm,2,0,-5\n")
    result = invoke("calibration", str(path))
    assert result.exit_code == 3 and "confidence" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "args", "code", "needle"),
    [
        ("calibration", ["--bins", "0"], 2, "--bins"),
        ("calibration", ["-f", "parquet"], 2, "--format"),
        ("calibration", ["-o", "x.parquet"], 2, "cannot tell the format"),
        ("calibration", ["--level", "0.2"], 2, "confidence level"),
        ("calibration", ["--on-error", "maybe"], 2, "--on-error"),
        ("selective", ["--max-risk", "1.5"], 2, "--max-risk"),
        ("selective", ["-f", "markdown"], 2, "--format"),
        ("compare", ["--correction", "bonferroni"], 2, "--correction"),
        ("compare", ["--bootstrap", "-1"], 2, "--bootstrap"),
        ("compare", ["--preset", "kalai", "-t", "0.5"], 2, "either --preset or -t"),
        ("compare", ["-t", "1"], 2, "outside [0, 1)"),
        ("compare", ["--cluster", "galaxy"], 2, "--cluster"),
        ("compare", ["--level", "0.2"], 2, "confidence level"),
        ("compare", ["--partial", "half"], 2, "--partial"),
        ("compare", ["--confidence-col", "zzz"], 3, "'zzz'"),
    ],
)
def test_usage_and_data_errors(table: Path, command: str, args: list[str], code: int, needle: str) -> None:
    result = invoke(command, str(table), *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert needle in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["calibration", "selective", "compare"])
def test_missing_input_and_output_over_input(table: Path, command: str) -> None:
    missing = invoke(command, "does/not/exist.csv")
    assert missing.exit_code == 3 and "file not found" in missing.stderr
    before = table.read_text()
    over = invoke(command, str(table), "-o", str(table), "-f", "csv")
    assert over.exit_code == 2 and "inputs" in over.stderr and table.read_text() == before


def test_library_modules_reachable_from_the_package() -> None:
    import rescore

    report = rescore.score.calibration.build_report(MMLU)
    assert report.kind == "calibration" and len(report.tables["summary"]) == 5
    assert rescore.score.compare.kendall_tau_b([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert callable(rescore.score.selective.aurc) and callable(rescore.score.policies.policy_curve)


def test_compare_table_never_cuts_numbers_at_80_columns(tmp_path: Path) -> None:
    # long model names used to squeeze every column until values read "-0.…"
    long = ["organisation-with-a-long-name/model-alpha-70b-instruct", "organisation-with-a-long-name/model-beta-8b"]
    lines = ["model,question_id,grade"] + [f"{m},q{i},{(i * (k + 2)) % 3 == 0}" for k, m in enumerate(long)
                                           for i in range(60)]
    path = tmp_path / "quiz.csv"
    path.write_text("\n".join(lines) + "\n")
    result = invoke("compare", str(path), "-t", "0", "-t", "0.75", "-q", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    report = compare.build_report(str(path), [0.0, 0.75])
    text = result.stdout
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for row in report.tables["rows"].itertuples():
        assert f"{row.diff:.3f}" in text and f"[{row.ci_low:.3f}, {row.ci_high:.3f}]" in text
