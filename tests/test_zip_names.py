"""Zip member names for detection (rescore/read/zipfiles.py): the lean central-directory scan.

Detection lists every zip's members; :func:`zip_names` reads a plain archive's names without
building a :class:`zipfile.ZipInfo` per member and leaves every other archive to :mod:`zipfile`.
What must hold: a plain ``.eval`` never reaches :mod:`zipfile` (the speed), and for any archive,
sound or damaged, the names (or None) are exactly :mod:`zipfile`'s (the behaviour), so the same
files are detected and a damaged log still fails with the same one-line error.
"""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from rescore.read import zipfiles
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one
from rescore.read.plugins import detect, get_adapter
from rescore.read.zipfiles import zip_names

from .conftest import invoke
from .test_adapter_inspect_ai import _header, _sample, write_deflate_eval, write_zstd_eval, write_zstd_zip


def _zipfile_names(path: Path) -> list[str] | None:
    """The reference: what :mod:`zipfile` lists, None where it refuses the archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None


def _lean(path: Path) -> list[str] | None:
    with path.open("rb") as handle:
        return zipfiles._lean_names(handle)


def _samples(n: int) -> list[dict[str, Any]]:
    return [_sample(i, "C" if i % 2 else "I", "ANSWER: A", answer="A") for i in range(1, n + 1)]


@pytest.mark.parametrize("writer", [write_deflate_eval, write_zstd_eval])
def test_plain_eval_is_listed_without_zipfile(tmp_path: Path, writer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = writer(tmp_path / "run.eval", _header(), _samples(30))
    expected = _zipfile_names(path)
    assert expected is not None and "header.json" in expected

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a plain archive went through zipfile.ZipFile")

    monkeypatch.setattr(zipfiles.zipfile, "ZipFile", refuse)
    assert zip_names(path) == expected
    assert detect(path) is get_adapter("inspect_ai")


def _with_comment(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", "{}")
        archive.comment = b"written by hand"
    return path


def _with_lying_comment_length(path: Path) -> Path:
    plain = write_deflate_eval(path.with_suffix(".plain"), _header(), _samples(3)).read_bytes()
    path.write_bytes(plain[:-2] + struct.pack("<H", 7))  # an end record that claims a comment it lacks
    return path


def _with_extra_field(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", "{}")
        info = zipfile.ZipInfo("samples/1_epoch_1.json")
        info.extra = struct.pack("<HHB4s", 0x5455, 5, 1, b"\x00\x00\x00\x00")  # the zip tool's timestamp field
        archive.writestr(info, "{}")
    return path


def _with_utf8_names(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:  # zipfile sets flag bit 11 for these
        archive.writestr("header.json", "{}")
        archive.writestr("samples/café_epoch_1.json", "{}")
    return path


def _with_cp437_names(path: Path) -> Path:
    # UTF-8 bytes without flag bit 11: zipfile reads them as cp437, and so must the scan
    return write_zstd_zip(path, {"header.json": b"{}", "samples/café_epoch_1.json": b"{}"})


def _with_nul_in_a_name(path: Path) -> Path:
    return write_zstd_zip(path, {"header.json\x00.exe": b"{}", "samples/1_epoch_1.json": b"{}"})


def _with_prefix(path: Path) -> Path:
    plain = write_deflate_eval(path.with_suffix(".plain"), _header(), _samples(3))
    path.write_bytes(b"#!/bin/sh\nexit 0\n" + plain.read_bytes())  # a self-extractor's stub
    return path


def _with_zip64_locator(path: Path) -> Path:
    plain = write_deflate_eval(path.with_suffix(".plain"), _header(), _samples(3)).read_bytes()
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1)
    path.write_bytes(plain[:-22] + locator + plain[-22:])
    return path


def _empty(path: Path) -> Path:
    with zipfile.ZipFile(path, "w"):
        pass
    return path


@pytest.mark.parametrize("build, lean", [
    (_with_comment, False), (_with_lying_comment_length, False), (_with_extra_field, False),
    (_with_utf8_names, True), (_with_cp437_names, True), (_with_nul_in_a_name, True), (_with_prefix, True),
    (_with_zip64_locator, False), (_empty, False)])
def test_unusual_archives_list_as_zipfile_lists_them(tmp_path: Path, build: Any, lean: bool) -> None:
    path = build(tmp_path / "odd.eval")
    expected = _zipfile_names(path)
    assert zip_names(path) == expected
    assert (_lean(path) is not None) is lean  # what the scan answers itself, and what it leaves to zipfile
    if lean:
        assert _lean(path) == expected


def test_damaged_archives_get_zipfiles_verdict(tmp_path: Path) -> None:
    """Cuts, flipped bits and overwritten bytes in the central directory and end record: the scan
    may answer only where zipfile gives the same names, and must never accept what zipfile refuses."""
    original = write_zstd_eval(tmp_path / "run.eval", _header(), _samples(8)).read_bytes()
    with zipfile.ZipFile(tmp_path / "run.eval") as archive:
        directory = archive.start_dir
    rng = random.Random(17)
    path = tmp_path / "damaged.eval"
    answered = 0
    for trial in range(400):
        data = bytearray(original)
        if trial % 4 == 0:
            data = data[: rng.randrange(len(data))]
        elif trial % 4 == 1:
            data[rng.randrange(directory, len(data))] ^= 1 << rng.randrange(8)
        else:
            for _ in range(trial % 4):
                data[rng.randrange(directory, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            expected: Any = _zipfile_names(path)
        except NotImplementedError:  # a flipped "version needed to extract": zipfile raises, and so must this
            with pytest.raises(NotImplementedError):
                zip_names(path)
            continue
        assert zip_names(path) == expected, trial
        answered += _lean(path) is not None
    assert answered > 40  # damage to sizes' and times' bytes leaves a sound directory the scan still reads


@pytest.mark.parametrize("cut", ["end record", "central directory", "members"])
def test_damaged_eval_is_the_same_one_line_error(tmp_path: Path, cut: str) -> None:
    full = write_deflate_eval(tmp_path / "full.eval", _header(), _samples(20)).read_bytes()
    with zipfile.ZipFile(tmp_path / "full.eval") as archive:
        directory = archive.start_dir
    path = tmp_path / "log.eval"
    if cut == "end record":
        path.write_bytes(full[:-5])
    elif cut == "central directory":  # the first entry's signature
        path.write_bytes(full[:directory] + b"XX" + full[directory + 2:])
    else:
        path.write_bytes(full[: directory // 2])
    assert not get_adapter("inspect_ai").detect(path)
    result = invoke("leaderboard", str(tmp_path), "-q")
    assert result.exit_code == 3
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"rescore: error: {path}: the zip archive is damaged or truncated ({_zipfile_error(path)})"]


def _zipfile_error(path: Path) -> str:
    try:
        zipfile.ZipFile(path).close()
    except zipfile.BadZipFile as exc:
        return str(exc)
    raise AssertionError("zipfile reads the damaged archive")


def test_a_file_changed_after_detection_is_read_as_it_now_is(tmp_path: Path) -> None:
    """Nothing of what detection saw is kept for the read: a log rewritten in between (a run still
    writing, a re-run) is read afresh, and one that became unreadable fails on its own name."""
    path = write_zstd_eval(tmp_path / "run.eval", _header(), _samples(4))
    assert detect(path) is get_adapter("inspect_ai")
    write_deflate_eval(path, _header(), _samples(6))
    assert len(read_one(path, "inspect_ai", LoadOptions()).items) == 6
    other = tmp_path / "other.eval"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "not a log")
    other.replace(path)
    assert detect(path) is not get_adapter("inspect_ai")
    with pytest.raises(Exception, match="not an inspect_ai log"):
        read_one(path, "inspect_ai", LoadOptions())


def test_remote_eval_is_listed_from_ranges(tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    from rescore.read.remote import RemotePath

    local = write_zstd_eval(tmp_path / "run.eval", _header(), _samples(5))
    url = f"memory://rescore-zip-names-{random.randrange(1 << 30)}/run.eval"
    fs = fsspec.filesystem("memory")
    fs.pipe(url, local.read_bytes())
    try:
        remote = RemotePath(url)
        assert zip_names(remote) == _zipfile_names(local)
        assert detect(remote) is get_adapter("inspect_ai")
        assert len(read_one(remote, "inspect_ai", LoadOptions()).items) == 5
    finally:
        fs.rm(url)

