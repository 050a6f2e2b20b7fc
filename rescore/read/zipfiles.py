"""Read zip members in memory, safely, including zstd members (method 93).

Why not ``zipfile.ZipFile.read``: inspect_ai >= 0.3.2xx writes ``.eval`` logs whose members are
compressed with zstd (zip method 93), which the standard library only reads from Python 3.14 on.
Here the central directory still comes from :mod:`zipfile` (it gives each member's offset and
sizes); a zstd member is decompressed from its raw bytes with :mod:`zstandard` (already a
dependency) and checked against the CRC-32 the archive declares.

Safety: nothing is ever written to disk. Before any member is decompressed, its *declared*
uncompressed size is checked against a per-member limit and the sum over the members we will
read against a total limit, so a zip bomb is refused up front; while decompressing, output is
capped at the declared size, so an archive that lies about its sizes is refused too.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from rescore.errors import InputError
from rescore.read.remote import arrow_source

MAX_MEMBER_BYTES = 512 * 1024 * 1024  # one sample / header; real ones are KBs to a few MB
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024  # all members read from one archive
ZSTD_METHOD = 93
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CHUNK = 1 << 20


class SafeZip:
    """A read-only view of one zip archive that hands out member bytes with size limits.

    ``names`` lists the members; :meth:`read` returns one member's bytes. :meth:`check_sizes`
    must be called with the members the caller intends to read before reading them.
    """

    def __init__(self, path: Path, *, max_member: int | None = None, max_total: int | None = None) -> None:
        self.path = path
        self.max_member = MAX_MEMBER_BYTES if max_member is None else max_member
        self.max_total = MAX_TOTAL_BYTES if max_total is None else max_total
        try:
            self._zip = zipfile.ZipFile(arrow_source(path))  # a remote archive: members read by range
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(f"not a readable zip archive ({exc})", path=str(path)) from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if info.filename in self._infos:  # which copy counts is up to the reader: refuse to guess (issue 17)
                self._zip.close()
                raise InputError("the zip archive holds this member twice (a tampered or badly merged archive)",
                                 path=str(path), field=info.filename)
            self._infos[info.filename] = info
        self._read_total = 0

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_sizes(self, names: Iterable[str]) -> None:
        """Refuse, before unpacking anything, members whose declared sizes exceed the limits."""
        total = 0
        for name in names:
            info = self._infos[name]
            if info.file_size > self.max_member:
                raise InputError(
                    f"zip member declares {info.file_size} bytes uncompressed, over the {self.max_member}-byte "
                    "limit per member (refusing a possible zip bomb)",
                    path=str(self.path), field=name)
            total += info.file_size
        if total > self.max_total:
            raise InputError(
                f"zip members declare {total} bytes uncompressed in all, over the {self.max_total}-byte limit "
                "(refusing a possible zip bomb)", path=str(self.path))

    def read(self, name: str) -> bytes:
        """One member's bytes, decompressed in memory (deflate/stored via zipfile, zstd here)."""
        info = self._infos.get(name)
        if info is None:
            raise InputError("zip member missing", path=str(self.path), field=name)
        self.check_sizes([name])
        self._read_total += info.file_size
        if self._read_total > self.max_total:
            raise InputError(f"zip members exceed the {self.max_total}-byte total limit (refusing a possible zip bomb)",
                             path=str(self.path), field=name)
        try:
            if info.compress_type == ZSTD_METHOD:
                data = self._read_zstd(info)
            else:
                with self._zip.open(info) as handle:
                    data = handle.read(info.file_size + 1)
        except InputError:
            raise
        except NotImplementedError as exc:
            raise InputError(f"unsupported zip compression method {info.compress_type} ({exc})",
                             path=str(self.path), field=name) from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError) as exc:
            raise InputError(f"corrupt or truncated zip member ({exc})", path=str(self.path), field=name) from None
        if len(data) != info.file_size:
            raise InputError(f"zip member has {len(data)} bytes, but the archive declares {info.file_size}",
                             path=str(self.path), field=name)
        return data

    def _read_zstd(self, info: zipfile.ZipInfo) -> bytes:
        import zstandard

        fp = self._zip.fp
        if fp is None:  # pragma: no cover - the archive is open for the object's lifetime
            raise InputError("zip archive is closed", path=str(self.path))
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise InputError("bad local file header (truncated or corrupt zip)", path=str(self.path),
                             field=info.filename)
        name_len, extra_len = _LOCAL_HEADER.unpack(header)[9:11]
        fp.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        compressed = fp.read(info.compress_size)
        if len(compressed) != info.compress_size:
            raise InputError("zip member is truncated", path=str(self.path), field=info.filename)
        limit = info.file_size
        out = bytearray()
        try:
            # stream_reader.read(n) never returns more than n bytes, so a bomb cannot inflate past the cap
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(compressed), read_across_frames=True) as reader:
                while True:
                    chunk = reader.read(min(_CHUNK, limit + 1 - len(out)) or 1)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > limit:
                        raise InputError(f"zstd member inflates beyond its declared {limit} bytes",
                                         path=str(self.path), field=info.filename)
        except zstandard.ZstdError as exc:
            raise InputError(f"corrupt zstd member ({exc})", path=str(self.path), field=info.filename) from None
        data = bytes(out)
        if zlib.crc32(data) & 0xFFFFFFFF != info.CRC:
            raise InputError("zstd member fails its CRC-32 check (corrupt zip)", path=str(self.path),
                             field=info.filename)
        return data


