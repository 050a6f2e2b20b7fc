"""Broken inputs get one clear line and exit 3, never a traceback; limits protect the user.

Each case writes its broken file into ``tmp_path`` and runs the CLI (``invoke``), asserting the
whole error line: the file, the line/record, the field, and the reason. Then a hypothesis fuzz
feeds random bytes and random JSON to every registered adapter's ``detect`` and reader, the
size limits (long lines, deep nesting, zip bombs) are exercised with small patched limits,
and an interrupted write is shown to leave no half file.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rescore
from rescore.errors import InputError, RescoreError
from rescore.read import tables
from rescore.read.options import LoadOptions
from rescore.read.per_file import read_one
from rescore.read.plugins import all_adapters
from rescore.read.zipfiles import SafeZip
from rescore.report.atomic import write_atomic, write_text_atomic

from .conftest import invoke

ROWS = [{"model": "m", "id": 1, "correct": True}, {"model": "m", "id": 2, "correct": False}]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def error_line(path: Path, *extra: str) -> str:
    """Run the leaderboard on ``path`` and return its single stderr line (asserting exit 3)."""
    result = invoke("leaderboard", str(path), "-q", "-f", "csv", *extra)
    assert result.exit_code == 3, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0].replace(str(path.parent) + "/", "")


# -- one case per broken input ------------------------------------------------------------------
def test_truncated_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl(ROWS) + b'{"model": "m", "id": 3, "corr')
    assert error_line(path) == ("rescore: error: runs.jsonl, line 3: invalid JSON (Unterminated string starting at: "
                                "line 1 column 25 (char 24))")


def test_invalid_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl(ROWS[:1]) + b'{"model": "m\xff\xfe", "id": 2, "correct": false}\n')
    assert error_line(path) == "rescore: error: runs.jsonl, line 2: not valid UTF-8 (invalid start byte at byte 12)"


def test_invalid_utf8_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_bytes(b"model,id,correct\nm,1,1\nm\xff,2,0\n")
    assert error_line(path) == "rescore: error: runs.csv, line 3: not valid UTF-8 (invalid start byte at byte 1)"


@pytest.mark.parametrize("name", ["runs.jsonl", "runs.csv", "runs.json", "runs.parquet"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert error_line(path) == f"rescore: error: {name}: file is empty"


def test_zero_byte_parquet_among_good_files_fails_the_run(tmp_path: Path) -> None:
    pd.DataFrame(ROWS).to_parquet(tmp_path / "good.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"")
    result = invoke("leaderboard", str(tmp_path), "-q", "-f", "csv")
    assert result.exit_code == 3
    assert result.stderr.strip().endswith("bad.parquet: file is empty")


def test_parquet_with_garbage_bytes(tmp_path: Path) -> None:
    path = tmp_path / "runs.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    assert error_line(path).startswith("rescore: error: runs.parquet: not a readable Parquet file (")


@pytest.mark.parametrize(("content", "expected"), [
    ("42", "runs.json: JSON of the wrong shape: expected a list of records, a dict of columns or a dict of records"),
    ("[1, 2, 3]", "runs.json, record 0: expected a JSON object, found int"),
    ('{"a": 1, "b": "x"}', "runs.json: JSON of the wrong shape: expected a list of records, a dict of columns or "
                           "a dict of records"),
])
def test_wrong_json_shape(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "runs.json"
    path.write_text(content)
    assert error_line(path) == f"rescore: error: {expected}"


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl(ROWS) + b"[1, 2]\n")
    assert error_line(path) == "rescore: error: runs.jsonl, line 3: expected a JSON object, found list"


@pytest.mark.parametrize("name", ["log.eval", "archive.zip"])
def test_zip_that_is_not_an_inspect_log(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert error_line(path) == (f"rescore: error: {name}: no adapter recognises this file (use --format-hint NAME; "
                                "see `rescore formats`)")
    assert error_line(path, "--format-hint", "inspect_ai") == (
        f"rescore: error: {name}: zip archive is not an inspect_ai log (no header.json, no samples/ with _journal/)")


@pytest.mark.parametrize("need_items", [True, False])
def test_a_file_repeating_a_key_is_skipped_on_request(tmp_path: Path, need_items: bool) -> None:
    """``--on-error skip`` skips a file whose item key repeats, in both modes, with the reason the
    run would have failed with; the other files are scored. A repeat across files still fails
    (no one file is at fault), naming both."""
    bad = tmp_path / "a.jsonl"
    bad.write_bytes(_jsonl([*ROWS, {"model": "m", "id": 1, "correct": False}]))
    good = tmp_path / "b.jsonl"
    good.write_bytes(_jsonl([{"model": "other", "id": 1, "correct": True}]))
    data = rescore.load(tmp_path, need_items=need_items, on_error="skip")
    assert [path for path, _ in data.skipped] == [str(bad)]
    assert "repeat an earlier" in data.skipped[0][1]
    assert [s.path for s in data.sources] == [str(good)]
    table = data.items if need_items else data.item_counts
    assert set(table["model"]) == {"other"}
    if need_items:  # the skipped file's texts are gone from the categories too (they were made before the check)
        assert list(table["source"].cat.categories) == [str(good)]
        assert list(table["model"].cat.categories) == ["other"]
    bad.unlink()
    same = [{**row, "benchmark": "x"} for row in ROWS]
    (tmp_path / "c.jsonl").write_bytes(_jsonl(same))
    (tmp_path / "d.jsonl").write_bytes(_jsonl(same))  # the same keys as c.jsonl's
    with pytest.raises(InputError, match=r"repeat|share"):
        rescore.load(tmp_path, need_items=need_items, on_error="skip")


def test_nothing_left_to_score_is_an_input_error(tmp_path: Path) -> None:
    """Every file skipped: one line naming the first skipped file and why, exit 3 (not a crash)."""
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl([*ROWS, {"model": "m", "id": 1, "correct": False}]))
    assert error_line(path, "--on-error", "skip") == (
        "rescore: error: nothing to score: all 1 input file(s) were skipped (first: runs.jsonl: error: 1 row(s) "
        "repeat an earlier (model, benchmark, subset, item_id, attempt) key (first: model=m benchmark=runs "
        "item_id=1 attempt=0))")


@pytest.mark.parametrize("need_items", [True, False])
def test_duplicate_item_ids(tmp_path: Path, need_items: bool) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl([*ROWS, {"model": "m", "id": 1, "correct": False}]))
    with pytest.raises(InputError) as caught:
        rescore.load(path, need_items=need_items)
    # both modes check each file while reading it, so both name the line of the repeat, alike
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 3, "item_id")
    assert str(caught.value) == (f"{path}, line 3, field 'item_id': 1 row(s) repeat an earlier (model, "
                                 "benchmark, subset, item_id, attempt) key (first: model=m benchmark=runs "
                                 "item_id=1 attempt=0)")
    assert error_line(path) == ("rescore: error: runs.jsonl, line 3, field 'item_id': 1 row(s) repeat an earlier "
                                "(model, benchmark, subset, item_id, attempt) key (first: model=m benchmark=runs "
                                "item_id=1 attempt=0)")


def test_same_items_in_two_files_in_counts_mode(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "runs.jsonl").write_bytes(_jsonl(ROWS))
    (tmp_path / "b" / "runs.jsonl").write_bytes(_jsonl(ROWS))
    with pytest.raises(InputError, match=r"b/runs.jsonl, field 'item_id': 2 item key\(s\) .* also appear in .*"
                                         r"a/runs.jsonl"):
        rescore.load(tmp_path, need_items=False)


def test_mixed_models_in_one_file_are_scored_separately(tmp_path: Path) -> None:
    """One file may hold several models (a ``model`` column): each is its own leaderboard row."""
    path = tmp_path / "runs.csv"
    path.write_text("model,id,correct\na,1,1\nb,1,0\na,2,0\nb,2,1\nb,3,1\n")
    for need_items in (True, False):
        board = rescore.leaderboard(rescore.load(path, need_items=need_items), [0.0])
        assert board.groups[["model", "n", "n_correct", "n_wrong"]].values.tolist() == [["a", 2, 1, 1],
                                                                                        ["b", 3, 2, 1]]


def test_nan_and_blank_confidences_are_unknown_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("model,id,correct,confidence\nm,1,1,0.9\nm,2,0,nan\nm,3,1,\nm,4,0,NaN\n")
    items = rescore.load(path).items
    assert items["confidence"].isna().tolist() == [False, True, True, True]
    assert items["confidence"].iloc[0] == 0.9
    assert invoke("leaderboard", str(path), "-q", "-f", "csv").exit_code == 0


def test_confidence_out_of_range_names_file_record_and_field(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl([{"model": "m", "id": 1, "correct": True, "confidence": 0.5},
                             {"model": "m", "id": 2, "correct": True, "confidence": -0.5}]))
    for need_items in (True, False):
        with pytest.raises(InputError) as caught:
            rescore.load(path, need_items=need_items)
        assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 2, "confidence")
        assert "outside [0, 1]" in caught.value.reason


# -- limits -------------------------------------------------------------------------------------
def test_overlong_line_is_refused_not_read_into_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_LINE_BYTES", 1024 * 1024)  # the real limit is 256 MB
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl(ROWS) + b'{"model": "m", "id": 3, "correct": true, "pad": "' + b"x" * (2 << 20) + b'"}\n')
    with pytest.raises(InputError) as caught:
        rescore.load(path)
    assert str(caught.value) == f"{path}, line 3: line longer than 1 MB"


@pytest.mark.parametrize("fields", [None, ("model", "id")])
def test_absurd_nesting_is_a_clear_error(tmp_path: Path, fields: tuple[str, ...] | None) -> None:
    path = tmp_path / "runs.jsonl"
    deep = b'{"model": "m", "id": 1, "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n"
    path.write_bytes(deep)
    with pytest.raises(InputError) as caught:
        list(tables.iter_jsonl(path, 10, fields=fields))
    assert str(caught.value) == f"{path}, line 1: JSON nested too deeply"


@pytest.mark.parametrize("line", [b'{"a": 1, "a": 2}', b'{"a": NaN, "b": -Infinity}', b'{"a": 1e400}',
                                  b'{"a": "\\ud800"}', b'{"a": 123456789012345678901234567890, "b": -0.0}',
                                  b'{"a": "\xff"}', b'{"a": 1} {"b": 2}', b'[{"a": 1}]', b'{"a": [1, {"b": null}]}  ',
                                  b'\xef\xbb\xbf{"a": 1}'])
def test_whole_lines_decode_as_json_loads_does(tmp_path: Path, line: bytes) -> None:
    """A generic JSONL table's lines are decoded whole by msgspec; whatever it refuses goes to
    json.loads, so every line gives json.loads's object or its one-line error."""
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b'{"a": 0}\n' + line + b"\n")
    try:
        expected: Any = json.loads(line)
        expected = expected if isinstance(expected, dict) else "not an object"
    except ValueError as exc:  # (UnicodeDecodeError too)
        expected = type(exc).__name__
    try:
        got: Any = [obj for batch in tables.iter_jsonl(path, 10) for _, obj in batch][1]
    except InputError as exc:
        assert exc.line == 2
        got = "not an object" if "expected a JSON object" in exc.reason else (
            "UnicodeDecodeError" if "UTF-8" in exc.reason else "JSONDecodeError")
    if isinstance(expected, dict):  # NaN != NaN: compare their JSON
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
    else:
        assert got == expected


