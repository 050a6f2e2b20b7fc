"""Counts and item rows of plain CSV/TSV and JSONL tables through Arrow's own readers (issue 18, point 2).

``pyarrow.csv`` / ``pyarrow.json`` read a whole file on every core (a whole local file as views of its
memory map, ``rescore/read/mapped.py``); the column roles are judged as the general reader judges them
on its first batch (:func:`text_table`); the table is then counted by the Parquet path's code
(``fast.py``) or made item rows (``fast_items.py``). Exactly the general reader's answer, or none: see
:func:`count_generic_text`.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from rescore.adapters.base import FastCounts, SourceInfo
from rescore.adapters.generic.fast import (
    _confidence_in_range,
    _count_table,
    _is_text,
    _roles_supported,
    batches_confidence_note,
    count_generic_parquet,
)
from rescore.outcomes.abstention import AbstentionDetector
from rescore.read import prefetch, split, tables
from rescore.read.mapped import MappedFile
from rescore.read.options import LoadOptions
from rescore.read.tables import LINE

#: the text tables read here, with the CSV delimiter (None: JSON lines)
TEXT_KINDS = {".csv": ",", ".tsv": "\t", ".jsonl": None, ".ndjson": None}


def count_generic_table(path: Path, options: LoadOptions, detector: AbstentionDetector,
                        info: SourceInfo) -> FastCounts | None:
    """The counts of a generic Parquet, CSV/TSV or JSONL table straight from Arrow, or ``None``
    (the general path reads it)."""
    if path.suffix.lower() in TEXT_KINDS:
        return count_generic_text(path, options, detector, info)
    return count_generic_parquet(path, options, detector, info)


def count_generic_text(path: Path, options: LoadOptions, detector: AbstentionDetector,
                       info: SourceInfo) -> FastCounts | None:
    """A plain CSV/TSV or JSONL table read by ``pyarrow.csv`` / ``pyarrow.json`` (multithreaded
    C++) and counted as a Parquet table is; ``None`` sends the file to the general path.

    Exactly the general reader's answer, or none: the column roles are judged on the general
    reader's own first batch (pandas ``read_csv`` with every value a string, or the JSON lines
    as Python objects), CSV values are read as strings as pandas reads them (``""`` stays ``""``),
    and JSON columns must come out of Arrow as one type that pandas would give each batch
    (text; whole-number ids; numeric confidences). Anything Arrow refuses or cannot be sure of (a
    quoted newline, a short row, a type that changes down the file, a byte-order mark, a repeated
    key, a bad value) returns ``None``: the general reader then answers, and names the line.
    """
    # a JSONL file read ahead while the command imported pandas (rescore/read/prefetch.py)
    ahead = prefetch.take(path) if split.current() is None else None
    try:
        return _count_text(path, options, detector, info, None if ahead is None else ahead.future)
    finally:
        if ahead is not None:
            ahead.stop.set()  # turned down: a read still under way ends at its next block


def _count_text(path: Path, options: LoadOptions, detector: AbstentionDetector, info: SourceInfo,
                read_ahead: Future | None) -> FastCounts | None:
    """:func:`count_generic_text` for a file maybe read ahead (``read_ahead``, JSON lines only)."""
    found = text_table(path, options, read_ahead)
    if found is None:
        return None
    table, columns = found
    return _count_table(path, table, columns, options, detector, info,
                        lambda name: None if _confidence_in_range(table[name])
                        else _column_confidence_note(table[name], path, name, options.batch_size), text=True)


def text_table(path: Path, options: LoadOptions, read_ahead: Future | None = None) -> tuple[Any, Any] | None:
    """The columns of a plain CSV/TSV or JSONL table that the columnar paths read, as an Arrow
    table (a file maybe read ahead: ``read_ahead``), with their roles judged as the general reader
    judges them (a ``ColumnMap``); ``None`` when the general reader must read the file."""
    import pyarrow as pa

    from rescore.read import remote

    suffix = path.suffix.lower()
    if suffix not in TEXT_KINDS or not options.plain() or options.on_error == "skip" \
            or remote.is_remote(path) or split.kind(path) is None:
        return None
    try:
        with path.open("rb") as handle:
            if handle.read(3) == b"\xef\xbb\xbf":
                return None  # a byte-order mark: pandas and Arrow may name the first column differently
    except OSError:
        return None
    header = TEXT_KINDS[suffix] is not None  # CSV/TSV: a header line, columns known from it
    if not header and tables.MAX_LINE_BYTES < prefetch.JSON_BLOCK_BYTES:
        return None  # a line the general reader refuses could fit Arrow's block (its limit is 256 MB, a block 16)
    # Arrow reads on a thread (its C++ threads release the GIL) while this one judges the roles and
    # counts the lines. A JSONL file is read whole whatever the roles (its columns are its keys), so
    # its read starts first; a CSV read takes the roles' columns and types, judged on a 5 ms head.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescore-text")
    read_in_piece = contextvars.copy_context().run  # the same piece of a split file
    stop = threading.Event()  # set: a read under way fails at its next block (the general path reads instead)
    try:
        reading = read_ahead
        if not header and reading is None:
            reading = pool.submit(read_in_piece, _read_text, path, None, [], [], stop)
        judgement = _judged_columns(path, options, csv=header)
        if judgement is not None and judgement.provisional and not _roles_supported(judgement.columns, options):
            judgement = _judged_columns(path, options, csv=header, whole_batch=True)  # settle before refusing
        if judgement is None or not _roles_supported(judgement.columns, options):
            return None
        if reading is None:
            reading = pool.submit(read_in_piece, _read_text, path, TEXT_KINDS[suffix],
                                  *_columns_read(judgement.columns.roles))
        try:
            table, lines = reading.result()
            if lines is None:  # a piece: its own lines, counted here
                lines = _data_lines(path, header)
            elif header:
                lines -= 1  # the header line
        except (pa.ArrowException, OSError, ValueError, KeyError):
            return None
    finally:
        stop.set()  # no read outlives this function (nor runs on while worker processes are forked)
        pool.shutdown(wait=True)
    if table.num_rows != lines:
        return None
    if judgement.provisional and not _head_frame_is_first_batch(judgement.head, table, options.batch_size):
        judgement = _judged_columns(path, options, csv=header, whole_batch=True)
        if judgement is None or not _roles_supported(judgement.columns, options):
            return None
    columns = judgement.columns
    roles = columns.roles
    if not header:
        table = table.select(_columns_read(roles)[0])
    strings = {f.name for f in table.schema if _is_text(f.type)}
    must_be_text = [roles[r] for r in ("model", "benchmark", "subset") if r in roles]
    if "correct" not in roles:
        must_be_text += [roles["prediction"], roles["gold"]]
    if any(name not in strings for name in must_be_text):
        return None
    if "confidence" in roles:
        kind = table.schema.field(roles["confidence"]).type
        if not (roles["confidence"] in strings or pa.types.is_floating(kind) or pa.types.is_int64(kind)):
            return None
    return table, columns


class _Judgement(NamedTuple):
    """Column roles and the head they were judged on; ``provisional`` while a JSONL head shorter
    than the first batch awaits :func:`_head_frame_is_first_batch`."""

    columns: Any
    head: Any
    provisional: bool


def _judged_columns(path: Path, options: LoadOptions, csv: bool, whole_batch: bool = False) -> _Judgement | None:
    """The column roles of a text table, judged as the general reader judges them on its first
    batch, or ``None`` (the general path then reads the file and raises any error of its own).

    The first ``GRADE_SAMPLE`` rows judge the roles as the whole first batch would whenever every
    column judged by its values had its whole sample there (:meth:`ColumnMap.judged_as_first_batch`,
    the Parquet path's rule): parsing 1,000 rows instead of 50,000 is most of the 35 ms a CSV head
    took on a 1M-row file, and of the 0.13 s a JSONL head took. A CSV file's columns are its header's;
    a JSON lines head also needs the keys and dtypes of the first batch, known only once Arrow has
    read the file: its judgement stays ``provisional`` until then. Otherwise (or ``whole_batch``)
    the whole first batch judges.
    """
    from rescore.adapters.generic.columns import GRADE_SAMPLE, ColumnMap
    from rescore.read.tables import iter_table

    def judged(rows: int) -> tuple[Any, Any] | None:  # (the roles, the head they were judged on)
        try:
            head = _jsonl_head(path, rows) if not csv else None
            if head is None:
                with split.whole_file():  # the general reader's first batch decides the roles, as there
                    head = next(iter_table(path, rows, "raise", []), None)
            if head is None or head.empty:
                return None
            first = head.drop(columns=[LINE]) if LINE in head.columns else head
            return ColumnMap(list(first.columns), options, path, first), first
        except Exception:  # any error: the general path raises its own
            return None

    batch = options.batch_size
    rows = batch if whole_batch else min(GRADE_SAMPLE, batch)
    found = judged(rows)
    if rows < batch and (found is None or not found[0].judged_as_first_batch(found[1], rows, batch)):
        rows = batch  # an error or a sample ran past the head: the whole first batch judges
        found = judged(rows)
    if found is None:
        return None
    return _Judgement(found[0], found[1], provisional=not csv and rows < batch and len(found[1]) >= rows)


def _head_frame_is_first_batch(head: Any, table: Any, batch_size: int) -> bool:
    """Whether a JSONL head (the first rows, as the general reader's frame) has the columns and
    the dtypes that reader's first batch of ``batch_size`` rows has, from Arrow's whole-file read
    (its row i is line i: the caller checked the row count).

    Then its first ``GRADE_SAMPLE`` rows, all that :class:`ColumnMap` samples, hold the same values
    in both frames. The batch's keys are those of the whole file once the head holds them all (the
    batch lies between the two), in the head's order (pandas orders keys by first appearance); a
    column's dtype follows from the kinds of value and whether one is missing: an int or bool column
    keeps its dtype while the batch's nulls are the head's (a missing value makes it float or
    object), a float column is float64 once the head holds a float, a text column stays text.
    Nested and all-null columns are left to the whole batch."""
    import pyarrow as pa

    if len(head) >= min(batch_size, table.num_rows):
        return True
    if set(head.columns) != set(table.column_names):
        return False
    for name in table.column_names:
        kind, column = table.schema.field(name).type, table[name]
        head_nulls, batch_nulls = column.slice(0, len(head)).null_count, column.slice(0, batch_size).null_count
        if head_nulls == len(head):
            return False  # nothing in the head says what the column holds
        if pa.types.is_floating(kind):
            if head[name].dtype != np.float64:
                return False  # whole numbers so far: a fraction further down makes the batch's column float
        elif _is_text(kind) or pa.types.is_int64(kind) or pa.types.is_boolean(kind):
            if (head_nulls > 0) != (batch_nulls > 0):
                return False
        else:
            return False
    return True


def _jsonl_head(path: Path, batch_size: int) -> Any:
    """The general reader's first batch of a JSONL file (its frame without the line numbers), or
    ``None`` to let that reader make it.

    Why: the general reader parses its first batch line by line (50,000 ``json.loads`` calls, about
    a second); here the same lines are parsed by one ``json.loads`` of ``[line, line, ...]``, which
    gives the same objects when every line is one JSON value of its own (msgspec's one call
    over the lines when it takes them all, as the general reader's runs do). A joined parse that fails
    or gives another count than lines returns ``None``; a line that is not a JSON value of its own
    but joins with the next into one (``[1,`` and ``2]``) is refused later by Arrow's reader, which
    reads every line as a whole object, and the general reader then answers.
    """
    import json

    import pandas as pd

    from rescore.read.jsonlines import whole_runs_decoder
    from rescore.read.tables import _line_runs

    lines: list[bytes] = []
    with path.open("rb") as handle:
        for run in _line_runs(handle, prefetch.JSON_BLOCK_BYTES + 1):  # the general reader's own runs of whole lines
            if run is None:
                return None  # a line longer than Arrow's block: the general path anyway
            # blank lines are skipped there too
            lines.extend(part for part in run.split(b"\n") if part and not part.isspace())
            if len(lines) >= batch_size:
                break
    lines = lines[:batch_size]
    if not lines:
        return None
    # msgspec first (one call, a third of json.loads' time), json.loads for whatever it refuses
    objects = whole_runs_decoder()(b"\n".join(lines))
    if objects is None:
        try:
            objects = json.loads(b"[" + b",".join(lines) + b"]")
        except (ValueError, RecursionError):
            return None
    if len(objects) != len(lines) or not all(isinstance(obj, dict) for obj in objects):
        return None
    frame = pd.DataFrame(objects)
    return frame.drop(columns=[LINE]) if LINE in frame.columns else frame


def _columns_read(roles: dict[str, str]) -> tuple[list[str], list[str]]:
    """The columns the counting reads (each once, in role order), and those of them a CSV read
    takes dictionary-encoded: the label and decisive columns, hashed into codes anyway
    (:func:`_codes`), are encoded by the reader's own threads per block as it parses (1M rows:
    75 ms less than encoding afterwards)."""
    wanted = list(dict.fromkeys(roles[r] for r in ("model", "benchmark", "subset", "item_id", "correct",
                                                   "prediction", "response", "gold", "confidence") if r in roles))
    coded = [roles[r] for r in ("model", "benchmark", "subset", "correct", "prediction", "gold") if r in roles]
    return wanted, coded


def _read_text(path: Path, delimiter: str | None, wanted: list[str], coded: list[str],
               stop: threading.Event | None = None) -> tuple[Any, int | None]:
    """A CSV/TSV (``delimiter``) file's ``wanted`` columns, or a JSONL file's every key, as an
    Arrow table (of the piece of it being read, :mod:`rescore.read.split`); a CSV's ``coded``
    columns come dictionary-encoded (the same strings, each distinct one stored once). With it,
    the lines of a whole file, counted as Arrow read them (``None`` for a piece). Once ``stop``
    is set, the read fails at its next block (OSError)."""
    piece = split.current()
    if piece is None:  # a whole file as views of its memory map (rescore/read/mapped.py)
        with MappedFile(path, stop) as mapped:
            return _read_text_from(mapped, delimiter, wanted, coded), mapped.lines
    with split.open_piece(path, piece) as opened, \
            (opened if stop is None else prefetch.Stoppable(opened, stop)) as source:
        return _read_text_from(source, delimiter, wanted, coded), None


def _read_text_from(source: Any, delimiter: str | None, wanted: list[str], coded: list[str]) -> Any:
    """:func:`_read_text`'s table, from an open binary ``source``."""
    import pyarrow as pa

    if delimiter is not None:
        import pyarrow.csv as pacsv

        dictionary = pa.dictionary(pa.int32(), pa.string())
        return pacsv.read_csv(
            source, parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={name: dictionary if name in coded else pa.string()
                                                               for name in wanted},
                                                 include_columns=wanted, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    return prefetch.read_json_table(source)


def _data_lines(path: Path, header: bool) -> int:
    """The lines of the file (or piece) below its header: the rows Arrow must have read.

    Not so with a CSV value holding a quoted newline or with blank lines, where the general
    reader's batches and a piece's cut (made at line ends) would no longer be the rows Arrow read;
    nor with a JSONL line holding two objects (``{...} {...}``), which Arrow reads as two rows and
    the general reader refuses. Checked for every file, counted while Arrow reads it."""
    piece = split.current()
    whole = split.Piece(0, 1, end=path.stat().st_size) if piece is None else piece
    return split.lines_in(path, whole) - (1 if header and whole.first else 0)


def _column_confidence_note(column: Any, path: Path, name: str, batch_size: int) -> str | bool | None:
    """:func:`fast._confidence_note` for a column already read: each ``batch_size`` rows judged alone,
    as the general reader's batches are (a piece of a split file starts on a batch)."""
    return batches_confidence_note((column.slice(start, batch_size).to_pandas()
                                    for start in range(0, len(column), batch_size)), path, name)
