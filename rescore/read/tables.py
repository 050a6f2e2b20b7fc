"""Stream rows out of CSV, TSV, JSON, JSONL and Parquet files as pandas batches.

Every batch carries a ``_line`` column (the 1-based line in a text file; in a JSON document or a
Parquet file, where no line holds a row, the 1-based record number) so an error deep in a file
can name the exact spot (:func:`located` words it). Nothing here knows about benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.errors import InputError
from rescore.read import split
from rescore.read.jsonlines import loads_json
from rescore.read.remote import arrow_source

LINE = "_line"
TABLE_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet", ".pq"}
MAX_LINE_BYTES = 256 * 1024 * 1024
# a whole JSON document is parsed in memory (several times its size as Python objects): over this,
# refuse it with a named error instead of growing without bound (issue 17); JSONL has no such limit
MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024


def table_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return {
        ".csv": "csv",
        ".tsv": "tsv",
        ".json": "json",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
    }.get(suffix)


def located(path: str | Path, number: int | None) -> dict[str, int | None]:
    """Where row ``number`` of ``path`` is, as :class:`InputError` keywords: ``line`` in a CSV, TSV
    or JSONL file (the line to open), ``record`` in a JSON document or Parquet file (a row of a
    Parquet file or an element of a JSON array has no line of its own: "line 3" would mislead)."""
    return {"record": number} if table_kind(Path(path)) in ("json", "parquet") else {"line": number}


def _empty_check(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from None
    if size == 0:
        raise InputError("file is empty", path=str(path))


def iter_jsonl(path: Path, batch_size: int, on_error: str = "raise",
               skipped: list[int] | None = None,
               fields: Sequence[str] | None = None) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Yield lists of ``(line_number, object)``; blank lines are ignored.

    ``fields``: the top-level keys the caller reads; each object then holds only those (parsed
    several times faster by :mod:`rescore.read.jsonlines`, with the same errors).
    """
    from rescore.read.jsonlines import Line, line_decoder, whole_runs_decoder

    decode = line_decoder(fields)
    decode_run = whole_runs_decoder() if not fields else None
    _empty_check(path)
    batch: list[tuple[int, dict[str, Any]]] = []
    piece = split.current()  # one piece of the file (rescore/read/split.py): its lines keep their numbers
    with (path.open("rb") if piece is None else split.open_piece(path, piece)) as handle:
        number = (1 if piece is None else piece.first_line) - 1
        for run in _line_runs(handle, MAX_LINE_BYTES):
            # (a run under the line limit: its lines are too; a longer run is split and checked below)
            objs = decode_run(run) if decode_run is not None and run is not None and len(run) < MAX_LINE_BYTES else None
            if objs is not None:  # every line of the run one object (see whole_runs_decoder)
                batch.extend(zip(range(number + 1, number + 1 + len(objs)), objs, strict=True))
                number += len(objs)
                if len(batch) >= batch_size:
                    yield from _cut(batch, batch_size)
                    batch = batch[len(batch) // batch_size * batch_size:]
                continue
            for raw in (run.split(b"\n") if run is not None else [None]):
                number += 1
                if raw is None or len(raw) >= MAX_LINE_BYTES:
                    raise InputError(f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB", path=str(path),
                                     line=number)
                if not raw or raw.isspace():  # (strip() would copy every line)
                    if piece is not None:  # rows would no longer be lines: row numbers could differ
                        raise split.NotSplittable(f"blank line {number}")
                    continue
                try:
                    obj = decode(raw, path, number)
                    if not isinstance(obj, (dict, Line)):
                        raise InputError(f"expected a JSON object, found {type(obj).__name__}", path=str(path),
                                         line=number)
                except InputError:
                    if on_error == "skip":
                        if skipped is not None:
                            skipped.append(number)
                        continue
                    raise
                batch.append((number, obj))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    if batch:
        yield batch


def _cut(batch: list[Any], size: int) -> Iterator[list[Any]]:
    """The whole ``size``-long batches at the front of ``batch`` (the rest stays for the next run)."""
    for start in range(0, len(batch) // size * size, size):
        yield batch[start:start + size]


_BLOCK_BYTES = 1 << 20


def _line_runs(handle: Any, limit: int) -> Iterator[bytes | None]:
    """The file in runs of whole lines (about 1 MB each, joined by newlines, without the last one).

    A line longer than a read is gathered in pieces; once it reaches ``limit`` bytes, ``None`` is
    yielded and the iteration ends (a run holding a line at the limit is split by the caller,
    which names it, as :func:`_split_lines` does).
    """
    pending: list[bytes] = []
    pending_size = 0
    while True:
        block = handle.read(_BLOCK_BYTES)
        if not block:
            break
        cut = block.rfind(b"\n")
        if cut < 0:  # no line ends in this block
            pending.append(block)
            pending_size += len(block)
            if pending_size >= limit:
                yield None
                return
            continue
        # (a view of the block: join copies it once, a slice would copy it twice)
        yield b"".join([*pending, memoryview(block)[:cut]]) if pending else block[:cut]
        tail = block[cut + 1:]
        pending, pending_size = ([tail], len(tail)) if tail else ([], 0)
        if pending_size >= limit:
            yield None
            return
    if pending:
        yield b"".join(pending)


def _split_lines(handle: Any, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary file (without their newline), read in 1 MB blocks (:func:`_line_runs`).

    Splitting whole blocks is several times cheaper than ``readline`` per line. A line that
    reaches ``limit`` bytes yields ``None`` (and ends the iteration) instead of being gathered
    further, so an absurd line never has to fit in memory.
    """
    for run in _line_runs(handle, limit):
        if run is None:
            yield None
            return
        for line in run.split(b"\n"):
            if len(line) >= limit:
                yield None
                return
            yield line


def read_bounded(path: Path, limit: int | None = None) -> bytes:
    """A whole file's bytes, refused (one named line) past ``limit`` (:data:`MAX_DOCUMENT_BYTES`):
    checked on the declared size first, then while reading (a file that grows, a device)."""
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    too_big = InputError(f"file is over the {limit // (1024 * 1024)} MB limit for a whole JSON document",
                         path=str(path))
    try:
        if path.stat().st_size > limit:
            raise too_big
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=str(path)) from None
    if len(data) > limit:
        raise too_big
    return data


def read_json_document(path: Path) -> Any:
    _empty_check(path)
    return loads_json(read_bounded(path), path=path)


def _records_from_json(doc: Any, path: Path) -> list[dict[str, Any]]:
    """Accept a list of objects, a columns dict, a dict keyed by id, or one list under a key."""
    if isinstance(doc, list):
        records = []
        for i, item in enumerate(doc):
            if not isinstance(item, dict):
                raise InputError(f"expected a JSON object, found {type(item).__name__}", path=str(path), record=i)
            records.append(item)
        return records
    if isinstance(doc, dict):
        values = list(doc.values())
        lists = [k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return _records_from_json(doc[lists[0]], path)
        if values and all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
            return pd.DataFrame(doc).to_dict("records")
        if values and all(isinstance(v, dict) for v in values):
            return [{"id": key, **value} for key, value in doc.items()]
    raise InputError(
        "JSON of the wrong shape: expected a list of records, a dict of columns or a dict of records",
        path=str(path),
    )


def iter_table(path: Path, batch_size: int = 50_000, on_error: str = "raise",
               skipped: list[int] | None = None) -> Iterator[pd.DataFrame]:
    """Yield DataFrame batches of a tabular file, each with a ``_line`` column."""
    kind = table_kind(path)
    if kind is None:
        raise InputError(f"unsupported file type {path.suffix!r} (csv, tsv, json, jsonl, parquet)", path=str(path))
    _empty_check(path)
    if kind in ("csv", "tsv"):
        yield from _iter_csv(path, batch_size, sep="," if kind == "csv" else "\t")
    elif kind == "jsonl":
        for batch in iter_jsonl(path, batch_size, on_error, skipped):
            frame = pd.DataFrame([obj for _, obj in batch])
            frame[LINE] = [n for n, _ in batch]
            yield frame
    elif kind == "json":
        try:
            records = _records_from_json(read_json_document(path), path)
        except InputError as exc:
            stream = _concatenated_json(path, exc)
            if stream is None:
                raise
            records = stream
        for start in range(0, len(records), batch_size):
            frame = pd.DataFrame(records[start : start + batch_size])
            frame[LINE] = range(start + 1, start + 1 + len(frame))  # record numbers from 1
            yield frame
    else:
        yield from _iter_parquet(path, batch_size)


def _concatenated_json(path: Path, exc: InputError) -> list[dict[str, Any]] | None:
    """The records of a ``.json`` file that holds several JSON values one after another, or None.

    Ordinary writers do this: JSON Lines saved under a ``.json`` name, or a list ``json.dump``-ed
    in append mode once per batch (``[{...}][{...}]``); both are in pshebel/kvcache's IFEval
    folders (tests/fixtures/real/ifeval_kvcache). Read as one document they failed with "invalid
    JSON (Extra data ...)", which stopped a folder walk over files that hold no results. Accepted
    only when every value is an object or a list of objects.
    """
    if not exc.reason.startswith("invalid JSON (Extra data"):
        return None
    try:
        text = read_bounded(path).decode("utf-8")
    except (InputError, UnicodeDecodeError):
        return None
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return records or None
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return None
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            return None
        records.extend(items)


def _check_header(path: Path, sep: str) -> None:
    """Refuse a header that names a column twice: pandas would rename the second ``x.1`` and a
    reader would then take one of the two silently (issue 17)."""
    import csv
    import io

    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            header = next(csv.reader(text, delimiter=sep), [])
    except (csv.Error, UnicodeDecodeError, OSError):
        return  # the reader below names the problem
    seen: set[str] = set()
    repeated = [name for name in header if name in seen or seen.add(name)]  # type: ignore[func-returns-value]
    if repeated:
        raise InputError(f"the header names column(s) {', '.join(map(repr, dict.fromkeys(repeated)))} more than once",
                         path=str(path), line=1)


def _iter_csv(path: Path, batch_size: int, sep: str) -> Iterator[pd.DataFrame]:
    _check_header(path, sep)
    piece = split.current()  # one piece of the file (rescore/read/split.py), its header in front
    try:
        source = arrow_source(path) if piece is None else split.open_piece(path, piece)
        reader = pd.read_csv(source, sep=sep, dtype=str, keep_default_na=False, chunksize=batch_size,
                             encoding="utf-8")
        start = 2 if piece is None or piece.first else piece.first_line  # line 1 is the header
        first = start
        for chunk in reader:
            chunk[LINE] = range(start, start + len(chunk))
            start += len(chunk)
            yield chunk
        if piece is not None and start - first != split.lines_in(path, piece) - (1 if piece.first else 0):
            raise split.NotSplittable("CSV rows are not lines (a quoted newline or a blank line)")
    except UnicodeDecodeError as exc:
        line, column = _first_bad_utf8(path)
        raise InputError(f"not valid UTF-8 ({exc.reason}" + (f" at byte {column}" if column is not None else "") + ")",
                         path=str(path), line=line) from None
    except pd.errors.EmptyDataError:
        raise InputError("file has no header row", path=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV ({str(exc).strip()})", path=str(path)) from None


def _first_bad_utf8(path: Path) -> tuple[int | None, int | None]:
    """Line number and byte offset in that line of the first invalid UTF-8 (the error path only)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(_split_lines(handle, MAX_LINE_BYTES), start=1):
            if raw is None:
                break
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, exc.start
    return None, None


def _plain_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows numbered 0..n-1, whatever index pandas stored with the file.

    ``pd.concat([...]).to_parquet()`` stores a repeating index (0, 1, 0, 1, ...) that pandas
    restores on reading, and any later alignment on it fails ("cannot reindex on an axis with
    duplicate labels"); ``df.set_index("model").to_parquet()`` stores a column as the index, where
    the column mapping would never see it. An unnamed index is dropped, a named one becomes a column.
    """
    if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1:
        return frame
    named = any(name is not None for name in frame.index.names)
    return frame.reset_index(drop=not named)


def _iter_parquet(path: Path, batch_size: int) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(arrow_source(path, exact=True))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({exc})", path=str(path)) from None
    piece = split.current()  # one piece of the file (rescore/read/split.py): its row groups
    start = 0 if piece is None else piece.first_row
    groups = None if piece is None else list(piece.row_groups)
    for batch in handle.iter_batches(batch_size=batch_size, row_groups=groups):
        # dictionary-encoded text (pandas' own to_parquet of a categorical, a low-cardinality
        # writer) is decoded by Arrow: as a pandas categorical every later astype("string")
        # went through Python objects, a fifth of reading a million items
        if any(pa.types.is_dictionary(f.type) for f in batch.schema):
            batch = pa.RecordBatch.from_arrays(
                [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns],
                names=batch.schema.names)
        frame = _plain_index(batch.to_pandas())
        frame[LINE] = range(start + 1, start + 1 + len(frame))  # record numbers from 1
        start += len(frame)
        yield frame
