"""Usage errors on one line, as every other error rescore prints.

Click (under typer) reports a bad option value, an unknown option or a missing argument in a
framed, multi-line box. A CI log or a wrapper script that reads the first line of stderr then
sees "Usage: ..." instead of the reason, and rescore's rule is one line per error. So the app's
group runs click in its non-standalone mode and turns usage errors into
``rescore: error: <reason> (see 'rescore <command> -h')`` with exit 2, the code click uses.
Living in the group (not in ``main``) makes the in-process ``CliRunner`` behave as the shell.
A bare ``rescore`` (no command) still prints the help page: that is help, not an error.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

# typer >= 0.16 carries its own copy of click (typer._click); older releases use click itself.
# Take the exception classes from wherever typer's own BadParameter lives, so both work.
click_exceptions = importlib.import_module(typer.BadParameter.__module__)
# click >= 8.2 raises this after printing the help page for a group given no command (exit 2).
NoArgsIsHelpError: Any = getattr(click_exceptions, "NoArgsIsHelpError", ())


class OneLineErrorsGroup(TyperGroup):
    """The ``rescore`` group: click's parse errors become rescore's one-line errors."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:  # a caller that handles click's exceptions itself
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            returned = super().main(*args, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as shown:  # the help page is already printed
            sys.exit(shown.exit_code)
        except click_exceptions.UsageError as error:
            print(f"rescore: error: {one_line_reason(error)}{help_hint(error.ctx)}", file=sys.stderr)
            sys.exit(error.exit_code)
        except click_exceptions.ClickException as error:
            print(f"rescore: error: {one_line_reason(error)}", file=sys.stderr)
            sys.exit(error.exit_code)
        except typer.Abort:  # end of input at a prompt: nothing was done
            print("rescore: aborted", file=sys.stderr)
            sys.exit(1)
        # Non-standalone click returns the code of `typer.Exit(code)` / `ctx.exit(code)`, or a
        # command function's own return value (None here) when it simply returns.
        sys.exit(returned if isinstance(returned, int) else 0)


def one_line_reason(error: Any) -> str:
    """Click's message with its line breaks folded, so that the error stays one line."""
    return " ".join(error.format_message().split())


def help_hint(ctx: Any) -> str:
    """Where the right help is: `rescore leaderboard -h` for a leaderboard flag."""
    if ctx is None:
        return ""
    return f" (see '{ctx.command_path} {ctx.help_option_names[0]}')"
