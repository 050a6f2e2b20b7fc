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
