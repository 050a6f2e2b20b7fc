"""CI conventions shared by commands: the GitHub step summary and the common loading flags.

``$GITHUB_STEP_SUMMARY`` names a Markdown file GitHub Actions shows on the run's page; a
command appends (never overwrites: other steps write there too) its Markdown table to it.
"""

from __future__ import annotations

import os
from pathlib import Path

from rescore.errors import InputError

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def append_step_summary(markdown: str) -> Path | None:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` when it is set; return the file written."""
    target = os.environ.get(STEP_SUMMARY_ENV, "").strip()
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
            handle.write("\n")
    except OSError as exc:
        raise InputError(f"cannot append the step summary ({exc.strerror})", path=str(path),
                         field=STEP_SUMMARY_ENV) from None
    return path


# ---- GitHub Actions workflow commands and step outputs (issue 19) ---------------------------------
ACTIONS_ENV = "GITHUB_ACTIONS"
OUTPUT_ENV = "GITHUB_OUTPUT"


def github_actions() -> bool:
    """True inside a GitHub Actions job (the runner sets ``GITHUB_ACTIONS=true``)."""
    return os.environ.get(ACTIONS_ENV, "").strip().lower() == "true"


def _command_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: ``%``, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    """Escape a workflow command's property value (the message's rules plus ``:`` and ``,``)."""
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotation(message: str, title: str = "rescore check", file: str | None = None) -> str:
    """A ``::error`` workflow command: GitHub shows it as an annotation on the run and the PR."""
    props = f"title={_command_property(title)}"
    if file:
        props = f"file={_command_property(file)}," + props
    return f"::error {props}::{_command_data(message)}"


def write_outputs(values: dict[str, str]) -> Path | None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` (the step's outputs) when it is set.

    A value holding a newline uses GitHub's ``name<<DELIMITER`` form, with a delimiter the
    value does not contain.
    """
    target = os.environ.get(OUTPUT_ENV, "").strip()
    if not target:
        return None
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = "RESCORE_EOF"
            while delimiter in value:
                delimiter += "_"
            lines += [f"{name}<<{delimiter}", value, delimiter]
        else:
            lines.append(f"{name}={value}")
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise InputError(f"cannot append the step outputs ({exc.strerror})", path=str(path),
                         field=OUTPUT_ENV) from None
    return path
