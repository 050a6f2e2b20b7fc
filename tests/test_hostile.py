"""Issue 17: rescore used as a hostile user would, one test per class (docs/hostile.md).

Outputs go where the user means them, whole or not at all; untrusted text is neutralised;
odd values never become a wrong column; every error is one line naming its file.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from rescore.errors import OutputError
from rescore.report.atomic import write_atomic, write_many, write_text_atomic
from rescore.report.safe_text import escape_controls, markdown_text, neutralise_cell

from .conftest import SAMPLE, invoke, write_jsonl

MMLU = SAMPLE / "mmlu_pro_mini"


def _one_error(result, code: int = 3) -> str:
    """The single stderr line of a failed run (asserting its exit code and no traceback)."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- 1. outputs ---------------------------------------------------------------------------------
def test_output_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real" / "board.csv"
    target.parent.mkdir()
    target.write_text("stale")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = invoke("leaderboard", str(MMLU), "-q", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("benchmark,model,")
    # the temporary file was made beside the target, and is gone
    assert sorted(p.name for p in target.parent.iterdir()) == ["board.csv"]


def _fifo_with_a_reader(fifo: Path) -> tuple[list[bytes], threading.Thread]:
    """Make ``fifo`` and start a thread that reads it whole (a FIFO's writer blocks until a reader
    opens it); the bytes land in the returned list once the thread is joined."""
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    return received, reader


def test_output_to_a_fifo_writes_into_it_and_never_replaces_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    received, reader = _fifo_with_a_reader(fifo)
    write_text_atomic(fifo, "hello through a pipe\n")
    reader.join(5)
    assert received == [b"hello through a pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_dash_output_is_stdout(tmp_path: Path) -> None:
    as_file = tmp_path / "board.json"
    assert invoke("leaderboard", str(MMLU), "-q", "-o", str(as_file)).exit_code == 0
    result = invoke("leaderboard", str(MMLU), "-q", "-f", "json", "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["schema"] == json.loads(as_file.read_text())["schema"]
    assert not (Path.cwd() / "-").exists()


def test_several_outputs_are_all_written_or_none_replaced(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a")
    second.write_text("old b")

    def fail(path: Path) -> None:
        path.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=r"cannot write .*b\.csv: No space left on device"):
        write_many([(first, lambda p: p.write_text("new a")), (second, fail)])
    assert (first.read_text(), second.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    write_many([(first, lambda p: p.write_text("new a")), (second, lambda p: p.write_text("new b"))])
    assert (first.read_text(), second.read_text()) == ("new a", "new b")


def test_calibration_csv_and_its_side_files_are_staged_together(tmp_path: Path) -> None:
    out = tmp_path / "cal.csv"
    result = invoke("calibration", str(MMLU), "-q", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "cal.csv" in written and len(written) > 1 and not any(n.endswith(".tmp") for n in written)


def test_unwritable_target_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_error(invoke("leaderboard", str(MMLU), "-q", "-o", str(blocker / "board.csv")))
    assert line == f"rescore: error: cannot write {blocker / 'board.csv'}: Not a directory"
    line = _one_error(invoke("leaderboard", str(MMLU), "-q", "-f", "csv", "-o", str(tmp_path)))
    assert line == f"rescore: error: cannot write {tmp_path}: it is a folder"


def test_write_atomic_gives_a_new_file_the_umask_mode(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "x.txt", lambda p: p.write_text("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


# -- 6. untrusted text --------------------------------------------------------------------------
EVIL = "evil\x1b[2J\x1b]8;;http://x.example\x07link\x00\u202egnp.exe"


def _hostile_table(tmp_path: Path) -> Path:
    rows = [{"model": name, "id": i, "correct": i % 2 == 0}
            for name in (EVIL, "=HYPERLINK(\"http://x\")", "[click](http://x) *b*") for i in range(6)]
    return write_jsonl(tmp_path / "runs.jsonl", rows)


def test_escape_controls_shows_ansi_osc_nul_and_bidi() -> None:
    assert escape_controls(EVIL) == "evil\\x1b[2J\\x1b]8;;http://x.example\\x07link\\x00\\u202egnp.exe"
    assert escape_controls("acme/bold-70b ünïcödé 模型") == "acme/bold-70b ünïcödé 模型"


def test_terminal_table_shows_hostile_names_escaped(tmp_path: Path) -> None:
    result = invoke("leaderboard", str(_hostile_table(tmp_path)), "-q")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[2J" in result.stdout.replace("\n", "").replace(" ", "")


def test_markup_in_a_name_is_literal_in_inspect(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [{"model": "[/]x[bold]", "id": i, "correct": True}
                                                 for i in range(3)])
    result = invoke("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    assert "models: [/]x[bold]" in result.stdout


def test_csv_cells_are_neutralised_unless_raw(tmp_path: Path) -> None:
    path = _hostile_table(tmp_path)
    safe = invoke("leaderboard", str(path), "-q", "-f", "csv")
    raw = invoke("leaderboard", str(path), "-q", "-f", "csv", "--raw-csv")
    assert safe.exit_code == raw.exit_code == 0
    assert ",'=HYPERLINK" in safe.stdout.replace('"', "") and ",=HYPERLINK" not in safe.stdout.replace('"', "")
    assert ",=HYPERLINK" in raw.stdout.replace('"', "")
    # numbers are never touched: negative scores stay numbers
    assert ",-0." in safe.stdout or ",-1." in safe.stdout
    assert neutralise_cell("-0.5") == "'-0.5" and neutralise_cell(-0.5) == -0.5
    assert [neutralise_cell(c + "x") for c in "=+-@\t\r"] == ["'" + c + "x" for c in "=+-@\t\r"]


def test_markdown_escapes_link_and_emphasis_in_names(tmp_path: Path) -> None:
    result = invoke("leaderboard", str(_hostile_table(tmp_path)), "-q", "-f", "markdown")
    assert result.exit_code == 0
    assert "\\[click\\](http://x) \\*b\\*" in result.stdout
    assert "[click](http://x)" not in result.stdout and "\x1b" not in result.stdout
    assert markdown_text("mmlu_pro") == "mmlu_pro" and markdown_text("_x_") == "\\_x\\_"


def test_html_report_escapes_controls(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = invoke("report", str(_hostile_table(tmp_path)), "-q", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text


def test_error_message_escapes_controls_from_the_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [{"model": "m", "id": 1, "correct": True,
                                                  "confidence": "\x1b[31mhigh-ish"}])
    line = _one_error(invoke("leaderboard", str(path), "-q"))
    assert "\x1b" not in line and "\\x1b[31m" in line


# -- 5. no heuristic turns one odd value into a wrong column ------------------------------------
def test_one_confidence_above_one_among_fractions_is_an_error_naming_its_line(tmp_path: Path) -> None:
    rows = [{"model": "m", "id": i, "correct": True, "confidence": 0.6} for i in range(9)]
    rows[4]["confidence"] = 1.5
    line = _one_error(invoke("leaderboard", str(write_jsonl(tmp_path / "runs.jsonl", rows)), "-q"))
    assert "runs.jsonl, line 5, field 'confidence': confidence '1.5' is above 1" in line


def test_a_percentage_column_is_still_read_as_percentages(tmp_path: Path) -> None:
    import rescore

    rows = [{"model": "m", "id": i, "correct": True, "confidence": c} for i, c in enumerate([85, 60, 1, 0, 99])]
    data = rescore.load([write_jsonl(tmp_path / "runs.jsonl", rows)])
    assert sorted(data.items["confidence"].round(2)) == [0.0, 0.01, 0.6, 0.85, 0.99]


@pytest.mark.parametrize(("value", "reason"), [('""', "blank or missing"), ("null", "blank or missing"),
                                               ("5", "not text (int '5')"), ('["a"]', "not text (list")])
def test_bad_model_name_is_an_error_naming_the_record(tmp_path: Path, value: str, reason: str) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text('{"model": "b", "id": 1, "correct": true}\n'
                    f'{{"model": {value}, "id": 2, "correct": false}}\n')
    line = _one_error(invoke("leaderboard", str(path), "-q"))
    assert f"runs.jsonl, line 2, field 'model': model name is {reason}" in line
    assert invoke("leaderboard", str(path), "-q", "--model-name", "x").exit_code == 0


def test_blank_model_in_parquet_is_named_on_the_fast_path_too(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "runs.parquet"
    pd.DataFrame({"model": ["a", " ", "b"], "id": [1, 2, 3], "correct": [1, 0, 1]}).to_parquet(path)
    assert "runs.parquet, record 2, field 'model': model name is blank" in _one_error(
        invoke("leaderboard", str(path), "-q"))


@pytest.mark.parametrize(("command", "flag", "value", "message"), [
    ("leaderboard", "--pass-score", "nan", "--pass-score must be a finite number"),
    ("leaderboard", "--instructed-t", "1", "--instructed-t must be in [0, 1)"),
    ("compare", "--seed", "-1", "--seed must be a non-negative integer"),
    ("compare", "--bootstrap", "1000000000", "--bootstrap must be an integer from 0 to 100,000"),
    ("calibration", "--bins", "1000000000", "--bins must be an integer from 1 to 10,000"),
])
def test_option_values_are_checked_with_exit_2(command: str, flag: str, value: str, message: str) -> None:
    line = _one_error(invoke(command, str(MMLU), "-q", flag, value), code=2)
    assert line.startswith(f"rescore: error: {message}")


def test_a_value_outside_a_flags_choices_is_one_line_exit_2_naming_them() -> None:
    # issue 19: closed sets are choices that typer checks (and lists in --help, and completes);
    # issue 17: like every other error, one line (click's framed usage box is folded into it)
    line = _one_error(invoke("leaderboard", str(MMLU), "-q", "--denominator", "all"), code=2)
    assert line.startswith("rescore: error: ")
    assert "'--denominator': 'all' is not one of 'submitted', 'dataset'" in line
    assert line.endswith("(see 'rescore leaderboard -h')")


@pytest.mark.parametrize(("args", "needle"), [
    (["leaderboard", str(MMLU), "--no-such-flag"], "No such option: --no-such-flag"),
    (["leaderboard"], "Missing argument 'PATH'"),
    (["leaderbord", str(MMLU)], "No such command 'leaderbord'"),
    (["compare", str(MMLU), "--seed", "x"], "'x' is not a valid int"),
])
def test_every_parse_error_is_one_line_exit_2(args: list[str], needle: str) -> None:
    line = _one_error(invoke(*args), code=2)
    assert line.startswith("rescore: error: ") and needle in line


def test_a_bare_rescore_still_prints_the_help_page() -> None:
    result = invoke()
    assert result.exit_code == 2 and "Usage: rescore" in result.stdout + result.stderr
    assert "leaderboard" in result.stdout + result.stderr


# -- 7. every error names its file --------------------------------------------------------------
def _parquet(path: Path, rows: int = 5000, compression: str = "snappy") -> Path:
    import numpy as np
    import pandas as pd

    pd.DataFrame({"model": ["a"] * rows, "id": range(rows), "correct": np.arange(rows) % 2}).to_parquet(
        path, compression=compression)
    return path


def test_corrupt_parquet_data_page_is_named(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "runs.parquet", 50_000)
    data = bytearray(path.read_bytes())
    for i in range(1000, 1400):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    line = _one_error(invoke("leaderboard", str(path), "-q"))
    assert line.startswith("rescore: error: ") and "runs.parquet: Parquet data is corrupt" in line
    good = _parquet(tmp_path / "good.parquet")
    skipped = invoke("leaderboard", str(path), str(good), "--on-error", "skip", "-f", "csv")
    assert skipped.exit_code == 0 and "skipped: " in skipped.stderr and "runs.parquet" in skipped.stderr


def test_truncated_eval_says_the_zip_is_damaged(tmp_path: Path) -> None:
    import zipfile

    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w") as archive:
        archive.writestr("header.json", json.dumps({"version": 2, "eval": {"task": "t"}}))
    path = tmp_path / "log.eval"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    line = _one_error(invoke("leaderboard", str(path), "-q"))
    assert line.startswith(f"rescore: error: {path}: the zip archive is damaged or truncated")
    good = _parquet(tmp_path / "good.parquet")
    assert invoke("leaderboard", str(path), str(good), "-q", "--on-error", "skip").exit_code == 0


def test_permission_error_is_one_line_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rescore.read.per_file import as_input_error

    path = write_jsonl(tmp_path / "runs.jsonl", [{"model": "m", "id": 1, "correct": True}])
    real_open = Path.open

    def no_permission(self: Path, *args, **kwargs):  # what a chmod 000 file does (the suite may run as root)
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_permission)
    assert _one_error(invoke("leaderboard", str(path), "-q")) == \
        f"rescore: error: {path}: cannot read file (permission denied)"
    named = as_input_error(PermissionError(13, "Permission denied"), path)
    assert named is not None and str(named) == f"{path}: cannot read file (permission denied)"


def test_file_name_that_is_not_utf8_is_named_escaped(tmp_path: Path) -> None:
    import os

    name = os.fsdecode(b"caf\xe9.jsonl")
    path = write_jsonl(tmp_path / name, [{"model": "m", "id": 1, "correct": True}])
    line = _one_error(invoke("leaderboard", str(path), "-q"))
    assert line == f"rescore: error: {tmp_path}/caf\\xe9.jsonl: file name is not valid UTF-8; rename the file"
    good = write_jsonl(tmp_path / "good.jsonl", [{"model": "m", "id": 1, "correct": True}])
    assert invoke("leaderboard", str(path), str(good), "-q", "--on-error", "skip").exit_code == 0


def test_baseline_with_a_non_numeric_score_is_named(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"schema": "rescore.leaderboard",
                                "rows": [{"benchmark": "b", "model": "m", "t": 0, "score": "abc"}]}))
    line = _one_error(invoke("check", str(MMLU), "-q", "--baseline", str(base)))
    assert line == f"rescore: error: {base}, record 0, field 'score': baseline score is not a number: 'abc'"


def test_mapping_that_is_not_a_mapping_is_named(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("- a\n- b\n")
    path = write_jsonl(tmp_path / "runs.jsonl", [{"model": "m", "id": 1, "correct": True}])
    line = _one_error(invoke("leaderboard", str(path), "-q", "--mapping", str(mapping)))
    assert line == f"rescore: error: {mapping}: mapping file must map roles to column names (role: column), found list"


def test_nothing_to_score_names_the_file(tmp_path: Path) -> None:
    import rescore
    from rescore.read.assemble import Dataset
    from rescore.read.schema import empty_items
    from rescore.read.sources import SourceInfo

    data = Dataset(items=empty_items(), sources=[SourceInfo(str(tmp_path / "empty.jsonl"))])
    with pytest.raises(Exception, match=r"nothing to score: no graded items in .*empty\.jsonl"):
        rescore.leaderboard(data)


# -- 4. nothing skipped in silence (the parts outside the folder walk) --------------------------
def test_duplicate_zip_member_is_an_error_naming_it(tmp_path: Path) -> None:
    import warnings
    import zipfile

    from rescore.errors import InputError
    from rescore.read.zipfiles import SafeZip

    path = tmp_path / "log.eval"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: that is the point
        archive.writestr("header.json", "{}")
        archive.writestr("samples/1_epoch_1.json", '{"score": 1}')
        archive.writestr("samples/1_epoch_1.json", '{"score": 0}')
    with pytest.raises(InputError, match=r"log\.eval, field 'samples/1_epoch_1\.json': the zip archive holds this "
                                         "member twice"):
        SafeZip(path)


def test_duplicate_csv_header_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("model,id,correct,correct\na,1,true,false\n")
    assert _one_error(invoke("leaderboard", str(path), "-q")) == \
        f"rescore: error: {path}, line 1: the header names column(s) 'correct' more than once"


@pytest.mark.parametrize("content", ['{"results": {"x": ', '{"a": 1}'])
def test_corrupt_lm_eval_results_file_is_named_not_a_silent_fallback(tmp_path: Path, content: str) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(SAMPLE / "lm_eval" / "acme__bold-70b", run)
    results = next(run.glob("results_*.json"))
    results.write_text(content)
    for extra in ((), ("--cluster", "item")):  # counts mode (fast path) and item mode
        line = _one_error(invoke("leaderboard", str(run), "-q", *extra))
        assert line.startswith(f"rescore: error: {results}: the run's results file is ")
        assert "folder name" not in line


def test_fifo_named_explicitly_is_read_once_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "runs.jsonl"
    os.mkfifo(fifo)
    body = "".join(json.dumps({"model": "m", "id": i, "correct": i % 2 == 0}) + "\n" for i in range(6))

    def feed() -> None:
        with fifo.open("w") as handle:  # one writer: a second open by rescore would hang
            handle.write(body)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = invoke("leaderboard", str(fifo), "-q", "-f", "json")
    writer.join(5)
    assert result.exit_code == 0, result.stderr
    board = json.loads(result.stdout)
    assert [s["path"] for s in board["provenance"]["sources"]] == [str(fifo)]  # never the temporary copy
    assert board["groups"][0]["n_correct"] == 3


def test_endless_stream_is_refused_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rescore.read import streams

    monkeypatch.setattr(streams, "MAX_STREAM_BYTES", 4 << 20)
    line = _one_error(invoke("leaderboard", "/dev/zero", "-q", "--format-hint", "inspect_ai"))
    assert line == "rescore: error: /dev/zero: the stream is longer than 4 MB (the limit for a pipe or device); " \
                   "write it to a file first"


# -- 2. bounded resources -----------------------------------------------------------------------
def _ifeval(folder: Path, long_response: str) -> Path:
    folder.mkdir()
    rec = {"follow_all_instructions": True, "follow_instruction_list": [True], "instruction_id_list": ["kw:0"],
           "prompt": "p", "response": "r"}
    return write_jsonl(folder / "eval_results_strict.jsonl", [rec, {**rec, "prompt": "q", "response": long_response}])


@pytest.mark.parametrize("which", ["ifeval", "omni_math"])
def test_every_line_reader_honours_the_line_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  which: str) -> None:
    from rescore.read import tables

    monkeypatch.setattr(tables, "MAX_LINE_BYTES", 1 << 16)
    if which == "ifeval":
        path = _ifeval(tmp_path / "run", "x" * (1 << 17))
        hint = "ifeval"
    else:
        import shutil

        path = tmp_path / "qwen-math-7b_gpteval.jsonl"
        shutil.copy(SAMPLE.parent / "tests" / "fixtures" / "omni_math" / "qwen-math-7b_gpteval.jsonl", path)
        first = json.loads(path.read_text().splitlines()[0])
        with path.open("a") as handle:
            handle.write(json.dumps({**first, "model_generation": "x" * (1 << 17)}) + "\n")
        hint = "omni_math"
    line = _one_error(invoke("leaderboard", str(path), "-q", "--format-hint", hint))
    assert line.startswith(f"rescore: error: {path}, line ") and line.endswith("line longer than 0 MB")


def test_whole_json_documents_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rescore.read import tables

    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1 << 10)
    path = tmp_path / "log.json"
    path.write_text(json.dumps({"version": 2, "status": "success", "eval": {"task": "t"}, "samples": ["x" * 4096]}))
    line = _one_error(invoke("leaderboard", str(path), "-q", "--format-hint", "inspect_ai"))
    assert line == f"rescore: error: {path}: file is over the 0 MB limit for a whole JSON document"


def _many_models(path: Path, models: int = 104, items: int = 12) -> Path:
    import random

    rng = random.Random(5)
    rows = []
    for k in range(models):
        skill = rng.random()
        rows += [{"model": f"m{k:03d}", "id": i, "correct": rng.random() < skill} for i in range(items)]
    return write_jsonl(path, rows)


def test_compare_on_many_models_tests_only_the_adjacent_pairs_by_default(tmp_path: Path) -> None:
    path = _many_models(tmp_path / "runs.jsonl")
    result = invoke("compare", str(path), "-f", "json", "--bootstrap", "20", "-t", "0.5")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    pairs = {(r["model_a"], r["model_b"]) for r in report["rows"]}
    assert 104 <= len(pairs) < 2 * 104 * 2  # each model with its neighbour and the leader, not 5,356 pairs
    assert "only the" in result.stderr and "--pairs all" in result.stderr
    assert report["provenance"]["method"]["pairs"] == "auto"


def test_compare_pairs_model_and_bad_values(tmp_path: Path) -> None:
    path = _many_models(tmp_path / "runs.jsonl", models=5)
    result = invoke("compare", str(path), "-q", "-f", "json", "--bootstrap", "0", "--pairs", "m002")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert rows and all("m002" in (r["model_a"], r["model_b"]) for r in rows)
    assert len({(r["model_a"], r["model_b"]) for r in rows}) == 4
    assert "no such model" in _one_error(invoke("compare", str(path), "-q", "--pairs", "nobody"), code=2)


def test_compare_refuses_with_its_memory_estimate(tmp_path: Path) -> None:
    path = _many_models(tmp_path / "runs.jsonl", models=5)
    line = _one_error(invoke("compare", str(path), "-q", "--pairs", "all", env={"RESCORE_MAX_MEMORY_GB": "0.00001"}),
                      code=2)
    assert line.startswith("rescore: error: compare would need about ") and "GiB allowed" in line


def test_leaderboard_ties_on_many_models_test_only_the_marked_pairs(tmp_path: Path) -> None:
    path = _many_models(tmp_path / "runs.jsonl")
    result = invoke("leaderboard", str(path), "-q", "-f", "json", "--ties", "paired")
    assert result.exit_code == 0, result.stderr
    assert "only the pairs marked" in json.loads(result.stdout)["provenance"]["ties"]


# -- 3. processes end cleanly -------------------------------------------------------------------
def _slow_inputs(folder: Path) -> Path:
    folder.mkdir()
    line = '{"model": "m%d", "id": %d, "correct": true, "response": "' + "blah " * 8 + '"}\n'
    for f in range(4):
        (folder / f"m{f}.jsonl").write_text("".join(line % (f, i) for i in range(150_000)))
    return folder


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads worker pids from /proc (Linux)")
@pytest.mark.parametrize(("sig", "code", "twice"), [("SIGTERM", 143, False), ("SIGINT", 130, True)])
def test_signals_stop_every_worker_and_exit_at_once(tmp_path: Path, sig: str, code: int, twice: bool) -> None:
    import signal
    import subprocess
    import sys
    import time

    folder = _slow_inputs(tmp_path / "runs")
    # as at a terminal: a test run started in the background (a shell's `cmd &`) inherits SIGINT ignored, and
    # rescore, as any program, keeps an ignored SIGINT (it then ran on for 5 s and the test failed)
    start = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "from rescore.cli.app import main; main()")
    command = [sys.executable, "-c", start, "leaderboard", str(folder), "-j", "2", "--cluster", "item", "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: list[str] = []
    deadline = time.monotonic() + 60
    while len(children) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            break
    if len(children) < 2:
        proc.kill()
        proc.communicate()
        pytest.skip("the workers did not start in time on this machine")
    time.sleep(0.3)
    proc.send_signal(getattr(signal, sig))
    sent = time.monotonic()
    if twice:  # a second Ctrl-C while rescore cleans up: still one line, no traceback
        time.sleep(0.05)
        proc.send_signal(getattr(signal, sig))  # (a no-op once the process has been reaped)
    try:
        _, err = proc.communicate(timeout=10)  # the pipes close only when no worker holds them
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("rescore or a worker hung after the signal")
    elapsed = time.monotonic() - sent
    print(f"ended {elapsed:.2f} s after the signal")
    assert elapsed < 1.0  # issue 17: "exit 130 / 143 within a second"
    assert proc.returncode == code, err
    text = err.decode()
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    time.sleep(0.2)
    alive = [c for c in children if Path(f"/proc/{c}").exists()
             and Path(f"/proc/{c}/stat").read_text().split()[2] != "Z"]
    assert alive == []


def test_an_unexpected_failure_on_a_dask_worker_is_one_line_not_retried() -> None:
    pytest.importorskip("distributed")
    from rescore.read.engines.dask import _Failed, _run_file

    calls: list[str] = []

    def broken(path: str, adapter: str, options: object) -> None:
        calls.append(path)
        raise RuntimeError("boom\nwith a second line")

    value = _run_file(broken, "runs.jsonl", "generic", None)  # type: ignore[arg-type]
    assert isinstance(value, _Failed) and calls == ["runs.jsonl"]  # a value: Dask does not retry it
    error = value.rebuild()
    assert str(error) == "runs.jsonl: unexpected RuntimeError on a Dask worker: boom" and error.exit_code == 3


def test_paired_ties_refuse_with_the_estimate_before_allocating(tmp_path: Path) -> None:
    path = _many_models(tmp_path / "runs.jsonl", models=5)
    line = _one_error(invoke("leaderboard", str(path), "-q", "--ties", "paired",
                             env={"RESCORE_MAX_MEMORY_GB": "0.0000001"}), code=2)
    assert line.startswith("rescore: error: paired statistics would need about ") and "5 models x 12 items" in line


@pytest.mark.parametrize(("command", "flag", "value"), [
    ("compare", "--seed", "-1"), ("compare", "--bootstrap", "200000"), ("calibration", "--bins", "20000")])
def test_bad_option_values_fail_before_any_file_is_read(tmp_path: Path, command: str, flag: str, value: str) -> None:
    line = _one_error(invoke(command, str(tmp_path / "missing.jsonl"), "-q", flag, value), code=2)
    assert line.startswith(f"rescore: error: {flag} must be")


def test_check_step_summary_escapes_names(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    rows = [{"model": "[click](http://x)", "id": i, "correct": i % 2 == 0} for i in range(6)]
    path = write_jsonl(tmp_path / "runs.jsonl", rows)
    result = invoke("check", str(path), "-q", "--min", "score@0.5=-5", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.stderr
    text = summary.read_text()
    assert "\\[click\\](http://x)" in text and "| [click](http://x) |" not in text


# -- 4 and 7: unreadable inputs through the CLI (the suite may run as root, so open() is made to fail) --
@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch):
    """``deny(*paths)`` makes every way rescore opens or lists those paths raise PermissionError,
    as a ``chmod 000`` does for a user that is not root (root reads everything, so a real chmod
    would prove nothing here)."""
    import builtins
    import io

    denied: set[str] = set()
    real_open, real_os_open, real_scandir, real_access = builtins.open, os.open, os.scandir, os.access

    def _is_denied(path: object) -> bool:
        return isinstance(path, str | os.PathLike) and os.path.abspath(os.fspath(path)) in denied

    def _refuse(path: object) -> None:
        if _is_denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]

    def fake_open(file: object, *args: object, **kwargs: object):
        _refuse(file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def fake_os_open(path: object, *args: object, **kwargs: object) -> int:
        _refuse(path)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def fake_scandir(path: object = ".") -> object:
        _refuse(path)
        return real_scandir(path)  # type: ignore[arg-type]

    def fake_access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        return not _is_denied(path) and real_access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)  # Path.open calls io.open
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    monkeypatch.setattr(os, "access", fake_access)

    def add(*paths: Path) -> None:
        denied.update(os.path.abspath(p) for p in paths)

    return add


def _runs(path: Path, model: str = "m") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_jsonl(path, [{"model": model, "id": i, "correct": i % 2 == 0} for i in range(4)])


def test_unreadable_file_named_on_the_command_line_exits_3_with_one_line(tmp_path: Path, deny) -> None:
    locked, good = _runs(tmp_path / "locked.jsonl", "a"), _runs(tmp_path / "good.jsonl", "b")
    deny(locked)
    for command in ("leaderboard", "check", "compare", "calibration", "report"):
        extra = {"report": ("-o", str(tmp_path / "r.html")), "check": ("--min", "score@0=-1")}.get(command, ())
        line = _one_error(invoke(command, str(locked), "-q", *extra))  # exit 3, not a usage box and exit 2
        assert line == f"rescore: error: {locked}: cannot read file (permission denied)", command
    assert not (tmp_path / "r.html").exists()
    skipped = invoke("leaderboard", str(locked), str(good), "-f", "json", "--on-error", "skip")
    assert skipped.exit_code == 0, skipped.stderr
    board = json.loads(skipped.stdout)
    assert [g["model"] for g in board["groups"]] == ["b"]
    assert any(s["path"] == str(locked) and "permission denied" in s["reason"]
               for s in board["provenance"]["skipped"])
    assert "skipped: " in skipped.stderr and "locked.jsonl" in skipped.stderr


def test_unreadable_folder_and_file_inside_a_walk_are_named_or_skipped_with_a_note(tmp_path: Path, deny) -> None:
    root = tmp_path / "runs"
    _runs(root / "a.jsonl", "a")
    _runs(root / "sub" / "b.jsonl", "b")
    _runs(root / "locked" / "c.jsonl", "c")
    secret = _runs(root / "secret.jsonl", "d")
    deny(root / "locked", secret)
    line = _one_error(invoke("leaderboard", str(root), "-q"))
    assert line == (f"rescore: error: {root / 'locked'}: cannot read this folder (Permission denied); "
                    "--on-error skip passes over it")
    deny_only_file = _one_error(invoke("leaderboard", str(root / "sub"), str(secret), "-q"))
    assert deny_only_file == f"rescore: error: {secret}: cannot read file (permission denied)"
    result = invoke("leaderboard", str(root), "-f", "json", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    board = json.loads(result.stdout)
    assert sorted(g["model"] for g in board["groups"]) == ["a", "b"]  # nothing of the unreadable ones
    reasons = {Path(s["path"]).name: s["reason"] for s in board["provenance"]["skipped"]}
    assert reasons["locked"].startswith("cannot read this folder (Permission denied)")
    assert reasons["secret.jsonl"].startswith("cannot read this file (permission denied)")
    notes = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert any("locked" in n for n in notes) and any("secret.jsonl" in n for n in notes), result.stderr
    # and without --on-error skip, an unreadable file inside the walk is an error too
    deny_walk = _one_error(invoke("leaderboard", str(root / "sub"), str(root / "a.jsonl"), str(tmp_path), "-q"))
    assert "cannot read this folder (Permission denied)" in deny_walk


# -- 1, 4, 6: the remaining sentences through the CLI -------------------------------------------
def test_check_result_and_junit_are_written_together_or_not_at_all(tmp_path: Path) -> None:
    out, junit = tmp_path / "result.json", tmp_path / "junit.xml"
    out.write_text("old result")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_error(invoke("check", str(MMLU), "-q", "--min", "score@0=-5", "-o", str(out),
                             "--junit", str(blocker / "junit.xml")))
    assert line == f"rescore: error: cannot write {blocker / 'junit.xml'}: Not a directory"
    assert out.read_text() == "old result"  # the result was staged, then not moved into place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "result.json"]
    ok = invoke("check", str(MMLU), "-q", "--min", "score@0=-5", "-o", str(out), "--junit", str(junit))
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(out.read_text()) and junit.read_text().startswith("<?xml")


def test_cli_output_into_a_fifo_is_written_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "board.csv"
    received, reader = _fifo_with_a_reader(fifo)
    result = invoke("leaderboard", str(MMLU), "-q", "-o", str(fifo))
    reader.join(10)
    assert result.exit_code == 0, result.stderr
    assert received and received[0].startswith(b"benchmark,model,")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["board.csv"]


def test_a_device_met_in_a_walk_is_skipped_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _runs(root / "a.jsonl", "a")
    (root / "null.jsonl").symlink_to("/dev/null")  # a device in the walk (creating a device node needs root)
    result = invoke("leaderboard", str(root), "-f", "json")
    assert result.exit_code == 0, result.stderr
    reasons = {Path(s["path"]).name: s["reason"] for s in json.loads(result.stdout)["provenance"]["skipped"]}
    assert reasons["null.jsonl"].startswith("a character device, not a regular file"), reasons
    assert "null.jsonl" in result.stderr


def test_tsv_cells_are_neutralised_too(tmp_path: Path) -> None:
    import csv
    import io

    path = _hostile_table(tmp_path)
    for raw, want, unwanted in ((False, "'=HYPERLINK(\"http://x\")", '=HYPERLINK("http://x")'),
                                (True, '=HYPERLINK("http://x")', "'=HYPERLINK(\"http://x\")")):
        result = invoke("leaderboard", str(path), "-q", "-f", "tsv", *(["--raw-csv"] if raw else []))
        assert result.exit_code == 0, result.stderr
        cells = [cell for row in csv.reader(io.StringIO(result.stdout), delimiter="\t") for cell in row]
        assert want in cells and unwanted not in cells


def test_on_error_skip_never_skips_a_broken_baseline(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"schema": "rescore.leaderboard",
                                "rows": [{"benchmark": "b", "model": "m", "t": 0, "score": "abc"}]}))
    line = _one_error(invoke("check", str(MMLU), "-q", "--baseline", str(base), "--on-error", "skip"))
    assert line.startswith(f"rescore: error: {base}, record 0, field 'score'")
