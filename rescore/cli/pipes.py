"""A reader that goes away (``rescore leaderboard ... | head -1``) must not change the exit code.

Without this, the first write after ``head`` exits raises ``BrokenPipeError``; click turns it
into exit 1, which is also the "a gate failed" code, so ``set -o pipefail`` CI scripts would
see a failed gate that never happened. Here stdout is wrapped once at start-up: when the pipe
closes, fd 1 is pointed at ``/dev/null`` (so buffered text and later writes vanish quietly, as
the Python docs recommend for SIGPIPE) and the command runs to its own end and exit code
(``rescore check`` still exits 1 when a gate fails). Outputs written with ``-o`` are unaffected.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO


class PipeSafeStdout:
    """``sys.stdout`` whose writes and flushes survive the reader closing the pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard_from_now_on()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard_from_now_on()

    def _discard_from_now_on(self) -> None:
        self.reader_gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, buffer, ...
        return getattr(self._stream, name)


def protect_stdout() -> None:
    """Wrap ``sys.stdout`` (once) when it is a real file descriptor (not a test runner's buffer)."""
    stream = sys.stdout
    if stream is None or isinstance(stream, PipeSafeStdout):
        return
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    sys.stdout = PipeSafeStdout(stream)  # type: ignore[assignment]


# ---- issue 19: "-" as a PATH reads stdin ----
STDIN_NAME = "stdin"


def _stdin_suffix(head: bytes) -> str:
    """A suffix for the bytes read from stdin, so detection works as for a named file: the
    adapters recognise files by suffix and content, and a pipe has neither name nor suffix."""
    if head.startswith(b"PAR1"):
        return ".parquet"
    if head.startswith(b"PK\x03\x04"):
        return ".zip"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return ".json"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0].strip()
        lines = [line for line in text.split(b"\n")[1:] if line.strip()]
        # one object per line (JSONL) vs one (pretty-printed) document
        return ".jsonl" if first.endswith(b"}") and (not lines or lines[0].lstrip().startswith(b"{")) else ".json"
    first_line = text.split(b"\n", 1)[0]
    return ".tsv" if b"\t" in first_line and b"," not in first_line else ".csv"


def stdin_paths(paths: list[Path]) -> list[Path]:
    """``paths`` with ``-`` replaced by a temporary copy of stdin (read once, removed at exit).

    The copy is named ``stdin.<suffix>`` in a fresh temporary folder, so error messages name it
    (``.../stdin.jsonl, line 3``); give ``--format-hint`` when the guess is not enough.
    """
    if not any(str(p) == "-" for p in paths):
        return paths
    import atexit
    import shutil
    import tempfile

    from rescore.errors import UsageError

    if sum(str(p) == "-" for p in paths) > 1:
        raise UsageError("- (stdin) can be given once")
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    if not data:
        raise UsageError("- reads a result file from stdin, but stdin is empty")
    folder = tempfile.mkdtemp(prefix="rescore-stdin-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    copy = Path(folder) / (STDIN_NAME + _stdin_suffix(data[:65536]))
    copy.write_bytes(data)
    return [copy if str(p) == "-" else p for p in paths]


def dash_is_stdout(output: Path | None) -> Path | None:
    """``-o -`` means stdout (as ``-o`` omitted): None; any other path as given."""
    from rescore.report.atomic import is_stdout

    return None if is_stdout(output) else output
