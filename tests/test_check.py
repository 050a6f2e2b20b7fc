"""``rescore check`` and ``rescore.score.gates``: every flag, every error path, JUnit, step summary, baseline."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError, UsageError
from rescore.score import gates

from .conftest import invoke


def grades_csv(path: Path, models: dict[str, tuple[int, int, int]]) -> Path:
    """A generic table with CORRECT/INCORRECT/NOT_ATTEMPTED grades: (correct, wrong, abstain) per model."""
    lines = ["model,question_id,grade,confidence"]
    for model, (c, w, a) in models.items():
        i = 0
        for grade, count, conf in (("CORRECT", c, 0.9), ("INCORRECT", w, 0.6), ("NOT_ATTEMPTED", a, 0.2)):
            for _ in range(count):
                lines.append(f"{model},q{i},{grade},{conf - 0.01 * (i % 5):.2f}")
                i += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    # good: S(0.9) = (20 - 9*2)/30 = 0.0667, error 2/30; bad: S(0.9) = (18 - 9*12)/30 = -3, error 0.4
    return grades_csv(tmp_path / "bench.csv", {"good": (20, 2, 8), "bad": (18, 12, 0)})


def test_failed_gates_exit_1_with_one_line_each(bench: Path) -> None:
    result = invoke("check", str(bench), "--min", "score@0.9=0", "--max", "error_rate=0.2", "--max", "rank@0.9=1",
                    "-q")
    assert result.exit_code == 1
    assert result.stdout == ("FAIL bench bad score@0.9=-3 < 0\n"
                             "FAIL bench bad error_rate=0.4 > 0.2\n"
                             "FAIL bench bad rank@0.9=2 > 1\n")
    assert result.stderr.strip() == "rescore: error: 3 of 6 gates failed"


def test_all_gates_pass_exit_0(bench: Path) -> None:
    result = invoke("check", str(bench), "--min", "score@0.9=-3", "--min", "accuracy=0.6", "--max",
                    "abstention_rate=0.27")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "ok: all 6 gates passed" in result.stderr


@pytest.mark.parametrize(("scope", "code", "out"), [
    (["--model", "good"], 0, ""),
    (["--model", "bad"], 1, "FAIL bench bad score@0.9=-3 < 0\n"),
    (["--benchmark", "bench"], 1, "FAIL bench bad score@0.9=-3 < 0\n"),
])
def test_scope_by_model_and_benchmark(bench: Path, scope: list[str], code: int, out: str) -> None:
    result = invoke("check", str(bench), "--min", "score@0.9=0", *scope, "-q")
    assert result.exit_code == code
    assert result.stdout == out


@pytest.mark.parametrize("scope", [["--model", "nope"], ["--benchmark", "nope"]])
def test_unknown_scope_is_a_data_error(bench: Path, scope: list[str]) -> None:
    result = invoke("check", str(bench), "--min", "score@0.9=0", *scope, "-q")
    assert result.exit_code == 3
    assert "'nope' is not in the results" in result.stderr


@pytest.mark.parametrize("expr", ["score@0.9", "score=0.2", "bogus@0.9=1", "accuracy@0.5=1", "score@1=0",
                                  "score@0.9=abc", "score@x=1", "score@0.9=nan", "", "=3"])
def test_malformed_gate_exits_2(bench: Path, expr: str) -> None:
    result = invoke("check", str(bench), "--min", expr)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("rescore: error: --min")


@pytest.mark.parametrize("args", [[], ["--min", "accuracy=0.1", "--format", "xml"],
                                  ["--min", "accuracy=0.1", "-t", "0.5", "--preset", "kalai"],
                                  ["--min", "accuracy=0.1", "--on-error", "maybe"],
                                  ["--min", "accuracy=0.1", "--partial", "half"]])
def test_usage_errors_exit_2(bench: Path, args: list[str]) -> None:
    assert invoke("check", str(bench), *args).exit_code == 2


def test_missing_input_exits_3(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path / "none.csv"), "--min", "accuracy=0.1")
    assert result.exit_code == 3
    assert "file not found" in result.stderr


def test_json_equals_library_result(bench: Path) -> None:
    result = invoke("check", str(bench), "--min", "score@0.9=0", "--max", "error_rate=0.2", "-t", "0.5",
                    "--format", "json", "-q")
    assert result.exit_code == 1
    # the CLI reads in counts mode (gates need only counts)
    board = rescore.leaderboard(rescore.load(bench, need_items=False), [0.5, 0.9])
    expected = gates.check(board, ["score@0.9=0"], ["error_rate=0.2"]).to_dict()
    doc = json.loads(result.stdout)
    assert doc == json.loads(json.dumps(expected))
    assert doc["schema"] == "rescore.check" and doc["passed"] is False
    assert (doc["n_gates"], doc["n_failed"]) == (4, 2)
    assert [t["t"] for t in doc["provenance"]["thresholds"]] == [0.5, 0.9]
    # the FAIL lines still appear, on stderr, so a log shows why the job failed
    assert "FAIL bench bad score@0.9=-3 < 0" in result.stderr


def test_output_file_gets_json_and_stdout_gets_lines(bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "res" / "check.json"
    result = invoke("check", str(bench), "--min", "score@0.9=0", "-o", str(out), "-q")
    assert result.exit_code == 1
    assert result.stdout == "FAIL bench bad score@0.9=-3 < 0\n"
    doc = json.loads(out.read_text())
    assert [(r["model"], r["passed"], r["value"]) for r in doc["results"]] == [("bad", False, -3.0),
                                                                                ("good", True, 0.066667)]


def test_junit_xml_has_one_case_per_gate(bench: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = invoke("check", str(bench), "--min", "score@0.9=0", "--max", "error_rate=0.2", "--min",
                    "accuracy=0.5", "--junit", str(junit), "-q")
    assert result.exit_code == 1
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    failures = root.findall(".//testcase/failure")
    assert len(cases) == 6 and len(failures) == 2
    suite = root.find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("6", "2")
    failed = sorted(c.get("name") for c in cases if c.find("failure") is not None)
    assert failed == ["bad error_rate", "bad score@0.9"]
    assert failures[0].get("message", "").startswith("FAIL bench bad ")


def test_junit_all_pass(bench: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    assert invoke("check", str(bench), "--min", "accuracy=0.1", "--junit", str(junit), "-q").exit_code == 0
    root = ET.parse(junit).getroot()
    assert len(root.findall(".//testcase")) == 2 and not root.findall(".//failure")


def test_refuses_to_overwrite_an_input(bench: Path) -> None:
    assert invoke("check", str(bench), "--min", "accuracy=0.1", "--junit", str(bench)).exit_code == 2


def test_step_summary_is_appended(bench: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert invoke("check", str(bench), "--min", "score@0.9=0", "-q", env=env).exit_code == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "## rescore check: FAILED (1 of 2 gates)" in text
    assert "| ❌ FAIL | bench | bad | score@0.9=-3 &lt; 0 |" in text
    assert "## rescore leaderboard" in text
    before = len(text)
    assert invoke("leaderboard", str(bench), "-q", "-f", "json", env=env).exit_code == 0
    text = summary.read_text()
    assert len(text) > before and text.count("## rescore leaderboard") == 2


def test_step_summary_unwritable_is_a_data_error(bench: Path, tmp_path: Path) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "such" / "dir" / "summary.md")}
    result = invoke("check", str(bench), "--min", "accuracy=0.1", "-q", env=env)
    assert result.exit_code == 3
    assert "GITHUB_STEP_SUMMARY" in result.stderr


def _baseline(tmp_path: Path, data: Path, *ts: str) -> Path:
    out = tmp_path / "board.json"
    args = [x for t in ts for x in ("-t", t)]
    assert invoke("leaderboard", str(data), "-f", "json", "-o", str(out), "-q", *args).exit_code == 0
    return out


def test_baseline_unchanged_passes(bench: Path, tmp_path: Path) -> None:
    base = _baseline(tmp_path, bench, "0", "0.9")
    result = invoke("check", str(bench), "--baseline", str(base), "-q", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["n_gates"] == 4 and all(r["kind"] == "regression" for r in doc["results"])


def test_baseline_detects_significant_regression_only(tmp_path: Path) -> None:
    before = grades_csv(tmp_path / "bench.csv", {"a": (80, 10, 10), "b": (60, 20, 20)})
    base = _baseline(tmp_path, before, "0", "0.75")
    # a collapses (80 -> 50 correct); b moves within noise (60 -> 58 correct)
    after_dir = tmp_path / "after"
    after_dir.mkdir()
    after = grades_csv(after_dir / "bench.csv", {"a": (50, 40, 10), "b": (58, 22, 20)})
    result = invoke("check", str(after), "--baseline", str(base), "-q")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("FAIL bench a score@0=0.5 regressed from 0.8 (drop 0.3 > ")
    assert lines[1].startswith("FAIL bench a score@0.75=-0.7 regressed from 0.5 (drop 1.2 > ")
    # the allowed drop is z * sqrt(se_now^2 + se_before^2), from the leaderboard's own SEs
    board_now = rescore.leaderboard(rescore.load(after), [0, 0.75])
    doc = json.loads(base.read_text())
    result_lib = gates.evaluate(board_now, [], baseline=doc)
    row = next(r for r in result_lib.results if r.model == "a" and r.t == 0.0)
    se_now = float(board_now.rows.query("model == 'a' and t == 0")["se"].iloc[0])
    se_before = next(r["se"] for r in doc["rows"] if r["model"] == "a" and r["t"] == 0)
    assert row.allowed_drop == pytest.approx(1.959964 * math.hypot(se_now, se_before), rel=1e-5)


def test_baseline_model_missing_now_fails(tmp_path: Path) -> None:
    before = grades_csv(tmp_path / "bench.csv", {"a": (8, 1, 1), "gone": (5, 5, 0)})
    base = _baseline(tmp_path, before, "0.5")
    after_dir = tmp_path / "after"
    after_dir.mkdir()
    after = grades_csv(after_dir / "bench.csv", {"a": (8, 1, 1)})
    result = invoke("check", str(after), "--baseline", str(base), "-q")
    assert result.exit_code == 1
    assert result.stdout == "FAIL bench gone in the baseline but missing from the current results\n"
    # scoped to model a, the vanished model is out of scope
    assert invoke("check", str(after), "--baseline", str(base), "--model", "a", "-q").exit_code == 0


@pytest.mark.parametrize(("content", "needle"), [
    ("not json", "not readable JSON"),
    ('{"schema": "something.else", "rows": []}', "schema"),
    ('{"schema": "rescore.leaderboard"}', "no rows list"),
    ('{"schema": "rescore.leaderboard", "rows": [{"benchmark": "b", "model": "m", "t": 0.5}]}',
     "record 0, field 'score'"),
    ('{"schema": "rescore.leaderboard", "rows": [{"benchmark": "b", "model": "m", "t": 1.5, "score": 0}]}',
     "field 't'"),
])
def test_bad_baseline_exits_3(bench: Path, tmp_path: Path, content: str, needle: str) -> None:
    base = tmp_path / "base.json"
    base.write_text(content)
    result = invoke("check", str(bench), "--baseline", str(base))
    assert result.exit_code == 3
    assert str(base) in result.stderr and needle in result.stderr


def test_missing_baseline_file_exits_3(bench: Path, tmp_path: Path) -> None:
    result = invoke("check", str(bench), "--baseline", str(tmp_path / "nope.json"))
    assert result.exit_code == 3 and "baseline file not found" in result.stderr


def test_unavailable_metric_fails_loudly(tmp_path: Path) -> None:
    # a model that never answers has no accuracy on attempted: the gate cannot pass silently
    data = grades_csv(tmp_path / "bench.csv", {"mute": (0, 0, 10), "ok": (8, 1, 1)})
    result = invoke("check", str(data), "--min", "accuracy_on_attempted=0.5", "-q")
    assert result.exit_code == 1
    assert result.stdout == "FAIL bench mute accuracy_on_attempted unavailable (needs >= 0.5)\n"


def test_gate_threshold_is_added_to_the_board(bench: Path) -> None:
    result = invoke("check", str(bench), "-t", "0.5", "--min", "ci_low@0.75=-100", "-f", "json", "-q")
    assert result.exit_code == 0
    assert [t["t"] for t in json.loads(result.stdout)["provenance"]["thresholds"]] == [0.5, 0.75]


def test_library_requires_threshold_on_board(bench: Path) -> None:
    board = rescore.leaderboard(rescore.load(bench), [0.5])
    with pytest.raises(UsageError, match=r"add -t 0\.9"):
        gates.check(board, ["score@0.9=0"])
    with pytest.raises(UsageError, match="nothing to check"):
        gates.check(board)
    with pytest.raises(InputError):
        gates.check(board, ["accuracy=0"], models=["zzz"])


def test_parse_gate_forms() -> None:
    assert gates.parse_gate(" score @ 0.9 = 0.25 ", "min") == gates.Gate("score", 0.9, "min", 0.25)
    assert gates.parse_gate("error_rate=0.2", "max") == gates.Gate("error_rate", None, "max", 0.2)
    assert gates.parse_gate("break_even_t=-1e-3", "min").bound == -0.001
    assert gates.parse_gate("rank@0=1", "max").label == "rank@0"


def test_markdown_escapes_names() -> None:
    result = gates.CheckResult([gates.GateResult("b|x", "<m>", "accuracy", "min", "accuracy", None, 0.5, 0.1,
                                                 False, "accuracy=0.1 < 0.5")], provenance={})
    assert "| ❌ FAIL | b\\|x | &lt;m&gt; | accuracy=0.1 &lt; 0.5 |" in result.to_markdown()


def test_consoles_respect_no_color_and_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    from rescore.cli.common import stderr_console, stdout_console

    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert stdout_console().no_color and stderr_console().no_color
    monkeypatch.delenv("NO_COLOR")
    # under pytest neither stream is a terminal: no colour system, so no escape codes
    assert stdout_console().color_system is None and stderr_console().color_system is None
    assert not stdout_console().is_terminal


def test_no_escape_codes_when_not_a_tty(bench: Path) -> None:
    result = invoke("leaderboard", str(bench), env={"NO_COLOR": ""})
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr
    result = invoke("check", str(bench), "--min", "score@0.9=0", env={"NO_COLOR": ""})
    assert "\x1b[" not in result.stdout and "\x1b[" not in result.stderr


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rescore.read.workers import progress_wanted

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert progress_wanted() is False  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr", Terminal())
    assert progress_wanted() is True
    assert progress_wanted(quiet=True) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert progress_wanted() is False


def test_outputs_get_the_umask_mode_not_0600(bench: Path, tmp_path: Path) -> None:
    import os

    out = tmp_path / "check.json"
    invoke("check", str(bench), "--min", "accuracy=0.1", "-o", str(out), "-q")
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


def test_real_mmlu_pro_official_gates(tmp_path: Path) -> None:
    from .conftest import real_data

    folder = real_data("mmlu_pro_official")
    junit = tmp_path / "junit.xml"
    result = invoke("check", str(folder), "--min", "score@0.5=0", "--max", "error_rate=0.5", "--min", "n=350",
                    "--junit", str(junit), "-q")
    assert result.exit_code == 1
    # Llama-3-8B: 117 correct, 207 wrong, 26 unparsed (invalid -> wrong) of 350: S(0.5) = (117 - 233)/350
    assert result.stdout == ("FAIL mmlu_pro Meta-Llama-3-8B score@0.5=-0.3314 < 0\n"
                             "FAIL mmlu_pro Meta-Llama-3-8B error_rate=0.6657 > 0.5\n")
    root = ET.parse(junit).getroot()
    assert len(root.findall(".//testcase")) == 6 and len(root.findall(".//failure")) == 2
