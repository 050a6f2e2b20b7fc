"""Batch reading: a process pool gives exactly the in-process result, counts mode gives exactly
the item-mode leaderboard, and Ctrl-C stops cleanly (exit 130, no output, how far it got)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import rescore
from rescore.errors import InputError
from rescore.read import counts as counting
from rescore.read.per_file import DeferredKeys
from rescore.read.workers import (
    Interrupted,
    _init_worker,
    _stop,
    choose_jobs,
    default_jobs,
    map_files,
    progress_wanted,
)

from .conftest import ROOT, SAMPLE, invoke

BOARD_COLUMNS = ["benchmark", "model", "t", "n", "score", "se", "ci_low", "ci_high", "rank", "rank_change"]


def _write_runs(folder: Path, files: int = 6, rows: int = 40) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        lines = ["model,id,correct,response"]
        for i in range(rows):
            grade = (i * 7 + f) % 5
            response = "I don't know." if grade == 4 else f"answer {i}"
            lines.append(f"model-{f % 3},{f // 3}-{i},{1 if grade < 2 else 0},{response}")
        (folder / f"run_{f:02d}.csv").write_text("\n".join(lines) + "\n")
    return folder


def _board(data: rescore.Dataset, cluster: str = "auto") -> tuple[pd.DataFrame, pd.DataFrame]:
    board = rescore.leaderboard(data, [0.0, 0.5, 0.9], cluster=cluster, ties="overlap")
    return board.groups.drop(columns=["n_clusters"]), board.rows[BOARD_COLUMNS]


def test_pool_results_equal_in_process_results_in_plan_order(tmp_path: Path) -> None:
    folder = _write_runs(tmp_path / "runs")
    one = rescore.load(folder, jobs=1)
    two = rescore.load(folder, jobs=2)
    pd.testing.assert_frame_equal(one.items, two.items)
    assert [s.path for s in two.sources] == sorted(str(p) for p in folder.iterdir())
    assert len(one.items) == 240


def test_first_error_in_plan_order_from_the_pool(tmp_path: Path) -> None:
    folder = _write_runs(tmp_path / "runs")
    (folder / "run_03.csv").write_text("model,id,correct\nm,1,maybe\n")
    (folder / "run_05.csv").write_text("")
    with pytest.raises(InputError) as caught:
        rescore.load(folder, jobs=2)
    assert caught.value.path == str(folder / "run_03.csv")


def test_small_inputs_stay_in_process_unless_jobs_is_given() -> None:
    assert choose_jobs([1000] * 10, None) == 1
    assert choose_jobs([1000] * 10, 2) == 2
    assert choose_jobs([50 << 20, 50 << 20], None) == min(2, default_jobs())
    assert choose_jobs([1000], 4) == 1
    assert choose_jobs([1000] * 3, 8) == 3


def test_parquet_counts_by_its_rows_when_choosing_workers(tmp_path: Path) -> None:
    """A Parquet file is small on disk for its rows (columns compress 10-100x); the choice between
    in-process and workers weighs its rows as text, so a folder of them gets the workers."""
    from rescore.read.counts import TEXT_BYTES_PER_ITEM
    from rescore.read.plugins import get_adapter
    from rescore.read.workers import _work_estimates

    rows = pd.DataFrame({"model": ["m"] * 40_000, "item_id": range(40_000), "correct": [1, 0] * 20_000})
    chosen = []
    for name in ("a.parquet", "b.parquet"):
        rows.to_parquet(tmp_path / name)
        chosen.append((tmp_path / name, get_adapter("generic")))
    on_disk = [(tmp_path / name).stat().st_size for name in ("a.parquet", "b.parquet")]
    assert choose_jobs(on_disk, None) == 1  # by bytes alone: "small", read in-process
    estimates = _work_estimates(chosen, on_disk)
    assert estimates == [40_000 * TEXT_BYTES_PER_ITEM] * 2
    assert choose_jobs(estimates, None) == min(2, default_jobs())
    assert _work_estimates(chosen, [1 << 30, 1]) == [1 << 30, 1]  # large by bytes: no footer is opened


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert progress_wanted(quiet=False) is False  # pytest's stderr is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert progress_wanted(quiet=False) is True
    assert progress_wanted(quiet=True) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert progress_wanted(quiet=False) is False


@pytest.mark.parametrize("path", ["mmlu_pro_mini", "simpleqa_mini", "lm_eval"])
def test_counts_mode_gives_the_item_mode_leaderboard(path: str) -> None:
    items = rescore.load(SAMPLE / path)
    counted = rescore.load(SAMPLE / path, need_items=False)
    assert counted.items.empty and not counted.item_counts.empty
    for a, b in zip(_board(items), _board(counted), strict=True):
        pd.testing.assert_frame_equal(a, b)
    explain_items = rescore.leaderboard(items, [0.0]).explain
    explain_counts = rescore.leaderboard(counted, [0.0]).explain
    pd.testing.assert_frame_equal(explain_items.astype(str), explain_counts.astype(str))


def test_counts_mode_sample_data_exact_counts() -> None:
    board = rescore.leaderboard(rescore.load(SAMPLE, need_items=False), [0.0])
    mmlu = board.groups[board.groups["benchmark"] == "mmlu_pro"].set_index("model")
    assert mmlu.loc["acme/bold-70b", ["n", "n_correct", "n_wrong", "n_abstain"]].tolist() == [280, 159, 121, 0]
    assert mmlu.loc["nova/humble-8b", ["n", "n_correct", "n_wrong", "n_abstain"]].tolist() == [280, 67, 26, 187]


def _attempts_file(path: Path, cluster: bool = False) -> Path:
    lines = ["model,id,attempt,correct" + (",cluster" if cluster else "")]
    for attempt in range(3):  # attempt-major order: the first batches hold attempt 0 only
        for model in ("a", "b"):
            for i in range(30):
                ok = (i + attempt + (model == "b")) % 3 != 0
                lines.append(f"{model},{i},{attempt},{int(ok)}" + (f",p{i // 5}" if cluster else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("cluster_column", [False, True])
@pytest.mark.parametrize("batch_size", [50_000, 50])
def test_counts_mode_clustered_errors_match_item_mode(tmp_path: Path, cluster_column: bool, batch_size: int) -> None:
    """Repeated attempts (clustered by item) and a cluster column give the same SEs from counts.

    With ``batch_size=50`` the first batch holds only attempt 0, so the file is re-read once
    it shows repeats, which must not change the result either.
    """
    path = _attempts_file(tmp_path / "runs.csv", cluster_column)
    items = rescore.load(path, batch_size=batch_size)
    counted = rescore.load(path, need_items=False, batch_size=batch_size)
    a_groups, a_rows = _board(items)
    b_groups, b_rows = _board(counted)
    pd.testing.assert_frame_equal(a_groups, b_groups)
    pd.testing.assert_frame_equal(a_rows, b_rows)
    assert set(b_groups["se_method"]) == {("clustered:column" if cluster_column else "clustered:item") + "+score-deff"}
    subset = rescore.leaderboard(counted, [0.5], cluster="subset").groups["se_method"].iloc[0]
    assert subset == "clustered:subset+score-deff"


def test_counts_mode_refuses_item_clusters_it_cannot_form(tmp_path: Path) -> None:
    path = _write_runs(tmp_path / "runs", files=1)
    with pytest.raises(rescore.errors.UsageError, match="needs per-item rows"):
        rescore.leaderboard(rescore.load(path, need_items=False), [0.5], cluster="item")


def test_counts_mode_memory_is_per_key_not_per_item(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = ["model,id,correct"] + [f"m{i % 4},{i // 4},{i % 3 == 0}" for i in range(20_000)]
    path.write_text("\n".join(rows) + "\n")
    data = rescore.load(path, need_items=False)
    assert len(data.item_counts) == 8  # 4 models x {correct, wrong}
    assert int(data.item_counts["count"].sum()) == 20_000


def test_need_items_auto_switches_on_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _write_runs(tmp_path / "runs")
    small = rescore.load(folder, need_items=None)
    assert small.has_items and not any(n.startswith("counts mode") for n in small.notes)
    monkeypatch.setattr(counting, "ITEMS_AUTO_ROWS", 10)
    large = rescore.load(folder, need_items=None)
    assert large.items.empty and int(large.item_counts["count"].sum()) == 240
    assert any(n.startswith("counts mode: about ") for n in large.notes)


def test_text_tables_are_estimated_by_their_lines(tmp_path: Path) -> None:
    """The size rule counts a CSV/JSONL file's lines, not bytes / 250: a 1M-row CSV of 60-byte
    rows was taken for 229,000 items (and read in item mode), an lm-eval line of 2 KB for 8."""
    from rescore.read.counts import TEXT_BYTES_PER_ITEM, estimate_items

    short = tmp_path / "short.csv"
    short.write_text("model,id,correct\n" + "".join(f"m{i % 7},{i},1\n" for i in range(200_000)))
    assert abs(estimate_items([short]) - 200_001) < 200_001 * 0.03  # three 64 KB samples (ids grow down the file)
    wide = tmp_path / "wide.jsonl"
    wide.write_text("".join(json.dumps({"doc_id": i, "prompt": "x" * 2000}) + "\n" for i in range(3000)))
    assert abs(estimate_items([wide]) - 3000) < 3000 * 0.03  # bytes / 250 would say 24,000
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps({"doc_id": i, "prompt": "x" * 2000}) + "\n" for i in range(60)))
    assert estimate_items([small]) == 60  # small enough to count exactly
    document = tmp_path / "doc.json"  # a JSON document's lines say nothing of its records
    document.write_text(json.dumps([{"id": i} for i in range(5000)], indent=2))
    assert estimate_items([document]) == document.stat().st_size // TEXT_BYTES_PER_ITEM


def test_cli_jobs_flag_gives_the_same_json(tmp_path: Path) -> None:
    folder = _write_runs(tmp_path / "runs")
    one = invoke("leaderboard", str(folder), "-q", "-f", "json", "-j", "1")
    two = invoke("leaderboard", str(folder), "-q", "-f", "json", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout


def test_map_files_interrupt_says_how_far(tmp_path: Path) -> None:
    folder = _write_runs(tmp_path / "runs", files=4)
    chosen, _ = rescore.read.assemble.plan([folder], rescore.read.options.LoadOptions())
    calls = []

    def task(path: str, adapter: str, options: object) -> str:
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return path

    with pytest.raises(Interrupted) as caught:
        list(map_files(chosen, rescore.read.options.LoadOptions(), jobs=1, task=task))
    assert (caught.value.done, caught.value.total) == (2, 4)
    assert str(caught.value) == "2 of 4 files read"


SLOW_CLI = """
import signal, sys, time
# as at a terminal: a test runner started in the background inherits SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
import rescore.read.per_file as loading
original = loading.read_one
def slow(*args):
    sys.stderr.write("reading\\n")
    sys.stderr.flush()
    time.sleep(0.4)
    return original(*args)
