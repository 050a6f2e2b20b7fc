"""Any fsspec URL as an input PATH: ``hf://``, ``s3://``, ``gs://``, ``az://``, ``https://``, ``memory://``...

Why a path object of our own: every adapter reads its file through the small part of the
:class:`pathlib.Path` API that a local file offers (``open``, ``name``, ``suffix``, ``parent /
"results.json"``, ``is_file``, ``glob``...), and looks for companion files beside it. A
:class:`RemotePath` offers that same part on top of an fsspec filesystem, so an adapter reads a
bucket or a Hub dataset without knowing it: the walk (:func:`walk`) yields ``RemotePath`` objects
instead of ``Path`` ones, and everything downstream is unchanged.

What this module guarantees:

- reading is by range: :meth:`RemotePath.open` returns fsspec's buffered random-access file
  (small blocks), so sniffing a file's head fetches a block, Parquet reads its footer and the
  column chunks asked for, and a zip (``.eval``) its central directory and the members read;
- every call that reaches the network is bounded: ``--timeout`` seconds per request (HTTP and
  S3; the other filesystems use their own settings), :data:`RETRIES` retries with a short
  backoff, then one :class:`~rescore.errors.InputError` line (exit 3), never a hang;
- a missing filesystem package is one line naming the extra (``pip install "rescore[remote]"``);
- credentials come from each filesystem's own environment and config; a URL is *shown* (in
  messages, sources and provenance) without user info or query string (:func:`clean_url`); the
  full URL travels only to the code that opens it (:func:`path_token`).

Only the read stage imports this; fsspec itself is imported when a URL is first met, so local
runs never pay for it.
"""

from __future__ import annotations

import glob as _glob
import io
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from rescore.errors import InputError, UsageError

REMOTE_EXTRA = 'pip install "rescore[remote]"'
#: retries after a failed request (so 1 + RETRIES tries in all), with a backoff of 0.25 s, 0.5 s, ...
RETRIES = 2
DEFAULT_TIMEOUT = 30.0
#: fsspec's read block: a head sniff or a Parquet footer fetches about this much, not the file
BLOCK_BYTES = 128 * 1024

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]+)://")
_GLOB_CHARS = re.compile(r"[*?\[]")
# the package each filesystem needs (fsspec's own ImportError says it in its own words)
_PACKAGE = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
            "abfss": "adlfs", "adl": "adlfs", "hf": "huggingface_hub", "http": "aiohttp", "https": "aiohttp"}
_settings = {"timeout": DEFAULT_TIMEOUT}
T = TypeVar("T")


class RemoteError(InputError):
    """A remote file could not be reached or read (after retries): never taken for "not this format"."""


def configure(timeout: float | None) -> None:
    """Set the per-request timeout (seconds) for filesystems opened from now on, in this process.

    Workers call it too (:func:`rescore.read.per_file.read_one`), from the options they receive.
    """
    if timeout is not None and timeout > 0:
        _settings["timeout"] = float(timeout)


def is_url(raw: Any) -> bool:
    """True for ``scheme://...`` (two letters or more: ``C://`` is no URL) and for a :class:`RemotePath`."""
    return isinstance(raw, RemotePath) or (isinstance(raw, str) and _URL.match(raw) is not None)


