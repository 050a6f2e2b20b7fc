"""Neutralising untrusted text: model names, benchmark names, responses and paths come from files.

A result file is data someone else wrote. Printed as it is, a model name can move the cursor,
recolour or clear the terminal (ANSI CSI), plant a clickable link or set the window title (OSC),
hide text behind a NUL, or reorder what is shown with a bidi override (U+202E). Written into a
CSV cell, ``=HYPERLINK(...)`` becomes a live formula in a spreadsheet. In Markdown, ``[x](url)``
becomes a link and ``*x*`` emphasis in a pull-request comment.

The helpers are small and pure so every printer (terminal tables, notes, errors, HTML, CSV,
Markdown) calls the same one; see docs/hostile.md.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls except none (tab and newline too: a name spans no lines), DEL, C1 controls, and the
# invisible formatting characters that reorder or hide text: bidi embeddings/overrides/isolates,
# LRM/RLM/ALM, zero-width joiners are left alone (they occur in real scripts and emoji)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# in multi-line text (a response shown in a table cell) newline and tab stay
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: Any, *, keep_lines: bool = False) -> str:
    """``text`` with control and bidi characters shown as ``\\x1b``, ``\\u202e``...

    Nothing else changes, so an ordinary name (any script, emoji) prints as it is.
    """
    text = str(text)
    pattern = _UNSAFE_KEEP_LINES if keep_lines else _UNSAFE
    return pattern.sub(_escape_char, text) if pattern.search(text) else text


def has_controls(text: str) -> bool:
    return bool(_UNSAFE.search(text))


def terminal_markup(text: Any) -> str:
    """For a rich string with markup on: controls escaped and ``[...]`` made literal, so a name such
    as ``[/]`` neither restyles the line nor fails the print."""
    from rich.markup import escape

    return escape(escape_controls(text))


def safe_path(path: Any) -> str:
    """A path for a message: a file name that is not UTF-8 (surrogate escapes) prints as ``\\xNN``
    instead of failing the print with UnicodeEncodeError; controls in names are escaped too."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(f"\\x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in text)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return escape_controls(text)


# OWASP "CSV injection": a cell starting with one of these is a formula to a spreadsheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP's
    recommendation); numbers and other cells are returned unchanged (``-0.5`` stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(frame: Any) -> Any:
    """A copy of a DataFrame whose text cells are neutralised (:func:`neutralise_cell`), or the
    frame itself when no cell needs it (the common case: no copy)."""
    import pandas as pd

    changed = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            starts = series.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
            if bool(starts.any()):
                changed[col] = series.map(neutralise_cell)
    if not changed:
        return frame
    frame = frame.copy()
    for col, values in changed.items():
        frame[col] = values
    return frame


# backslash, code, emphasis, link/image brackets, strikethrough, the cell boundary; "_" only where it
# can open or close emphasis (GFM ignores it inside a word: "mmlu_pro" stays as it is)
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")


def markdown_text(text: Any) -> str:
    """A name for a Markdown table cell: link, image, emphasis, code, heading and HTML syntax made
    literal with backslashes, pipes escaped (a cell boundary), controls escaped, one line."""
    text = escape_controls(text).replace("\\x0a", " ").replace("\\x0d", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")
