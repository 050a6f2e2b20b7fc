"""Fast JSONL lines when a reader needs only a few top-level keys (msgspec, with a safe fallback).

An lm-eval samples line is about 1 KB, most of it the document, the prompt and three hashes,
while a reader needs half a dozen small values. ``json.loads`` builds every nested object
(~15 µs a line); a msgspec decoder typed with just the wanted keys validates the whole line
but builds only those values (~2.5 µs). That is the difference between minutes and seconds on
millions of lines (see README "Performance").

Semantics stay those of ``json.loads``: a line msgspec refuses (NaN/Infinity, which Python's
``json.dumps`` writes, or anything malformed) is handed to :func:`loads_json`,
which either parses it the standard way or raises the usual one-line :class:`InputError`. Keys
absent from a line are absent from the returned dict. Bytes that are not UTF-8 anywhere in the
line are refused, even inside a skipped value (msgspec alone would skip over them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rescore.errors import InputError

try:  # msgspec is a dependency; the fallback keeps a broken install working, only slower
    import msgspec
except ImportError:  # pragma: no cover
    msgspec = None

LineDecoder = Callable[[bytes, Path, int], Any]


if msgspec is not None:

    class Line(msgspec.Struct):
        """A parsed line holding only the wanted keys, read like a dict (``get``, ``in``)."""

        def get(self, key: str, default: Any = None) -> Any:
            attr = self._attrs.get(key)  # type: ignore[attr-defined]
            if attr is None:
                return default
            value = getattr(self, attr)
            return default if value is msgspec.UNSET else value

        def __contains__(self, key: object) -> bool:
            attr = self._attrs.get(key)  # type: ignore[attr-defined]
            return attr is not None and getattr(self, attr) is not msgspec.UNSET

        def __getitem__(self, key: str) -> Any:
            value = self.get(key, msgspec.UNSET)
            if value is msgspec.UNSET:
                raise KeyError(key)
            return value
else:  # pragma: no cover
    Line = dict  # type: ignore[misc,assignment]


@lru_cache(maxsize=64)
def loads_json(data: bytes | str, *, path: Path, line: int | None = None, record: int | None = None) -> Any:
    """``json.loads`` with errors that name the file and line; refuses absurd nesting."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=str(path), line=line,
                         record=record) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=str(path), line=line, record=record) from None
    except ValueError as exc:
        raise InputError(f"invalid JSON ({exc})", path=str(path), line=line, record=record) from None


def _struct_decoder(fields: tuple[str, ...]) -> Any:
    # field names become attributes f0, f1, ... (JSON keys need not be identifiers); renamed back on decode
    spec = [(f"f{i}", Any, msgspec.UNSET) for i in range(len(fields))]
    renames = {f"f{i}": name for i, name in enumerate(fields)}
    struct = msgspec.defstruct("LineOf", spec, bases=(Line,), rename=renames, forbid_unknown_fields=False,
                               namespace={"_attrs": {name: f"f{i}" for i, name in enumerate(fields)}})
    return msgspec.json.Decoder(struct)


def _whole_line_decoder() -> LineDecoder:
    """Every key of a line, by msgspec (a generic JSONL table: 1.7 s of ``json.loads`` per 1M lines).

    A full decode validates every string, so unlike the keyed decoder no separate UTF-8 check is
    needed; whatever msgspec refuses (NaN, 1e400, a lone surrogate escape, malformed JSON) goes to
    :func:`loads_json`, which parses it as ``json.loads`` does or names the error.
    """
    decode_json = msgspec.json.decode
    errors = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)

    def decode(raw: bytes, path: Path, number: int) -> Any:
        try:
            return decode_json(raw)
        except errors:
            return loads_json(raw, path=path, line=number)

    return decode


