"""Writing and printing the confidence reports (``compare``, ``calibration``, ``selective``).

The report object itself (:class:`rescore.score.results.StatsReport`) is computed by the score
stage; this module only turns it into JSON, CSV files (the main table at ``-o``, the others beside
it) and terminal tables, so ``--format json`` is exactly ``report.to_dict()``.
"""


from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich import box
from rich.table import Table

from rescore.errors import UsageError
from rescore.report.atomic import text_writer, write_many, write_text_atomic
from rescore.report.layout import widest
from rescore.report.safe_text import escape_controls, terminal_markup
from rescore.score.jsonable import dumps
from rescore.score.results import StatsReport

STATS_FORMATS = ("table", "csv", "json")
FLOAT_FORMAT = "%.6f"


def stats_format(path: str | Path | None, fmt: str | None) -> str:
    """table|csv|json from ``--format``, else from ``-o``'s suffix, else table."""
    if fmt:
        if fmt not in STATS_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(STATS_FORMATS)}, not {fmt!r}")
        return fmt
    if path is not None and str(path) != "-":  # -o - is stdout: the format is the terminal's
        suffix = Path(path).suffix.lower()
        if suffix in (".csv", ".json"):
            return suffix[1:]
        raise UsageError(f"cannot tell the format of {path}; pass --format csv or json")
    return "table"


def to_json(report: StatsReport) -> str:
    return dumps(report.to_dict())


def to_csv(frame: pd.DataFrame, raw: bool = False) -> str:
    """CSV of one table; formula-like text cells neutralised unless ``raw`` (``--raw-csv``)."""
    from rescore.report.safe_text import neutralise_frame

    frame = frame.copy()
    for col in frame.columns:  # list cells (e.g. discordant pairs) as "a; b"
        if frame[col].map(lambda v: isinstance(v, list)).any():
            frame[col] = frame[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    if not raw:
        frame = neutralise_frame(frame)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return buffer.getvalue()


def side_path(path: Path, name: str) -> Path:
    """``out.csv`` -> ``out.<name>.csv``: where the secondary tables go."""
    return path.with_name(f"{path.stem}.{name}{path.suffix}")


def write_report(report: StatsReport, fmt: str, path: Path, raw_csv: bool = False) -> list[Path]:
    """Write atomically; CSV writes the main table to ``path`` and the others beside it."""
    if fmt == "json":
        return [write_text_atomic(path, to_json(report))]
    if fmt == "csv":  # the main table and its side files: all written, or none replaced
        outputs = [(path, text_writer(to_csv(report.tables[report.main], raw_csv)))]
        outputs += [(side_path(path, name), text_writer(to_csv(frame, raw_csv)))
                    for name, frame in report.tables.items() if name != report.main]
        return write_many(outputs)
    raise UsageError("--format table is for the terminal; choose csv or json for -o")


def print_tables(report: StatsReport, console: Any, columns: dict[str, list[str]],
                 titles: dict[str, str], labels: dict[str, str] | None = None) -> None:
    """Rich tables, one per benchmark, for the named tables that have display columns (others only
    in JSON/CSV); ``labels`` shortens column headers for the terminal."""
    for name, cols in columns.items():
        frame = report.tables.get(name)
        if frame is None or frame.empty:
            continue
        parts = frame.groupby("benchmark", sort=True) if "benchmark" in frame.columns else [(None, frame)]
        for benchmark, part in parts:
            title = titles.get(name, name)
            table = Table(title=f"[bold]{terminal_markup(benchmark)}[/]: {title}" if benchmark is not None else title,
                          title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                          padding=(0, 1), collapse_padding=True)
            shown = [c for c in cols if c in part.columns and c != "benchmark"]
            cells = [[_cell(col, v) for col, v in zip(shown, row, strict=True)]
                     for row in part[shown].itertuples(index=False)]
            for k, col in enumerate(shown):
                numeric = pd.api.types.is_numeric_dtype(part[col]) and not pd.api.types.is_bool_dtype(part[col])
                header = (labels or {}).get(col, col)
                if col in FOLDING_COLUMNS:  # names wrap onto a second line when the terminal is narrow
                    table.add_column(header, justify="left", overflow="fold")
                else:  # a number or interval is never cut: "-0.…" reads as a value it is not
                    table.add_column(header, justify="right" if numeric else "left", no_wrap=True,
                                     min_width=widest(header, [row[k] for row in cells]))
            for row in cells:
                table.add_row(*row)
            console.print(table)


# text columns that may wrap; every other column keeps its full width
FOLDING_COLUMNS = frozenset({"model", "model_a", "model_b", "leader_below_crossover", "discordant_pairs", "reason"})


def _cell(col: str, value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if col in ("t", "instructed_t"):
            return f"{value:g}"
        if col.startswith("p") and col[1:2] in ("", "_"):
            return f"{value:.2g}" if value >= 1e-4 else "<1e-4"
        return f"{value:.3f}"
    if isinstance(value, list):
        return escape_controls("; ".join(map(str, value))) or "–"
    return escape_controls(value)
