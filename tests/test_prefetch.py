"""Reading one big JSONL table ahead while the command imports pandas (rescore/read/prefetch.py):
only the files the generic fast path will want, the same table it would read itself, and no
read left running once nobody wants it."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pyarrow.json as pajson
import pytest

from rescore.read import prefetch
from rescore.read.options import LoadOptions

from .conftest import invoke

COUNTS = LoadOptions(need_items=False)


def _table_file(path: Path, rows: int = 400, nested: bool = False) -> Path:
    lines = []
    for i in range(rows):
        row: dict[str, Any] = {"model": f"m{i % 3}", "benchmark": "quiz", "item_id": i // 3,
                               "pred": "B" if i % 4 else "I don't know", "answer": "B" if i % 5 else "C",
                               "confidence": 0.5 + (i % 5) / 10}
        if nested:
            row["doc"] = {"question": "?"}
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _small_files_count(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Test files are small: any size is worth reading ahead here; nothing is left over afterwards."""
    monkeypatch.setattr(prefetch, "MIN_BYTES", 0)
    yield
    prefetch.discard()


def test_the_file_the_fast_path_wants_is_chosen(tmp_path: Path) -> None:
    path = _table_file(tmp_path / "runs.jsonl")
    assert prefetch.worth_reading([path], COUNTS) == path
    assert prefetch.worth_reading([str(path)], COUNTS) == path


@pytest.mark.parametrize("why", ["two files", "item mode", "nested first line", "csv", "compressed", "mapping",
                                 "format hint", "skip errors", "too large", "auto mode, few lines", "dask",
                                 "cache", "missing", "folder", "fifo"])
def test_other_inputs_are_not_read_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    path = _table_file(tmp_path / "runs.jsonl", nested=why == "nested first line")
    paths: list[Any] = [path]
    options = COUNTS
    if why == "two files":
        paths = [path, _table_file(tmp_path / "more.jsonl")]
    elif why == "item mode":
        options = LoadOptions(need_items=True)
    elif why == "csv":
        paths = [tmp_path / "runs.csv"]
        paths[0].write_text("model,item_id\nm,1\n")
    elif why == "compressed":
        path.write_bytes(gzip.compress(path.read_bytes()))
    elif why == "mapping":
        options = LoadOptions(need_items=False, mapping="map.yaml")
    elif why == "format hint":
        options = LoadOptions(need_items=False, format_hint="lm-eval")
    elif why == "skip errors":
        options = LoadOptions(need_items=False, on_error="skip")
    elif why == "too large":
        monkeypatch.setattr(prefetch, "MAX_BYTES", 100)
    elif why == "auto mode, few lines":
        options = LoadOptions(need_items=None)  # 400 lines: auto mode keeps item rows, no fast path
    elif why == "dask":
        options = LoadOptions(need_items=False, engine="dask")
    elif why == "cache":
        options = LoadOptions(need_items=False, cache=str(tmp_path / "cache"))
    elif why == "missing":
        paths = [tmp_path / "absent.jsonl"]
    elif why == "folder":
        paths = [tmp_path]
    elif why == "fifo":  # judged without opening it: its data are the reader's, read once (a blocked open hangs)
        paths = [tmp_path / "stream.jsonl"]
        os.mkfifo(paths[0])
    assert prefetch.worth_reading(paths, options) is None


