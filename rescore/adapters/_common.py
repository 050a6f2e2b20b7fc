"""Small helpers shared by the producer adapters (not an adapter: the registry skips ``_`` modules).

Every producer adapter needs the same few things: sniff a file's first bytes without parsing
it all, read a JSON document with errors that name the file, turn one bad record into either an
:class:`InputError` (``--on-error raise``) or a counted skip (``--on-error skip``), and build a
batch with the canonical identity columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.adapters.base import SourceInfo, head_bytes
from rescore.errors import InputError
from rescore.read.options import LoadOptions
from rescore.read.tables import read_json_document

IDENTITY = ("model", "benchmark", "subset", "item_id", "attempt", "run")


def head_text(path: Path, size: int = 8192) -> str:
    """The first ``size`` bytes as text (invalid UTF-8 replaced): enough to sniff keys."""
    return head_bytes(path, size).decode("utf-8", errors="replace")


def json_keys_in_head(path: Path, keys: Iterable[str], size: int = 8192) -> bool:
    """True when every ``"key"`` occurs (as a JSON key) in the first bytes of the file."""
    text = head_text(path, size)
    return all(re.search(r'"' + re.escape(k) + r'"\s*:', text) for k in keys)


def read_json(path: Path) -> Any:
    """Parse a whole JSON document; errors name the file (InputError, exit 3)."""
    return read_json_document(path)


def text_or_na(value: Any) -> Any:
    """A string for the text columns, NA for null/NaN; lists become ``" | "``-joined."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return pd.NA
    if isinstance(value, (list, tuple)):
        return " | ".join(map(str, value))
    return str(value)


def iter_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` for each non-blank line; invalid UTF-8 names the line (never a crash)."""
    from rescore.read.tables import MAX_LINE_BYTES, _split_lines

    with path.open("rb") as handle:  # the same 256 MB line limit as every JSONL reader (issue 17)
        for line_no, raw in enumerate(_split_lines(handle, MAX_LINE_BYTES), start=1):
            if raw is None:
                raise InputError(f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB", path=str(path),
                                 line=line_no)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=str(path),
                                 line=line_no) from None
            if line.strip():
                yield line_no, line


class RecordErrors:
    """One bad record: raise a precise :class:`InputError`, or count it with ``--on-error skip``."""

    def __init__(self, path: Path, options: LoadOptions, info: SourceInfo) -> None:
        self.path = path
        self.skip = options.on_error == "skip"
        self.info = info
        self.skipped: list[str] = []

    def bad(self, message: str, *, record: int | str | None = None, line: int | None = None,
            field: str | None = None) -> None:
        """Raise, or (skip mode) remember the record so the caller drops it."""
        if not self.skip:
            raise InputError(message, path=str(self.path), record=record, line=line, field=field)
        where = f"line {line}" if line is not None else f"record {record}"
        self.skipped.append(f"{where}: {message}" + (f" (field {field!r})" if field else ""))

    def finish(self) -> None:
        """Add the skipped count and a note with the first few reasons to ``info``."""
        if self.skipped:
            self.info.skipped_records += len(self.skipped)
            self.info.note(f"skipped {len(self.skipped)} bad record(s) (--on-error skip): "
                           + "; ".join(self.skipped[:3]) + (" ..." if len(self.skipped) > 3 else ""))


def batch(rows: list[dict[str, Any]], *, run: str | None = None) -> pd.DataFrame:
    """Rows (dicts with identity + grade/text keys) to a batch with the text columns as strings."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in ("model", "benchmark", "subset", "item_id", "prediction", "response", "gold", "grade",
                   "grade_rule", "run", "cluster"):
        if column in frame:
            frame[column] = frame[column].astype("string")
    if "attempt" not in frame:
        frame["attempt"] = 0
    if "subset" not in frame:
        frame["subset"] = ""
    if "run" not in frame:
        frame["run"] = pd.Series(run if run is not None else pd.NA, index=frame.index, dtype="string")
    return frame


def counts_batch(model: str, benchmark: str, subset: str, *, correct: int, wrong: int, abstain: int = 0,
                 partial: int = 0, invalid: int = 0) -> pd.DataFrame:
    """A one-row counts-only batch (``n_correct`` ...): aggregates without per-item data."""
    return pd.DataFrame({
        "model": pd.Series([model], dtype="string"),
        "benchmark": pd.Series([benchmark], dtype="string"),
        "subset": pd.Series([subset], dtype="string"),
        "n_correct": [int(correct)], "n_wrong": [int(wrong)], "n_abstain": [int(abstain)],
        "n_partial": [int(partial)], "n_invalid": [int(invalid)],
    })


def dumps_short(value: Any, limit: int = 40) -> str:
    """A short printable form of a bad value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
