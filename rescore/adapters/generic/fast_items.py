"""Item mode straight from Arrow for generic Parquet tables: the item table without pandas batches.

Why: the general reader builds a 10M-row item table from two hundred 50,000-row pandas batches,
each read, named, classified and conformed on its own (about 35 ms a batch: 7 s of the 9.7 s a
10M-row ``leaderboard --ties paired`` spent loading). The counts fast path (``fast.py``) already
reads such a table whole with Arrow and decides each distinct combination of labels and decisive
values once; here the same decisions are taken back to the rows (:meth:`fast._Inputs.per_row`)
and the rows become the canonical item table in one :func:`rescore.read.schema.conform`.

Exactly the general reader's rows and notes, or ``None`` (the general reader then reads the file
and raises any error of its own). Beyond the counts path's conditions (``fast.parquet_table`` /
``fast_text.text_table``, ``fast.row_labels``, ``fast.decided``): the file is read whole (not a piece of a
split file), item ids are text or whole numbers without a missing one, every confidence is a
probability as it stands (numbers in [0, 1] or texts of them: what
:func:`rescore.outcomes.confidence.normalise_confidence` makes of each batch without judging a
scale), and answer texts, when the table keeps them, are text columns. A repeated key is left to
the item table's own check (``schema.validate``), which names its line by reading the file again
with the general reader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rescore.adapters.base import FastItems, SourceInfo
from rescore.adapters.generic import fast, fast_text
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read import schema, split
from rescore.read.options import LoadOptions
from rescore.read.sources import phrase_abstention_note


def items_generic_table(path: Path, options: LoadOptions, detector: AbstentionDetector,
                        info: SourceInfo) -> FastItems | None:
    """The item rows of a generic Parquet, CSV/TSV or JSONL file (its notes go to ``info``), or ``None``."""
    if split.current() is not None:
        return None
    text = path.suffix.lower() in fast_text.TEXT_KINDS
    found = fast_text.text_table(path, options) if text else fast.parquet_table(path, options)
    if found is None:
        return None
    return _item_rows(path, *found, options, detector, info)


def _item_rows(path: Path, table: Any, columns: Any, options: LoadOptions, detector: AbstentionDetector,
               info: SourceInfo) -> FastItems | None:
    """The item rows of ``table``, read from ``path`` with its columns' roles ``columns``."""

    roles = columns.roles
    ids = table[roles["item_id"]]
    if ids.null_count or not fast.ids_typed_as_batches(ids.type):
        return None
    confidence = None
    if "confidence" in roles:
        confidence = _confidences(table[roles["confidence"]], path, roles["confidence"])
        if confidence is None:
            return None
    notes = list(columns.notes)
    labels = fast.row_labels(path, table, roles, options, notes)
    if labels is None:
        return None
    decided = fast.decided(table, columns, labels, detector, per_row=True)
    if decided is None:
        return None
    inputs, (outcome, outcome_names, rule, rule_names, over_wrong) = decided
    rows = {
        "model": _category(labels.model_codes, labels.models),
        "benchmark": _category(labels.bench_codes, labels.benches),
        "subset": _category(labels.subset_codes, labels.subsets),
        "item_id": _strings(ids),
        "outcome": _category(inputs.per_row(outcome), outcome_names),
        "rule": _category(inputs.per_row(rule), rule_names),
        "source": _category(np.zeros(table.num_rows, dtype="int8"), [str(path)]),
    }
    if confidence is not None:
        rows["confidence"] = confidence
    if options.keep_text:  # the answer texts, as the general reader's as_text leaves text columns
        for role in ("prediction", "response", "gold"):
            if role in roles:
                if not fast._is_text(table.schema.field(roles[role]).type):
                    return None  # numbers or lists as answers: the general reader spells them per value
                rows[role] = _strings(table[roles[role]])
    import pandas as pd

    items = schema.conform(pd.DataFrame(rows, copy=False))
    for note in notes:
        info.note(note)
    if over_wrong:
        info.note(phrase_abstention_note(over_wrong))
    # the names some row has, sorted (as the general reader lists a file's models): the categories
    return FastItems(items, list(rows["model"].categories), list(rows["benchmark"].categories))


def _confidences(column: Any, path: Path, name: str) -> np.ndarray | None:
    """A confidence column whose every value is a probability as it stands (numbers in [0, 1],
    or texts of them, ``fast._confidence_in_range``) as float64, a missing value NaN: what the
    general reader's :func:`rescore.outcomes.confidence.normalise_confidence` makes of each of its
    batches. ``None`` for anything that reader judges batch by batch (a percentage scale, a bad
    value, another type)."""
    import pandas as pd
    import pyarrow as pa

    from rescore.outcomes.confidence import normalise_confidence, plain_probabilities

    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        values = fast.confidence_values(column)
        return values if fast.in_unit_interval(values) else None
    if not fast._is_text(column.type):
        return None
    codes, texts = fast._codes(column)  # each distinct text parsed once, by the general reader's rule
    if not plain_probabilities(texts):  # (fast._confidence_in_range's rule for text, on the texts at hand)
        return None
    parsed, _ = normalise_confidence(pd.Series(texts, dtype=object), path=str(path), column=name)
    return np.append(parsed.to_numpy(dtype="float64"), np.nan)[codes]  # (code -1, a missing value: NaN)


def _category(codes: np.ndarray, names: list[Any]) -> Any:
    """``names[code]`` per row as the category column :func:`rescore.read.schema.compact` would
    make of it: the names some row has, sorted, as ``string`` categories, and codes into them.

    Why not strings: gathering ten million strings per label column, repeating the file's path
    on every row and hashing it all again in ``compact`` cost more than the rest of the read."""
    codes = np.asarray(codes)
    used = np.flatnonzero(np.bincount(codes.astype("int64", copy=False), minlength=len(names)))
    return schema.sorted_categorical(codes, [str(name) for name in names], present=used)


def _strings(column: Any) -> Any:
    """A text (or whole-number) Arrow column as a pandas ``string`` array, as ``astype("string")``
    gives it (numbers as digits; a dictionary-encoded column decoded)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return pd.arrays.ArrowStringArray(column.cast(pa.large_string()))

