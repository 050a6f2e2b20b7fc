"""The ``rescore`` command: a typer app whose commands live in ``rescore/cli/commands``."""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from .. import __version__
from ..errors import EXIT_INPUT, RescoreError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="rescore",
    help="Re-score LLM benchmark results under explicit confidence targets: correct +1, "
    "wrong −t/(1−t), \"I don't know\" 0.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)


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
            print(f"rescore: error: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            print("rescore: interrupted; no output was written", file=sys.stderr)
            raise typer.Exit(130) from None
        except Exception as exc:  # an unexpected failure: still one line unless --debug
            if debug:
                traceback.print_exc()
            print(f"rescore: error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)",
                  file=sys.stderr)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"rescore {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Re-score LLM benchmark results under explicit confidence targets.

    Exit codes: 0 ok, 1 a requested gate failed, 2 usage error, 3 input/data error.
    """


def _register_commands() -> None:
    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    app()
