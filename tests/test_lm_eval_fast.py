"""The columnar counts path for lm-eval generation files gives exactly the general reader's answer.

Every case is read twice, by :func:`rescore.adapters.lm_eval.fast.count_generation` (through
``read_one`` in counts mode) and by the general reader (``read`` + classify + counts); counts,
notes, producer cross-checks and errors must be equal. Cases the fast path does not take must
make it give up (``None``), never guess.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescore.adapters.lm_eval import fast as lm_eval_fast
from rescore.errors import InputError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read import jsonlines, tables
from rescore.read.options import LoadOptions
from rescore.read.per_file import DeferredKeys, count_generally, read_one
from rescore.read.plugins import get_adapter
from rescore.read.sources import SourceInfo

from .conftest import REAL_DATA, SAMPLE

ADAPTER = get_adapter("lm_eval")
KEY = ["benchmark", "model", "subset", "run", "cluster", "outcome", "rule"]


def _line(doc_id: Any, pred: Any, raw: Any, em: Any, *, filter_name: str = "strict-match",
          **extra: Any) -> dict[str, Any]:
    """One lm-eval generate_until line, keys in lm-eval's order."""
    line = {"doc_id": doc_id, "doc": {"question": f"Q{doc_id}?", "answer": "B", "category": "law"},
            "target": "B", "arguments": {"gen_args_0": {"arg_0": f"Question: Q{doc_id}?\nAnswer:",
                                                         "arg_1": {"until": ["\n\n"], "do_sample": False}}},
            "resps": [[raw]], "filtered_resps": [pred] if pred is not None else [], "filter": filter_name,
            "metrics": ["exact_match"], "doc_hash": "ab" * 32, "prompt_hash": "cd" * 32, "target_hash": "ef" * 32}
    if em is not None:
        line["exact_match"] = em
    line.update(extra)
    return line


def _mixed_lines(n: int = 60, start: int = 0) -> list[dict[str, Any]]:
    """Correct, wrong, extraction failures with and without an "I don't know", blank answers,
    abstentions in the prediction, non-ASCII texts, booleans and integers as the metric."""
    rows = []
    for i in range(start, start + n):
        kind = i % 10
        if kind in (0, 1, 2):
            rows.append(_line(i, "B", "The answer is (B).", 1.0 if kind else True))
        elif kind == 3:
            rows.append(_line(i, "C", "The answer is (C).", 0))
        elif kind == 4:
            rows.append(_line(i, "[invalid]", "I don't know.", 0.0))
        elif kind == 5:
            rows.append(_line(i, "[invalid]", "Probably something like C but unsure", 0.0))
        elif kind == 6:
            rows.append(_line(i, "  ", "Je ne sais pas. — désolé", 0.0))
        elif kind == 7:
            rows.append(_line(i, "I don't know", "I don't know", False))
        elif kind == 8:
            rows.append(_line(i, "", "", 0.0))
        else:
            rows.append(_line(i, "D", "Réponse : (D) — sûr à 90 %", 0.0))
    return rows


