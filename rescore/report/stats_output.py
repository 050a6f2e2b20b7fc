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
from rich.text import Text

from rescore.errors import UsageError
from rescore.report.atomic import text_writer, write_many, write_text_atomic
from rescore.report.grid import Column, print_table
from rescore.report.safe_text import escape_controls, markdown_text
from rescore.score.jsonable import csv_ready, dumps, frame_json_lines
from rescore.score.results import StatsReport

STATS_FORMATS = ("table", "csv", "tsv", "json", "jsonl")
_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
FLOAT_FORMAT = "%.6f"


def stats_format(path: str | Path | None, fmt: str | None) -> str:
    """One of :data:`STATS_FORMATS` from ``--format``, else from ``-o``'s suffix, else table."""
    if fmt:
        if fmt not in STATS_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(STATS_FORMATS)}, not {fmt!r}")
        return fmt
    if path is not None and str(path) != "-":  # -o - is stdout: the format is the terminal's
        found = _SUFFIX.get(Path(path).suffix.lower())
        if found:
            return found
        raise UsageError(f"cannot tell the format of {path}; pass --format csv, tsv, json or jsonl")
    return "table"


def to_json(report: StatsReport) -> str:
    return dumps(report.to_dict())


def to_table_text(frame: pd.DataFrame, fmt: str, raw_csv: bool = False) -> str:
    """One table as CSV, TSV or JSON Lines (what ``-f csv|tsv|jsonl`` prints)."""
    if fmt == "jsonl":
        return frame_json_lines(frame)
    return to_csv(frame, raw_csv, sep="\t" if fmt == "tsv" else ",")