def is_zip(head: bytes) -> bool:
    """Cheap sniff: a zip's first local header (or an empty archive's end record)."""
    return head[:4] in (_LOCAL_SIGNATURE, b"PK\x05\x06")


def zip_names(path: Path) -> list[str] | None:
    """Member names from the central directory (no decompression), or None if not a readable zip.

    Detection asks this of every zip in a folder, and :class:`zipfile.ZipFile` builds a ZipInfo per
    member (16 ms for a 5,000-sample ``.eval``, a tenth of a 20-log run) only to be thrown away. A
    plain archive's names come from :func:`_lean_names` instead; anything it does not vouch for
    (zip64, a comment, extra fields, damage) goes to :mod:`zipfile`, so the verdict and the names
    are zipfile's own.
    """
    source = arrow_source(path)
    try:
        with source.open("rb") if isinstance(source, Path) else source as handle:
            names = _lean_names(handle)
            if names is None:
                with zipfile.ZipFile(handle) as archive:
                    names = archive.namelist()
            return names
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None


_END = struct.Struct("<4s8xIIH")  # end of central directory: signature, directory size, offset, comment length
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_CENTRAL = struct.Struct("<4s2xBxH18xHHH")  # signature, extract version, flags, name/extra/comment lengths
_CENTRAL_SIZE = 46
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_UTF8_NAME = 0x800
_MAX_EXTRACT_VERSION = 63  # zipfile refuses newer (NotImplementedError)


def _lean_names(handle: BinaryIO) -> list[str] | None:
    """The member names of a plain archive, read as :mod:`zipfile` reads them but without a ZipInfo
    per member; None when the archive is not plain or not sound, for :mod:`zipfile` to judge.

    Plain: the end record last with no comment, no zip64 locator before it, and a central
    directory of whole entries without extra fields (which zipfile interprets, per Python version,
    even renaming a member from its 0x7075 field). Names decode as zipfile's do: UTF-8 when flag
    bit 11 says so, else cp437, cut at a NUL, ``os.sep`` turned into ``/``.
    """
    size = handle.seek(0, io.SEEK_END)
    if size < _ZIP64_LOCATOR_SIZE + _END.size:  # room for the end record and a zip64 locator before it
        return None
    handle.seek(size - _ZIP64_LOCATOR_SIZE - _END.size)
    tail = handle.read(_ZIP64_LOCATOR_SIZE + _END.size)
    if len(tail) != _ZIP64_LOCATOR_SIZE + _END.size:
        return None
    signature, dir_size, _, comment_length = _END.unpack_from(tail, _ZIP64_LOCATOR_SIZE)
    if signature != b"PK\x05\x06" or comment_length or tail[:4] == _ZIP64_LOCATOR:
        return None
    start = size - _END.size - dir_size  # what zipfile takes too: prefixed data shifts the offsets, not this
    if start < 0:
        return None
    handle.seek(start)
    directory = handle.read(dir_size)
    if len(directory) != dir_size:
        return None
    return _central_names(directory)


def _central_names(directory: bytes) -> list[str] | None:
    """Each entry's name from a central directory's bytes, or None at the first entry zipfile would
    refuse or read differently (bad signature, cut short, extra field, unknown version, bad UTF-8)."""
    raw: list[bytes] = []
    utf8: list[bool] = []
    unpack = _CENTRAL.unpack_from
    end = len(directory)
    pos = 0
    while pos < end:
        if pos + _CENTRAL_SIZE > end:
            return None
        signature, version, flags, name_length, extra_length, comment_length = unpack(directory, pos)
        start = pos + _CENTRAL_SIZE
        pos = start + name_length + extra_length + comment_length
        if signature != _CENTRAL_SIGNATURE or extra_length or version > _MAX_EXTRACT_VERSION or pos > end:
            return None
        raw.append(directory[start:start + name_length])
        utf8.append(bool(flags & _UTF8_NAME))
    return _decoded_names(raw, utf8)


def _decoded_names(raw: list[bytes], utf8: list[bool]) -> list[str] | None:
    """Names as :class:`zipfile.ZipInfo` keeps them: UTF-8 when the entry's flag says so, else cp437,
    cut at a NUL, ``os.sep`` turned into ``/``; None for bad UTF-8 (zipfile raises).

    Per-name decoding is most of the scan's time, so names that are all ASCII without NUL (both
    codecs agree on them; every real log's) decode in one call, NUL as the separator."""
    joined = b"\x00".join(raw)
    if raw and joined.isascii() and joined.count(0) == len(raw) - 1:
        names = joined.decode("ascii").split("\x00")
    else:
        try:
            names = [name.decode("utf-8" if flag else "cp437").split("\x00", 1)[0]
                     for name, flag in zip(raw, utf8, strict=True)]
        except UnicodeDecodeError:
            return None
    if os.sep != "/":  # pragma: no cover - Windows
        names = [name.replace(os.sep, "/") for name in names]
    return names