def _write(folder: Path, rows: list[dict[str, Any]], *, name: str = "samples_synth_gen_2026-11-23T18-00-00.1.jsonl",
           newline: str = "\n", trailing: bool = True, results: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = newline.join(json.dumps(r, ensure_ascii=False) for r in rows) + (newline if trailing else "")
    path.write_bytes(text.encode("utf-8"))
    if results is not None:
        (folder / "results_2026-11-23T18-00-00.1.json").write_text(json.dumps(results), encoding="utf-8")
    return path


def _results(filters: list[str], n: int) -> dict[str, Any]:
    return {"results": {"synth_gen": {"alias": "synth_gen", f"exact_match,{filters[0]}": 0.5}},
            "configs": {"synth_gen": {"output_type": "generate_until", "metric_list": [{"metric": "exact_match"}],
                                      "filter_list": [{"name": f} for f in filters]}},
            "n-samples": {"synth_gen": {"original": n, "effective": n}}, "model_name": "org/model-x"}


def _fast(path: Path, **kwargs: Any):
    info = SourceInfo(str(path), adapter="lm_eval")
    return lm_eval_fast.count_generation(ADAPTER.task_setup, path, LoadOptions(need_items=False, **kwargs),
                                         AbstentionDetector.from_config(), info), info


def _general(path: Path, **kwargs: Any):
    options = LoadOptions(need_items=False, **kwargs)
    counter, _, info = count_generally(path, ADAPTER, options, AbstentionDetector.from_config())
    return counter, info


def _sorted(table):
    return table.astype({c: "object" for c in KEY}).fillna("<NA>").sort_values(KEY).reset_index(drop=True)


def assert_same(path: Path, *, fast_expected: bool = True, **kwargs: Any) -> None:
    """The fast path (if it takes the file) and the general reader agree on everything."""
    fast, fast_info = _fast(path, **kwargs)
    counter, info = _general(path, **kwargs)
    assert (fast is not None) == fast_expected
    result = read_one(path, "lm_eval", LoadOptions(need_items=False, **kwargs))
    assert _sorted(result.item_counts).equals(_sorted(counter.result()))
    assert result.info.items == counter.rows
    assert result.info.notes == info.notes
    assert result.info.producer_metrics == info.producer_metrics
    assert result.info.companions == info.companions
    if fast is not None:
        assert isinstance(result.item_keys, DeferredKeys)  # hashed only if another file overlaps
        assert result.item_keys.compute().tolist() == counter.keys().tolist()
        assert fast.rows == counter.rows and fast_info.notes == info.notes


def test_mixed_outcomes_and_rules(tmp_path: Path) -> None:
    path = _write(tmp_path / "org__model-x", _mixed_lines(), results=_results(["strict-match"], 60))
    assert_same(path)
    fast, _ = _fast(path)
    pairs = zip(fast.table["outcome"], fast.table["rule"], strict=True)
    rules = dict(zip(pairs, fast.table["count"], strict=True))
    assert rules == {("correct", "explicit grade"): 18, ("wrong", "explicit grade"): 12,
                     ("abstain", "abstention phrase"): 18, ("abstain", "empty response"): 6,
                     ("invalid", "extraction failure"): 6}


def test_two_filters_first_by_default_and_chosen_with_filter(tmp_path: Path) -> None:
    rows = []
    for row in _mixed_lines():
        rows += [row, {**row, "filter": "flexible-extract", "filtered_resps": ["B"], "exact_match": 1.0}]
    path = _write(tmp_path / "org__model-x", rows, results=_results(["strict-match", "flexible-extract"], 60))
    assert_same(path)
    assert_same(path, filter_name="flexible-extract")
    no_results = _write(tmp_path / "bare", rows)  # filters learnt from the file
    assert_same(no_results)
    assert_same(no_results, filter_name="flexible-extract")


@pytest.mark.parametrize("newline,trailing", [("\n", True), ("\r\n", True), ("\n", False), ("\n\n", True),
                                              ("\n  ", True)])
def test_line_endings_and_blank_lines(tmp_path: Path, newline: str, trailing: bool) -> None:
    path = _write(tmp_path / "org__model-x", _mixed_lines(), newline=newline, trailing=trailing)
    assert_same(path)


def test_small_blocks_carry_lines_and_characters_across_reads(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "org__model-x", _mixed_lines(200))
    monkeypatch.setattr(tables, "_BLOCK_BYTES", 97)  # reads end inside lines and inside "é"
    monkeypatch.setattr(lm_eval_fast, "_COUNT_LINES", 7)
    assert_same(path)


def test_exact_match_original_and_categories(tmp_path: Path) -> None:
    rows = [{**row, "exact_match_original": 0.0 if i % 4 else row.get("exact_match")}
            for i, row in enumerate(_mixed_lines())]
    assert_same(_write(tmp_path / "org__model-x", rows))
    mmlu = _write(tmp_path / "org__model-y", _mixed_lines(), name="samples_mmlu_pro_2026-11-23T18-00-00.1.jsonl")
    fast, _ = _fast(mmlu)
    assert set(fast.table["subset"]) == {"law"}
    assert_same(mmlu)


def test_mixed_integer_and_string_ids(tmp_path: Path) -> None:
    rows = _mixed_lines()
    rows[5]["doc_id"] = "5x"
    assert_same(_write(tmp_path / "org__model-x", rows))


@pytest.mark.parametrize("change", ["missing metric", "partial metric", "no predictions", "no filter key",
                                    "other filter later", "nested predictions", "float id"])
def test_unusual_lines_go_to_the_general_reader(tmp_path: Path, change: str) -> None:
    rows = _mixed_lines()
    target = rows[37]
    if change == "missing metric":
        del target["exact_match"]
    elif change == "partial metric":
        target["exact_match"] = 0.5
    elif change == "no predictions":
        target["filtered_resps"] = []
    elif change == "no filter key":
        for row in rows:
            del row["filter"]
    elif change == "other filter later":
        target["filter"] = "flexible-extract"
    elif change == "nested predictions":
        target["filtered_resps"] = [["B"]]
    else:
        target["doc_id"] = 37.0
    results = _results(["strict-match"], 60) if change == "other filter later" else None  # a name not listed
    path = _write(tmp_path / "org__model-x", rows, results=results)
    assert_same(path, fast_expected=False)


@pytest.mark.parametrize("damage", ["truncated line", "invalid utf-8 in the document", "repeated doc_id", "NaN",
                                    "two objects on a line, and a blank line",
                                    "two objects on a line, and an object split over two lines"])
def test_bad_files_get_the_general_readers_error(tmp_path: Path, damage: str) -> None:
    rows = _mixed_lines()
    path = _write(tmp_path / "org__model-x", rows)
    data = path.read_bytes()
    lines = data.split(b"\n")
    if damage == "truncated line":
        lines[20] = lines[20][:200]
    elif damage == "invalid utf-8 in the document":
        lines[20] = lines[20].replace(b"Q20?", b"Q20\xff?")
    elif damage == "repeated doc_id":
        lines[21] = lines[20]
    elif damage == "NaN":
        lines[24] = lines[24].replace(b'"exact_match": 0.0', b'"exact_match": NaN')
        assert b'NaN' in lines[24]
    elif damage == "two objects on a line, and a blank line":  # as many values as lines: only the line check tells
        lines[20] = lines[20] + b" " + lines[20].replace(b'"doc_id": 20,', b'"doc_id": 1020,')
        lines[30] = b""
    else:  # as many values as lines, and every line starts with "{": the line check must see the split
        lines[30:32] = [lines[30] + b" " + lines[31]]
        head, rest = lines[20].split(b' "doc": ', 1)
        assert rest.startswith(b"{")
        lines[20:21] = [head + b' "doc":', rest]
    path.write_bytes(b"\n".join(lines))
    fast, _ = _fast(path)
    assert fast is None
    options = LoadOptions(need_items=False)
    try:
        expected = _general(path)[0].result()
    except InputError as exc:
        with pytest.raises(InputError) as caught:
            read_one(path, "lm_eval", options)
        assert str(caught.value) == str(exc)
        assert (caught.value.line, caught.value.record) in ((21, None), (None, "20"))
    else:  # NaN is what Python's json writes and reads: the general reader takes it
        assert _sorted(read_one(path, "lm_eval", options).item_counts).equals(_sorted(expected))


def test_multiple_choice_files_are_not_taken() -> None:
    for path in sorted((SAMPLE / "lm_eval").rglob("samples_*.jsonl")):
        assert _fast(path)[0] is None
        assert_same(path, fast_expected=False)


def _real_files() -> list[Path]:
    folders = [REAL_DATA / "lm_eval", REAL_DATA / "lm_eval_table2", REAL_DATA / "generated" / "lm_eval"]
    return sorted(p for folder in folders if folder.exists() for p in folder.rglob("samples_*.jsonl"))


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name[:60])
def test_real_files_agree(path: Path) -> None:
    generation = json.loads(path.open("rb").readline()).get("filter") not in (None, "none")
    assert_same(path, fast_expected=generation)