def clean_url(url: str) -> str:
    """``url`` without user info, query string or fragment: what may be shown and written down.

    A presigned URL's signature or a ``user:password@`` never reaches a message, a source
    column or a provenance record.
    """
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _redact(text: str) -> str:
    """Strip user info and query strings from any URL inside an error text (exception messages quote URLs)."""
    text = re.sub(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@'\"]*@", r"\1", text)
    return re.sub(r"(://[^\s'\"?]*)\?[^\s'\"]*", r"\1", text)


def _missing(protocol: str, exc: Exception | None = None) -> UsageError:
    package = _PACKAGE.get(protocol)
    needs = f"fsspec and {package}" if package else "fsspec"
    return UsageError(f"reading {protocol}:// paths needs {needs}: {REMOTE_EXTRA}")


def filesystem(protocol: str) -> Any:
    """The fsspec filesystem for ``protocol`` (instances are cached by fsspec), with our timeouts."""
    try:
        import fsspec
    except ImportError:
        raise _missing(protocol) from None
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        raise _missing(protocol, exc) from None
    except ValueError:
        raise UsageError(f"{protocol}:// is not a filesystem fsspec knows (an input PATH is a file, a folder "
                         "or an fsspec URL such as s3://, gs://, hf://, https://)") from None
    timeout = _settings["timeout"]
    kwargs: dict[str, Any] = {}
    if protocol in ("http", "https"):
        import aiohttp

        kwargs["client_kwargs"] = {"timeout": aiohttp.ClientTimeout(total=None, sock_connect=timeout,
                                                                   sock_read=timeout)}
    elif protocol in ("s3", "s3a"):
        kwargs["config_kwargs"] = {"connect_timeout": timeout, "read_timeout": timeout}
    try:
        return fsspec.filesystem(protocol, **kwargs)
    except ImportError as exc:
        raise _missing(protocol, exc) from None


def _transient() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [OSError, TimeoutError]
    try:
        import aiohttp

        kinds.append(aiohttp.ClientError)
    except ImportError:
        pass
    return tuple(kinds)


def retrying(what: str, shown: str, call: Callable[[], T]) -> T:
    """``call()``, retried :data:`RETRIES` times on a network failure, then one InputError line.

    A missing file and a refused permission are answers, not failures: they are not retried.
    """
    transient = _transient()
    tries = RETRIES + 1
    last: BaseException | None = None
    for attempt in range(tries):
        try:
            return call()
        except (InputError, UsageError):
            raise
        except FileNotFoundError as exc:
            # fsspec's HTTP filesystem says "not found" for any failed HEAD (a 500, a timeout): the
            # cause tells a real 404 from a failure worth retrying
            cause = exc.__cause__
            if cause is None or isinstance(cause, FileNotFoundError) or getattr(cause, "status", None) in (404, 410):
                raise RemoteError("file not found", path=shown) from None
            last = cause
            if attempt + 1 < tries:
                time.sleep(0.25 * 2 ** attempt)
        except PermissionError as exc:
            raise RemoteError(f"permission denied ({_redact(str(exc))}); credentials come from the "
                             "filesystem's usual environment and config", path=shown) from None
        except transient as exc:
            last = exc
            if attempt + 1 < tries:
                time.sleep(0.25 * 2 ** attempt)
    reason = _redact(f"{type(last).__name__}: {last}".splitlines()[0]) if last is not None else "unknown"
    raise RemoteError(f"cannot {what} ({reason}) after {tries} tries, {_settings['timeout']:g} s timeout each "
                     "(--timeout)", path=shown)


class RemoteStat(NamedTuple):
    """What :meth:`RemotePath.stat` knows: the size, and the modification time where the store gives one."""

    st_size: int
    st_mtime: float

    @property
    def st_mtime_ns(self) -> int:
        return int(self.st_mtime * 1e9)


class RemotePath:
    """A file or folder behind an fsspec URL, with the part of the ``pathlib.Path`` API adapters use.

    ``str()`` is the URL as shown (:func:`clean_url`); the full URL (a presigned query, say) is
    kept for opening and handed to workers by :func:`path_token`.
    """

    __slots__ = ("_posix", "_prefix", "_query", "_slash", "protocol")

    def __init__(self, url: str | RemotePath) -> None:
        if isinstance(url, RemotePath):
            self.protocol, self._prefix, self._posix, self._query = url.protocol, url._prefix, url._posix, url._query
            self._slash = url._slash
            return
        match = _URL.match(url)
        if match is None:
            raise ValueError(f"not a URL: {url!r}")
        self.protocol = match.group("scheme").lower()
        if self.protocol in ("http", "https"):
            parts = urlsplit(url)
            self._prefix = f"{parts.scheme}://{parts.netloc}"
            self._posix = PurePosixPath(parts.path or "/")
            self._query = f"?{parts.query}" if parts.query else ""
            self._slash = parts.path.endswith("/") and parts.path != "/"
        else:
            fs = filesystem(self.protocol)
            self._prefix = f"{self.protocol}://"
            self._posix = PurePosixPath(str(fs._strip_protocol(url)).lstrip("/") or ".")
            self._query = ""
            self._slash = False

    @classmethod
    def _make(cls, protocol: str, prefix: str, posix: PurePosixPath, query: str = "",
              slash: bool = False) -> RemotePath:
        new = cls.__new__(cls)
        new.protocol, new._prefix, new._posix, new._query, new._slash = protocol, prefix, posix, query, slash
        return new

    def _with(self, posix: PurePosixPath) -> RemotePath:
        return RemotePath._make(self.protocol, self._prefix, posix)

    # -- the URL ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The full URL, for opening only (it may carry a query string: never show it)."""
        return self._location() + self._query

    def _location(self) -> str:
        path = str(self._posix)
        if self._prefix.endswith("://"):
            return self._prefix + ("" if path == "." else path)
        return self._prefix + path + ("/" if self._slash else "")

    def __str__(self) -> str:
        return clean_url(self._location())

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and self.url == other.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: RemotePath) -> bool:
        return self.url < other.url

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemotePath._make, (self.protocol, self._prefix, self._posix, self._query, self._slash))

    # -- pure path operations (as pathlib's) ----------------------------------------------------
    @property
    def name(self) -> str:
        return self._posix.name

    @property
    def suffix(self) -> str:
        return self._posix.suffix

    @property
    def suffixes(self) -> list[str]:
        return self._posix.suffixes

    @property
    def stem(self) -> str:
        return self._posix.stem

    @property
    def parts(self) -> tuple[str, ...]:
        return self._posix.parts

    @property
    def parent(self) -> RemotePath:
        parent = self._posix.parent
        return self if str(parent) in (".", str(self._posix)) else self._with(parent)

    @property
    def parents(self) -> tuple[RemotePath, ...]:
        return tuple(self._with(p) for p in self._posix.parents if str(p) not in (".",))

    def __truediv__(self, other: str) -> RemotePath:
        return self._with(self._posix / str(other))

    def joinpath(self, *others: str) -> RemotePath:
        return self._with(self._posix.joinpath(*map(str, others)))

    def with_name(self, name: str) -> RemotePath:
        return self._with(self._posix.with_name(name))

    def with_suffix(self, suffix: str) -> RemotePath:
        return self._with(self._posix.with_suffix(suffix))

    def relative_to(self, other: RemotePath) -> PurePosixPath:
        if not isinstance(other, RemotePath) or other._prefix != self._prefix:
            raise ValueError(f"{self} is not under {other}")
        return self._posix.relative_to(other._posix)

    def match(self, pattern: str) -> bool:
        return self._posix.match(pattern)

    def as_posix(self) -> str:
        return str(self)

    def is_absolute(self) -> bool:
        return True

    def resolve(self, strict: bool = False) -> RemotePath:
        return self

    def expanduser(self) -> RemotePath:
        return self

    # -- the filesystem ---------------------------------------------------------------------
    @property
    def fs(self) -> Any:
        return filesystem(self.protocol)

    def _from_fs(self, found: str) -> RemotePath:
        """A path fsspec listed (stripped of its protocol, or a full URL for HTTP) as a RemotePath."""
        if self.protocol in ("http", "https"):
            parts = urlsplit(found)
            return RemotePath._make(self.protocol, f"{parts.scheme}://{parts.netloc}", PurePosixPath(parts.path),
                                    slash=parts.path.endswith("/") and parts.path != "/")
        return self._with(PurePosixPath(str(found).lstrip("/") or "."))

    def info(self) -> dict[str, Any]:
        """fsspec's ``info`` (size, type, and ETag/version where the store has one), retried."""
        return retrying("reach the file", str(self), lambda: self.fs.info(self.url))

    def stat(self) -> RemoteStat:
        info = self.info()
        mtime = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
        return RemoteStat(int(info.get("size") or 0), mtime.timestamp() if hasattr(mtime, "timestamp")
                          else float(mtime or 0))

    def _http_info(self) -> dict[str, Any] | None:
        """An HTTP URL's HEAD answer, or None for a 404: fsspec's own ``exists``/``isfile`` send a GET
        of the whole file."""
        try:
            return self.info()
        except RemoteError as exc:
            if exc.reason == "file not found":
                return None
            raise

    def exists(self) -> bool:
        if self.protocol in ("http", "https"):
            return self._slash or self._http_info() is not None
        return bool(retrying("reach the file", str(self), lambda: self.fs.exists(self.url)))

    def is_file(self) -> bool:
        if self.protocol in ("http", "https"):
            return not self._slash and self._http_info() is not None
        return bool(retrying("reach the file", str(self), lambda: self.fs.isfile(self.url)))

    def is_dir(self) -> bool:
        if self.protocol in ("http", "https"):  # a listing is an HTML page: only a trailing slash says "folder"
            return self._location().endswith("/")
        return bool(retrying("reach the folder", str(self), lambda: self.fs.isdir(self.url)))

    def open(self, mode: str = "rb", encoding: str | None = None, errors: str | None = None,
             newline: str | None = None, *, exact: bool = False) -> Any:
        """A random-access file read by ranges (fsspec's buffered file, small blocks); text modes wrap it.

        ``exact``: each read fetches exactly its range, nothing ahead (for Parquet: pyarrow asks for
        the column chunks it wants and buffers them itself; a read-ahead block would fetch the
        unwanted columns lying between them).
        """
        if any(c in mode for c in "wax+"):
            raise UsageError(f"{self}: rescore never writes to its inputs")
        if exact:
            return retrying("open the file", str(self), lambda: self.fs.open(self.url, "rb", cache_type="none"))
        handle = retrying("open the file", str(self),
                          lambda: self.fs.open(self.url, "rb", block_size=BLOCK_BYTES))
        # fsspec's file lacks parts of io's API (readline(size), peek): io's buffer supplies them
        buffered = io.BufferedReader(handle, buffer_size=64 * 1024)
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding=encoding or "utf-8", errors=errors, newline=newline)

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            return bytes(handle.read())

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def iterdir(self) -> Iterator[RemotePath]:
        listed = retrying("list the folder", str(self), lambda: self.fs.ls(self.url, detail=False))
        return iter(sorted(self._from_fs(p) for p in listed))

    def glob(self, pattern: str) -> Iterator[RemotePath]:
        base = self._location().rstrip("/")
        found = retrying("list the folder", str(self), lambda: self.fs.glob(f"{base}/{pattern}"))
        return iter(sorted(self._from_fs(p) for p in found))

    def rglob(self, pattern: str) -> Iterator[RemotePath]:
        return self.glob(f"**/{pattern}")


