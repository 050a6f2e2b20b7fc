"""One meaning per flag across commands (issue 19, point 3).

``-f/--format`` and ``-o/--output`` everywhere, ``jsonl`` and ``tsv`` for tables, ``-`` as stdin
and ``-o -`` as stdout, ``--model``/``--benchmark`` as glob filters and ``--model-name`` /
``--benchmark-name`` to rename.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer.main

from rescore.cli.app import app

from .conftest import invoke

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
SIMPLEQA = SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl"


@pytest.mark.parametrize("command", ["leaderboard", "compare", "calibration", "selective", "check", "inspect",
                                     "formats"])
def test_every_command_that_writes_takes_f_and_o(command: str) -> None:
    params = typer.main.get_command(app).commands[command].params  # type: ignore[attr-defined]
    opts = {opt for p in params if p.param_type_name == "option" for opt in p.opts}
    assert {"-f", "--format", "-o", "--output"} <= opts


def test_leaderboard_jsonl_and_tsv_hold_the_csv_table() -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("leaderboard", str(SAMPLE), "-q", "-f", "csv").stdout)))
    tsv = list(csv.DictReader(io.StringIO(invoke("leaderboard", str(SAMPLE), "-q", "-f", "tsv").stdout),
                              delimiter="\t"))
    assert tsv == rows
    lines = invoke("leaderboard", str(SAMPLE), "-q", "-f", "jsonl").stdout.splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == len(rows) and set(objects[0]) == set(rows[0])
    assert [round(o["score"], 6) for o in objects] == [round(float(r["score"]), 6) for r in rows]


def test_suffix_picks_the_format_and_dash_is_stdout(tmp_path: Path) -> None:
    out = tmp_path / "board.jsonl"
    assert invoke("leaderboard", str(SAMPLE), "-q", "-o", str(out)).exit_code == 0
    from_file = out.read_text()
    assert from_file == invoke("leaderboard", str(SAMPLE), "-q", "-f", "jsonl", "-o", "-").stdout
    assert all("model" in json.loads(line) for line in from_file.splitlines())


@pytest.mark.parametrize("command", ["compare", "calibration", "selective"])
def test_statistics_commands_write_tsv_and_jsonl(command: str, tmp_path: Path) -> None:
    extra = ["--bootstrap", "0"] if command == "compare" else []
    as_json = json.loads(invoke(command, str(SAMPLE), "-q", "-f", "json", *extra).stdout)
    lines = invoke(command, str(SAMPLE), "-q", "-f", "jsonl", *extra).stdout.splitlines()
    tsv = invoke(command, str(SAMPLE), "-q", "-f", "tsv", *extra).stdout.splitlines()
    assert len(lines) == len(tsv) - 1 > 0 and "\t" in tsv[0]
    main = {"compare": "rows", "calibration": "summary", "selective": "summary"}[command]
    assert [json.loads(line) for line in lines] == as_json[main]
    out = tmp_path / "stats.tsv"
    assert invoke(command, str(SAMPLE), "-q", "-o", str(out), *extra).exit_code == 0
    assert out.read_text().splitlines() == tsv
    assert list(tmp_path.glob("stats.*.tsv"))  # the other tables beside it


def test_dash_reads_stdin_as_the_file_would_be_read() -> None:
    from typer.testing import CliRunner

    by_path = json.loads(invoke("leaderboard", str(SIMPLEQA), "-q", "-f", "json").stdout)
    result = CliRunner().invoke(app, ["leaderboard", "-", "-q", "-f", "json"], input=SIMPLEQA.read_bytes(),
                                env={"COLUMNS": "100", "GITHUB_STEP_SUMMARY": None})  # type: ignore[dict-item]
    assert result.exit_code == 0, result.stderr
    from_stdin = json.loads(result.stdout)
    assert from_stdin["rows"] == by_path["rows"]


def test_empty_stdin_is_a_usage_error() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["leaderboard", "-", "-q"], input=b"")
    assert result.exit_code == 2 and "stdin is empty" in result.stderr


def _models(*args: str) -> set[str]:
    result = invoke("leaderboard", str(SAMPLE), "-q", "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    return {row["model"] for row in json.loads(result.stdout)["rows"]}


def test_model_and_benchmark_are_glob_filters() -> None:
    everyone = _models()
    acme = _models("--model", "acme/*")
    assert acme == {m for m in everyone if m.startswith("acme/")} and acme < everyone
    assert _models("--model", "acme/*", "--model", "*-8b") == {m for m in everyone if m.startswith("acme/")
                                                               or m.endswith("-8b")}
    rows = json.loads(invoke("leaderboard", str(SAMPLE), "-q", "-f", "json", "--benchmark", "gpqa").stdout)["rows"]
    assert {r["benchmark"] for r in rows} == {"gpqa"}


def test_a_filter_matching_nothing_says_what_was_read_and_how_to_rename() -> None:
    result = invoke("leaderboard", str(SAMPLE), "-q", "--model", "solo")
    assert result.exit_code == 3
    assert "--model 'solo' matches no model read" in result.stderr and "--model-name" in result.stderr


def test_model_name_renames(tmp_path: Path) -> None:
    path = tmp_path / "graded.csv"
    path.write_text("question_id,grade\nq1,CORRECT\nq2,INCORRECT\n")
    result = invoke("leaderboard", str(path), "-q", "-f", "json", "--model-name", "mine", "--benchmark-name", "quiz")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert {(r["model"], r["benchmark"]) for r in rows} == {("mine", "quiz")}


def test_check_model_filter_takes_globs() -> None:
    result = invoke("check", str(SAMPLE), "--min", "score@0.5=-100", "--model", "acme/*", "-f", "jsonl")
    assert result.exit_code == 0, result.stderr
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert results and {r["model"] for r in results} <= {"acme/bold-70b", "acme/careful-70b"}


def test_formats_and_inspect_take_f_and_o(tmp_path: Path) -> None:
    old = json.loads(invoke("formats", "--json").stdout)  # the old spelling still works
    assert json.loads(invoke("formats", "-f", "json").stdout) == old
    assert [json.loads(line) for line in invoke("formats", "-f", "jsonl").stdout.splitlines()] == old
    out = tmp_path / "adapters.json"
    assert invoke("formats", "-o", str(out)).exit_code == 0 and json.loads(out.read_text()) == old
    reports = [json.loads(line) for line in invoke("inspect", str(SAMPLE), "-f", "jsonl", "--model", "nova/*")
               .stdout.splitlines()]
    assert reports and all(any(m.startswith("nova/") for m in r["models"]) or r.get("error") for r in reports)
    text = tmp_path / "inspect.txt"
    assert invoke("inspect", str(SIMPLEQA), "-o", str(text), "-q").exit_code == 0
    assert "producer:" in text.read_text()
