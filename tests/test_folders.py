"""Issue 16 (points 2, 3) and issue 17.4 (walk parts): folders as users keep them.

A folder of results also holds notes, plots, metadata and editor backups; per-model files name
the model only in their file name; a walk meets links, pipes and unreadable entries.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import rescore
from rescore.errors import InputError
from tests.conftest import invoke, write_jsonl


def _results(folder: Path, name: str = "run.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("model,id,correct\nm,1,1\nm,2,0\nm,3,1\n")
    return path


def _foreign(folder: Path) -> None:
    (folder / "notes.md").write_text("# notes\n")
    (folder / "plot.png").write_bytes(b"\x89PNG\r\n")
    (folder / "a.bak").write_text("old\n")
    (folder / "b.bak").write_text("older\n")
    (folder / "metadata.json_20240501T1200").write_text("not json {\n")
    (folder / "metadata.json").write_text('{"date": "2024-05-01", "host": "x"}')
    (folder / "hosts.csv").write_text("host,cpus\na,2\n")


def test_foreign_files_in_a_folder_are_skipped_and_counted_per_kind(tmp_path: Path) -> None:
    _results(tmp_path)
    _foreign(tmp_path)
    result = invoke("leaderboard", str(tmp_path), "-t", "0")
    assert result.exit_code == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert "skipped: no adapter recognises .bak files (2 files: " in result.stderr
    assert any("metadata.json_20240501T1200: no adapter recognises files without a suffix" in s for s in skipped)
    assert any("metadata.json: JSON that is not a table of results" in s for s in skipped)
    assert any("hosts.csv: a table without result columns" in s for s in skipped)
    assert len(skipped) == 6  # .bak, no suffix, .png, JSON, table, documentation: one line per kind
    (tmp_path / "run.csv~").write_text("model,id,correct\nm,1,1\n")  # editor backups: one kind, any suffix
    (tmp_path / "notes.md~").write_text("old\n")
    backups = invoke("leaderboard", str(tmp_path), "-t", "0")
    assert backups.exit_code == 0 and "skipped: no adapter recognises editor backups (name~) (2 files: " \
        in backups.stderr
    (tmp_path / "run.csv~").unlink()
    (tmp_path / "notes.md~").unlink()
    board = json.loads(invoke("leaderboard", str(tmp_path), "-t", "0", "-q", "-f", "json").stdout)
    kinds = {k["kind"]: k["files"] for k in board["provenance"]["skipped_kinds"]}
    assert kinds["no adapter recognises .bak files"] == 2 and kinds["no adapter recognises .png files"] == 1
    assert sum(kinds.values()) == len(board["provenance"]["skipped"]) == 7


def test_explicit_unknown_file_is_exit_3_and_claimed_then_failed_stays_an_error(tmp_path: Path) -> None:
    _results(tmp_path)
    (tmp_path / "plot.png").write_bytes(b"\x89PNG")
    result = invoke("leaderboard", str(tmp_path / "plot.png"))
    assert result.exit_code == 3 and "plot.png: no adapter recognises this file" in result.stderr
    assert invoke("leaderboard", str(tmp_path / "plot.png"), "--skip-unknown").exit_code == 3
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")  # claimed by its suffix, then unreadable
    failed = invoke("leaderboard", str(tmp_path))
    assert failed.exit_code == 3 and "broken.parquet: not a readable Parquet file" in failed.stderr
    skipped = invoke("leaderboard", str(tmp_path), "--on-error", "skip", "-f", "json", "-q")
    assert skipped.exit_code == 0
    assert any(s["path"].endswith("broken.parquet") for s in json.loads(skipped.stdout)["provenance"]["skipped"])


def test_walk_notes_dangling_links_fifos_and_reads_a_file_once(tmp_path: Path) -> None:
    run = _results(tmp_path / "runs")
    (tmp_path / "runs" / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    os.mkfifo(tmp_path / "runs" / "pipe.jsonl")
    (tmp_path / "runs" / "again.csv").symlink_to(run)
    data = rescore.load([tmp_path / "runs", run, run])
    reasons = {Path(p).name: r for p, r in data.skipped}
    assert reasons["gone.csv"].startswith("a dangling symbolic link")
    assert reasons["pipe.jsonl"].startswith("a FIFO")
    assert reasons["run.csv"] == f"already read (the same file as {tmp_path / 'runs' / 'again.csv'}; read once)"
    assert len(data.items) == 3 and len(data.sources) == 1


def test_unreadable_entries_of_a_walk_are_errors_or_skipped_with_a_note(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads everything, so unreadability is simulated where the walk asks the system."""
    _results(tmp_path)
    locked = tmp_path / "locked"
    _results(locked, "inner.csv")
    secret = _results(tmp_path, "secret.csv")
    real_scandir, real_access = os.scandir, os.access

    def scandir(path: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != secret and real_access(p, mode))
    with pytest.raises(InputError, match="locked: cannot read this folder"):
        rescore.load(tmp_path)
    data = rescore.load(tmp_path, on_error="skip")
    reasons = {Path(p).name: r for p, r in data.skipped}
    assert reasons["locked"].startswith("cannot read this folder (Permission denied)")
    assert reasons["secret.csv"].startswith("cannot read this file")
    assert [Path(s.path).name for s in data.sources] == ["run.csv"]
    # on the command line: the usual one line naming it (exit 3), or skipped and said
    failed = invoke("leaderboard", str(tmp_path), "-q")
    lines = failed.stderr.strip().splitlines()
    assert failed.exit_code == 3 and len(lines) == 1 and "Traceback" not in failed.stderr
    assert lines[0].startswith("rescore: error: ") and "locked: cannot read this folder" in lines[0]
    skipped = invoke("leaderboard", str(tmp_path), "-t", "0", "--on-error", "skip")
    assert skipped.exit_code == 0 and "locked" in skipped.stderr and "secret.csv" in skipped.stderr


