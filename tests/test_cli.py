"""The CLI: every flag, every error path, exit codes, and --format json == the library's result."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import rescore
from rescore.cli.app import app
from rescore.errors import InputError

from .conftest import SAMPLE, invoke

PLAIN = "model,question_id,pred,answer,confidence\n" + "".join(
    f"m{m},q{i},{'A' if (i + m) % 3 else 'B'},A,{0.5 + 0.05 * (i % 9)}\n" for m in range(3) for i in range(30)
)


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "bench.csv"
    path.write_text(PLAIN)
    return path


def test_help_fits_and_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "leaderboard" in result.stdout and "prompt" in result.stdout
    assert invoke("--version").stdout.startswith("rescore ")


def test_leaderboard_on_sample_data_shows_rank_changes() -> None:
    result = invoke("leaderboard", str(SAMPLE))
    assert result.exit_code == 0, result.stderr
    assert "mmlu_pro" in result.stdout and "simpleqa" in result.stdout
    assert "▲" in result.stdout and "▼" in result.stdout
    assert "note:" in result.stderr


def test_json_output_equals_library_result(plain: Path) -> None:
    result = invoke("leaderboard", str(plain), "-t", "0", "-t", "0.75", "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    expected = rescore.leaderboard(rescore.load(plain), [0, 0.75]).to_dict()
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))
    doc = json.loads(result.stdout)
    assert doc["schema"] == "rescore.leaderboard" and doc["schema_version"] == 1
    assert [t["penalty"] for t in doc["provenance"]["thresholds"]] == [0, 3]


def test_json_output_with_all_scoring_flags_equals_library(plain: Path) -> None:
    args = ["--partial", "abstain", "--invalid", "drop", "--idk-credit", "0.25", "--cluster", "none",
            "--level", "0.9"]
    result = invoke("leaderboard", str(plain), "--preset", "kalai", "-f", "json", "-q", *args)
    assert result.exit_code == 0, result.stderr
    expected = rescore.leaderboard(plain, [0.5, 0.75, 0.9], partial="abstain", invalid="drop", idk_credit=0.25,
                                   cluster="none", level=0.9).to_dict()
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))


def test_output_is_deterministic(plain: Path) -> None:
    first = invoke("leaderboard", str(plain), "-f", "json", "-q").stdout
    assert first == invoke("leaderboard", str(plain), "-f", "json", "-q").stdout


@pytest.mark.parametrize(("suffix", "fmt"), [(".csv", "csv"), (".json", "json"), (".md", "markdown"),
                                             (".parquet", "parquet")])
def test_output_files_by_suffix(plain: Path, tmp_path: Path, suffix: str, fmt: str) -> None:
    out = tmp_path / "out" / f"board{suffix}"
    result = invoke("leaderboard", str(plain), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.exists() and f"wrote {out}" in result.stderr
    assert not list(out.parent.glob(".*.tmp"))
    if fmt == "csv":
        table = pd.read_csv(out)
        assert {"score", "ci_low", "ci_high", "rank", "invalid_policy", "rescore_version"} <= set(table.columns)
        assert len(table) == 3 * 4
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(out).metadata
        assert b"rescore.provenance" in meta
        assert len(pd.read_parquet(out)) == 12
    elif fmt == "markdown":
        text = out.read_text()
        assert text.startswith("## rescore leaderboard") and "Policies:" in text and "penalty 9" in text


def test_markdown_top(plain: Path) -> None:
    result = invoke("leaderboard", str(plain), "-f", "markdown", "--top", "1", "-q")
    assert result.exit_code == 0
    table_rows = [line for line in result.stdout.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert len(table_rows) == 1


def test_csv_to_stdout(plain: Path) -> None:
    result = invoke("leaderboard", str(plain), "-f", "csv", "-q")
    assert result.exit_code == 0 and result.stdout.startswith("benchmark,model,t,")


def test_explain_counts_rules() -> None:
    result = invoke("leaderboard", str(SAMPLE), "--explain", "-q", "-t", "0")
    assert result.exit_code == 0
    assert "abstention phrase" in result.stdout and "prediction vs gold" in result.stdout


def test_column_flags(tmp_path: Path) -> None:
    path = tmp_path / "results.parquet"
    pd.DataFrame({"model": ["a", "a", "b", "b"], "q": [1, 2, 1, 2], "pred": ["x", "y", "x", "x"],
                  "answer": ["x", "x", "x", "x"], "c": [0.9, 0.1, 0.6, 0.7], "sub": ["s1", "s2", "s1", "s2"]}
                 ).to_parquet(path)
    result = invoke("leaderboard", str(path), "--model-col", "model", "--pred-col", "pred", "--gold-col", "answer",
                    "--id-col", "q", "--confidence-col", "c", "--subset-col", "sub", "--benchmark-name", "bx",
                    "--cluster", "subset", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {g["benchmark"] for g in doc["groups"]} == {"bx"}
    assert {g["se_method"] for g in doc["groups"]} == {"clustered:subset+score-deff"}


def test_abstain_phrase_flag(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("model,id,pred,answer\nm,1,pas de réponse,A\nm,2,A,A\n")
    result = invoke("leaderboard", str(path), "--abstain-phrase", "pas de réponse", "-f", "json", "-q")
    group = json.loads(result.stdout)["groups"][0]
    assert group["n_abstain"] == 1 and group["n_correct"] == 1


def test_model_and_mapping_flags(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("item_id: k\ncorrect: ok\n")
    path = tmp_path / "b.csv"
    path.write_text("k,ok\n1,yes\n2,no\n")
    result = invoke("leaderboard", str(path), "--mapping", str(mapping), "--model-name", "solo", "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["groups"][0]["model"] == "solo"


def test_skip_unknown_and_on_error(tmp_path: Path) -> None:
    (tmp_path / "good.csv").write_text("model,id,correct\nm,1,1\nm,2,0\n")
    (tmp_path / "junk.bin").write_bytes(b"\x00")
    (tmp_path / "bad.jsonl").write_text('{"model": "m", "id": 1, "correct": 1}\n{oops\n')
    assert invoke("leaderboard", str(tmp_path)).exit_code == 3
    result = invoke("leaderboard", str(tmp_path), "--skip-unknown", "--on-error", "skip", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "junk.bin" in result.stderr
    assert invoke("leaderboard", str(tmp_path), "--on-error", "maybe").exit_code == 2


# ---- errors and exit codes --------------------------------------------------------------------
@pytest.mark.parametrize("t", ["1", "1.5", "-0.1"])
def test_threshold_outside_range_is_usage_error(plain: Path, t: str) -> None:
    result = invoke("leaderboard", str(plain), "-t", t)
    assert result.exit_code == 2
    assert "outside [0, 1)" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--partial", "half"], 2, "--partial"),
        (["--invalid", "correct"], 2, "--invalid"),
        (["--cluster", "galaxy"], 2, "--cluster"),
        (["--preset", "nope"], 2, "unknown preset"),
        (["--preset", "kalai", "-t", "0.5"], 2, "either --preset or -t"),
        (["-f", "xml"], 2, "--format"),
        (["-f", "parquet"], 2, "needs -o"),
        (["--level", "0.2"], 2, "confidence level"),
        (["--idk-credit", "3"], 2, "--idk-credit"),
        (["--format-hint", "nope"], 2, "unknown format"),
        (["--pred-col", "zzz"], 3, "'zzz'"),
    ],
)
def test_usage_and_data_errors(plain: Path, args: list[str], code: int, needle: str) -> None:
    result = invoke("leaderboard", str(plain), *args)
    assert result.exit_code == code, result.stderr
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_missing_file_is_data_error() -> None:
    result = invoke("leaderboard", "does/not/exist.csv")
    assert result.exit_code == 3 and "does/not/exist.csv: file not found" in result.stderr


def test_empty_and_unreadable(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    result = invoke("leaderboard", str(tmp_path / "empty.jsonl"))
    assert result.exit_code == 3 and "empty" in result.stderr


def test_debug_shows_traceback(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    result = invoke("leaderboard", str(tmp_path / "empty.jsonl"), "--debug")
    assert result.exit_code == 3 and "Traceback" in result.stderr


def test_missing_argument_is_usage_error() -> None:
    assert invoke("leaderboard").exit_code == 2
    assert invoke("leaderboard", "x", "--no-such-flag").exit_code == 2


def test_never_writes_over_an_input(plain: Path) -> None:
    before = plain.read_text()
    result = invoke("leaderboard", str(plain), "-o", str(plain), "-f", "csv")
    assert result.exit_code == 2 and "inputs" in result.stderr
    assert plain.read_text() == before


def test_prompt_command() -> None:
    result = invoke("prompt", "-t", "0.9")
    assert result.stdout.strip() == (
        "Answer only if you are more than 90% confident, since mistakes are penalized 9 points, while correct "
        "answers receive 1 point, and an answer of 'I don't know' receives 0 points."
    )
    assert "penalized 3 points" in invoke("prompt", "-t", "0.75").stdout
    assert "penalized 1 point," in invoke("prompt", "-t", "0.5").stdout
    assert invoke("prompt", "-t", "1").exit_code == 2


def test_every_command_is_documented_in_the_cli_reference() -> None:
    import typer.main

    readme = (SAMPLE.parent / "docs" / "cli.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"### `rescore {name}`" in readme, name
        assert command.help, name


def test_help_fits_one_screen_and_help_all_shows_every_flag(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from rescore.cli import app as app_module
    from rescore.cli import options

    short = invoke("leaderboard", "--help").stdout
    assert len(short.splitlines()) <= 60
    assert "--threshold" in short and "--model-col" not in short and "--help-all" in short
    monkeypatch.setattr("sys.argv", ["rescore", "leaderboard", "--help-all"])
    monkeypatch.setenv("COLUMNS", "100")
    try:
        with pytest.raises(SystemExit) as done:
            app_module.main()
    finally:
        options.show_advanced(False)
    assert done.value.code == 0
    full = capsys.readouterr().out
    for flag in ("--model-col", "--filter", "--scorer", "--engine", "--jobs", "--pass-score"):
        assert flag in full
    assert "--model-col" not in invoke("leaderboard", "--help").stdout  # hidden again afterwards


@pytest.mark.parametrize(("command", "builder"), [
    ("leaderboard", "build_leaderboard"), ("check", "build_leaderboard"), ("report", "build_leaderboard"),
    ("compare", "build_report"), ("calibration", "build_report"), ("selective", "build_report"),
])
def test_scoring_flags_reach_the_library(command: str, builder: str, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    """The scoring flags are declared once (``scores_outcomes``); every command that has them hands
    the values typed on its command line to the library's builder, not the defaults."""
    import importlib

    seen: dict = {}

    def stand_in(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)
        raise InputError("stand-in builder: arguments captured")

    monkeypatch.setattr(importlib.import_module(f"rescore.cli.commands.{command}"), builder, stand_in)
    needs = {"check": ["--min", "score@0.5=0"], "report": ["-o", str(tmp_path / "r.html")]}.get(command, [])
    result = invoke(command, str(SAMPLE), *needs, "--partial", "abstain", "--invalid", "drop", "--idk-credit", "0.25")
    assert result.exit_code == 3 and "arguments captured" in result.stderr
    assert (seen["partial"], seen["invalid"], seen["idk_credit"]) == ("abstain", "drop", 0.25)