loading.read_one = slow
from rescore.cli.app import main
sys.argv = ["rescore", *sys.argv[1:]]
main()
"""


def _sleep_then_return(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_stopping_the_pool_leaves_no_thread_to_race_the_interpreter_exit() -> None:
    # A manager thread still running after _stop closes its wake-up pipe while the exit hook
    # writes to it: "Exception ignored ... Bad file descriptor" after the one-line message (seen in CI).
    pool = ProcessPoolExecutor(max_workers=2, initializer=_init_worker)
    futures = [pool.submit(_sleep_then_return, 5.0) for _ in range(6)]
    time.sleep(0.3)  # the workers have started the first two
    manager = pool._executor_manager_thread  # type: ignore[attr-defined]
    assert manager is not None and manager.is_alive()
    _stop(pool)
    assert not manager.is_alive()
    assert all(future.done() for future in futures)


def test_stopping_ends_a_manager_left_reading_half_a_result() -> None:
    """A worker stopped while it sends its result leaves the manager thread waiting for the rest of
    the message: the result pipe's write end is held by this process too, so no EOF came, and the
    interpreter's exit joined the thread forever (``rescore`` hung after Ctrl-C). Staged here by
    writing only a message's length header into that pipe while every worker is busy."""
    import os
    import struct

    pool = ProcessPoolExecutor(max_workers=2, initializer=_init_worker)
    futures = [pool.submit(_sleep_then_return, 5.0) for _ in range(2)]
    time.sleep(0.3)
    manager = pool._executor_manager_thread  # type: ignore[attr-defined]
    writer = pool._result_queue._writer  # type: ignore[attr-defined]
    os.write(writer.fileno(), struct.pack("!i", 64))  # a header promising 64 bytes that never come
    time.sleep(0.3)  # the manager has read the header and waits for the body
    assert manager.is_alive()
    started = time.monotonic()
    try:
        _stop(pool)
        assert not manager.is_alive()
        assert time.monotonic() - started < 1.0  # issue 17: exit within a second
        assert all(future.done() for future in futures)
    finally:  # a regression fails here instead of hanging the test run at its exit
        if manager.is_alive():
            writer.close()
            manager.join(timeout=5)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_with_exit_130_and_no_output(tmp_path: Path, jobs: str) -> None:
    folder = _write_runs(tmp_path / "runs", files=12, rows=5)
    out = tmp_path / "out" / "board.json"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_CLI, "leaderboard", str(folder), "-o", str(out), "-j", jobs],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    first = proc.stderr.readline()  # blocks until the first file is being read (12 files take >= 2.4 s)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    err = first + err
    assert proc.returncode == 130, err
    last = err[err.rindex("rescore: "):].strip()  # workers' "reading" lines may interleave
    assert last.startswith("rescore: interrupted after ") and last.endswith(" of 12 files read; no output was written")
    assert "Traceback" not in err
    assert not out.exists() and (not out.parent.exists() or list(out.parent.iterdir()) == [])