AnyPath = Path | RemotePath


def as_path(raw: str | Path | RemotePath) -> AnyPath:
    """A local :class:`Path` (``file://`` URLs included) or a :class:`RemotePath` for any other URL."""
    if isinstance(raw, (Path, RemotePath)):
        return raw
    if raw.lower().startswith("file://"):
        return Path(unquote(urlsplit(raw).path))
    if is_url(raw):
        return RemotePath(raw)
    return Path(raw)


def path_token(path: AnyPath | str) -> str:
    """What to hand a worker so it can open the file: the full URL of a remote file, else the path."""
    return path.url if isinstance(path, RemotePath) else str(path)


def is_remote(path: Any) -> bool:
    return isinstance(path, RemotePath)


def expand_local(paths: Iterable[Any]) -> Iterator[Any]:
    """The inputs with ``file://`` URLs made local paths (a glob in one: its matches, sorted); others as given."""
    for raw in paths:
        if isinstance(raw, RemotePath):
            yield raw.url
        elif isinstance(raw, str) and raw.lower().startswith("file://"):
            local = unquote(urlsplit(raw).path)
            if _GLOB_CHARS.search(local):
                found = sorted(_glob.glob(local, recursive=True))
                if not found:
                    raise InputError("no file matches this pattern", path=raw)
                yield from found
            else:
                yield local
        else:
            yield raw


