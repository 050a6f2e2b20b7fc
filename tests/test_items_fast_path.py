"""The columnar item paths (``adapters/generic/fast_items.py``: Parquet, CSV/TSV, JSONL) against the general reader.

Item mode at scale read a 10M-row Parquet file in 200 pandas batches; the columnar path reads it
whole with Arrow. It may decline any file (the general reader then reads it), but when it answers,
the loaded item table (values, dtypes, categories, row order), the notes, the file's models and
benchmarks and any error must be the general reader's. Random tables (hypothesis, the same
generators as the counts paths' differential tests) and a few folders of several files, whose
category columns must concatenate as the general reader's strings do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import rescore
from rescore.adapters.generic.adapter import GenericAdapter
from rescore.adapters.generic.fast_items import items_generic_table
from rescore.errors import InputError
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read.options import LoadOptions
from rescore.read.sources import SourceInfo

from .conftest import examples
from .test_fast_paths_differential import _write_text, graded_tables, ungraded_tables


def _load(path: Path, general: bool, **options: Any) -> Any:
    """``rescore.load`` in item mode, as the CLI reads (no answer texts) unless ``keep_text`` is
    given, through the general reader alone when ``general``; an InputError is returned, not raised."""
    declined = mock.patch.object(GenericAdapter, "items_fast", lambda *a, **k: None) if general else mock.MagicMock()
    with declined:
        try:
            return rescore.load(path, need_items=True, **{"keep_text": False, **options})
        except InputError as exc:
            return exc


def _same_as_the_general_reader(path: Path, **options: Any) -> None:
    fast, general = _load(path, False, **options), _load(path, True, **options)
    if isinstance(general, InputError) or isinstance(fast, InputError):
        assert str(fast) == str(general)
        event("an error, the same from both")
        return
    pd.testing.assert_frame_equal(fast.items, general.items, check_exact=True)
    for column in fast.items.columns:  # (assert_frame_equal does not compare the categories' own dtype)
        if isinstance(fast.items[column].dtype, pd.CategoricalDtype):
            assert fast.items[column].cat.categories.dtype == general.items[column].cat.categories.dtype
            assert fast.items[column].cat.codes.dtype == general.items[column].cat.codes.dtype
    assert [vars(s) for s in fast.sources] == [vars(s) for s in general.sources]
    assert fast.notes == general.notes and fast.skipped == general.skipped


def _answered(path: Path, **options: Any) -> bool:
    info = SourceInfo(str(path), adapter="generic")
    return items_generic_table(path, LoadOptions(need_items=True, **{"keep_text": False, **options}),
                                 AbstentionDetector.from_config(), info) is not None


@settings(max_examples=examples(60, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.one_of(graded_tables(), ungraded_tables()), dictionary=st.booleans(),
       model=st.sampled_from([None, "given/model"]), benchmark=st.sampled_from([None, "given_bench"]),
       batch_size=st.sampled_from([50_000, 1, 7]), row_group_size=st.sampled_from([None, 5]), keep_text=st.booleans())
def test_item_rows_are_the_general_readers(tmp_path: Path, table: pa.Table, dictionary: bool, model: str | None,
                                           benchmark: str | None, batch_size: int,
                                           row_group_size: int | None, keep_text: bool) -> None:
    """Small batches and row groups stand in for big files (the general reader judges columns on
    its first batch and confidences batch by batch)."""
    path = tmp_path / "runs.parquet"
    pq.write_table(table, path, use_dictionary=dictionary, row_group_size=row_group_size)
    options = {"model": model, "benchmark": benchmark, "batch_size": batch_size, "keep_text": keep_text}
    event("read by the columnar path" if _answered(path, **options) else "left to the general reader")
    _same_as_the_general_reader(path, **options)


@settings(max_examples=examples(50, 150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.one_of(graded_tables(), ungraded_tables()), suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]),
       batch_size=st.sampled_from([50_000, 1, 7]), keep_text=st.booleans())
def test_text_item_rows_are_the_general_readers(tmp_path: Path, table: pa.Table, suffix: str, batch_size: int,
                                                keep_text: bool) -> None:
    """CSV/TSV and JSON lines through pyarrow.csv / pyarrow.json: the general reader's item rows
    (confidences as texts too, parsed by its rule)."""
    path = tmp_path / f"answers{suffix}"
    _write_text(table, path)
    options = {"batch_size": batch_size, "keep_text": keep_text}
    event("read by the columnar path" if _answered(path, **options) else "left to the general reader")
    _same_as_the_general_reader(path, **options)


CLEAN = pa.table({"model": ["org/m1", "org/m1", "m2", "m2"], "benchmark": ["mmlu_pro_law", "mmlu_pro_law", "b", "b"],
                  "item_id": ["1", "2", "1", "2"], "pred": ["B", "I don't know", "C", "c "],
                  "answer": ["B", "C", "D", "C"], "confidence": [0.9, None, 0.25, 1.0]})


def _read_by_the_columnar_path_as_by_the_general_reader(table: pa.Table, path: Path) -> None:
    """``table`` written as ``path`` (Parquet, CSV or JSON lines by its suffix) is read by the
    columnar path, with the general reader's result."""
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        _write_text(table, path)
    assert _answered(path)
    _same_as_the_general_reader(path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_an_ordinary_table_is_read_by_the_columnar_path(tmp_path: Path, suffix: str) -> None:
    """Not a vacuous comparison: the table issue 18 names (no grade column) takes the columnar path,
    its abstention, comparison and confidence included; numbers as ids too."""
    _read_by_the_columnar_path_as_by_the_general_reader(CLEAN, tmp_path / f"answers{suffix}")
    if suffix != ".parquet":
        return
    numbered = tmp_path / "numbered.parquet"
    pq.write_table(CLEAN.set_column(2, "item_id", pa.array([10, 20, 10, 20], pa.int64())), numbered)
    assert _answered(numbered)
    _same_as_the_general_reader(numbered)
    assert list(_load(numbered, False).items["item_id"]) == ["10", "20", "10", "20"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_confidences_given_as_text_are_parsed_by_the_general_readers_rule(tmp_path: Path, suffix: str) -> None:
    """Numbers as text, a verbal label, blanks and a missing value: each distinct text parsed once."""
    path = tmp_path / f"answers{suffix}"
    table = CLEAN.set_column(5, "confidence", pa.array(["0.9", None, " 0.25", "high"]))
    _read_by_the_columnar_path_as_by_the_general_reader(table, path)
    loaded = _load(path, False).items["confidence"]
    assert loaded.isna().tolist() == [False, True, False, False] and loaded[0] == 0.9 and loaded[2] == 0.25


@pytest.mark.parametrize("declined", [None, "a percent confidence", "answer texts kept"])  # ("declined": by one file)
def test_several_files_concatenate_as_the_general_readers(tmp_path: Path, declined: str | None) -> None:
    """Two files read by the columnar path (their categories differ), or one of them by the general
    reader (strings beside categories): the same item table as the general reader's alone."""
    pq.write_table(CLEAN, tmp_path / "a.parquet")
    other = CLEAN.set_column(0, "model", pa.array(["m3"] * 4))
    if declined == "a percent confidence":
        other = other.set_column(5, "confidence", pa.array([90.0, 50.0, 10.0, 80.0]))
    pq.write_table(other, tmp_path / "b.parquet")
    assert _answered(tmp_path / "a.parquet")
    assert _answered(tmp_path / "b.parquet") == (declined != "a percent confidence")
    if declined == "answer texts kept":  # (the library's default)
        _same_as_the_general_reader(tmp_path, keep_text=True)
        assert _load(tmp_path, False, keep_text=True).items["prediction"].tolist()[:2] == ["B", "I don't know"]
        return
    _same_as_the_general_reader(tmp_path)
    assert isinstance(_load(tmp_path, False).items["model"].dtype, pd.CategoricalDtype)


def test_a_repeated_key_is_named_as_the_general_reader_names_it(tmp_path: Path) -> None:
    """The columnar path leaves the key check to the item table's: the error still names the line."""
    path = tmp_path / "runs.parquet"
    pq.write_table(pa.concat_tables([CLEAN, CLEAN.slice(1, 1)]), path)
    assert _answered(path)
    error = _load(path, False)
    assert isinstance(error, InputError) and error.field == "item_id" and str(error) == str(_load(path, True))
