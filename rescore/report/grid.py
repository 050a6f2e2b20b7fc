"""Terminal tables that never lose a value, at any width.

rich's ``Table`` fits a table to the console by folding or cutting cells: at 80 columns model
names broke inside (``acme/b`` / ``old-70``), at 60 the model column vanished, and every line was
padded with spaces up to the console's width. This module lays tables out itself:

* every cell is printed whole: a name is never folded, a number never cut;
* when the columns do not fit the width, the *key* columns (the model, say) are repeated and the
  other columns continue in a further block below; when not even one value column fits beside
  the keys, the table *turns*: one record per row, a ``header  value`` line per column;
* lines end at their last character (no padding, no trailing spaces);
* the width is the terminal's; output that is not a terminal is laid out for ``$COLUMNS`` when
  set and otherwise in one block (files and pipes get whole rows, fit for grep and diff).

Styles (bold, colours) are kept: cells are :class:`rich.text.Text` and lines are printed with
``soft_wrap`` so rich neither wraps nor pads them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

GAP = 2  # spaces between columns
RULE = "─"


@dataclass
class Column:
    """One column: its header (may hold ``\\n``), its cells (one per row, may hold ``\\n``), and
    whether it is a key column (repeated in every block; the heading of a turned record)."""

    header: str
    cells: list[Text] = field(default_factory=list)
    justify: Literal["left", "right"] = "left"
    key: bool = False
    wrap: bool = False  # prose (a description, a list of pairs): may wrap at spaces to fit beside the others

    def __post_init__(self) -> None:
        self.cells = [cell if isinstance(cell, Text) else Text(str(cell)) for cell in self.cells]

    @cached_property
    def width(self) -> int:
        """The widest line among the header and the cells: the column is never narrower.
        (Computed once, when the table is laid out: add every cell before.)"""
        return max((cell_len(line) for text in [self.header, *(c.plain for c in self.cells)]
                    for line in text.split("\n")), default=0)


def console_width(console: Console) -> int | None:
    """The width to lay tables out for: the terminal's; ``$COLUMNS`` when not a terminal; else None
    (no limit: a file or a pipe gets each row whole on one line)."""
    if console.is_terminal:
        return console.width
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else None


def _lines(cell: Text) -> list[Text]:
    if "\n" not in cell.plain:  # the common case, without rich's (slow) split
        return [cell]
    return list(cell.split("\n", allow_blank=True)) or [Text("")]


def _pad(cell: Text, width: int, justify: str) -> Text:
    room = width - cell.cell_len
    if room <= 0:
        return cell
    return Text(" " * room) + cell if justify == "right" else cell + Text(" " * room)


def _join(parts: Sequence[Text]) -> Text:
    line = Text("")
    for k, part in enumerate(parts):
        if k:
            line.append(" " * GAP)
        line.append_text(part)
    line.rstrip()
    return line


def _grid(columns: Sequence[Column]) -> list[Text]:
    """One block: header lines (bottom-aligned), a rule, then each row (top-aligned lines)."""
    widths = [c.width for c in columns]
    headers = [c.header.split("\n") for c in columns]
    height = max(len(h) for h in headers)
    out: list[Text] = []
    for k in range(height):
        parts = []
        for col, head, width in zip(columns, headers, widths, strict=True):
            line = head[k - (height - len(head))] if k >= height - len(head) else ""
            parts.append(_pad(Text(line, style="bold"), width, col.justify))
        out.append(_join(parts))
    out.append(Text(RULE * (sum(widths) + GAP * (len(widths) - 1))))
    for row in range(len(columns[0].cells) if columns else 0):
        cells = [_lines(col.cells[row]) for col in columns]
        for k in range(max(len(c) for c in cells)):
            out.append(_join([_pad(c[k] if k < len(c) else Text(""), width, col.justify)
                              for c, col, width in zip(cells, columns, widths, strict=True)]))
    return out


def _blocks(columns: Sequence[Column], width: int | None) -> list[list[Column]] | None:
    """The columns split into blocks that fit ``width``, keys first in each; None when not even one
    value column fits beside the keys (the table then turns)."""
    keys = [c for c in columns if c.key]
    values = [c for c in columns if not c.key]
    if width is None or not values:
        return [list(columns)]
    base = sum(c.width for c in keys) + GAP * max(len(keys) - 1, 0)
    blocks: list[list[Column]] = []
    current: list[Column] = []
    used = base
    for col in values:
        need = col.width + (GAP if keys or current else 0)
        if current and used + need > width:
            blocks.append(current)
            current, used = [], base
            need = col.width + (GAP if keys else 0)
        if used + need > width:
            return None
        current.append(col)
        used += need
    blocks.append(current)
    order = {id(c): k for k, c in enumerate(columns)}
    return [sorted(keys + block, key=lambda c: order[id(c)]) for block in blocks]


def _flat(text: str | Text, sep: str = "  ") -> Text:
    """A multi-line header (lines joined by a space) or cell (by two spaces) on one line."""
    if isinstance(text, str):
        text = Text(text)
    flat = Text("")
    for k, part in enumerate(p for p in text.split("\n") if p.plain.strip()):
        if k:
            flat.append(sep)
        flat.append_text(part)
    flat.rstrip()
    return flat


def _heading(keys: Sequence[Column], row: int, width: int | None) -> list[Text]:
    """A turned record's heading: the key's value alone, or ``header: value`` per key (``model:``
    over the value when the pair is wider than the width)."""
    if len(keys) == 1:
        return [_flat(keys[0].cells[row])]
    pieces: list[Text] = []
    for col in keys:
        label, value = _flat(col.header, " ").plain + ":", _flat(col.cells[row])
        if width is None or cell_len(label) + 1 + value.cell_len <= width:
            pieces.append(Text(label + " ") + value)
        else:
            pieces += [Text(label), value]
    return pieces


def _turned(columns: Sequence[Column], width: int | None) -> list[Text]:
    """One record per row: the keys as a heading, then ``header  value`` for every other column
    (aligned when every such line fits the width, else each value on a line below its header)."""
    keys = [c for c in columns if c.key]
    values = [c for c in columns if not c.key]
    labels = [_flat(c.header, " ") for c in values]
    label_width = max((label.cell_len for label in labels), default=0)
    flat = [[_flat(cell) for cell in col.cells] for col in values]
    value_width = max((v.cell_len for cells in flat for v in cells), default=0)
    aligned = width is None or 2 + label_width + GAP + value_width <= width
    n_rows = len(columns[0].cells) if columns else 0
    headings = [_heading(keys, row, width) for row in range(n_rows)]
    one_line = width is None or all(_join(h).cell_len <= width for h in headings)
    out: list[Text] = []
    for row in range(n_rows):
        if row:
            out.append(Text(""))
        out.extend([_join(headings[row])] if one_line else headings[row])
        for cells, label in zip(flat, labels, strict=True):
            if aligned:
                out.append(_join([Text("  ") + _pad(label, label_width, "left") + Text(" " * GAP) + cells[row]]))
            else:  # long values (a list of pairs) wrap at spaces below their header
                out.append(Text("  ") + label)
                width_left = max((width or 0) - 4, 1)
                out.extend(Text("    ") + piece for piece in wrap_words(cells[row], width_left))
    return out


WRAP_MIN = 24  # a prose column narrower than this reads worse than a turned table


def _wrapped(columns: Sequence[Column], width: int | None) -> list[Column]:
    """Prose columns (``wrap=True``) wrapped at spaces into the room the other columns leave, when
    that room is at least :data:`WRAP_MIN`; every other column as it is."""
    wrapping = [c for c in columns if c.wrap]
    if width is None or not wrapping:
        return list(columns)
    fixed = sum(c.width for c in columns if not c.wrap) + GAP * (len(columns) - 1)
    room = (width - fixed) // len(wrapping)
    if room < WRAP_MIN or all(c.width <= room for c in wrapping):
        return list(columns)
    return [Column(c.header, [Text("\n").join(wrap_words(cell, room)) for cell in c.cells], c.justify, c.key)
            if c.wrap and c.width > room else c for c in columns]


def table_lines(columns: Sequence[Column], width: int | None) -> list[Text]:
    """The table laid out for ``width`` (None: one block), as lines without trailing spaces."""
    if not columns or not columns[0].cells:
        return _grid(columns) if columns else []
    columns = _wrapped(columns, width)
    blocks = _blocks(columns, width)
    n_values = sum(not c.key for c in columns)
    if blocks is None or (len(blocks) > 2 and n_values < 2 * len(blocks)):
        # (many blocks of one value column each read worse than one record per row)
        return _turned(columns, width)
    out: list[Text] = []
    for k, block in enumerate(blocks):
        if k:
            out.append(Text(""))
        out.extend(_grid(block))
    return out


def print_table(console: Console, columns: Sequence[Column], title: Text | str | None = None) -> None:
    """Print a title line, then the table laid out for the console's width (see :func:`console_width`)."""
    width = console_width(console)
    if title is not None:  # prose: wrapped at spaces to the width
        print_prose(console, title if isinstance(title, Text) else Text(title), width)
    lines = table_lines(columns, width)
    if lines:  # one print: a call per line was most of the time for thousands of rows
        console.print(Text("\n").join(lines), soft_wrap=True)
    console.print()


