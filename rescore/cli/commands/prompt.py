"""``rescore prompt``: the explicit confidence-target instruction to append to an eval prompt."""

from __future__ import annotations

from typing import Annotated

import typer

from rescore.cli.common import handle_errors


@handle_errors
def prompt(
    threshold: Annotated[float, typer.Option("-t", "--threshold", help="Confidence target t in [0,1).")] = 0.9,
    idk_credit: Annotated[float, typer.Option("--idk-credit", help="Points for 'I don't know'.")] = 0.0,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Print the instruction that states the target (Kalai et al. 2025), ready to paste."""
    from rescore.score.instruction import confidence_target_instruction  # (the score stage imports pandas)

    typer.echo(confidence_target_instruction(threshold, idk_credit))


def register(app: typer.Typer) -> None:
    app.command("prompt")(prompt)