def walk(raw: str) -> Iterator[tuple[RemotePath, bool]]:
    """Yield ``(file, from_a_folder_walk)`` for one URL input: a file, a folder, or a glob.

    Folders are walked recursively, sorted, hidden parts (``.git``) left out, as locally. An
    HTTP(S) URL is a folder only when it ends with ``/`` (its listing is an HTML page of links);
    otherwise it is one file.
    """
    root = RemotePath(raw)
    shown = str(root)
    fs = root.fs
    if _GLOB_CHARS.search(str(root._posix)):
        matches = retrying("list the files", shown, lambda: fs.glob(root.url, detail=True))
        if not matches:
            raise InputError("no file matches this pattern", path=shown)
        for found, info in sorted(matches.items()):
            path = root._from_fs(found)
            if info.get("type") == "directory":
                yield from _walk_folder(path)
            else:
                yield path, False
        return
    if root.is_dir():
        yield from _walk_folder(root)
    elif root.is_file():
        yield root, False
    else:
        raise InputError("file not found", path=shown)


def _walk_folder(folder: RemotePath) -> Iterator[tuple[RemotePath, bool]]:
    found = retrying("list the folder", str(folder), lambda: folder.fs.find(folder.url, detail=True))
    files = []
    for name, info in found.items():
        if info.get("type", "file") != "file":
            continue
        path = folder._from_fs(name)
        try:
            relative = path.relative_to(folder).parts
        except ValueError:  # an HTML listing may link outside the folder
            continue
        if not any(part.startswith(".") for part in relative):
            files.append(path)
    yield from ((path, True) for path in sorted(files))


