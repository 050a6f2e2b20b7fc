"""SIGINT and SIGTERM end a run the same clean way: workers stopped, one line, exit 130 or 143.

Python's default for SIGTERM is to die on the spot: no ``finally`` runs, so a pool's worker
processes were left running as orphans (issue 17). Here SIGTERM raises ``KeyboardInterrupt`` in
the main thread, exactly as Ctrl-C does, so the same cleanup runs (the pool is stopped in
``rescore.read.workers``) and :func:`interrupt_exit` tells the two apart for the exit code
(128 + the signal's number). Once a run is ending, further signals are ignored, so a second Ctrl-C
during the cleanup never prints a traceback.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

_received: list[int] = []


def _on_signal(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGTERM (and SIGINT) through KeyboardInterrupt (main thread only: where handlers live)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) in (signal.default_int_handler, signal.SIG_DFL):
            signal.signal(sig, _on_signal)


def ending() -> None:
    """The run is ending: ignore further SIGINT/SIGTERM (no traceback from a second Ctrl-C)."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


def interrupt_exit() -> tuple[int, str]:
    """(exit code, word) for the interrupt being handled: 143 "terminated" after SIGTERM, else 130."""
    if _received and _received[-1] == signal.SIGTERM:
        return 128 + int(signal.SIGTERM), "terminated"
    return 128 + int(signal.SIGINT), "interrupted"