def whole_runs_decoder() -> Callable[[bytes], list[Any] | None]:
    """Decode a run of whole lines in one msgspec call, or None to have it read line by line.

    The objects are taken only when :func:`one_value_per_line` shows each line holds exactly one
    object (no blank, split or doubled line), so line numbers are the run's order; any line
    msgspec refuses sends the whole run to the line-by-line reader, which gives ``json.loads``'s
    answer or names the line. Per line this was a quarter of reading a generic JSONL table.
    """
    if msgspec is None:  # pragma: no cover
        return lambda run: None
    decoder = msgspec.json.Decoder()
    errors = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)

    def decode(run: bytes) -> list[Any] | None:
        if not run:
            return None
        try:
            objs = decoder.decode_lines(run)
        except errors:
            return None
        return objs if one_value_per_line(run, len(objs)) else None

    return decode


def line_decoder(fields: Sequence[str] | None) -> LineDecoder:
    """A function ``(raw_line, path, line_number) -> object`` keeping only ``fields`` of an object.

    The object is a :class:`Line` (``get``/``in``/``[]`` like a dict), or a ``dict`` when the
    line needed the standard parser. Without ``fields`` (or without msgspec) it is the standard
    full parse.
    """

    if msgspec is None:
        return lambda raw, path, number: loads_json(raw, path=path, line=number)
    if not fields:
        return _whole_line_decoder()
    decoder = _struct_decoder(tuple(dict.fromkeys(fields)))
    errors = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError)

    def decode(raw: bytes, path: Path, number: int) -> Any:
        try:
            obj = decoder.decode(raw)
            if not raw.isascii():
                raw.decode("utf-8")  # msgspec skips over unwanted values without checking them
            return obj
        except errors:
            return loads_json(raw, path=path, line=number)  # the standard parse decides (or names the error)

    return decode


# -- runs of lines decoded in one call ----------------------------------------------------------

_NEWLINE, _RETURN, _OPEN, _CLOSE = ord("\n"), ord("\r"), ord("{"), ord("}")


def one_value_per_line(body: bytes, values: int) -> bool:
    r"""Whether the ``values`` JSON objects that ``decode_lines`` found in ``body`` sit one a line.

    Every newline must close one object and open the next: ``}\n{`` (or ``}\r\n{``). In valid
    JSON a ``{`` cannot follow a ``}`` inside a value (a ``,``, ``]`` or ``}`` must come between),
    so each such newline separates two top-level values: none spans lines, and no line is blank.
    With as many values as lines, each line then holds exactly one. (A check of ``\n{`` alone
    would accept a line split inside a value when another line holds two values.)
    """
    data = np.frombuffer(body, dtype=np.uint8)
    ends = byte_positions(data, _NEWLINE)
    if values != len(ends) + 1 or data[0] != _OPEN or (len(ends) and ends[-1] == len(data) - 1):
        return False
    before = data[ends - 1]  # (a copy: the positions of a CRLF's "\r" are looked through)
    crlf = before == _RETURN
    before[crlf] = data[ends[crlf] - 2]  # data[0] is "{", so a "\r" is never at 0
    return bool((before == _CLOSE).all() and (data[ends + 1] == _OPEN).all())


_BYTE_IN_WORD = np.uint64(1) << (np.arange(8, dtype=np.uint64) * np.uint64(8))  # a flag at byte k of a word


def byte_positions(data: np.ndarray, byte: int) -> np.ndarray:
    """Where ``byte`` occurs in ``data`` (uint8), as ``np.flatnonzero(data == byte)`` but about 2x faster.

    ``flatnonzero`` walks a megabyte of flags one by one to find a thousand newlines; that was
    a tenth of the time per lm-eval file. Here the flags are read eight at a time as 64-bit
    words, and in a word holding one flag the flag's byte is found by value (a flag is 1, so the
    word is 256**k, little-endian). A word holding two (a blank line) sends the whole run to
    ``flatnonzero``, which is rare and gives the same answer.
    """
    flags = data == byte
    whole = len(flags) // 8 * 8
    words = flags[:whole].view("<u8")
    hit = np.flatnonzero(words != 0)
    values = words[hit]
    column = np.minimum(np.searchsorted(_BYTE_IN_WORD, values), 7)
    if not (_BYTE_IN_WORD[column] == values).all():
        return np.flatnonzero(flags)
    positions = hit * 8 + column
    tail = np.flatnonzero(flags[whole:])
    return np.concatenate([positions, tail + whole]) if len(tail) else positions