def print_prose(console: Console, text: Text | str, width: int | Literal["console"] | None = "console") -> None:
    """Prose (a ``str`` is rich markup), wrapped at spaces to ``width`` (default: the console's,
    see :func:`console_width`; None: not wrapped), without the trailing spaces rich leaves."""
    if isinstance(text, str):
        text = Text.from_markup(text)
    if width == "console":
        width = console_width(console)
    if width is None:
        console.print(text, soft_wrap=True)
        return
    lines = [piece for line in text.split("\n", allow_blank=True) for piece in wrap_words(line, width)]
    console.print(Text("\n").join(lines), soft_wrap=True)


def wrap_words(line: Text, width: int) -> list[Text]:
    """``line`` broken at spaces into pieces of at most ``width`` cells; a word longer than the
    width (a model name, a path) stays whole on a piece of its own (rich would fold it)."""
    plain = line.plain
    breaks: list[int] = []
    start = 0
    for word in re.finditer(r"\S+", plain):
        if word.start() > start and cell_len(plain[start:word.end()]) > width:
            breaks.append(word.start())
            start = word.start()
    pieces = list(line.divide(breaks)) if breaks else [line]
    for piece in pieces:
        piece.rstrip()
    return pieces


def penalty(t: float) -> str:
    """The cost of a wrong answer at target t, as people write it: ``0``, ``1``, ``9``, ``0.499``,
    ``99`` (three significant digits, whole numbers from 100 on), never ``−0`` or ``0.333333``."""
    p = t / (1 - t)
    if p == 0:
        return "0"
    return f"{p:.0f}" if p >= 100 else f"{p:.3g}"


def threshold_header(t: float) -> str:
    """``t=0.9`` over ``(wrong −9)``; t=0 reads ``(wrong 0)``."""
    pen = penalty(t)
    return f"t={t:g}\n(wrong {'' if pen == '0' else '−'}{pen})"


def half_width(half: float) -> str:
    """``±.06`` (an interval's half-width, leading zero dropped); ``±–`` when it is undefined."""
    if half != half:
        return "±–"
    return f"±{half:.2f}".replace("0.", ".", 1)
