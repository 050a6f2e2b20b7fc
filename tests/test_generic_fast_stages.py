"""The deciding and counting stages of the generic Parquet fast path, each against its slower twin.

Issue 18 (counts path at 10M rows): prediction vs gold is decided once per distinct (prediction,
gold) pair and the duplicate-key check marks combined codes in a bitmap. Both have a general
fallback (per-row gathers; a sort) kept for tables too wide for them; on random columns with nulls,
blanks, case and article variants the two must give the same answer, and the key check must agree
with a plain set of tuples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rescore.adapters.generic import fast, fast_text
from rescore.errors import InputError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read import schema
from rescore.read.options import LoadOptions
from rescore.read.schema import OUTCOMES
from rescore.read.sources import SourceInfo

from .test_fast_paths_differential import graded_tables, ungraded_tables

DETECTOR = AbstentionDetector.from_config()

_ANSWERS = ["B", "b", " B ", "the B", "C", "", "  ", None, "Paris", "paris.", "An apple", "apple", "1", "1.0"]


def _column(values: list[Any], dictionary: bool) -> pa.ChunkedArray:
    array = pa.array(values, pa.string())
    if dictionary:
        array = array.dictionary_encode()
    half = len(values) // 2
    return pa.chunked_array([array.slice(0, half), array.slice(half)], type=array.type)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(_ANSWERS), st.sampled_from(_ANSWERS)), min_size=1, max_size=40),
       dictionary=st.booleans())
def test_pairs_table_decides_as_the_per_row_rule(rows: list[tuple[Any, Any]], dictionary: bool) -> None:
    table = pa.table({"pred": _column([p for p, _ in rows], dictionary),
                      "gold": _column([g for _, g in rows], dictionary)})
    pred_coded, gold_coded = fast._codes(table["pred"]), fast._codes(table["gold"])
    outcome, rule, names = fast._compared_codes(pred_coded, gold_coded, list(OUTCOMES))
    original = fast._PAIR_LIMIT
    try:
        fast._PAIR_LIMIT = 0  # the per-row fallback
        outcome_rows, rule_rows, names_rows = fast._compared_codes(pred_coded, gold_coded, list(OUTCOMES))
    finally:
        fast._PAIR_LIMIT = original
    assert names == names_rows
    assert outcome.tolist() == outcome_rows.tolist()
    assert rule.tolist() == rule_rows.tolist()
    # and the outcomes are what they must be: no prediction is invalid, a prediction is compared
    for (pred, _), got in zip(rows, outcome.tolist(), strict=True):
        assert (OUTCOMES[got] == "invalid") == (pred is None)


@pytest.mark.parametrize("bitmap_rows", [8, 0])  # the bitmap, and the renumbering before it
@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from(["q1", "q2", "q3", "7"])),
                     min_size=1, max_size=30))
def test_key_check_agrees_with_a_set_of_keys(keys: list[tuple[int, int, str]], bitmap_rows: int) -> None:
    ids = pa.chunked_array([pa.array([k[2] for k in keys], pa.string())])
    labels = [np.array([k[0] for k in keys], dtype=np.int8), np.array([k[1] for k in keys], dtype=np.int32)]
    original = schema.BITMAP_ROWS
    try:
        schema.BITMAP_ROWS = bitmap_rows
        assert fast._keys_distinct(fast._encode_ids(ids), labels) == (len(set(keys)) == len(keys))
    finally:
        schema.BITMAP_ROWS = original



@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), st.integers(0, 6)), min_size=2, max_size=60),
       sample=st.sampled_from([1 << 16, 3]))
def test_folding_the_slowest_column_first_gives_the_same_answer(rows: list[tuple[int, int, int]],
                                                                sample: int) -> None:
    """Whatever order :func:`schema.slowest_first` picks (judged on the first rows only, or on all),
    the duplicate check answers as a set of the keys does, and the order is by changes per row."""
    columns = [(np.array([r[k] for r in rows], dtype=np.int32), 1 + max(r[k] for r in rows)) for k in range(3)]
    original = schema.ORDER_SAMPLE_ROWS
    try:
        schema.ORDER_SAMPLE_ROWS = sample
        ordered = schema.slowest_first(columns)
    finally:
        schema.ORDER_SAMPLE_ROWS = original
    assert sorted(id(c[0]) for c in ordered) == sorted(id(c[0]) for c in columns)
    assert schema.codes_repeat(ordered, len(rows)) == (len(set(rows)) < len(rows))
    changes = [int(np.count_nonzero(np.diff(codes[:sample]))) for codes, _ in ordered]
    assert changes == sorted(changes)


def test_a_table_written_model_by_model_folds_the_model_outermost() -> None:
    """Ids running inside each model (the common layout of one file of many models): the model's
    codes never change within the sample, the ids every row, so the model goes first."""
    ids = np.tile(np.arange(1000, dtype=np.int32), 5)
    models = np.repeat(np.arange(5, dtype=np.int32), 1000)
    ordered = schema.slowest_first([(ids, 1000), (models, 5)])
    assert ordered[0][0] is models and ordered[1][0] is ids
    # and a table written item by item (every model per item) keeps the ids outermost
    assert schema.slowest_first([(np.repeat(ids[:1000], 5), 1000), (np.tile(models[::1000], 1000), 5)])[0][1] == 1000


@settings(max_examples=60, deadline=None)
@given(chunks=st.lists(st.lists(st.one_of(st.sampled_from(["q1", "q2", "q3", "7", ""]), st.text(max_size=3)),
                                max_size=6), min_size=1, max_size=5),
       dictionary=st.booleans())
def test_ids_hashed_chunk_by_chunk_get_one_code_per_distinct_id(chunks: list[list[str]], dictionary: bool) -> None:
    """Ids hashed where their chunks lie (each chunk with a dictionary of its own, or none) get
    equal codes exactly where the ids are equal, and as many codes as distinct ids."""
    arrays = [pa.array(chunk, pa.string()) for chunk in chunks]
    if dictionary:
        arrays = [array.dictionary_encode() for array in arrays]
    ids = pa.chunked_array(arrays, type=arrays[0].type)
    values = [v for chunk in chunks for v in chunk]
    codes, span, n = fast._encode_ids(ids)
    assert n == len(values)
    if n < 2:
        assert codes is None
        return
    assert span == len(set(values))
    assert len(codes) == n and set(codes.tolist()) == set(range(span))
    first_code: dict[str, int] = {}
    for value, code in zip(values, codes.tolist(), strict=True):
        assert first_code.setdefault(value, code) == code
    assert len(set(first_code.values())) == span

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.one_of(graded_tables(), ungraded_tables()), dictionary=st.booleans(),
       row_group_size=st.sampled_from([None, 5]))
def test_counting_combinations_first_gives_the_per_row_counts(tmp_path: Path, table: pa.Table, dictionary: bool,
                                                              row_group_size: int | None) -> None:
    """Deciding each distinct (labels, grade or prediction and gold, texts) combination once and
    weighting it by its rows gives the very counts, rule order, notes and keys of deciding every row."""
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path, use_dictionary=dictionary, row_group_size=row_group_size)

    def counted() -> Any:
        info = SourceInfo(str(path), adapter="generic")
        try:
            result = fast.count_generic_parquet(path, LoadOptions(need_items=False), DETECTOR, info)
        except InputError as refused:
            return str(refused)
        return None if result is None else (result.table, result.rows, result.keys, info.notes)

    by_combinations = counted()
    original = fast._COMBINATION_LIMIT
    try:
        fast._COMBINATION_LIMIT = 0  # every row decided on its own
        by_rows = counted()
    finally:
        fast._COMBINATION_LIMIT = original
    if by_rows is None or isinstance(by_rows, str):
        assert by_combinations == by_rows
        return
    assert by_combinations is not None and not isinstance(by_combinations, str)
    assert by_combinations[0].equals(by_rows[0])  # same rows in the same order, not only the same totals
    assert by_combinations[0]["count"].sum() == by_rows[1]
    assert by_combinations[1:2] == by_rows[1:2] and by_combinations[3] == by_rows[3]
    assert (by_combinations[2] is None) == (by_rows[2] is None)
    if by_rows[2] is not None:
        assert by_combinations[2].tolist() == by_rows[2].tolist()


def test_counting_combinations_weights_the_abstentions_note(tmp_path: Path) -> None:
    """Graded wrong rows that abstain by their text are counted in the note by rows, not by combinations."""
    path = tmp_path / "runs.parquet"
    n = 40
    pq.write_table(pa.table({"model": ["m"] * n, "item_id": [str(i) for i in range(n)],
                             "correct": [False] * n, "prediction": ["I don't know"] * 30 + ["B"] * 10}), path)
    info = SourceInfo(str(path), adapter="generic")
    result = fast.count_generic_parquet(path, LoadOptions(need_items=False), DETECTOR, info)
    assert result is not None
    assert dict(zip(result.table["outcome"], result.table["count"], strict=True)) == {"wrong": 10, "abstain": 30}
    assert any("30" in note for note in info.notes)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.sampled_from(['{"a": 1, "b": "x"}', '{"b": null, "c": [1, 2]}', "", "   ", '{"a": 1.5}\r',
                                       '{"_line": 3, "a": "y"}', '{"a": NaN}', "[1,", "2]", '{"a": 1} {"b": 2}', "7",
                                       '{"a": "caf\\u00e9", "d": {"e": true}}']), min_size=1, max_size=12),
       batch_size=st.sampled_from([1, 3, 50_000]), final_newline=st.booleans())
def test_jsonl_head_is_the_general_readers_first_batch(tmp_path: Path, lines: list[str], batch_size: int,
                                                       final_newline: bool) -> None:
    """The head parsed in one piece is the general reader's first batch (without its line numbers),
    or ``None`` (then the general reader makes it); never another frame. Lines that are no JSON
    object alone but join into objects (``[1,`` and ``2]``) are refused by Arrow's reader, which
    the fast path reads the file with next."""
    import pyarrow.json as pajson

    from rescore.read.tables import LINE, iter_table

    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    head = fast_text._jsonl_head(path, batch_size)
    if head is None:
        return
    try:
        general = next(iter_table(path, batch_size, "raise", []))
    except InputError:
        with pytest.raises(pa.ArrowInvalid):
            pajson.read_json(path)
        return
    assert head.equals(general.drop(columns=[LINE]))
    assert list(head.columns) == [c for c in general.columns if c != LINE]


_CONFIDENCE_VALUES = [0.0, 0.25, 1.0, None, float("nan"), 1.5, 85.0, -0.1, float("inf"), "0.5", " 0.2 ", "", "high",
                      "85%", "1.5", "maybe", "n/a", "inf", "NaN"]


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.sampled_from(_CONFIDENCE_VALUES), min_size=1, max_size=20), as_text=st.booleans(),
       dictionary=st.booleans(), batch_size=st.sampled_from([1, 3, 50_000]))
def test_confidence_in_range_only_when_every_batch_passes_untouched(values: list[Any], as_text: bool,
                                                                    dictionary: bool, batch_size: int) -> None:
    """The one-pass confidence check says yes only when every batch the general reader judges
    alone passes with no note and no error; and it says yes for plain probabilities."""
    if as_text:
        array = pa.array([None if v is None else str(v) if not isinstance(v, str) else v for v in values], pa.string())
        if dictionary:
            array = array.dictionary_encode()
    else:
        array = pa.array([v for v in values if not isinstance(v, str)] or [0.5], pa.float64(), from_pandas=True)
    column = pa.chunked_array([array])
    judged = fast_text._column_confidence_note(column, Path("x.csv"), "confidence", batch_size)
    if fast._confidence_in_range(column):
        assert judged is None
    plain = all(v is None or (isinstance(v, float) and (v != v or 0 <= v <= 1)) for v in column.to_pylist()) \
        if not as_text else False
    if plain:
        assert fast._confidence_in_range(column)


def test_a_jsonl_line_with_two_objects_is_left_to_the_general_reader(tmp_path: Path) -> None:
    """Arrow reads ``{...} {...}`` on one line as two rows; the general reader refuses the line.
    Past the first batch (which the general reader parses itself) only the row count shows it."""
    from rescore.read.per_file import count_generally
    from rescore.read.plugins import get_adapter

    path = tmp_path / "runs.jsonl"
    row = '{{"model": "m", "item_id": "{}", "pred": "A", "answer": "A"}}'
    path.write_text("\n".join([row.format(1), row.format(2) + " " + row.format(3), row.format(4)]) + "\n",
                    encoding="utf-8")
    options = LoadOptions(need_items=False, batch_size=1)
    assert fast_text.count_generic_table(path, options, DETECTOR, SourceInfo(str(path), adapter="generic")) is None
    with pytest.raises(InputError, match="line 2"):
        count_generally(path, get_adapter("generic"), options, DETECTOR)