def test_simpleqa_judge_label_beats_is_correct_and_model_text_is_not_gold(tmp_path: Path) -> None:
    """The simple-evals-ru layout: results/simpleqa/<nn>_<model>.jsonl, with the model's reply in ``answer``."""
    reply = "The original name of the village was **New Troy**, as far as I know from the records.\n"
    rows = [
        {"id": 1, "answer": reply, "judge_pred": "correct", "is_correct": True},
        {"id": 2, "answer": reply, "judge_pred": "incorrect", "is_correct": False},
        {"id": 3, "answer": "I could not find a definitive answer in the sources I know of.\n",
         "judge_pred": "not_attempted", "is_correct": False},
    ]
    folder = tmp_path / "results" / "simpleqa"
    folder.mkdir(parents=True)
    write_jsonl(folder / "05_llama_3_3_70b.jsonl", rows)
    data = rescore.load(tmp_path)
    items = data.items.sort_values("item_id")
    assert list(items["outcome"]) == ["correct", "wrong", "abstain"]
    assert set(items["model"]) == {"05_llama_3_3_70b"} and set(items["benchmark"]) == {"simpleqa"}
    assert items["gold"].isna().all() and items["response"].notna().all()
    notes = " ".join(data.notes)
    assert "correctness from 'judge_pred'" in notes and "preferred over 'is_correct'" in notes
    assert "column 'answer' is not a gold answer" in notes
    # which column, why (measured on its values) and what was done with it
    assert "it holds the model's own text (median 86 characters, 17 words: a reply, not a short gold answer); " \
           "taken as the model's response" in notes


def test_short_gold_answers_stay_gold(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [{"model": "m", "id": i, "pred": p, "answer": a}
                                              for i, (p, a) in enumerate([("Paris", "Paris"), ("4", "5")])])
    data = rescore.load(path)
    assert list(data.items.sort_values("item_id")["outcome"]) == ["correct", "wrong"]
    assert not any("not a gold answer" in n for n in data.notes)


def test_model_from_and_benchmark_from_flags(tmp_path: Path) -> None:
    folder = tmp_path / "gpqa"
    folder.mkdir()
    (folder / "acme.csv").write_text("id,correct\n1,1\n2,0\n")
    board = json.loads(invoke("leaderboard", str(folder), "-t", "0", "-q", "-f", "json").stdout)
    assert [(g["benchmark"], g["model"]) for g in board["groups"]] == [("gpqa", "acme")]
    swapped = invoke("leaderboard", str(folder), "-t", "0", "-q", "-f", "json", "--model-from", "parent",
                     "--benchmark-from", "stem")
    assert [(g["benchmark"], g["model"]) for g in json.loads(swapped.stdout)["groups"]] == [("acme", "gpqa")]
    bad = invoke("leaderboard", str(folder), "--model-from", "dir")
    assert bad.exit_code == 2 and "--model-from must be stem or parent" in bad.stderr


