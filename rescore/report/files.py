"""File renderings of a leaderboard. Each carries its provenance (formula, thresholds with
penalties, policies and the counts they touched, sources, version), and floats are written
with fixed precision so the same input gives byte-identical output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from rescore.errors import UsageError
from rescore.report.atomic import write_atomic, write_text_atomic
from rescore.report.layout import coverage_footer, is_partial, ranked_layout, wider_half
from rescore.report.safe_text import markdown_text
from rescore.score.gates import MARKDOWN_LIMIT
from rescore.score.jsonable import csv_ready, dumps, frame_json_lines
from rescore.score.leaderboard import PARTIAL_MARK, Leaderboard

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "parquet", "markdown")
_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
           ".pq": "parquet", ".md": "markdown", ".markdown": "markdown"}
FLOAT_FORMAT = "%.6f"


def format_from_path(path: str | Path | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    if path is not None and str(path) != "-":  # -o - is stdout: the format is the terminal's
        found = _SUFFIX.get(Path(path).suffix.lower())
        if found:
            return found
        raise UsageError(f"cannot tell the format of {path}; pass --format")
    return "table"


def long_table(board: Leaderboard) -> pd.DataFrame:
    """Rows joined with their group's rates plus provenance columns: one self-describing table."""
    metrics = board.groups[["benchmark", "model", "per_item", "coverage", "n_correct", "n_wrong", "n_abstain",
                            "n_partial", "n_invalid", "dropped", "accuracy", "error_rate", "abstention_rate",
                            "accuracy_on_attempted", "f_score", "break_even_t", "se_method", "n_clusters",
                            "break_even_low", "break_even_high", "f_score_low", "f_score_high"]]
    table = board.rows.merge(metrics, on=["benchmark", "model"], how="left")
    table["partial_policy"] = board.policy.partial
    table["invalid_policy"] = board.policy.invalid
    table["idk_credit"] = float(board.policy.idk_credit)
    table["interval_level"] = board.level
    from rescore.version import __version__

    table["rescore_version"] = __version__
    table["formula"] = board.provenance()["formula"]
    table["sources"] = [_group_sources(board, b, m) for b, m in zip(table["benchmark"], table["model"], strict=True)]
    from rescore.report.policy_tables import join_policy_columns

    return join_policy_columns(table, board)  # policy_* columns with --policy calibrated|both


def _group_sources(board: Leaderboard, benchmark: str, model: str) -> str:
    """The files (adapter and version) a (benchmark, model) was read from, for the flat formats."""
    found = [s for s in board.sources
             if benchmark in (s.get("benchmarks") or []) and model in (s.get("models") or [])]
    if not found and (benchmark, model) in board.run_sources:  # a run shown apart: "model [run]"
        paths = set(board.run_sources[(benchmark, model)])
        found = [s for s in board.sources if s["path"] in paths]
    return "; ".join(f"{s['path']} ({s['adapter']} v{s['adapter_version']})" for s in found)


def to_json(board: Leaderboard) -> str:
    return dumps(board.to_dict())


def to_csv(board: Leaderboard, raw: bool = False, sep: str = ",") -> str:
    """The long table as CSV (or TSV: ``sep`` a tab); text cells a spreadsheet would run as
    formulas get a leading ``'`` unless ``raw`` (``--raw-csv``; see rescore/report/safe_text.py)."""
    from rescore.report.safe_text import neutralise_frame

    table = long_table(board)
    if not raw:
        table = neutralise_frame(table)
    buffer = io.StringIO()
    csv_ready(table, FLOAT_FORMAT).to_csv(buffer, sep=sep, index=False, float_format=FLOAT_FORMAT,
                                          lineterminator="\n")
    return buffer.getvalue()


