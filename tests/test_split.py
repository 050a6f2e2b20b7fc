"""One big file read as pieces by several workers gives what one reader gives (issue 18, point 2).

Each test reads the same file with ``jobs=1`` (one reader) and ``jobs=2`` (pieces, see
``rescore/read/split.py``) and compares results or errors; a spy on ``join_pieces`` says whether
the pieces were really joined or the file went back to one reader.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rescore
import rescore.read.per_file
from rescore.errors import InputError
from rescore.read import schema, split, workers
from rescore.read.options import LoadOptions

BATCH = 500
ROWS = 6000


@pytest.fixture(autouse=True)
def _split_small_files(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Split files of any size here, and record each join (True = joined, False = re-read whole)."""
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 0)
    joins: list[bool] = []
    original = workers.join_pieces

    def spy(results: Any) -> Any:
        joined = original(results)
        joins.append(joined is not None)
        return joined

    monkeypatch.setattr(workers, "join_pieces", spy)
    return joins


def _frame(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "model": [f"org/m{i % 4}" for i in range(rows)], "benchmark": "bench",
        "item_id": [f"q{i // 4}" for i in range(rows)],
        "pred": rng.choice(["A", "b", " C ", "D", "I don't know", ""], rows),
        "answer": rng.choice(["A", "B", "C", "D"], rows), "confidence": rng.random(rows).round(3)})


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=BATCH)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


def _load(path: Path, jobs: int, need_items: bool) -> Any:
    return rescore.load(path, jobs=jobs, batch_size=BATCH, need_items=need_items)


def _same(path: Path, need_items: bool) -> None:
    one, two = _load(path, 1, need_items), _load(path, 2, need_items)
    if need_items:
        pd.testing.assert_frame_equal(one.items, two.items)
    else:
        pd.testing.assert_frame_equal(one.item_counts, two.item_counts)
    assert [s.to_dict() for s in one.sources] == [s.to_dict() for s in two.sources]
    assert one.notes == two.notes


