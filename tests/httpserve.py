"""A local HTTP server for tests of remote paths: 127.0.0.1 only, ranged reads, bounded life.

It serves a folder as ``python -m http.server`` does (folder listings are HTML pages of links,
which is how fsspec walks an HTTP "folder"), plus what a bucket's HTTP endpoint offers and
``http.server`` lacks: ``Range`` requests (206 answers), ``ETag`` and ``Accept-Ranges``. It counts
the bytes it sends per path, so a test can prove a read fetched a head and not a whole file,
and it can be told to stall (``delay``) or to fail (``fail_status``) to test timeouts.

It stops by itself after ``lifetime`` seconds whatever the test does (a daemon thread and a
timer), so a failing test never leaves it running.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class _Handler(SimpleHTTPRequestHandler):
    server: RangeServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _stall_or_fail(self) -> bool:
        if self.server.delay:
            time.sleep(self.server.delay)
        if self.server.fail_status:
            self.send_error(self.server.fail_status)
            return True
        return False

    def do_HEAD(self) -> None:
        if not self._stall_or_fail():
            super().do_HEAD()

    def do_GET(self) -> None:
        if self._stall_or_fail():
            return
        self.server.requests.append(self.path)
        path = Path(self.translate_path(self.path))
        ranged = _RANGE.match(self.headers.get("Range", "").strip())
        if not path.is_file():
            super().do_GET()
            return
        data_size = path.stat().st_size
        start, end = 0, data_size - 1
        if ranged:
            first, last = ranged.groups()
            if first:
                start = int(first)
                end = min(int(last), data_size - 1) if last else data_size - 1
            elif last:
                start = max(0, data_size - int(last))
        if start > end and data_size:
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return
        length = max(0, end - start + 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if ranged else HTTPStatus.OK)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", _etag(path))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{end}/{data_size}")
        self.end_headers()
        with path.open("rb") as handle:
            handle.seek(start)
            self.wfile.write(handle.read(length))
        with self.server.lock:
            key = self.path.split("?", 1)[0]
            self.server.sent[key] = self.server.sent.get(key, 0) + length

    def end_headers(self) -> None:
        path = Path(self.translate_path(self.path))
        if self.command == "HEAD" and path.is_file():
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", _etag(path))
        super().end_headers()


def _etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


class RangeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        self.sent: dict[str, int] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.fail_status: int | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that closed the connection mid-answer (it had read its range) is not news."""

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def bytes_sent(self, prefix: str = "") -> int:
        with self.lock:
            return sum(n for path, n in self.sent.items() if path.startswith(prefix))


@contextlib.contextmanager
def serving(root: str | os.PathLike[str], lifetime: float = 120.0) -> Iterator[RangeServer]:
    """Serve ``root`` on 127.0.0.1 (a free port) for the ``with`` block, and at most ``lifetime`` seconds."""
    server = RangeServer(Path(root))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    deadline = threading.Timer(lifetime, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield server
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