def arrow_source(path: AnyPath, exact: bool = False) -> Any:
    """What pyarrow, pandas and zipfile open: a local path as is (memory-mapped, native), a remote
    file as an open random-access handle (read by ranges; ``exact`` for Parquet, see
    :meth:`RemotePath.open`). The caller closes a handle it got."""
    return path.open("rb", exact=exact) if isinstance(path, RemotePath) else path


def size(path: str | AnyPath) -> int:
    """A file's size in bytes, 0 when unknown or unreachable (for ordering and estimates only)."""
    try:
        return int(as_path(path).stat().st_size)
    except (OSError, InputError, UsageError):
        return 0


def exists(path: str | AnyPath) -> bool:
    """Whether this process can see ``path`` (a Dask worker's probe)."""
    try:
        return as_path(path).exists()
    except (OSError, InputError, UsageError):
        return False


def identity(path: RemotePath) -> dict[str, Any] | None:
    """A remote file's version as its store states it (ETag, version id, generation, blob id), or
    None when it states none (the cache then does not keep the file: size alone proves nothing)."""
    info = path.info()
    for key in ("ETag", "etag", "VersionId", "version_id", "generation", "blob_id", "md5Hash", "content_md5",
                "Content-MD5", "Digest", "last_commit"):
        value = info.get(key)
        if value:
            return {"size": int(info.get("size") or 0), key: str(value)}
    lfs = info.get("lfs")
    if isinstance(lfs, dict) and lfs.get("sha256"):
        return {"size": int(info.get("size") or 0), "sha256": str(lfs["sha256"])}
    return None