def test_the_same_file_twice_is_caught_across_files(tmp_path: Path) -> None:
    import rescore

    first = _write(tmp_path / "a" / "org__model-x", _mixed_lines())
    copy = tmp_path / "b" / "org__model-x" / first.name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(first.read_bytes())
    with pytest.raises(InputError, match="also appear in"):
        rescore.load([tmp_path / "a", tmp_path / "b"], need_items=False)
    other = _write(tmp_path / "c" / "org__model-x", _mixed_lines(start=1000))  # same group, other items: fine
    data = rescore.load([tmp_path / "a", tmp_path / "c"], need_items=False)
    assert int(data.item_counts["count"].sum()) == 120 and other.exists()


def test_allocator_tuning_is_applied_once() -> None:
    import sys

    from rescore.read import memory as memtune

    first = memtune.tune_allocator()
    assert memtune.tune_allocator() == first
    if sys.platform.startswith("linux"):
        import platform

        if platform.libc_ver()[0] == "glibc":
            assert first is True


def test_raw_responses_of_other_shapes_are_read_like_the_general_reader(tmp_path: Path) -> None:
    rows = _mixed_lines()
    rows[4]["resps"] = "I don't know."  # a bare string
    rows[14]["resps"] = [[None]]
    rows[24]["resps"] = []
    rows[34]["resps"] = [["I don't know", 3]]
    rows[44]["resps"] = [[["I don't know"]]]
    assert_same(_write(tmp_path / "org__model-x", rows))


