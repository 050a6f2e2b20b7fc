"""The ``rescore`` command: a typer app whose commands live in ``rescore/cli/commands``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Annotated

import typer

from .. import __version__
from .common import handle_errors, stderr_console, stdout_console

__all__ = ["app", "handle_errors", "main", "stderr_console", "stdout_console"]

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


def expand_help_all(argv: list[str]) -> list[str]:
    """``--help-all`` is ``--help`` with the advanced flag panels shown."""
    if "--help-all" not in argv:
        return argv
    from . import options

    options.show_advanced(True)
    return ["--help" if arg == "--help-all" else arg for arg in argv]


def main() -> None:
    app(args=expand_help_all(sys.argv[1:]))
