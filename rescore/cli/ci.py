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