_QUIRKS = [b'{"a": 1}', b'{"a": "x"}\r', b"", b"   ", b'  {"a": 2}', b'{"a": 3} {"b": 4}', b'{"a": [1,', b'2]}',
           b'{"a": NaN}', b'{"a": "\\ud800"}', b'[1]', b'{"a": "\xc3\xa9"}', b'{"a": "\xff"}', b'{}']


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from(_QUIRKS), min_size=1, max_size=30), skip=st.booleans())
def test_runs_of_lines_read_as_line_by_line(tmp_path: Path, lines: list[bytes], skip: bool) -> None:
    """Runs of lines decoded in one msgspec call give, batch for batch, what json.loads gives line
    by line: the same objects and numbers, the same first error (or skipped lines)."""
    path = tmp_path / "runs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected: list[tuple[int, Any]] = []
    bad: list[int] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            bad.append(number)
        else:
            expected.append((number, value))
    skipped: list[int] = []
    try:
        got = [pair for batch in tables.iter_jsonl(path, 4, "skip" if skip else "raise", skipped) for pair in batch]
    except InputError as exc:
        assert not skip and bad and exc.line == bad[0]
        return
    assert skip or not bad
    assert skipped == (bad if skip else [])
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_deeply_nested_json_document(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    assert error_line(path) == "rescore: error: runs.json: JSON nested too deeply"


def _lying_zip(path: Path, member: str, declared: int) -> None:
    """A zip whose central directory declares ``declared`` uncompressed bytes for ``member`` (a bomb's signature)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps({"eval": {"task": "t", "model": "m"}}))
        archive.writestr(member, b"{}" * 10)
    data = bytearray(path.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_len = struct.unpack_from("<H", data, entry + 28)[0]
        if bytes(data[entry + 46: entry + 46 + name_len]).decode() == member:
            struct.pack_into("<I", data, entry + 24, declared)
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))


def test_zip_bomb_posing_as_inspect_log_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "2026-01-01T00-00-00+00-00_task_abc.eval"
    _lying_zip(path, "samples/1_epoch_1.json", 4_000_000_000)
    line = error_line(path)
    assert line == ("rescore: error: 2026-01-01T00-00-00+00-00_task_abc.eval, field 'samples/1_epoch_1.json': zip "
                    "member declares 4000000000 bytes uncompressed, over the 536870912-byte limit per member "
                    "(refusing a possible zip bomb)")


def test_safe_zip_caps_output_at_the_declared_size(tmp_path: Path) -> None:
    """A member that inflates beyond what the archive declares is refused while inflating."""
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.json", b"0" * 5_000_000)  # 5 MB of zeros: about 5 KB compressed
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, 1000)
    path.write_bytes(bytes(data))
    with SafeZip(path) as archive, pytest.raises(InputError) as caught:
        archive.read("big.json")
    assert caught.value.field == "big.json"
    with SafeZip(path, max_member=100) as archive, pytest.raises(InputError, match="zip bomb"):
        archive.check_sizes(["big.json"])


def test_archive_members_are_never_extracted_to_disk(tmp_path: Path) -> None:
    """Members named like paths ("../x", absolute) are read in memory; nothing appears on disk."""
    path = tmp_path / "inner" / "2026-01-01T00-00-00+00-00_task_abc.eval"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", "{}")
        archive.writestr("samples/../../../escaped.json", "{}")
        archive.writestr("/abs/escaped2.json", "{}")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    invoke("leaderboard", str(path), "-q", "-f", "csv")
    invoke("leaderboard", str(path), "-q", "-f", "csv", "--format-hint", "inspect_ai")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not Path("/abs/escaped2.json").exists()


def test_large_input_streams_in_batches_and_counts_mode_keeps_no_rows(tmp_path: Path) -> None:
    """Reading is batch by batch (memory bounded by the batch), and counts mode keeps counts, not items."""
    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl([{"model": f"m{i % 3}", "id": i // 3, "correct": i % 2 == 0} for i in range(3000)]))
    batches = list(rescore.read.plugins.get_adapter("generic").read(path, LoadOptions(batch_size=500),
                                                                 rescore.read.sources.SourceInfo(str(path))))
    assert [len(b) for b in batches] == [500] * 6
    data = rescore.load(path, need_items=False, batch_size=500)
    assert data.items.empty
    assert len(data.item_counts) == 6 and int(data.item_counts["count"].sum()) == 3000


# -- fuzz: random bytes and random JSON never escape as anything but a RescoreError --------------
SUFFIXES = [".jsonl", ".json", ".csv", ".parquet", ".eval", ".zip"]
ADAPTERS = [a.name for a in all_adapters()]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _read_cleanly(path: Path) -> None:
    for adapter in all_adapters():
        try:
            assert adapter.detect(path) in (True, False)
        except Exception as exc:  # detect must never raise
            pytest.fail(f"{adapter.name}.detect raised {type(exc).__name__}: {exc}")
        try:
            read_one(path, adapter.name, LoadOptions())
        except RescoreError:
            pass
        except Exception as exc:
            pytest.fail(f"{adapter.name} read of {path.name} ({path.read_bytes()[:80]!r}) raised "
                        f"{type(exc).__name__}: {exc}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), suffix=st.sampled_from(SUFFIXES))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _read_cleanly(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values, lines=st.integers(min_value=1, max_value=3),
       suffix=st.sampled_from([".json", ".jsonl"]))
def test_fuzz_random_json(tmp_path: Path, value: object, lines: int, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    text = json.dumps(value)
    path.write_text("\n".join([text] * lines) + "\n" if suffix == ".jsonl" else text)
    _read_cleanly(path)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.dictionaries(st.sampled_from(["model", "id", "correct", "confidence", "pred", "answer",
                                                      "doc_id", "filtered_resps", "resps", "grade", "eval"]),
                                     json_values, max_size=6), min_size=1, max_size=4))
def test_fuzz_plausible_records(tmp_path: Path, rows: list[dict]) -> None:
    """Records with the right key names and random values: the readers' type checks, not the JSON parser."""
    path = tmp_path / "samples_task_2026-01-01T00-00-00.000000.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _read_cleanly(path)


# -- atomic outputs -----------------------------------------------------------------------------
def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "board.json"
    target.write_text("old")

    def half_then_interrupt(tmp: Path) -> None:
        tmp.write_text('{"half": ')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, half_then_interrupt)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.json"]
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["board.json"]


