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
