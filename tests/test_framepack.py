"""Item tables cross process boundaries packed (rescore/framepack.py) and arrive unchanged."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.read import framepack, schema
from rescore.read.options import LoadOptions
from rescore.read.per_file import FileResult, read_one

from .conftest import SAMPLE

TEXT = st.one_of(st.none(), st.sampled_from(["m1", "m2", "gpqa", "", "I don't know", "é ☃"]), st.text(max_size=6))


@settings(max_examples=150)
@given(st.lists(st.tuples(TEXT, TEXT, st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=False)),
                max_size=60), st.integers(0, 5))
def test_pack_then_unpack_is_the_same_frame(rows: list[tuple], offset: int) -> None:
    frame = pd.DataFrame({
        "model": pd.array([r[0] for r in rows], dtype="string"),
        "item_id": pd.array([r[1] for r in rows], dtype="string"),
        "attempt": np.array([r[2] for r in rows], dtype="int64"),
        "confidence": np.array([r[3] for r in rows], dtype="float64"),
    }, index=pd.RangeIndex(offset, offset + len(rows)))
    back = framepack.unpack(pickle.loads(pickle.dumps(framepack.pack(frame))))
    pd.testing.assert_frame_equal(back, frame)


def test_a_file_result_pickles_smaller_and_unchanged() -> None:
    path = SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl"
    result = read_one(str(path), "generic", LoadOptions())
    assert len(result.items) > 20 and set(schema.ITEM_COLUMNS) <= set(result.items.columns)
    packed = pickle.dumps(result)
    back = pickle.loads(packed)
    assert isinstance(back, FileResult)
    pd.testing.assert_frame_equal(back.items, result.items)
    assert back.info.to_dict() == result.info.to_dict()
    plain = pickle.dumps({**result.__dict__})  # the same fields, items pickled as they are
    assert len(packed) < len(plain)
    packed_source = framepack.pack(result.items)["columns"]["source"]
    assert packed_source[0] == "codes" and len(packed_source[2]) == 1  # one path, sent once


def test_keep_text_false_drops_every_text_column_the_statistics_do_not_read() -> None:
    kept = read_one(str(SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl"), "generic", LoadOptions()).items
    dropped = read_one(str(SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl"), "generic",
                       LoadOptions(keep_text=False)).items
    for column in ("response", "prediction", "gold"):
        assert kept[column].notna().any() and dropped[column].isna().all()
    same = [c for c in kept.columns if c not in ("response", "prediction", "gold")]
    pd.testing.assert_frame_equal(dropped[same], kept[same])