def test_failed_write_of_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "board.csv"

    def fail(tmp: Path) -> None:
        tmp.write_text("partial")
        raise OSError("disk full")

    from rescore.errors import OutputError

    with pytest.raises(OutputError, match=r"cannot write .*board\.csv"):  # named, not the temporary file
        write_atomic(target, fail)
    assert list((tmp_path / "out").iterdir()) == []


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"\n")), limit=st.integers(min_value=2,
                                                                                           max_value=30),
       block=st.integers(min_value=1, max_value=9))
def test_block_line_splitting_equals_line_by_line(data: bytes, limit: int, block: int) -> None:
    """iter_jsonl splits 1 MB blocks; the lines (and where a too-long line stops it) are those of split()."""
    import io

    from rescore.read import tables as t

    original = t._BLOCK_BYTES
    t._BLOCK_BYTES = block
    try:
        got = list(t._split_lines(io.BytesIO(data), limit))
    finally:
        t._BLOCK_BYTES = original
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    expected: list[bytes | None] = []
    for line in lines:
        if len(line) >= limit:
            expected.append(None)
            break
        expected.append(line)
    assert got == expected


def test_a_repeat_keeps_the_tables_message_when_the_file_cannot_be_read_again(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming the line means reading the file again; where that fails (a path only a Dask worker
    sees), the table's own message about the repeat stands, not an unrelated "file not found"."""

    path = tmp_path / "runs.jsonl"
    path.write_bytes(_jsonl([*ROWS, {"model": "m", "id": 1, "correct": False}]))

    def gone(*args: object, **kwargs: object) -> None:
        raise InputError("file not found", path=str(path))

    monkeypatch.setattr(rescore.read.assemble, "general_key_hashes", gone)
    with pytest.raises(InputError, match="rows share a") as caught:
        rescore.load(path, need_items=True)
    assert caught.value.field == "item_id"