def test_cli_reads_large_inputs_in_counts_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    folder = SAMPLE / "mmlu_pro_mini"
    small = json.loads(invoke("leaderboard", str(folder), "-q", "-f", "json").stdout)
    assert small["provenance"]["ties"].startswith("paired test")
    monkeypatch.setattr(counting, "ITEMS_AUTO_ROWS", 10)
    large = json.loads(invoke("leaderboard", str(folder), "-q", "-f", "json").stdout)
    assert large["provenance"]["ties"] == "interval overlap"
    assert any(n.startswith("counts mode: about ") for n in large["provenance"]["notes"])
    assert large["groups"] == small["groups"]
    paired = json.loads(invoke("leaderboard", str(folder), "-q", "-f", "json", "--ties", "paired").stdout)
    assert paired["provenance"]["ties"].startswith("paired test")


def _graded_parquet(path: Path, model: str = "m", start: int = 0) -> Path:
    """Grades of every kind, blank and missing predictions, "I don't know" texts, a subset column."""
    rows = []
    for i in range(start, start + 60):
        grade = ["correct", "incorrect", "invalid", "INCORRECT", "not_attempted", "partial"][i % 6]
        prediction = [f"({'ABCD'[i % 4]})", "", None, "I don't know", "  "][i % 5]
        response = ["The answer is (B).", "I'm not sure.", None, "Cannot determine the answer.", ""][(i // 5) % 5]
        rows.append({"model": model, "task": "mmlu_pro_law" if i % 2 else "gpqa_main_zeroshot", "category": f"c{i % 3}"
                     if i % 7 else None, "question_id": i, "pred": prediction, "response": response, "grade": grade})
    pd.DataFrame(rows).to_parquet(path)
    return path


def test_arrow_fast_path_gives_the_general_path_result(tmp_path: Path) -> None:
    from rescore.adapters.generic.fast import count_generic_parquet
    from rescore.read.options import LoadOptions
    from rescore.read.per_file import read_one
    from rescore.read.sources import SourceInfo

    path = _graded_parquet(tmp_path / "runs.parquet")
    assert count_generic_parquet(path, LoadOptions(need_items=False), rescore.outcomes.abstention.default_detector(),
                                 SourceInfo(str(path)))
    items = rescore.load(path)
    counted = rescore.load(path, need_items=False)
    for a, b in zip(_board(items), _board(counted), strict=True):
        pd.testing.assert_frame_equal(a, b)
    explain_items = rescore.leaderboard(items, [0.0]).explain.astype(str)
    explain_counts = rescore.leaderboard(counted, [0.0]).explain.astype(str)
    pd.testing.assert_frame_equal(explain_items, explain_counts)
    assert set(explain_counts["rule"]) >= {"explicit grade", "abstention phrase", "empty response"}
    # the same key hashes as the general path (so duplicates across readers are caught)
    fast = read_one(path, "generic", LoadOptions(need_items=False))
    csv = tmp_path / "runs.csv"
    pd.read_parquet(path).to_csv(csv, index=False)
    slow = read_one(csv, "generic", LoadOptions(need_items=False, benchmark=None))
    assert isinstance(fast.item_keys, DeferredKeys)  # ids are unique: hashes only if a file overlaps
    # (the CSV is counted through Arrow too now: its deferred hashes are computed by the general reader)
    slow_keys = slow.item_keys.compute() if isinstance(slow.item_keys, DeferredKeys) else slow.item_keys
    assert fast.item_keys.compute().tolist() == slow_keys.tolist()
    # an id repeated under another benchmark is no duplicate: the whole keys are still distinct
    # (one numpy sort of their codes), so the hashes are deferred as well, and are the general path's
    frame = pd.read_parquet(path)
    twice = pd.concat([frame, frame.assign(task="other_task")], ignore_index=True)
    twice.to_parquet(tmp_path / "twice.parquet")
    counted = count_generic_parquet(tmp_path / "twice.parquet", LoadOptions(need_items=False),
                                    rescore.outcomes.abstention.default_detector(), SourceInfo("twice.parquet"))
    assert counted is not None and counted.keys is None
    deferred = read_one(tmp_path / "twice.parquet", "generic", LoadOptions(need_items=False)).item_keys
    assert isinstance(deferred, DeferredKeys)
    twice.to_csv(tmp_path / "twice.csv", index=False)
    keys = read_one(tmp_path / "twice.csv", "generic", LoadOptions(need_items=False)).item_keys
    hashes = (keys.compute() if isinstance(keys, DeferredKeys) else keys).tolist()  # the general reader's hashes
    assert deferred.compute().tolist() == hashes and len(hashes) == 2 * len(frame)
    # the same id twice under one (benchmark, model): the fast path names it as the general path does
    again = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    again.to_parquet(tmp_path / "again.parquet")
    with pytest.raises(InputError, match=r"again\.parquet"):
        count_generic_parquet(tmp_path / "again.parquet", LoadOptions(need_items=False),
                              rescore.outcomes.abstention.default_detector(), SourceInfo("again.parquet"))


def test_arrow_fast_path_duplicates_and_fallbacks(tmp_path: Path) -> None:
    path = _graded_parquet(tmp_path / "a.parquet")
    frame = pd.read_parquet(path)
    pd.concat([frame, frame.iloc[[4]]]).to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(InputError) as caught:
        rescore.load(tmp_path / "dup.parquet", need_items=False)
    # the repeat is the appended row: its record number (from 1), and the message names its id
    assert (caught.value.record, caught.value.field) == (len(frame) + 1, "item_id")
    assert "item_id=4 " in str(caught.value)
    frame.assign(grade=frame["grade"].where(frame.index != 3, "maybe")).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InputError) as caught:  # the general path names the bad value
        rescore.load(tmp_path / "bad.parquet", need_items=False)
    assert caught.value.field == "grade" and "maybe" in caught.value.reason
    frame.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(InputError, match="also appear in"):
        rescore.load([tmp_path / "a.parquet", tmp_path / "a.csv"], need_items=False)


def test_arrow_fast_path_judges_grade_columns_on_the_general_paths_sample(tmp_path: Path) -> None:
    """Which column holds the grades is judged on the first 1,000 non-empty values of the first
    batch. The fast path reads a 1,000-row head; when blanks there leave its sample short, it
    would judge on fewer values than the general reader and could pick another column (here it
    counted `is_correct` where the general reader reads `outcome` and names its bad value), so
    it leaves the file to the general reader."""
    from rescore.adapters.generic.fast import count_generic_parquet
    from rescore.read.options import LoadOptions
    from rescore.read.sources import SourceInfo

    n = 3000
    grade = [None if i < 1000 and i % 10 else ("maybe" if i < 1000 and i % 100 == 0 else
                                                  ("CORRECT" if i % 3 else "INCORRECT")) for i in range(n)]
    frame = pd.DataFrame({"model": "m", "benchmark": "b", "question_id": range(n),
                          "outcome": grade,  # the first candidate: 90 of its 100 head values parse, 99% of 1,000
                          "is_correct": [i % 2 == 0 for i in range(n)]})  # the next candidate, other grades
    path = tmp_path / "two.parquet"
    frame.to_parquet(path)
    options = LoadOptions(need_items=False)
    detector = rescore.outcomes.abstention.default_detector()
    assert count_generic_parquet(path, options, detector, SourceInfo(str(path))) is None
    with pytest.raises(InputError) as general:
        rescore.load(path)
    with pytest.raises(InputError) as counted:
        rescore.load(path, need_items=False)
    assert str(counted.value) == str(general.value) and general.value.field == "outcome"
    full = frame.assign(outcome=frame["outcome"].fillna("CORRECT").replace("maybe", "INCORRECT"))
    # no blanks: the head's sample is whole, and the fast path reads the file
    full.to_parquet(path)
    assert count_generic_parquet(path, options, rescore.outcomes.abstention.default_detector(), SourceInfo(str(path)))
