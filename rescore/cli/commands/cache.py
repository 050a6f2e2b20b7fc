"""``rescore cache info|clear``: what the incremental cache (``--cache DIR``) holds, and emptying it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from rescore.cli import options as o
from rescore.cli.common import handle_errors
from rescore.errors import UsageError

Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


def _folder(cache: str | None) -> str:
    from rescore.read.cache import cache_folder  # (the cache module imports pandas: not at --help)

    folder = cache_folder(cache)
    if folder is None:
        raise UsageError("no cache folder: pass --cache DIR or set RESCORE_CACHE")
    return str(folder)


@handle_errors
def info(
    cache: o.Cache = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    debug: Debug = False,
) -> None:
    """Show the cache folder: entries, their size, and the rescore versions that wrote them."""
    from pathlib import Path

    from rescore.read.cache import summary

    found = summary(Path(_folder(cache)))
    if as_json:
        typer.echo(json.dumps(asdict(found), indent=2, sort_keys=True))
        return
    versions = ", ".join(f"{v}: {n}" for v, n in sorted(found.by_version.items())) or "none"
    typer.echo(f"cache folder   {found.folder}")
    typer.echo(f"entries        {found.entries} ({found.bytes / 1e6:.1f} MB)")
    typer.echo(f"written by     rescore {versions}")
    if found.unreadable:
        typer.echo(f"unreadable     {found.unreadable} (ignored and rewritten when their file is read)")
    if found.partial:
        typer.echo(f"partial writes {found.partial} (left by an interrupted run; `rescore cache clear` removes them)")


@handle_errors
def clear_cache(
    cache: o.Cache = None,
    debug: Debug = False,
) -> None:
    """Delete the cache's entries (only its own files: the folder and anything else in it stay)."""
    from pathlib import Path

    from rescore.read.cache import clear

    folder = _folder(cache)
    removed = clear(Path(folder))
    typer.echo(f"removed {removed} cache file(s) from {folder}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Show or empty the incremental cache (--cache DIR / RESCORE_CACHE).",
                        no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
    group.command("info")(info)
    group.command("clear")(clear_cache)
    app.add_typer(group, name="cache")