def test_an_over_long_line_gets_the_general_readers_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _mixed_lines()
    rows[2]["resps"] = [["x" * 20_000]]
    path = _write(tmp_path / "org__model-x", rows)
    monkeypatch.setattr(tables, "MAX_LINE_BYTES", 8 * 1024)
    monkeypatch.setattr(tables, "_BLOCK_BYTES", 1024)  # the long line spans many reads
    assert _fast(path)[0] is None
    with pytest.raises(InputError, match="line longer than"):
        read_one(path, "lm_eval", LoadOptions(need_items=False))


def test_deferred_keys_of_a_file_that_is_gone_say_so(tmp_path: Path) -> None:
    keys = DeferredKeys(str(tmp_path / "gone.jsonl"), "lm_eval", LoadOptions(need_items=False))
    with pytest.raises(InputError, match="cannot read the file here to compare its items") as caught:
        keys.compute()
    assert caught.value.path == str(tmp_path / "gone.jsonl")


def test_two_filters_with_categories_and_original_grades_keep_rows_aligned(tmp_path: Path) -> None:
    """Lines of the other filter are dropped from every column alike (predictions, metrics, ids,
    raw responses, original grades, categories), so each kept line keeps its own values."""
    rows = []
    categories: list[Any] = ["law", "math", 7, "7", None]
    for i, row in enumerate(_mixed_lines(90)):
        row = {**row, "doc": {**row["doc"], "category": categories[i % 5]}, "exact_match_original": float(i % 3 == 0)}
        other = {**row, "filter": "flexible-extract", "filtered_resps": ["I don't know"], "exact_match": 1.0,
                 "doc": {"category": "other"}, "exact_match_original": 1.0}
        rows += [row, other] if i % 2 == 0 else [other, row]  # strict-match first: the default
    path = _write(tmp_path / "org__model-z", rows, name="samples_mmlu_pro_2026-11-23T18-00-00.1.jsonl")
    fast, _ = _fast(path)
    assert fast is not None and set(fast.table["subset"]) == {"law", "math", "7", ""}
    assert fast.table["count"].sum() == 90
    assert_same(path)
    assert_same(path, filter_name="flexible-extract")


#: what a line of a damaged file may hold: one object, two, part of one, nothing
_LINE_CONTENTS = [b'{"a": 1}', b'{"a": {"b": [2, {}]}}', b'{"x": "}\\n{"}', b'{"a": 1}{"a": 2}', b'{"a": 1} {"b": 2}',
                  b'{"a":\n{"b": 2}}', b'{"a": [1,\n2]}', b'{"a": {}\n}', b"", b" ", b'{"a": 1} ', b"{", b"}"]
_OBJECTS = st.sampled_from(_LINE_CONTENTS[:3])
_NEWLINES = st.sampled_from([b"\n", b"\r\n"])