# ---- issue 16.7: ordinary writers' quirks -----------------------------------------------------
def test_parquet_from_pd_concat_and_from_a_named_index_reads(tmp_path: Path) -> None:
    import pandas as pd

    first = pd.DataFrame({"model": ["m", "m"], "id": [1, 2], "pred": ["a", "b"], "gold": ["a", "c"],
                          "confidence": [0.4, 0.8]})
    concat = tmp_path / "concat.parquet"
    pd.concat([first, first.assign(model="n", pred=["a", "b"], gold=["a", "b"])]).to_parquet(concat)
    for need_items in (True, False):
        data = rescore.load(concat, need_items=need_items)
        assert sorted(data.runs["model"]) == ["m", "n"] and list(data.runs["n_correct"]) == [1, 2]
    named = tmp_path / "named.parquet"
    first.set_index("model").to_parquet(named)  # the model column stored as pandas' index
    assert set(rescore.load(named).items["model"]) == {"m"}


def test_runs_shown_apart_keep_their_source_in_every_row(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE

    source = SAMPLE / "lm_eval" / "acme__bold-70b"
    for year, folder in (("2025", "r1"), ("2026", "r2")):
        (tmp_path / folder).mkdir()
        for path in source.iterdir():
            (tmp_path / folder / path.name.replace("2025-", f"{year}-")).write_bytes(path.read_bytes())
    for need_items in (True, False):
        runs = rescore.load(tmp_path, need_items=need_items).runs
        assert len(runs) == 2 and runs["model"].str.endswith("]").all()
        assert [Path(p).parent.name for p in runs["path"]] == ["r1", "r2"]
        assert runs["producer_accuracy"].notna().all()
        # every output row of a run shown apart names that run's own file, not none and not the other's
        from rescore.report.files import long_table

        table = long_table(rescore.leaderboard(rescore.load(tmp_path, need_items=need_items), [0.0]))
        for model, sources in zip(table["model"], table["sources"], strict=True):
            folder = "r1" if "[2025-" in model else "r2"
            assert f"/{folder}/" in sources and ("/r2/" if folder == "r1" else "/r1/") not in sources, (model, sources)
    csv = invoke("leaderboard", str(tmp_path), "-t", "0", "-q", "-f", "csv").stdout.splitlines()
    assert len(csv) == 3 and all("/r1/" in line or "/r2/" in line for line in csv[1:])


# ---- issue 16.4: unequal coverage is visible ----------------------------------------------------
def _uneven(folder: Path) -> Path:
    """Two full runs of 40 items and a partial run of 8 (items 0-7) on one benchmark."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["model,id,correct"]
    for model, n in (("full-a", 40), ("full-b", 40), ("part", 8)):
        rows += [f"{model},{i},{int((i * 7 + len(model)) % 3 == 0)}" for i in range(n)]
    path = folder / "quiz.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_coverage_column_marks_and_warning(tmp_path: Path) -> None:
    path = _uneven(tmp_path)
    board = rescore.leaderboard(rescore.load(path), [0.0])
    coverage = dict(zip(board.groups["model"], board.groups["coverage"], strict=True))
    assert coverage == {"full-a": 1.0, "full-b": 1.0, "part": 8 / 40}
    assert len(board.warnings) == 1 and "unequal coverage on quiz: part (20%)" in board.warnings[0]
    terminal = invoke("leaderboard", str(path), "-t", "0")
    assert "part †" in terminal.stdout and "full-a †" not in terminal.stdout
    assert "warning: unequal coverage on quiz: part (20%)" in terminal.stderr
    markdown = invoke("leaderboard", str(path), "-t", "0", "-q", "-f", "markdown").stdout
    assert "| part † |" in markdown and "coverage: part on quiz 20%" in markdown
    csv_head = invoke("leaderboard", str(path), "-t", "0", "-q", "-f", "csv").stdout.splitlines()[0]
    assert "coverage" in csv_head.split(",")
    doc = json.loads(invoke("leaderboard", str(path), "-t", "0", "-q", "-f", "json").stdout)
    assert {g["model"]: g["coverage"] for g in doc["groups"]}["part"] == pytest.approx(0.2)
    assert doc["provenance"]["warnings"] and doc["provenance"]["alignment"]["items_dropped"] == 0
    html = tmp_path / "r.html"
    assert invoke("report", str(path), "-o", str(html), "-q").exit_code == 0
    assert "scored on part of this benchmark's items (coverage: part 20%)" in html.read_text()


def test_equal_coverage_prints_no_mark_or_warning(tmp_path: Path) -> None:
    path = _results(tmp_path)
    result = invoke("leaderboard", str(path), "-t", "0")
    assert "†" not in result.stdout and "warning:" not in result.stderr
    doc = json.loads(invoke("leaderboard", str(path), "-t", "0", "-q", "-f", "json").stdout)
    assert "warnings" not in doc["provenance"] and doc["groups"][0]["coverage"] == 1.0


def test_common_items_scores_on_the_intersection_and_the_gate(tmp_path: Path) -> None:
    path = _uneven(tmp_path)
    doc = json.loads(invoke("leaderboard", str(path), "-t", "0", "-q", "-f", "json", "--common-items").stdout)
    assert {g["model"]: g["n"] for g in doc["groups"]} == {"full-a": 8, "full-b": 8, "part": 8}
    assert doc["provenance"]["alignment"]["items_dropped"] == 64
    assert "--common-items: quiz scored on the 8 item(s) all 3 model(s) have (of 40 in the union)" \
        in doc["provenance"]["notes"]
    expected = sum((i * 7 + len("full-a")) % 3 == 0 for i in range(8)) / 8
    assert {g["model"]: g["accuracy"] for g in doc["groups"]}["full-a"] == pytest.approx(expected)
    failed = invoke("check", str(path), "--min", "coverage=1")
    assert failed.exit_code == 1 and "FAIL quiz part coverage=0.2 < 1" in failed.stdout
    assert invoke("check", str(path), "--min", "coverage=1", "--common-items", "-q").exit_code == 0


# ---- issue 16.8: rescore inspect on a whole folder ---------------------------------------------
def _survey(folder: Path) -> None:
    from tests.conftest import SAMPLE

    for sub in ("simpleqa_mini", "mmlu_pro_mini"):
        (folder / sub).mkdir(parents=True)
        for path in (SAMPLE / sub).iterdir():
            (folder / sub / path.name).write_bytes(path.read_bytes())
    (folder / "broken.jsonl").write_text('{"doc_id": 1,\n')
    (folder / "notes.txt").write_text("see the wiki\n")


def test_inspect_goes_on_past_unreadable_files_and_summarises(tmp_path: Path) -> None:
    _survey(tmp_path)
    result = invoke("inspect", str(tmp_path), "--examples", "0")
    assert result.exit_code == 3  # something could not be read: said, after the whole survey
    assert "1 of 11 file(s) could not be read" in result.stderr and "broken.jsonl" in result.stderr
    summary = result.stdout[result.stdout.index("summary of"):]
    assert "broken" in summary and "error:" in summary
    assert summary.count("match") >= 5  # the five SimpleQA files agree with their grader summaries
    assert "11 file(s) read, 1 unreadable, 6 skipped" in summary
    assert invoke("inspect", str(tmp_path), "--on-error", "skip", "--examples", "0").exit_code == 0


def test_inspect_json_envelope_and_output_file(tmp_path: Path) -> None:
    _survey(tmp_path / "in")
    out = tmp_path / "survey.json"
    result = invoke("inspect", str(tmp_path / "in"), "-o", str(out))
    assert result.exit_code == 3 and result.stdout == ""  # written whole, then the failure is said
    doc = json.loads(out.read_text())
    assert doc["schema"] == "rescore.inspect" and len(doc["files"]) == len(doc["summary"]) == 11
    rows = {Path(r["path"]).name: r for r in doc["summary"]}
    careful = rows["acme__careful-70b_results.jsonl"]
    lines = [json.loads(x) for x in (tmp_path / "in" / "simpleqa_mini" / "acme__careful-70b_results.jsonl")
             .read_text().splitlines()]
    assert careful["items"] == len(lines) and careful["verdict"] == "match"
    assert careful["correct"] == sum(1 for x in lines if x["grade"] == "A")
    assert careful["producer_accuracy"] == careful["rescore_accuracy"]
    assert [u["path"] for u in doc["unreadable"]] == [str(tmp_path / "in" / "broken.jsonl")]
    assert {k["kind"] for k in doc["skipped_kinds"]} >= {"documentation or script, not results"}
    text = tmp_path / "survey.txt"
    assert invoke("inspect", str(tmp_path / "in"), "-o", str(text), "--on-error", "skip").exit_code == 0
    assert "summary of" in text.read_text()


def test_judge_labels_decide_alike_in_counts_mode_and_item_mode(tmp_path: Path) -> None:
    """The Parquet fast path judges columns on the same head as the general reader, so a judge
    label under any name beats ``is_correct`` in both modes (the counts must agree)."""
    import pandas as pd

    labels = ["correct", "incorrect", "not_attempted", "correct", "not_attempted"] * 4
    frame = pd.DataFrame({"model": "m", "benchmark": "simpleqa", "question_id": range(len(labels)),
                          "judge_pred": labels, "is_correct": [label == "correct" for label in labels]})
    path = tmp_path / "graded.parquet"
    frame.to_parquet(path)
    expected = {"correct": 8, "wrong": 4, "abstain": 8}
    items = rescore.load(path).runs
    counted = rescore.load(path, need_items=False).runs
    for runs in (items, counted):
        assert {o: int(runs[f"n_{o}"].sum()) for o in expected} == expected


def test_model_from_names_the_benchmark_by_the_other_path_part(tmp_path: Path) -> None:
    """``--model-from stem`` is the default spelled out (benchmark = folder); ``--model-from parent``
    leaves the file name to the benchmark: never the same name for both."""
    folder = tmp_path / "acme-70b"
    folder.mkdir()
    path = folder / "gpqa.csv"
    path.write_text("id,correct\n1,1\n2,0\n")
    spelled = rescore.load(path, model_from="stem")
    assert (set(spelled.items["model"]), set(spelled.items["benchmark"])) == ({"gpqa"}, {"acme-70b"})
    swapped = rescore.load(path, model_from="parent")
    assert (set(swapped.items["model"]), set(swapped.items["benchmark"])) == ({"acme-70b"}, {"gpqa"})


def test_statistics_commands_summarise_skips_per_kind_too(tmp_path: Path) -> None:
    _uneven(tmp_path)
    for name in ("a.bak", "b.bak", "c.bak"):
        (tmp_path / name).write_text("old\n")
    result = invoke("compare", str(tmp_path), "-t", "0.5")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert lines == [f"skipped: no adapter recognises .bak files (3 files: {tmp_path / 'a.bak'}, ...)"]


def test_path_names_are_noted_and_the_note_never_suggests_a_flag_given(tmp_path: Path) -> None:
    """Issue 16.3/16.12: the model from the file name and the benchmark from its folder are said in a
    note, which offers only the flags not given."""
    folder = tmp_path / "results" / "simpleqa"
    folder.mkdir(parents=True)
    write_jsonl(folder / "05_llama.jsonl", [{"id": 1, "is_correct": True}, {"id": 2, "is_correct": False}])
    data = rescore.load(tmp_path)
    assert (set(data.items["model"]), set(data.items["benchmark"])) == ({"05_llama"}, {"simpleqa"})
    [note] = [n for n in data.notes if "model <- file name" in n]
    assert "model <- file name, benchmark <- folder name (the table has no model column" in note
    assert "--model-from and --benchmark-from stem|parent choose otherwise" in note
    given = rescore.load(tmp_path, benchmark_from="parent")
    [note] = [n for n in given.notes if "model <- file name" in n]
    assert "--benchmark-from" not in note and "--model-from stem|parent chooses otherwise" in note
    assert not any("model <- file name" in n for n in rescore.load(tmp_path, model_from="stem").notes)


def test_a_grade_column_wins_over_comparing_two_text_columns(tmp_path: Path) -> None:
    """The producer's grade decides even where its prediction and gold would say otherwise."""
    path = write_jsonl(tmp_path / "graded.jsonl", [
        {"model": "m", "id": 1, "pred": "Lyon", "answer": "Paris", "is_correct": True},   # a lenient grader
        {"model": "m", "id": 2, "pred": "Rome", "answer": "Rome", "is_correct": False},
        {"model": "m", "id": 3, "pred": "Oslo", "answer": "Oslo"}])  # no grade: the texts are compared
    items = rescore.load(path).items.set_index("item_id")
    assert items["outcome"].to_dict() == {"1": "correct", "2": "wrong", "3": "correct"}
    assert items["rule"].to_dict() == {"1": "explicit grade", "2": "explicit grade", "3": "prediction vs gold"}


def test_inspect_summary_gives_the_known_reason_of_a_mismatch(tmp_path: Path) -> None:
    """Issue 16.8: a summary row whose producer number differs from rescore's t = 0 says why, when
    the reason is known (MMLU-Pro's scripts score unparsed answers with a random letter)."""
    from tests.test_adapter_mmlu_pro import RECORDS
    from tests.test_adapter_mmlu_pro import write as write_mmlu_pro

    write_mmlu_pro(tmp_path / "model_outputs_m_5shots.json", RECORDS)
    doc = json.loads(invoke("inspect", str(tmp_path), "-f", "json", "--examples", "0").stdout)
    [row] = doc["summary"]
    assert (row["producer"], row["items"], row["invalid"]) == ("mmlu_pro", 5, 2)
    # the producer's number counts the seeded random letters its scripts gave the unparsed answers
    assert row["rescore_accuracy"] == pytest.approx(1 / 5) and row["producer_accuracy"] > row["rescore_accuracy"]
    assert row["verdict"] == "mismatch: official scripts replace unparsed answers with a random letter"
    table = invoke("inspect", str(tmp_path), "--examples", "0").stdout
    assert "cross-check" in table and row["verdict"] in " ".join(table.split())
