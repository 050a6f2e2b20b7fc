"""``schema.as_category``: the item table's label columns made categories by Arrow's hashing must
be exactly what ``astype("category")`` makes (categories, their order and dtype, codes and their
dtype, index and name), whatever the strings, missing values and Arrow chunks."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.read.schema import as_category, compact

TEXTS = st.one_of(st.none(), st.sampled_from(["a", "b", "B", "", " a", "é", "e\u0301", "中", "😀", "a\x00b"]),
                  st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(TEXTS, max_size=12), min_size=1, max_size=5), st.integers(0, 100))
def test_as_category_is_astype_category(chunks: list[list[str | None]], offset: int) -> None:
    """Several Arrow chunks (as a concatenated item table holds them), a shifted index."""
    arrays = [pa.array(chunk, type=pa.large_string()) for chunk in chunks]
    values = pd.arrays.ArrowStringArray(pa.chunked_array(arrays, type=pa.large_string()))
    series = pd.Series(values, index=pd.RangeIndex(offset, offset + len(values)), name="model")
    if len(series) == 0:
        return
    expected, got = series.astype("category"), as_category(series)
    pdt.assert_series_equal(got, expected, check_exact=True)
    assert got.cat.categories.dtype == expected.cat.categories.dtype
    assert got.cat.codes.dtype == expected.cat.codes.dtype


def test_as_category_of_python_strings_and_empty_columns() -> None:
    """A ``string`` column not held by Arrow, and an empty one, are cast by pandas itself."""
    for series in (pd.Series(["b", None, "a"], dtype=pd.StringDtype("python")), pd.Series([], dtype="string")):
        pdt.assert_series_equal(as_category(series), series.astype("category"))


def test_compact_makes_every_label_column_a_category() -> None:
    frame = pd.DataFrame({"model": ["m2", "m1", None], "item_id": ["1", "2", "3"], "outcome": ["wrong"] * 3},
                         dtype="string")
    compact(frame)
    assert [str(frame[c].dtype) for c in frame] == ["category", "string", "category"]
    assert list(frame["model"].cat.categories) == ["m1", "m2"]
    assert frame["model"].cat.codes.tolist() == [1, 0, -1]


KEYS = st.lists(st.tuples(st.sampled_from(["m1", "m2", None]), st.sampled_from(["b", None]), st.sampled_from(["", "s"]),
                          st.sampled_from(["1", "2", "3"]), st.sampled_from([0, 1])), min_size=2, max_size=12)


@settings(max_examples=200, deadline=None)
@given(KEYS)
def test_the_key_check_reads_category_codes_as_it_reads_strings(keys: list[tuple]) -> None:
    """A repeated (model, benchmark, subset, item_id, attempt) key is found alike whether the label
    columns are strings or the categories compact() makes (a missing label a value of its own)."""
    from rescore.read.schema import KEY_COLUMNS, _keys_may_repeat

    frame = pd.DataFrame(keys, columns=list(KEY_COLUMNS)).astype(
        {"model": "string", "benchmark": "string", "subset": "string", "item_id": "string", "attempt": "int64"})
    expected = bool(frame.duplicated(list(KEY_COLUMNS)).any())
    assert _keys_may_repeat(frame) == expected
    assert _keys_may_repeat(compact(frame.copy())) == expected