@given(st.lists(st.sampled_from(_LINE_CONTENTS), min_size=1, max_size=10), _NEWLINES)
def test_runs_taken_whole_hold_one_value_a_line(contents: list[bytes], newline: bytes) -> None:
    """When the line check takes a run of values whole, reading it line by line (as the general
    reader does) finds the same values, one on every line."""
    body = newline.join(contents)
    decoder = msgspec.json.Decoder()
    try:
        values = decoder.decode_lines(body)
    except msgspec.DecodeError:
        return  # not a run of valid values: the fast path gives up before the check
    if jsonlines.one_value_per_line(body, len(values)):
        assert [decoder.decode(line) for line in body.split(b"\n")] == values


@given(st.lists(_OBJECTS, min_size=1, max_size=12), _NEWLINES)
def test_runs_of_plain_lines_are_taken_whole(objects: list[bytes], newline: bytes) -> None:
    body = newline.join(objects)
    assert jsonlines.one_value_per_line(body, len(msgspec.json.Decoder().decode_lines(body)))


_IDS = st.lists(st.integers(-3, 40) | st.integers(-2**62, 2**62) | st.sampled_from(["5", "05", "7", "x1", "+3", " 2"]),
                max_size=30)


@given(_IDS)
def test_doc_ids_called_distinct_are_distinct_item_ids(ids: list) -> None:
    """Never a false "distinct" (a real repeat must reach the general reader, which names the
    line); with integer ids the answer is exact, by count or by sort."""
    distinct = lm_eval_fast._Counter.ids_distinct(SimpleNamespace(ids=ids))
    truly = len(set(map(str, ids))) == len(ids)
    if distinct:
        assert truly
    if all(isinstance(i, int) for i in ids):
        assert distinct == truly


_UTF8_PIECES = st.sampled_from([b"a", b"{", b"\n", "é".encode(), "合".encode(), "😀".encode(), b"\xff", b"\xc3",
                                b"\xe5\x90", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"])


@given(st.binary(max_size=40) | st.lists(_UTF8_PIECES, max_size=30).map(b"".join))
def test_utf8_check_agrees_with_pythons_strict_codec(data: bytes) -> None:
    """Surrogates, overlong forms, code points past U+10FFFF and cut sequences are refused alike."""
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert lm_eval_fast.valid_utf8(data) == expected


@given(st.lists(st.sampled_from([b"\n", b"\n\n", b"}", b"{", b"x" * 7, b"ab", b"\r\n", b"\xff\n\x00"]), max_size=60),
       st.integers(0, 7))
def test_byte_positions_are_flatnonzero(pieces: list[bytes], skip: int) -> None:
    """The word-at-a-time search finds exactly the newlines ``flatnonzero`` finds: one or two to
    a word, at any alignment (``skip`` shifts the start), in the tail past the last whole word."""
    import numpy as np

    data = np.frombuffer(b"".join(pieces), dtype=np.uint8)[skip:]
    found = jsonlines.byte_positions(data, ord("\n"))
    assert found.tolist() == np.flatnonzero(data == ord("\n")).tolist()


def test_arrow_allocates_through_the_tuned_system_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the allocator is tuned, Arrow's default pool is glibc's (mimalloc cost seconds of page
    faults on a 10M-row file), unless the user chose a pool with ARROW_DEFAULT_MEMORY_POOL."""
    import platform
    import sys

    import pyarrow as pa

    from rescore.read import memory as memtune

    if not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"):
        pytest.skip("the system pool is chosen only where glibc's heap is tuned")
    before = pa.default_memory_pool()
    try:
        monkeypatch.setenv(memtune.ARROW_POOL_VARIABLE, "")  # recorded, so that the value set below is undone
        monkeypatch.delenv(memtune.ARROW_POOL_VARIABLE)
        memtune.use_system_arrow_pool()
        assert pa.default_memory_pool().backend_name == "system"
        pa.set_memory_pool(before)
        monkeypatch.setenv(memtune.ARROW_POOL_VARIABLE, "jemalloc")  # the user's choice stands
        memtune.use_system_arrow_pool()
        assert pa.default_memory_pool().backend_name == before.backend_name
    finally:
        pa.set_memory_pool(before)
