"""``rescore formats``: the adapters rescore knows, in detection order."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.text import Text

from rescore.cli import options as o
from rescore.cli.common import handle_errors, stdout_console
from rescore.cli.pipes import dash_is_stdout
from rescore.errors import UsageError
from rescore.read.plugins import all_adapters, broken_plugins

FORMATS_FORMATS = ("table", "json", "jsonl", "csv", "tsv")


def formats_table() -> list[dict[str, object]]:
    """Name, version, detection priority, description and module of every registered adapter."""
    return [{"name": a.name, "version": a.version, "priority": a.priority, "description": a.description,
             "module": type(a).__module__} for a in all_adapters()]


FormatsFormat = Annotated[Literal["table", "json", "jsonl", "csv", "tsv"] | None, typer.Option(
    "-f", "--format", help="Output format. [default: from -o's suffix, else table]", rich_help_panel=o.OUTPUT,
    show_default=False)]


@handle_errors
def formats(
    format: FormatsFormat = None,
    output: o.Output = None,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as -f json (the old spelling).")] = False,
    debug: o.Debug = False,
) -> None:
    """List the producers rescore reads (names for --format-hint), in detection order."""
    # the reporting stage (pandas) is imported here, not when --help or another command runs
    import pandas as pd

    from rescore.cli.output import captured, echo_or_write, format_for
    from rescore.report.grid import Column, print_table
    from rescore.report.stats_output import to_table_text
    from rescore.score.jsonable import json_lines

    output = dash_is_stdout(output)
    if as_json:
        if format not in (None, "json"):
            raise UsageError(f"--json and --format {format} disagree; give one")
        format = "json"
    fmt = format_for(output, format, FORMATS_FORMATS)
    rows = formats_table()
    for name, why in broken_plugins().items():  # reported by name, never a crash
        typer.echo(f"rescore: adapter plugin {name!r} skipped: {why}", err=True)
    if fmt == "json":
        echo_or_write(json.dumps(rows, indent=2) + "\n", output, fmt)
    elif fmt == "jsonl":
        echo_or_write(json_lines(rows), output, fmt)
    elif fmt in ("csv", "tsv"):
        echo_or_write(to_table_text(pd.DataFrame(rows), fmt), output, fmt)
    else:
        def draw(console: Console) -> None:
            print_table(console, [Column(col, [Text(str(row[col])) for row in rows], key=col == "name",
                                         wrap=col == "description")
                                  for col in ("name", "version", "description")])

        if output is None:
            draw(stdout_console())
        else:
            echo_or_write(captured(draw), output, fmt)


def register(app: typer.Typer) -> None:
    app.command("formats")(formats)
