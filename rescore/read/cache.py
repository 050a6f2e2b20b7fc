"""The incremental cache (``--cache DIR``, ``RESCORE_CACHE``): a re-run reads only what changed.

Why per file: a leaderboard folder grows by a model at a time, and reading (parsing, deciding
outcomes) is nearly all of a run's cost, while merging and scoring the per-file results is cheap.
So each file's :class:`~rescore.read.per_file.FileResult` (counts mode: its outcome counts and
key hashes; item mode: its item table) is kept, and reused while nothing that made it changed.

An entry is one file in the cache folder, ``<slot>.rsc``. The *slot* is a hash of what the result
depends on besides the file's bytes: the path as given (it is written into the result), the
adapter and its version, rescore's version, every option that changes reading or outcomes (not
``--jobs``, the engine or the timeout), the configs in force and a ``--mapping`` file. The entry
records the file's *identity*, checked before use:

- a local file: size, mtime, ctime and inode, and a BLAKE2 hash of its bytes. When the stat
  fields all match, the file is not opened; when only they changed (a fresh CI checkout), the
  bytes are hashed and an equal hash is still a hit (the entry is then refreshed);
- a remote file: the ETag, version id, generation or blob id its store states (a store that states
  none is not cached: a size proves nothing);
- the companions the adapter read beside the file (lm-eval's results JSON, ...), the same way.

The entry is a zip (stored, not compressed) of ``meta.json`` and the tables as Parquet, keys as
``.npy`` (``allow_pickle=False``): nothing in it can run code when read. A corrupt entry, or a
foreign one (another format, slot or version) is ignored with a note, and rewritten after the
file is read again. Entries are written to a temporary file in the cache folder and moved into
place (``os.replace``), so two concurrent runs never see half an entry: the last one wins.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rescore.read import remote
from rescore.read.options import LoadOptions
from rescore.read.sources import SourceInfo

FORMAT = 1
SUFFIX = ".rsc"
PLAN_SUFFIX = ".rsp"  # the detection memo (DetectionMemo, below)
#: options that change where or how fast files are read, never what is read
_NOT_IN_KEY = frozenset({"jobs", "progress", "engine", "scheduler", "scheduler_timeout", "timeout", "cache"})
_HASH_BLOCK = 1 << 20


class BadEntry(Exception):
    """An entry that cannot be used: the reason goes into a note."""


def _version() -> str:
    from rescore.version import __version__

    return __version__


@lru_cache(maxsize=8)
def _configs_fingerprint(dirs: tuple[str, ...]) -> str:
    """A hash of every config file in force (abstention phrases, grade words, name maps...)."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in dirs:
        base = Path(folder)
        if not base.is_dir():
            continue
        for file in sorted(p for p in base.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(base)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def options_fingerprint(options: LoadOptions) -> dict[str, Any]:
    """Every option that changes what a file's result is, as JSON-able values."""
    from rescore.config import config_dirs

    chosen = {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name not in _NOT_IN_KEY}
    chosen["configs"] = _configs_fingerprint(tuple(str(d) for d in config_dirs()))
    if options.mapping and Path(options.mapping).is_file():
        chosen["mapping_file"] = hashlib.blake2b(Path(options.mapping).read_bytes(), digest_size=16).hexdigest()
    return chosen


def content_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def identity(path: Any) -> dict[str, Any] | None:
    """What identifies the file's present content without reading it (see the module docstring)."""
    if remote.is_remote(path):
        return remote.identity(path)
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns, "ino": stat.st_ino}


def _same(recorded: dict[str, Any], path: Any, current: dict[str, Any] | None) -> bool:
    """Whether ``path`` (now ``current``) is the file the entry was made from; may hash a local file."""
    if current is None or recorded.get("size") != current.get("size"):
        return False
    if remote.is_remote(path):
        return recorded == current
    if all(recorded.get(k) == current.get(k) for k in ("mtime_ns", "ctime_ns", "ino")):
        return True
    if "hash" not in current:
        current["hash"] = content_hash(Path(path))
    return recorded.get("hash") == current["hash"]


def _with_hash(path: Any, ident: dict[str, Any]) -> dict[str, Any]:
    if not remote.is_remote(path) and "hash" not in ident:
        ident["hash"] = content_hash(Path(path))
    return ident