def to_csv(frame: pd.DataFrame, raw: bool = False, sep: str = ",") -> str:
    """CSV (or TSV) of one table; formula-like text cells neutralised unless ``raw`` (``--raw-csv``)."""
    from rescore.report.safe_text import neutralise_frame

    frame = frame.copy()
    for col in frame.columns:  # list cells (e.g. discordant pairs) as "a; b"
        if frame[col].map(lambda v: isinstance(v, list)).any():
            frame[col] = frame[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    if not raw:
        frame = neutralise_frame(frame)
    buffer = io.StringIO()
    csv_ready(frame, FLOAT_FORMAT).to_csv(buffer, sep=sep, index=False, float_format=FLOAT_FORMAT,
                                          lineterminator="\n")
    return buffer.getvalue()


def side_path(path: Path, name: str) -> Path:
    """``out.csv`` -> ``out.<name>.csv``: where the secondary tables go."""
    return path.with_name(f"{path.stem}.{name}{path.suffix}")


def write_report(report: StatsReport, fmt: str, path: Path, raw_csv: bool = False) -> list[Path]:
    """Write atomically; CSV, TSV and JSONL write the main table to ``path`` and the others beside it
    (all written, or none replaced)."""
    if fmt == "json":
        return [write_text_atomic(path, to_json(report))]
    if fmt in ("csv", "tsv", "jsonl"):
        outputs = [(path, text_writer(to_table_text(report.tables[report.main], fmt, raw_csv)))]
        outputs += [(side_path(path, name), text_writer(to_table_text(frame, fmt, raw_csv)))
                    for name, frame in report.tables.items() if name != report.main]
        return write_many(outputs)
    raise UsageError("--format table is for the terminal; choose csv, tsv, json or jsonl for -o")


def print_tables(report: StatsReport, console: Any, columns: dict[str, list[str]],
                 titles: dict[str, str], labels: dict[str, str] | None = None) -> None:
    """Terminal tables, one per benchmark, for the named tables that have display columns (others
    only in JSON/CSV); ``labels`` shortens column headers for the terminal. Laid out by
    :mod:`rescore.report.grid`: the :data:`KEY_COLUMNS` repeat in every block, no value is cut."""
    for name, cols in columns.items():
        frame = report.tables.get(name)
        if frame is None or frame.empty:
            continue
        parts = frame.groupby("benchmark", sort=True) if "benchmark" in frame.columns else [(None, frame)]
        for benchmark, part in parts:
            title = titles.get(name, name)
            heading = (Text(escape_controls(benchmark), style="bold") + Text(f": {title}")) if benchmark is not None \
                else Text(title)
            shown = [c for c in cols if c in part.columns and c != "benchmark"]
            grid = []
            for col in shown:
                numeric = pd.api.types.is_numeric_dtype(part[col]) and not pd.api.types.is_bool_dtype(part[col])
                grid.append(Column((labels or {}).get(col, col), [Text(_cell(col, v)) for v in part[col]],
                                   justify="right" if numeric else "left", key=col in KEY_COLUMNS,
                                   wrap=col in PROSE_COLUMNS))
            print_table(console, grid, heading)


# the columns that name a row: repeated in every block when a table is split for a narrow terminal
KEY_COLUMNS = frozenset({"model", "model_a", "model_b", "t", "binning", "bin", "instructed_t"})
# lists and sentences: wrapped at spaces (names stay whole) rather than turning the table
PROSE_COLUMNS = frozenset({"discordant_pairs", "reason"})


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


def _md(text: Any) -> str:
    """A name in a Markdown cell, as every Markdown output writes it (rescore/report/safe_text.py)."""
    return markdown_text(text)


def _num(x: Any, digits: int = 3) -> str:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if value != value else f"{value:.{digits}f}"


def compare_markdown(report: StatsReport, limit: int = 65_536) -> str:
    """``rescore compare`` as Markdown for ``$GITHUB_STEP_SUMMARY``: the significant differences per
    benchmark and t, then each pair's crossover t*; rows past ``limit`` characters are counted, not shown."""
    method = report.provenance.get("method", {})
    rows = report.tables["rows"]
    pairs = report.tables["pairs"]
    head = ["## rescore compare", "",
            f"Paired differences A − B on shared items; p adjusted by {method.get('correction', 'holm')}; "
            f"{method.get('interval', '')} bootstrap interval ({method.get('bootstrap', 0)} resamples). "
            f"Significant: {int(rows['significant'].sum()) if len(rows) else 0} of {len(rows)} comparisons.", ""]
    body = ["| benchmark | t | A | B | A − B | interval | p adj |", "|:---|---:|:---|:---|---:|---:|---:|"]
    for r in rows[rows["significant"].astype(bool)].to_dict("records") if len(rows) else []:
        body.append(f"| {_md(r['benchmark'])} | {r['t']:g} | {_md(r['model_a'])} | {_md(r['model_b'])} | "
                    f"{_num(r['diff'])} | [{_num(r['ci_low'])}, {_num(r['ci_high'])}] | {_num(r['p_adjusted'], 4)} |")
    cross = ["", "### Crossovers t* (where the pair's order flips)", "",
             "| benchmark | A | B | t* | interval | ahead below t* |", "|:---|:---|:---|---:|---:|:---|"]
    for r in pairs.to_dict("records") if len(pairs) else []:
        if r["crossover_t"] == r["crossover_t"]:
            cross.append(f"| {_md(r['benchmark'])} | {_md(r['model_a'])} | {_md(r['model_b'])} | "
                         f"{_num(r['crossover_t'])} | [{_num(r['crossover_low'], 2)}, {_num(r['crossover_high'], 2)}]"
                         f" | {_md(r['leader_below_crossover'])} |")
    lines: list[str] = list(head)
    budget = limit - 400
    for block in (body, cross):
        for k, line in enumerate(block):
            if sum(map(len, lines)) + len(lines) + len(line) + 1 > budget:
                lines.append(f"\n> {len(block) - k} more rows left out to keep this under {limit:,} characters; "
                             "`rescore compare -o FILE.json` has every row.")
                break
            lines.append(line)
    return "\n".join(lines) + "\n"
