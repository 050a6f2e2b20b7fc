"""Regenerate the generated parts of README.md and docs/ (example output and CLI reference).

Blocks between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` are produced by running the
real commands, so the documentation cannot drift: ``tests/test_docs.py`` fails when a block is
stale. Run ``python scripts/update_docs.py`` after changing the CLI.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- BEGIN (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END (?P=name) -->)", re.S)


def run_cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from rescore.cli.app import app

    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, args, env=env, color=False)
    finally:
        os.chdir(old)
    if result.exit_code != 0:
        raise SystemExit(f"rescore {' '.join(args)} failed ({result.exit_code}): {result.output}")
    return result.stdout


def commands() -> list[str]:
    import typer.main

    from rescore.cli.app import app

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def render_block(name: str) -> str:
    if name == "example":
        out = run_cli(["leaderboard", "sample_data/", "-q"])
        out = "\n".join(line.rstrip() for line in out.rstrip().splitlines())
        return "```console\n$ rescore leaderboard sample_data/\n" + out + "\n```\n"
    if name == "cli-reference":
        from rescore.cli import options

        parts = []
        options.show_advanced(True)  # the reference documents every flag (as --help-all shows them)
        try:
            helps = {cmd: run_cli([cmd, "--help"]).rstrip() for cmd in commands()}
        finally:
            options.show_advanced(False)
        for cmd in commands():
            text = helps[cmd]
            text = "\n".join(line.rstrip() for line in text.splitlines())
            parts.append(f"### `rescore {cmd}`\n\n```text\n{text}\n```\n")
        return "\n".join(parts)
    raise KeyError(name)


def updated(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        return match.group(1) + render_block(match.group("name")) + match.group(4)

    return BLOCK.sub(repl, text)


def documents() -> list[Path]:
    """README.md and every page of the manual."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def main() -> int:
    stale = []
    for path in documents():
        text = path.read_text(encoding="utf-8")
        new = updated(text)
        if new != text:
            stale.append(path)
            if "--check" not in sys.argv:
                path.write_text(new, encoding="utf-8")
    if "--check" in sys.argv and stale:
        print("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