# -- tables in and out of an entry ----------------------------------------------------------------
def _table_bytes(frame: pd.DataFrame) -> tuple[bytes, dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rescore.read.schema import as_string, is_text_category

    # categories of text (a columnar reader's labels) are kept as the strings they stand for: Parquet
    # would bring their categories back as another string dtype, and the loaded table's compact()
    # makes the categories again, as for any file
    texts = {c: as_string(frame[c]) for c in frame.columns if is_text_category(frame[c])}
    if texts:
        frame = frame.assign(**texts)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        raise BadEntry("a table with an index of its own")
    dtypes = {str(c): str(frame[c].dtype) for c in frame.columns}
    if len({str(c) for c in frame.columns}) != len(frame.columns) or not all(isinstance(c, str) for c in frame.columns):
        raise BadEntry("column names that are not distinct strings")
    layout = {"dtypes": dtypes, "columns": list(frame.columns), "rows": len(frame)}
    if frame.empty:  # most files have no counts-only table (and counts mode no item rows): no Parquet
        return b"", layout
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out, compression="zstd")
    return out.getvalue(), layout


_EMPTY_TABLES: dict[str, pd.DataFrame] = {}


def _table_from(data: bytes, layout: dict[str, Any]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    if layout["rows"] == 0:  # most entries' counts-only table (or item rows in counts mode): built once per layout
        key = json.dumps([layout["columns"], layout["dtypes"]])
        if key not in _EMPTY_TABLES:
            _EMPTY_TABLES[key] = pd.DataFrame({c: pd.Series(dtype=d) for c, d in layout["dtypes"].items()},
                                              columns=layout["columns"])
        return _EMPTY_TABLES[key].copy()
    # one thread: an entry is small, and Arrow's thread pool costs more than it saves on it
    frame = pq.read_table(io.BytesIO(data), use_threads=False, pre_buffer=False).to_pandas(use_threads=False)
    if list(frame.columns) != layout["columns"] or len(frame) != layout["rows"]:
        raise BadEntry("a table that does not match its description")
    present = {column: str(dtype) for column, dtype in frame.dtypes.items()}
    for column, dtype in layout["dtypes"].items():
        if dtype == "object":  # lists (choice log-likelihoods) come back as arrays
            frame[column] = pd.Series([v.tolist() if isinstance(v, np.ndarray) else v for v in frame[column]],
                                      dtype="object", index=frame.index)
        elif present[column] != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


@dataclass
class Lookup:
    """One planned file's cache state: its slot, its identity now, and the cached result if usable."""

    slot: str
    identity: dict[str, Any] | None
    hit: Any = None
    refresh: bool = False  # a hit whose stat fields changed: rewrite the entry with the new ones


@dataclass
class ResultCache:
    """A cache folder of per-file results (see the module docstring)."""

    folder: Path
    notes: list[str] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    writable: bool = True

    @classmethod
    def at(cls, folder: str | os.PathLike[str]) -> ResultCache:
        return cls(Path(folder).expanduser())

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def slot(self, path: Any, adapter: Any, options: LoadOptions) -> str:
        key = {"format": FORMAT, "rescore": _version(), "path": str(path), "adapter": adapter.name,
               "adapter_version": getattr(adapter, "version", ""), "options": options_fingerprint(options)}
        text = json.dumps(key, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def entry(self, slot: str) -> Path:
        return self.folder / f"{slot}{SUFFIX}"

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, path: Any, adapter: Any, options: LoadOptions) -> Lookup:
        slot = self.slot(path, adapter, options)
        current = identity(path)
        found = Lookup(slot, current)
        if current is None:
            return found
        entry = self.entry(slot)
        if not entry.is_file():
            return found
        try:
            with zipfile.ZipFile(entry) as archive:
                meta = self._meta(archive, slot)
                if not _same(meta["identity"], path, current):
                    return found
                for companion in meta["companions"]:
                    other = remote.as_path(companion["path"])
                    if not _same(companion["identity"], other, identity(other)):
                        return found
                found.hit = self._result(archive, meta, path, adapter, options)
        except (BadEntry, zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, EOFError) as exc:
            why = str(exc) if isinstance(exc, BadEntry) else f"{type(exc).__name__}: {exc}".splitlines()[0]
            self._note(f"cache entry {entry.name} ignored ({why}); the file was read again and the entry rewritten")
            return found
        found.refresh = any(meta["identity"].get(k) != current.get(k) for k in ("mtime_ns", "ctime_ns", "ino"))
        return found

    @staticmethod
    def _meta(archive: zipfile.ZipFile, slot: str) -> dict[str, Any]:
        try:
            meta = json.loads(archive.read("meta.json"))
        except KeyError:
            raise BadEntry("not a rescore cache entry") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise BadEntry(f"written in another format ({meta.get('format') if isinstance(meta, dict) else '?'})")
        if meta.get("slot") != slot or meta.get("rescore") != _version():
            raise BadEntry(f"a foreign entry (rescore {meta.get('rescore')}, another key)")
        return meta

    def _result(self, archive: zipfile.ZipFile, meta: dict[str, Any], path: Any, adapter: Any,
                options: LoadOptions) -> Any:
        from rescore.read.per_file import DeferredKeys, FileResult

        tables = {name: _table_from(archive.read(f"{name}.parquet"), layout)
                  for name, layout in meta["tables"].items()}
        keys: Any = None
        if meta["keys"] == "array":
            keys = np.load(io.BytesIO(archive.read("keys.npy")), allow_pickle=False)
        elif meta["keys"] == "deferred":
            keys = DeferredKeys(remote.path_token(path), adapter.name, options)
        info = SourceInfo(**meta["info"])
        return FileResult(info=info, items=tables["items"], counts=tables["counts"],
                          item_counts=tables.get("item_counts"), item_keys=keys)

    # -- writing -----------------------------------------------------------------------------
    def store(self, found: Lookup, path: Any, result: Any) -> None:
        """Keep ``result`` under ``found.slot`` (atomically); a result that cannot be kept is just not kept."""
        if not self.writable or found.identity is None or result.error is not None:
            return
        try:
            meta, members = self._encode(found, path, result)
        except (BadEntry, OSError, TypeError, ValueError) as exc:
            self._note(f"{path}: not cached ({exc})".splitlines()[0])
            return
        except Exception as exc:  # an Arrow conversion of an odd column: the run goes on uncached
            self._note(f"{path}: not cached ({type(exc).__name__}: {exc})".splitlines()[0])
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX + ".part", dir=self.folder)
        except OSError as exc:
            self.writable = False
            self._note(f"cache folder {self.folder} is not writable ({exc.strerror or exc}); results not cached")
            return
        try:
            with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr("meta.json", json.dumps(meta, sort_keys=True))
                for name, data in members.items():
                    archive.writestr(name, data)
            os.replace(tmp, self.entry(found.slot))
        except OSError as exc:
            self._note(f"cache entry for {path} not written ({exc.strerror or exc})")
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _encode(self, found: Lookup, path: Any, result: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
        assert found.identity is not None
        members: dict[str, bytes] = {}
        layouts: dict[str, Any] = {}
        tables = {"items": result.items, "counts": result.counts}
        if result.item_counts is not None:
            tables["item_counts"] = result.item_counts
        for name, frame in tables.items():
            members[f"{name}.parquet"], layouts[name] = _table_bytes(frame)
        keys = result.item_keys
        if isinstance(keys, np.ndarray):
            buffer = io.BytesIO()
            np.save(buffer, keys, allow_pickle=False)
            members["keys.npy"] = buffer.getvalue()
            kind = "array"
        elif keys is None:
            kind = "none"
        elif type(keys).__name__ == "DeferredKeys":
            kind = "deferred"
        else:
            raise BadEntry(f"key hashes of type {type(keys).__name__}")
        companions = []
        for companion in result.info.companions:
            other = remote.as_path(companion)
            ident = identity(other)
            if ident is None:
                raise BadEntry(f"companion {companion} has no identity")
            companions.append({"path": companion, "identity": _with_hash(other, ident)})
        info = dataclasses.asdict(result.info)
        json.dumps(info)  # a value JSON cannot hold: TypeError, not cached
        meta = {"format": FORMAT, "slot": found.slot, "rescore": _version(), "path": str(path),
                "identity": _with_hash(path, dict(found.identity)), "companions": companions, "info": info,
                "tables": layouts, "keys": kind}
        return meta, members


def cached_results(chosen: Sequence[tuple[Any, Any]], options: LoadOptions,
                   read: Callable[[list[tuple[Any, Any]]], Iterator[Any]], cache: ResultCache) -> Iterator[Any]:
    """Each planned file's result in plan order: from ``cache`` where it holds a valid entry, else
    from ``read`` (an engine's ``map_files`` over the files not cached), stored as they arrive."""
    found = [cache.lookup(path, adapter, options) for path, adapter in chosen]
    todo = [pair for pair, state in zip(chosen, found, strict=True) if state.hit is None]
    for (path, _adapter), state in zip(chosen, found, strict=True):
        if state.hit is None and state.identity is not None:  # hashed before reading: a file changed while
            _with_hash(path, state.identity)                    # being read is read again next time
    cache.hits, cache.misses = len(chosen) - len(todo), len(todo)
    fresh = read(todo) if todo else iter(())
    for (path, _adapter), state in zip(chosen, found, strict=True):
        if state.hit is not None:
            if state.refresh:
                cache.store(state, path, state.hit)
            yield state.hit
            continue
        result = next(fresh)
        cache.store(state, path, result)
        yield result


def cache_folder(option: str | None) -> Path | None:
    """The cache folder from ``--cache`` (or the library's ``cache=``), else ``RESCORE_CACHE``, else none."""
    chosen = option or os.environ.get("RESCORE_CACHE") or None
    return Path(chosen).expanduser() if chosen else None


@dataclass
class CacheSummary:
    folder: str
    entries: int
    bytes: int
    by_version: dict[str, int]
    unreadable: int
    partial: int


def summary(folder: Path) -> CacheSummary:
    """What ``rescore cache info`` shows: entries, their size, and the rescore versions that wrote them."""
    entries = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    by_version: dict[str, int] = {}
    unreadable = 0
    for entry in entries:
        try:
            with zipfile.ZipFile(entry) as archive:
                version = str(json.loads(archive.read("meta.json")).get("rescore"))
        except (zipfile.BadZipFile, OSError, KeyError, ValueError, AttributeError):
            unreadable += 1
            continue
        by_version[version] = by_version.get(version, 0) + 1
    partial = len(list(folder.glob(f".tmp-*{SUFFIX}.part"))) if folder.is_dir() else 0
    return CacheSummary(str(folder), len(entries), sum(e.stat().st_size for e in entries), by_version, unreadable,
                        partial)


def clear(folder: Path) -> int:
    """Delete the cache's own files (entries and leftover temporary files) and nothing else; how many."""
    if not folder.is_dir():
        return 0
    removed = 0
    for file in [*folder.glob(f"*{SUFFIX}"), *folder.glob(f".tmp-*{SUFFIX}.part"),
                 *folder.glob(f"detect-*{PLAN_SUFFIX}"), *folder.glob(f".tmp-*{PLAN_SUFFIX}.part")]:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
            removed += 1
    return removed


# -- planning: which adapter reads a file, remembered ------------------------------------------------
class DetectionMemo:
    """What planning learnt about each file, so that a re-run over unchanged files does not open
    them just to plan (issue 21: a cached re-run reads only what changed; for a remote file each
    sniffed head is a request).

    Planning asks every adapter's ``skip_reason``, picks the adapter by ``detect`` and, in a folder
    walk, asks that adapter's ``walk_skip_reason``; most of these read the file's head. One JSON
    file per rescore version, set of adapters and configs (``detect-<key>.rsp``) keeps, per path,
    what the file was (its stat fields, or the ETag its store states; no content hash: sniffing a
    head again costs less than hashing) and the answers that depend on the file alone:

    - ``detect``: the built-in adapters look at the file alone; with a third-party adapter
      installed, which might look beside the file, the folder's listing (names, sizes, mtimes) is
      checked too;
    - ``skip_reason`` of the adapters whose class says ``skip_reason_is_local = True``; the others
      look at neighbouring files (lm-eval's samples beside a results file, HLE, HELM, HalluLens,
      SimpleQA, OpenCompass) and are asked each time;
    - ``walk_skip_reason`` per set of options (it depends on the column flags and mapping).

    A file that changed in any way is asked again. A detection during which an adapter raised is
    not remembered, so the note about that adapter comes on every run. Written atomically (a
    temporary file moved into place, the last run wins); a corrupt memo is ignored.
    """

    def __init__(self, folder: Path) -> None:
        from rescore.config import config_dirs
        from rescore.read.plugins import all_adapters

        key = json.dumps({"format": FORMAT, "rescore": _version(),
                          "adapters": [[a.name, str(getattr(a, "version", "")), type(a).__module__]
                                       for a in all_adapters()],
                          "configs": _configs_fingerprint(tuple(str(d) for d in config_dirs()))}, sort_keys=True)
        self.path = folder / f"detect-{hashlib.sha256(key.encode()).hexdigest()[:24]}{PLAN_SUFFIX}"
        self.entries: dict[str, Any] = {}
        self.changed = False
        self._folders: dict[str, str | None] = {}
        self._current: dict[str, dict[str, Any]] = {}  # entries checked against their file in this run
        self._neighbours = any(not type(a).__module__.startswith("rescore.adapters.") for a in all_adapters())
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and isinstance(loaded.get("files"), dict):
                self.entries = loaded["files"]

    def _folder_print(self, folder: Any) -> str | None:
        """A hash of the folder's listing (names, sizes, mtimes), once per folder and run."""
        shown = str(folder)
        if shown not in self._folders:
            digest = hashlib.blake2b(digest_size=16)
            try:
                if remote.is_remote(folder):
                    rows = sorted((str(i.get("name")), i.get("size"), str(i.get("mtime") or i.get("LastModified")
                                                                          or i.get("ETag") or ""))
                                  for i in folder.fs.ls(folder.url, detail=True))
                else:
                    rows = []
                    with os.scandir(folder) as entries:
                        for entry in entries:
                            try:
                                stat = entry.stat()
                                rows.append((entry.name, stat.st_size, stat.st_mtime_ns))
                            except OSError:  # a dangling link, say: its name is enough
                                rows.append((entry.name, -1, 0))
                    rows.sort()
                digest.update(json.dumps(rows, default=str).encode())
                self._folders[shown] = digest.hexdigest()
            except Exception:  # an unlistable folder or store: detect as usual, remember nothing
                self._folders[shown] = None
        return self._folders[shown]

    def _state(self, path: Any) -> dict[str, Any] | None:
        try:
            ident = identity(path)
        except Exception:  # an unreachable remote file: detection raises the named error itself
            return None
        folder = self._folder_print(path.parent) if ident is not None and self._neighbours else ""
        return None if ident is None or folder is None else {"identity": ident, "folder": folder}

    def _entry(self, path: Any) -> dict[str, Any]:
        """The memo's entry for ``path`` if it still describes the file, else a new empty one (kept
        only when the file has an identity); checked once per path and run."""
        shown = str(path)
        if shown in self._current:
            return self._current[shown]
        state = self._state(path)
        recorded = self.entries.get(shown)
        if state is None:
            entry: dict[str, Any] = {}
        elif isinstance(recorded, dict) and recorded.get("identity") == state["identity"] \
                and recorded.get("folder") == state["folder"]:
            entry = recorded
        else:
            entry = self.entries[shown] = dict(state)
            self.changed = True
        self._current[shown] = entry
        return entry

    def _learn(self, entry: dict[str, Any], key: str, value: Any) -> None:
        entry[key] = value
        if "identity" in entry:
            self.changed = True

    @staticmethod
    def _local_skip_reason(adapter: Any) -> bool:
        """Whether ``adapter.skip_reason`` looks at the file alone: the class that defines it says so
        (``skip_reason_is_local = True`` beside it); several look at neighbouring files instead
        (lm-eval's results beside its samples, HLE, HELM, OpenCompass), and those run each time."""
        for cls in type(adapter).__mro__:
            if "skip_reason" in vars(cls):
                return vars(cls).get("skip_reason_is_local") is True
        return False

    def skip_reason(self, path: Any, adapters: Sequence[Any]) -> str | None:
        """The first adapter's reason to pass ``path`` over (as :func:`plan` asks it), each answer of
        an adapter whose ``skip_reason`` looks at the file alone remembered."""
        entry = self._entry(path)
        for adapter in adapters:
            if not self._local_skip_reason(adapter):
                why = adapter.skip_reason(path)
            elif (key := f"skip:{adapter.name}") in entry:
                why = entry[key] or None
            else:
                why = adapter.skip_reason(path)
                self._learn(entry, key, why or "")
            if why:
                return why
        return None

    def detect(self, path: Any) -> Any:
        """The adapter for ``path``: from the memo while the file is unchanged, else from
        :func:`rescore.read.plugins.detect` (and remembered)."""
        from rescore.read import plugins

        entry = self._entry(path)
        if "adapter" in entry:
            name = entry["adapter"]
            if name == "":
                return None
            found = next((a for a in plugins.all_adapters() if a.name == name), None)
            if found is not None:
                return found
        broken_before = dict(plugins._broken)
        adapter = plugins.detect(path)
        if plugins._broken == broken_before:
            self._learn(entry, "adapter", adapter.name if adapter is not None else "")
        return adapter

    def walk_skip_reason(self, path: Any, options: LoadOptions, ask: Callable[[Any, LoadOptions], str | None]
                         ) -> str | None:
        """``ask(path, options)`` (an adapter's ``walk_skip_reason``, which may read the file's head),
        remembered per set of options beside the adapter :meth:`detect` picked for ``path``."""
        entry = self._entry(path)
        key = "walk:" + hashlib.sha256(json.dumps(options_fingerprint(options), sort_keys=True, default=repr)
                                       .encode()).hexdigest()[:24]
        if key in entry:
            return entry[key] or None
        why = ask(path, options)
        self._learn(entry, key, why or "")
        return why

    def save(self) -> None:
        """Write the memo (atomically) when it learnt something; a folder that cannot be written is left alone."""
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=PLAN_SUFFIX + ".part", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": FORMAT, "rescore": _version(), "files": self.entries}, handle, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
