"""``rescore formats``: the adapters rescore knows, in detection order."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from rescore.cli.common import handle_errors, stdout_console
from rescore.read.plugins import all_adapters, broken_plugins


def formats_table() -> list[dict[str, object]]:
    """Name, version, detection priority, description and module of every registered adapter."""
    return [{"name": a.name, "version": a.version, "priority": a.priority, "description": a.description,
             "module": type(a).__module__} for a in all_adapters()]


@handle_errors
def formats(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable list.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """List the producers rescore reads (names for --format-hint), in detection order."""
    rows = formats_table()
    for name, why in broken_plugins().items():  # reported by name, never a crash
        typer.echo(f"rescore: adapter plugin {name!r} skipped: {why}", err=True)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(show_edge=False, header_style="bold")
    for col in ("name", "version", "description"):
        table.add_column(col)
    for row in rows:
        table.add_row(str(row["name"]), str(row["version"]), str(row["description"]))
    stdout_console().print(table)


def register(app: typer.Typer) -> None:
    app.command("formats")(formats)
