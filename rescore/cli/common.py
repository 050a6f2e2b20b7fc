"""What every command shares: consoles that respect NO_COLOR/TTY, and the error handler.

Kept apart from ``app.py`` so a command module can be imported on its own (tests, notebooks)
without a circular import through the app's command registration.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from rescore.errors import EXIT_INPUT, RescoreError

F = TypeVar("F", bound=Callable[..., Any])


def stderr_console() -> Console:
    no_color = bool(os.environ.get("NO_COLOR")) or not sys.stderr.isatty()
    return Console(stderr=True, no_color=no_color, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(no_color=no_color, highlight=False)


def handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and the documented exit code.

    With ``--debug`` (or ``RESCORE_DEBUG=1``) the traceback is shown instead. Ctrl-C exits 130.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug")) or os.environ.get("RESCORE_DEBUG") == "1"
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except RescoreError as exc:
            if debug:
                traceback.print_exc()
            print(f"rescore: error: {_safe(exc)}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            how_far = f" after {exc}" if str(exc) else ""  # rescore.read.workers.Interrupted: "3 of 10 files read"
            print(f"rescore: interrupted{how_far}; no output was written", file=sys.stderr)
            raise typer.Exit(130) from None
        except Exception as exc:  # an unexpected failure: still one line unless --debug
            if debug:
                traceback.print_exc()
            print(f"rescore: error: unexpected {type(exc).__name__}: {_safe(exc)} (rerun with --debug for details)",
                  file=sys.stderr)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def _safe(exc: BaseException) -> str:
    """The message with control characters and non-UTF-8 file names escaped: a message quotes
    file content and names, which must neither drive the terminal nor fail the print."""
    from rescore.report.safe_text import safe_path

    return safe_path(str(exc))