def _error(path: Path, jobs: int, need_items: bool = False) -> InputError:
    with pytest.raises(InputError) as caught:
        _load(path, jobs, need_items)
    return caught.value


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_pieces_give_one_readers_result(tmp_path: Path, suffix: str, _split_small_files: list[bool],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(_frame(), tmp_path / f"all{suffix}")
    assert len(split.plan(path, 2, BATCH)) == 2
    # a table the columnar path declines (see the next test): the general reader's pieces
    monkeypatch.setattr("rescore.adapters.generic.fast_text.count_generic_table", lambda *args: None)
    _same(path, need_items=False)
    assert _split_small_files == [True]  # really read as two pieces, in counts mode


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_text_the_columnar_path_takes_is_counted_whole_here(tmp_path: Path, suffix: str,
                                                            _split_small_files: list[bool],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's CSV/JSON/Parquet readers use every core on one file, so a table they take is not cut
    into pieces (one Arrow reader per worker measured slower); the result is one reader's."""
    path = _write(_frame(), tmp_path / f"all{suffix}")
    submitted: list[Any] = []
    monkeypatch.setattr(workers, "_worker_pool", lambda n: submitted.append(n) or pytest.fail("no pool wanted"))
    _same(path, need_items=False)
    assert _split_small_files == [] and submitted == []  # no pieces joined, no worker started


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_pieces_read_in_process_give_one_readers_items(tmp_path: Path, suffix: str) -> None:
    """Item mode reads a file whole (its rows would cross the pipe), but the pieces' readers
    still give one reader's item rows, joined."""
    path = _write(_frame(), tmp_path / f"all{suffix}")
    options = LoadOptions(batch_size=BATCH, need_items=True)
    whole = rescore.read.per_file.read_one(str(path), "generic", options)
    joined = workers.join_pieces([workers.read_piece(str(path), "generic", options, piece)
                                  for piece in split.plan(path, 2, BATCH)])
    assert joined is not None
    # (the whole file's columnar reader gives its labels as categories already: compared as loaded)
    pd.testing.assert_frame_equal(schema.compact(whole.items.copy()), schema.compact(joined.items.copy()))
    assert whole.info.to_dict() == joined.info.to_dict()


def test_item_mode_reads_a_file_whole(tmp_path: Path, _split_small_files: list[bool]) -> None:
    path = _write(_frame(), tmp_path / "all.csv")
    _same(path, need_items=True)
    assert _split_small_files == []


def test_pieces_cut_on_batch_boundaries_with_absolute_numbers(tmp_path: Path) -> None:
    path = _write(_frame(), tmp_path / "all.csv")
    first, second = split.plan(path, 2, BATCH)
    assert second.first_row % BATCH == 0 and second.first_line == second.first_row + 2  # line 1 is the header
    with path.open("rb") as handle:
        lines = handle.read().split(b"\n")
    with split.open_piece(path, second) as stream:
        text = stream.read().split(b"\n")
    assert text[0] == lines[0] and text[1] == lines[second.first_line - 1]  # header, then its first row
    assert first.first and first.start == 0 and first.end == second.start


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_duplicate_key_across_pieces_is_named_as_by_one_reader(tmp_path: Path, suffix: str,
                                                                _split_small_files: list[bool]) -> None:
    frame = _frame()
    frame.loc[ROWS - 3, ["model", "item_id"]] = frame.loc[2, ["model", "item_id"]].to_numpy()  # row 2 again, late
    path = _write(frame, tmp_path / f"all{suffix}")
    for need_items in (False, True):
        assert str(_error(path, 2, need_items)) == str(_error(path, 1, need_items))
    assert str(_error(path, 2)).count("repeat") == 1
    if suffix == ".parquet":  # the columnar path reads it whole here and names the key itself: no pieces
        assert _split_small_files == []
    else:  # the columnar text path leaves a repeated key to the general reader's pieces
        assert False in _split_small_files  # the pieces were not joined: one reader named the key


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_error_in_second_piece_names_its_line_in_the_whole_file(tmp_path: Path, suffix: str) -> None:
    frame = _frame().astype({"confidence": object})
    bad = ROWS - 10
    frame.loc[bad, "confidence"] = "very sure"
    path = _write(frame, tmp_path / f"all{suffix}")
    line = bad + (2 if suffix == ".csv" else 1)
    assert _error(path, 1).line == line and str(_error(path, 2)) == str(_error(path, 1))
    # the piece's own reader, before any re-reading, names the same line
    second = split.plan(path, 2, BATCH)[1]
    options = LoadOptions(batch_size=BATCH, need_items=False)
    with pytest.raises(InputError) as caught:
        workers.read_piece(str(path), "generic", options, second)
    assert caught.value.line == line


def test_crlf_and_bom_csv(tmp_path: Path, _split_small_files: list[bool]) -> None:
    path = tmp_path / "all.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _frame().to_csv(index=False, lineterminator="\r\n").encode())
    _same(path, need_items=False)
    assert _split_small_files == [True]
    assert list(_load(path, 2, True).items["model"].unique()) == ["org/m0", "org/m1", "org/m2", "org/m3"]


def test_quoted_newline_csv_is_read_by_one_reader(tmp_path: Path, _split_small_files: list[bool]) -> None:
    frame = _frame()
    frame["pred"] = frame["pred"].astype(object)
    for row in range(0, ROWS, 7):
        frame.loc[row, "pred"] = "A\nsecond line"  # quoted by to_csv, a row over two lines
    path = _write(frame, tmp_path / "all.csv")
    for need_items in (False, True):
        _same(path, need_items)
    assert True not in _split_small_files  # never joined: the pieces saw rows that are not lines


def test_blank_lines_in_jsonl_go_to_one_reader(tmp_path: Path) -> None:
    path = _write(_frame(), tmp_path / "all.jsonl")
    lines = path.read_bytes().split(b"\n")
    lines.insert(ROWS - 5, b"")
    path.write_bytes(b"\n".join(lines))
    _same(path, True)


def test_compressed_and_small_inputs_are_not_split(tmp_path: Path) -> None:
    text = _write(_frame(), tmp_path / "all.jsonl")
    packed = tmp_path / "packed.jsonl"
    packed.write_bytes(gzip.compress(text.read_bytes()))
    assert split.plan(packed, 2, BATCH) == []
    assert split.plan(text, 1, BATCH) == []  # one worker
    assert split.plan(_write(_frame(BATCH - 1), tmp_path / "few.csv"), 2, BATCH) == []  # one batch only


def test_big_parquet_row_groups_not_on_batch_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "odd.parquet"
    pq.write_table(pa.Table.from_pandas(_frame(), preserve_index=False), path, row_group_size=BATCH + 1)
    pieces = split.plan(path, 2, BATCH)
    assert all(p.first_row % BATCH == 0 for p in pieces)
    _same(path, False)


def test_lines_in_counts_a_pieces_own_lines_wherever_it_starts(tmp_path: Path) -> None:
    """``lines_in`` maps only a piece's bytes (from the page-size grain below its start): its
    count is that of a plain count of the same bytes, for pieces starting before, on and past
    the mapping grain, ending past the file's end, with and without a last newline."""
    import mmap

    rng = np.random.default_rng(7)
    grain = mmap.ALLOCATIONGRANULARITY
    data = bytes(rng.choice(np.frombuffer(b"ab\n", dtype=np.uint8), size=3 * grain + 123))
    path = tmp_path / "lines.jsonl"
    path.write_bytes(data)
    cuts = [0, 1, grain - 1, grain, grain + 1, 2 * grain + 7, len(data) - 1, len(data)]
    for start in cuts:
        for end in [*cuts, len(data) + 50]:
            piece = split.Piece(0, 1, start=start, end=end)
            own = data[start:min(end, len(data))]
            expected = own.count(b"\n") + (1 if own and not own.endswith(b"\n") else 0)
            assert split.lines_in(path, piece) == expected, (start, end)