def to_jsonl(board: Leaderboard) -> str:
    """The long table (as CSV has it) as JSON Lines: one object per benchmark x model x t."""
    return frame_json_lines(long_table(board))


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _md_escape(text: str) -> str:
    """Text inside a code span (a path): backslashes would show there, so only the cell boundary,
    HTML and control characters are neutralised."""
    from rescore.report.safe_text import escape_controls

    text = escape_controls(str(text).replace("\n", " "))
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(board: Leaderboard, top: int | None = None, limit: int | None = MARKDOWN_LIMIT) -> str:
    """A GitHub-flavoured table per benchmark, fit for a pull-request comment.

    GitHub cuts a comment at 65,536 characters, so past ``limit`` the list of input files folds
    to a count (with a note), and if that is not enough each table keeps its top rows (with a
    note); below the limit the output is unchanged.
    """
    text = _markdown(board, top)
    if limit is None or len(text) < limit:
        return text
    text = _markdown(board, top, fold=True)
    if len(text) < limit:
        return text
    # the largest top that fits (one row per table at least): the length grows about linearly in
    # the rows kept, so estimate from one row per table and step down until it fits (a render costs)
    most = max((len(layout.entries) for layout in ranked_layout(board, top)), default=1)
    one = _markdown(board, 1, fold=True, cut=1)
    per_row = max(1.0, (len(text) - len(one)) / max(1, most - 1))
    keep = max(1, min(most, 1 + int((limit - len(one)) / per_row)))
    out = _markdown(board, keep, fold=True, cut=keep)
    while keep > 1 and len(out) >= limit:
        keep = max(1, keep - max(1, keep // 10))
        out = _markdown(board, keep, fold=True, cut=keep)
    return out


def _markdown(board: Leaderboard, top: int | None, fold: bool = False, cut: int | None = None) -> str:
    lines: list[str] = ["## rescore leaderboard", ""]
    if cut is not None:
        lines += [f"> Each table shows its top {cut} models at t={board.thresholds[0]:g} to keep this under "
                  f"{MARKDOWN_LIMIT:,} characters (GitHub's limit for a comment); `--top N` chooses, and the JSON "
                  "or CSV output has every row.", ""]
    ts = board.thresholds
    for layout in ranked_layout(board, top):
        lines.append(f"### {markdown_text(layout.benchmark)}")
        lines.append("")
        head = ["#", "model", "n", "acc", "abstain", "wrong"] + [f"S({t:g}) [pen {t / (1 - t):g}]" for t in ts]
        head.append("break-even t")
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---:", ":---", "---:", "---:", "---:", "---:"] + ["---:"] * len(ts) + ["---:"])
                     + "|")
        for g, per_t in layout.entries:
            name = markdown_text(g["model"]) + (f" {PARTIAL_MARK}" if is_partial(g) else "")
            cells = [str(per_t[0]["rank"]), name, str(g["n"]), _fmt(g["accuracy"]),
                     _fmt(g["abstention_rate"]), _fmt(g["error_rate"])]
            for x in per_t:
                change = int(x["rank_change"])
                arrow = f" ▲{change}" if change > 0 else (f" ▼{-change}" if change < 0 else "")
                tie = " ≈" if x["overlaps_above"] else ""
                half = wider_half(x["score"], x["ci_low"], x["ci_high"])
                cells.append(f"{x['score']:.3f} ± {_fmt(half)} (#{x['rank']}{arrow}){tie}")
            cells.append(_fmt(g["break_even_t"], 2))
            lines.append("| " + " | ".join(cells) + " |")
        for _, run in board.unscored[board.unscored["benchmark"] == layout.benchmark].iterrows():
            lines.append("| – | " + " | ".join([_md_escape(run["model"]), str(run["n"]), "–", "–", "–"]
                                               + ["unscored"] * len(ts) + ["–"]) + " |")
        lines.append("")
    for _, run in board.unscored.iterrows():
        lines.append(f"- unscored: {_md_escape(run['model'])} on {_md_escape(run['benchmark'])} "
                     f"(n={run['n']}): {_md_escape(run['reason'])}; not ranked")
    if not board.unscored.empty:
        lines.append("")
    footer = coverage_footer(board)
    if footer:
        lines.extend([markdown_text(footer), ""])
    from rescore.report.policy_tables import markdown_policy

    lines.extend(markdown_policy(board, top))
    lines.extend(provenance_lines(board, fold))
    return "\n".join(lines) + "\n"


def provenance_lines(board: Leaderboard, fold: bool = False) -> list[str]:
    """Scoring, policies, intervals, and the inputs; ``fold`` says the inputs by count only."""
    prov = board.provenance()
    pens = ", ".join(f"t={x['t']:g} (penalty {x['penalty']:g})" for x in prov["thresholds"])
    touched = prov["policy_counts"]
    out = [
        f"Scoring: `{prov['formula']}`; {pens}.",
        f"Policies: partial → {board.policy.partial} ({touched['partial']} items), invalid → "
        f"{board.policy.invalid} ({touched['invalid']} items, {touched['dropped']} dropped), idk_credit = "
        f"{board.policy.idk_credit:g}.",
        f"Intervals: {int(board.level * 100)}% {prov['interval']['kind']} ({board.se_method}; ± is the wider "
        f"side, – undefined); ≈ = "
        f"{board.tie_phrase()}; ▲/▼ = rank change from t=0.",
        "Resampling: none (normal intervals from the counts, so no seed); " + (
            f"alignment: {board.common_items['method']} ({board.common_items['items_dropped']} item rows dropped)."
            if board.common_items else
            "alignment: none (each model is scored on all of its own items; n per row above)"
            + ("; the ≈ marks test pairs on their shared items." if board.tie_method.startswith("paired") else ".")),
        f"rescore {prov['rescore_version']}.",
        "",
    ]
    # the long part folds away, so the comment stays readable on a pull request
    out.append(f"<details><summary>Inputs: {len(prov['sources'])} files read, {len(prov['skipped'])} skipped, "
               f"{len(prov['notes'])} notes</summary>")
    out.append("")
    if fold:
        items = sum(int(s.get("items") or 0) for s in prov["sources"])
        out.append(f"- {len(prov['sources']):,} files read ({items:,} items) and {len(prov['skipped']):,} skipped: "
                   f"the list is left out to keep this under {MARKDOWN_LIMIT:,} characters (GitHub's limit for a "
                   "comment); `--format json` lists every file.")
    else:
        out.extend(f"- read `{_md_escape(s['path'])}` ({_md_escape(s['adapter'])} v{s['adapter_version']}, "
                   f"{s['items']} items)" for s in prov["sources"])
        out.extend(f"- skipped `{_md_escape(s['path'])}`: {_md_escape(s['reason'])}" for s in prov["skipped"])
    out.extend(f"- warning: {_md_escape(w)}" for w in prov.get("warnings", []))
    out.extend(f"- note: {_md_escape(n)}" for n in prov["notes"])
    out.extend(["", "</details>"])
    return out


def to_parquet_file(board: Leaderboard, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(long_table(board), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"rescore.provenance"] = json.dumps(board.provenance(), allow_nan=False).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


def render(board: Leaderboard, fmt: str, top: int | None = None, raw_csv: bool = False) -> str:
    if fmt == "json":
        return to_json(board)
    if fmt == "csv":
        return to_csv(board, raw=raw_csv)
    if fmt == "tsv":
        return to_csv(board, raw=raw_csv, sep="\t")
    if fmt == "jsonl":
        return to_jsonl(board)
    if fmt == "markdown":
        return to_markdown(board, top)
    raise UsageError(f"format {fmt!r} cannot be printed as text; use -o FILE")


def write(board: Leaderboard, fmt: str, path: str | Path, top: int | None = None, raw_csv: bool = False) -> Path:
    if fmt == "parquet":
        return write_atomic(path, lambda p: to_parquet_file(board, p))
    if fmt == "table":
        raise UsageError("--format table is for the terminal; choose csv, tsv, json, jsonl, parquet or markdown for -o")
    return write_text_atomic(path, render(board, fmt, top, raw_csv))
