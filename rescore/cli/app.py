"""The ``rescore`` command: a typer app whose commands live in ``rescore/cli/commands``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import typing
from typing import Annotated

import typer

from rescore.cli.common import handle_errors, stderr_console, stdout_console
from rescore.cli.usage import OneLineErrorsGroup
from rescore.version import __version__

# ``app`` (every command) is built on first use: see ``__getattr__``
__all__ = ["build_app", "handle_errors", "main", "run", "stderr_console", "stdout_console"]


def _new_app() -> typer.Typer:
    app = typer.Typer(
        name="rescore",
        cls=OneLineErrorsGroup,  # click's usage errors on one line, exit 2 (rescore/cli/usage.py)
        help="Re-score LLM benchmark results under explicit confidence targets: correct +1, "
        "wrong −t/(1−t), \"I don't know\" 0.",
        no_args_is_help=True,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    )
    app.callback()(root)
    return app


def _version(value: bool) -> None:
    if value:
        print(f"rescore {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Re-score LLM benchmark results under explicit confidence targets.

    Exit codes: 0 ok, 1 a requested gate failed, 2 usage error, 3 input/data error.
    """


def command_names() -> list[str]:
    """Every command, one module each in ``rescore/cli/commands`` (named as the command)."""
    from rescore.cli import commands

    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__))


def build_app(only: str | None = None) -> typer.Typer:
    """The app with every command, or with just ``only`` (one of :func:`command_names`): a run
    imports only its own command's module (the others' imports cost a tenth of a second at every
    start)."""
    from rescore.cli import commands

    app = _new_app()
    for name in [only] if only is not None else command_names():
        register = getattr(importlib.import_module(f"{commands.__name__}.{name}"), "register", None)
        if register is not None:
            register(app)
    for info in app.registered_commands:
        escape_help(info)
    return app


def escape_help(info: typer.models.CommandInfo) -> None:
    """Show every help text of a command as written.

    The help is rendered as rich markup, which swallowed anything in square brackets:
    ``pip install "rescore[plots]"`` lost its ``[plots]``, ``[default: 0 0.5 0.75 0.9]`` and
    ``[required]`` vanished. Escaping here, once for every option and docstring, keeps that from
    coming back with the next flag someone adds (options are shared between commands, so each
    is escaped only once).
    """
    from rich.markup import escape

    callback = info.callback
    if callback is None:
        return
    if info.help is None:
        first, _, rest = inspect.cleandoc(callback.__doc__ or "").partition("\n\n")
        # the first paragraph is the one-line summary in the command list: unwrapped there too
        info.help = escape(" ".join(first.split("\n")) + (f"\n\n{rest}" if rest else ""))
    for hint in typing.get_type_hints(callback, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, typer.models.ParameterInfo) and meta.help and not getattr(meta, "_escaped", False):
                meta.help = escape(meta.help)
                meta._escaped = True  # type: ignore[attr-defined]


_FULL_APP: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the full app, built on first use (``from rescore.cli.app import app``)."""
    global _FULL_APP
    if name == "app":
        if _FULL_APP is None:
            _FULL_APP = build_app()
        return _FULL_APP
    raise AttributeError(name)


def expand_help_all(argv: list[str]) -> list[str]:
    """``--help-all`` is ``--help`` with the advanced flag panels shown."""
    if "--help-all" not in argv:
        return argv
    from rescore.cli import options

    options.show_advanced(True)
    return ["--help" if arg == "--help-all" else arg for arg in argv]


def main() -> None:
    from rescore.cli import signals
    from rescore.cli.pipes import protect_stdout

    protect_stdout()  # `rescore ... | head` keeps the command's own exit code (rescore/cli/pipes.py)
    signals.install()  # SIGTERM stops workers and exits 143, as Ctrl-C does with 130 (rescore/cli/signals.py)
    try:
        args = expand_help_all(sys.argv[1:])
        named = args[0] if args and args[0] in command_names() else None
        (build_app(only=named) if named else __getattr__("app"))(args=args)
    except KeyboardInterrupt:  # before or after a command's own handler (start-up, argument parsing)
        signals.ending()
        code, word = signals.interrupt_exit()
        print(f"rescore: {word}", file=sys.stderr)
        sys.exit(code)


def run() -> None:
    """The console script (and ``python -m rescore``): :func:`main`, then a quick process exit
    that skips the interpreter's module teardown (rescore/cli/quick_exit.py)."""
    from rescore.cli.quick_exit import exit_now

    try:
        main()
    except SystemExit as done:
        exit_now(done.code)
    exit_now(0)