def test_skipped_files_are_one_line_per_kind_on_the_terminal_and_all_in_json() -> None:
    from rescore.cli.output import skipped_lines

    skipped = [("a/results_1.json", "lm-eval results file; read with samples_x_1.jsonl"),
               ("b/results_2.json", "lm-eval results file; read with samples_x_2.jsonl"),
               ("c/s_summary.json", "SimpleQA grader summary (read with its _results.jsonl)"),
               ("d/README.md", "documentation or script, not results")]
    assert skipped_lines(skipped) == [
        "lm-eval results file; read with samples_x_1.jsonl (2 files: a/results_1.json, ...)",
        "c/s_summary.json: SimpleQA grader summary (read with its _results.jsonl)",
        "d/README.md: documentation or script, not results",
    ]
    result = invoke("leaderboard", str(SAMPLE), "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.count("skipped: ") == 2  # lm-eval results files, SimpleQA summaries
    assert len(json.loads(result.stdout)["provenance"]["skipped"]) == 10


def test_leaderboard_and_policy_tables_fit_80_columns_with_long_model_names(tmp_path: Path) -> None:
    # a no-wrap model column used to push the later thresholds off the right edge
    long = ["organisation-with-a-long-name/model-alpha-70b-instruct", "organisation-with-a-long-name/model-beta-8b"]
    lines = ["model,question_id,grade,confidence"] + [
        f"{m},q{i},{(i * (k + 2)) % 3 == 0},{0.3 + 0.6 * ((i * 7 + k) % 11) / 10:.2f}"
        for k, m in enumerate(long) for i in range(60)]
    path = tmp_path / "quiz.csv"
    path.write_text("\n".join(lines) + "\n")
    result = invoke("leaderboard", str(path), "-q", "--policy", "both", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    board = rescore.leaderboard(rescore.load(path), confidence_policy="both")
    for score in board.rows["score"]:
        assert f"{score:+.3f}" in text
    for score in board.policy_rows["score_policy"]:
        assert f"{score:+.3f}" in text
    for t in (0.5, 0.75, 0.9):
        assert f"t={t:g}" in text and f"S*(t={t:g})" in text


def test_library_refuses_unknown_or_misplaced_options() -> None:
    # a misspelt keyword used to be kept as an "extra" option and change nothing
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'reextrakt'"):
        rescore.load(SAMPLE / "mmlu_pro_mini", reextrakt=True)
    data = rescore.load(SAMPLE / "mmlu_pro_mini")
    with pytest.raises(TypeError, match="already a loaded Dataset"):
        rescore.leaderboard(data, policy="both")  # confidence_policy= was meant
    from rescore.score import calibration

    with pytest.raises(TypeError, match="already loaded"):
        calibration.build_report(data, latest=True)
    assert rescore.leaderboard(SAMPLE / "mmlu_pro_mini", [0.5], latest=True).rows["t"].tolist()[0] == 0.5
