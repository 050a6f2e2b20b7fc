"""A whole file handed to Arrow as views of its memory map (rescore/read/mapped.py): the same bytes
and tables as a plain read, called off by ``stop``, refused once the file shrinks, and actually
read through ``read_buffer`` (the zero-copy route) by Arrow's CSV and JSON readers."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pytest

from rescore.read.mapped import MappedFile


def _write(path: Path, size: int) -> bytes:
    data = bytes((i * 7 + i // 251) % 256 for i in range(size))
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 100_003])
@pytest.mark.parametrize("block", [1, 1000, 1 << 20])
def test_blocks_are_the_files_bytes(tmp_path: Path, size: int, block: int) -> None:
    data = _write(tmp_path / "f.bin", size)
    got = []
    with MappedFile(tmp_path / "f.bin") as source:
        while chunk := bytes(source.read_buffer(block)):
            assert len(chunk) <= block
            got.append(chunk)
    assert b"".join(got) == data


@pytest.mark.parametrize("text", [b"", b"\n", b"a", b"a\n", b"a\nb", b"a\nb\n", b"\n\n\n", b"a\r\nb\r\n"])
@pytest.mark.parametrize("block", [1, 2, 1 << 20])
def test_lines_are_counted_as_the_blocks_go_out(tmp_path: Path, text: bytes, block: int) -> None:
    """``lines`` is what a count of the whole file's lines gives (a last line without its newline
    counts), known only once every byte went out."""
    (tmp_path / "f.txt").write_bytes(text)
    with MappedFile(tmp_path / "f.txt") as source:
        if text:
            assert source.lines is None
        while source.read_buffer(block):
            pass
        assert source.lines == text.count(b"\n") + (1 if text and not text.endswith(b"\n") else 0)


def test_read_and_readinto_give_the_same_bytes(tmp_path: Path) -> None:
    data = _write(tmp_path / "f.bin", 10_000)
    with MappedFile(tmp_path / "f.bin") as source:
        head = source.read(3000)
        buffer = bytearray(5000)
        n = source.readinto(buffer)
        rest = source.read()
    assert head + bytes(buffer[:n]) + rest == data


def test_a_view_outlives_the_file_object(tmp_path: Path) -> None:
    """Arrow may hold a block after the source is closed: the map stays until the view goes."""
    data = _write(tmp_path / "f.bin", 5000)
    source = MappedFile(tmp_path / "f.bin")
    view = source.read_buffer(100)
    source.close()
    assert bytes(view) == data[:100]


def test_stop_calls_the_read_off(tmp_path: Path) -> None:
    _write(tmp_path / "f.bin", 5000)
    stop = threading.Event()
    with MappedFile(tmp_path / "f.bin", stop) as source:
        assert len(source.read_buffer(100)) == 100
        stop.set()
        with pytest.raises(OSError, match="called off"):
            source.read_buffer(100)


def test_a_file_that_shrinks_fails_the_read_instead_of_faulting(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    _write(path, 3 * 4096)
    with MappedFile(path) as source:
        assert len(source.read_buffer(4096)) == 4096
        with path.open("r+b") as handle:
            handle.truncate(4096 + 10)
        with pytest.raises(OSError, match="shrank"):
            source.read_buffer(4096)


def test_a_file_that_grows_is_read_as_it_was_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = _write(path, 1000)
    with MappedFile(path) as source:
        with path.open("ab") as handle:
            handle.write(b"more")
        assert bytes(source.read()) == data


class _Spy(MappedFile):
    """Counts how Arrow pulls the blocks."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls = {"read_buffer": 0, "readinto": 0}

    def read_buffer(self, size: int = -1) -> object:
        self.calls["read_buffer"] += 1
        return super().read_buffer(size)

    def readinto(self, buffer: object) -> int:
        self.calls["readinto"] += 1
        return super().readinto(buffer)


def test_arrow_reads_views_and_gets_the_same_tables(tmp_path: Path) -> None:
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(f'{{"model": "m{i % 3}", "item_id": "q{i}", "pred": "A", "answer": "B"}}\n'
                             for i in range(20_000)))
    csv = tmp_path / "t.csv"
    csv.write_text("model,item_id,pred,answer\n" + "".join(f"m{i % 3},q{i},A,B\n" for i in range(20_000)))
    options = pajson.ReadOptions(block_size=1 << 16)  # many blocks
    with _Spy(jsonl) as source:
        assert pajson.read_json(source, read_options=options).equals(pajson.read_json(jsonl, read_options=options))
    assert source.calls["read_buffer"] > 1 and source.calls["readinto"] == 0
    with _Spy(csv) as source:
        assert pacsv.read_csv(source).equals(pacsv.read_csv(csv))
    assert source.calls["read_buffer"] >= 1 and source.calls["readinto"] == 0