def test_auto_mode_reads_ahead_a_file_with_more_lines_than_item_mode_keeps(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table_file(tmp_path / "runs.jsonl")
    monkeypatch.setattr(prefetch, "ITEMS_AUTO_ROWS", 399)
    assert prefetch.worth_reading([path], LoadOptions(need_items=None)) == path
    monkeypatch.setattr(prefetch, "ITEMS_AUTO_ROWS", 400)
    assert prefetch.worth_reading([path], LoadOptions(need_items=None)) is None


def test_the_table_read_ahead_is_arrows_own_and_is_taken_once(tmp_path: Path) -> None:
    path = _table_file(tmp_path / "runs.jsonl")
    prefetch.start([path], COUNTS)
    ahead = prefetch.take(tmp_path / "." / "runs.jsonl")  # the same file under another spelling
    assert ahead is not None
    expected = pajson.read_json(path, read_options=pajson.ReadOptions(block_size=prefetch.JSON_BLOCK_BYTES))
    table, lines = ahead.future.result(timeout=30)
    assert table.equals(expected)
    assert lines == path.read_bytes().count(b"\n") == expected.num_rows
    assert prefetch.take(path) is None


def test_a_file_changed_since_the_read_began_is_not_taken(tmp_path: Path) -> None:
    path = _table_file(tmp_path / "runs.jsonl")
    prefetch.start([path], COUNTS)
    _table_file(path, rows=401)  # another size
    assert prefetch.take(path) is None


def test_a_read_nobody_takes_is_called_off_and_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _table_file(tmp_path / "runs.jsonl", rows=20_000)
    monkeypatch.setattr(prefetch, "JSON_BLOCK_BYTES", 1 << 16)  # many blocks: the stop falls between two
    prefetch.start([path], COUNTS)
    started = list(prefetch._AHEAD.values())
    assert len(started) == 1 and started[0].thread is not None
    prefetch.discard()
    assert not started[0].thread.is_alive()
    assert prefetch.take(path) is None
    assert started[0].future.done()  # a table read before the stop, or the stop's OSError
    assert not prefetch._THREADS  # nothing is kept once the reads have ended


def test_a_read_failing_on_bad_json_is_met_by_the_taker(tmp_path: Path) -> None:
    path = _table_file(tmp_path / "runs.jsonl")
    with path.open("a") as handle:
        handle.write('{"model": "m", "item_id": \n')
    prefetch.start([path], COUNTS)
    ahead = prefetch.take(path)
    assert ahead is not None
    with pytest.raises(Exception, match="JSON"):
        ahead.future.result(timeout=30)


@pytest.mark.parametrize("broken", [False, True])
def test_the_leaderboard_read_ahead_gives_the_leaderboard_of_a_plain_read(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          broken: bool) -> None:
    """The CLI starts the read ahead and the fast path takes it: the board is the one read without
    it (and a broken file gives the same one-line error, exit 3)."""
    from rescore.adapters.generic import fast_text as fast
    from rescore.read import counts

    path = _table_file(tmp_path / "runs.jsonl", rows=3000)
    if broken:
        with path.open("a") as handle:
            handle.write('{"model": "m", "item_id": \n')
    monkeypatch.setattr(prefetch, "ITEMS_AUTO_ROWS", 100)
    monkeypatch.setattr(counts, "ITEMS_AUTO_ROWS", 100)
    taken: list[bool] = []
    real = fast._count_text

    def spy(path: Path, options: Any, detector: Any, info: Any, read_ahead: Any) -> Any:
        taken.append(read_ahead is not None)
        return real(path, options, detector, info, read_ahead)

    monkeypatch.setattr(fast, "_count_text", spy)
    ahead = invoke("leaderboard", str(path), "-f", "json")
    monkeypatch.setattr(prefetch, "MIN_BYTES", os.path.getsize(path) + 1)
    plain = invoke("leaderboard", str(path), "-f", "json")
    assert taken == [True, False]
    assert ahead.exit_code == plain.exit_code == (3 if broken else 0)
    if broken:
        assert ahead.stderr == plain.stderr and "line 3001" in ahead.stderr
    else:
        first, second = json.loads(ahead.stdout), json.loads(plain.stdout)
        assert first["rows"] == second["rows"] and first["rows"]


@pytest.mark.parametrize(("gate", "read_ahead"), [("score@0.5=-1", True), ("coverage=0.5", False)])
def test_check_reads_ahead_unless_a_gate_needs_item_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         gate: str, read_ahead: bool) -> None:
    """`rescore check` (a CI step) reads one big JSONL ahead as `leaderboard` does, with the same
    verdict; a coverage gate needs item rows, so nothing is read ahead for it."""
    from rescore.adapters.generic import fast_text as fast
    from rescore.read import counts

    path = _table_file(tmp_path / "runs.jsonl", rows=3000)
    monkeypatch.setattr(prefetch, "ITEMS_AUTO_ROWS", 100)
    monkeypatch.setattr(counts, "ITEMS_AUTO_ROWS", 100)
    started: list[Path] = []
    real_start = prefetch.start

    def spy(paths: list[Any], options: Any) -> None:
        chosen = prefetch.worth_reading(paths, options)
        if chosen is not None:
            started.append(chosen)
        real_start(paths, options)

    monkeypatch.setattr(prefetch, "start", spy)
    taken: list[bool] = []
    real = fast._count_text
    monkeypatch.setattr(fast, "_count_text", lambda *args: taken.append(args[-1] is not None) or real(*args))
    result = invoke("check", str(path), "--min", gate, "-f", "json")
    assert started == ([path] if read_ahead else [])
    assert taken == ([True] if read_ahead else [])
    monkeypatch.setattr(prefetch, "MIN_BYTES", os.path.getsize(path) + 1)
    plain = invoke("check", str(path), "--min", gate, "-f", "json")
    assert result.exit_code == plain.exit_code and json.loads(result.stdout) == json.loads(plain.stdout)
