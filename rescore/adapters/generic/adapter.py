"""The generic table loader: any CSV/TSV/JSON/JSONL/Parquet with recognisable columns.

Columns are mapped by flags (``--pred-col``...), a mapping file, or inferred from the names in
``configs/columns.yaml``; every inference is recorded as a note and printed. Correctness comes
from an explicit column (bool, 0/1, grade words) or from prediction vs gold. A table with
``n_correct``/``n_wrong`` columns is read as counts-only aggregates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rescore.adapters._common import head_text, text_or_na
from rescore.adapters.base import Adapter, FastCounts, FastItems, SourceInfo
from rescore.adapters.generic.columns import COUNT_ROLES, FLAG_FOR_ROLE, FLAG_NAME, ColumnMap
from rescore.config import load_config
from rescore.errors import InputError, UsageError
from rescore.outcomes.confidence import normalise_confidence
from rescore.outcomes.decide import parse_grades
from rescore.outcomes.distinct import as_text, map_unique
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read import split
from rescore.read.options import LoadOptions
from rescore.read.tables import LINE, iter_table, located, table_kind

_TABLE_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".parquet", ".pq", ".gz", ".bz2", ".xz", ".zst")
FROM_CHOICES = ("stem", "parent")
WALK_HEAD_ROWS = 200  # rows a folder walk looks at to tell a result table from another table


def path_name(path: Path, part: str | None) -> str | None:
    """The part of ``path`` that names a model or benchmark: ``stem`` (the file name without its
    table and compression suffixes: ``gpt-4.1.jsonl`` is ``gpt-4.1``) or ``parent`` (the folder)."""
    if part is None:
        return None
    if part == "parent":
        return path.resolve().parent.name or path.parent.name
    if part == "stem":
        name = path.name
        while Path(name).suffix.lower() in _TABLE_SUFFIXES:
            name = name[: -len(Path(name).suffix)]
        return name or path.name
    raise UsageError(f"--model-from / --benchmark-from must be one of {', '.join(FROM_CHOICES)}, not {part!r}")


def _named_as_results(path: Path, options: LoadOptions) -> bool:
    """Whether a file is surely a result table by its column names (read from its first bytes, or
    its Parquet schema): a grade or count column by name, or column flags / a mapping given.
    Keeps a folder walk from reading the head of every result file twice."""
    if options.mapping or any(getattr(options, flag) for flag in FLAG_FOR_ROLE.values()):
        return True
    kind = table_kind(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            names = list(pq.read_schema(path).names)
        elif kind in ("csv", "tsv"):
            first = head_text(path, 1 << 16).split("\n", 1)[0]
            names = [n.strip().strip('"') for n in first.split("," if kind == "csv" else "\t")]
        else:  # JSON / JSONL: a quoted name followed by a colon, in the first 16 KB
            head = head_text(path, 1 << 14).lower()
            return any(re.search(f'"{re.escape(name)}"\\s*:', head) for name in _result_names() if f'"{name}"' in head)
    except Exception:  # unreadable here: the reading decides, and reports it
        return False
    return any(name.lower() in _result_names() for name in names)


def _result_names() -> frozenset[str]:
    """Column names (lower case) that make a table a result table: grade and count columns."""
    return frozenset(n.lower() for role in ("correct", *COUNT_ROLES) for n in load_config("columns.yaml").get(role, []))


class GenericAdapter(Adapter):
    name = "generic"
    version = "1"
    priority = 0
    honours = ("model_from", "benchmark_from", "instructed_t")
    description = "Any CSV/TSV/JSON/JSONL/Parquet table with model, item and correctness columns."

    def detect(self, path: Path) -> bool:
        return table_kind(path) is not None

    def walk_skip_reason(self, path: Path, options: LoadOptions) -> str | None:
        """Why a table met in a folder walk is not a result file, or None to read it.

        This adapter claims every CSV/TSV/JSON/JSONL/Parquet file by its suffix alone, so in a
        folder it looks first: a JSON document that is not a table (``metadata.json``, a config)
        or a table with no grade, no answer-and-gold pair and no counts is passed over, as a
        file no adapter recognises is. A file that *is* a table of results and then fails to read
        stays an error, and so does any file named on the command line.
        """
        if _named_as_results(path, options):  # the usual case, from the first bytes or the schema alone
            return None
        try:
            head = next(iter_table(path, batch_size=WALK_HEAD_ROWS), None)
        except InputError as exc:
            if exc.reason.startswith("JSON of the wrong shape"):
                return "JSON that is not a table of results"
            return None  # a result file that fails to read: the reading says so (or --on-error skip)
        if head is None:
            return None
        try:
            columns = ColumnMap([c for c in head.columns if c != LINE], options, path, head)
        except InputError:
            return None
        return None if columns.result_like else "a table without result columns (no grade, answer or counts)"

    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None:
        """Parquet, CSV/TSV and JSONL tables straight from Arrow (fast.py beside this module)."""
        from rescore.adapters.generic.fast_text import count_generic_table

        return count_generic_table(path, options, detector, info)

    def items_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastItems | None:
        """Parquet, CSV/TSV and JSONL tables straight from Arrow in item mode (fast_items.py beside this module)."""
        from rescore.adapters.generic.fast_items import items_generic_table

        return items_generic_table(path, options, detector, info)

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        skipped: list[int] = []
        columns: ColumnMap | None = None
        piece = split.current()  # a later piece of a split file: roles are judged on the file's first batch
        row_offset = 0 if piece is None else piece.first_row
        for raw in iter_table(path, options.batch_size, options.on_error, skipped):
            if columns is None:
                head = raw
                if piece is not None and not piece.first:
                    with split.whole_file():
                        head = next(iter_table(path, options.batch_size, options.on_error, []))
                columns = ColumnMap([c for c in head.columns if c != LINE], options, path, head)
                for note in columns.notes:
                    info.note(note)
            absent = [c for c in dict.fromkeys(columns.roles.values()) if c not in raw.columns]
            if absent:  # a JSON lines batch none of whose records has a role's key: its values are missing,
                raw = raw.assign(**{c: np.nan for c in absent})  # as in a record without it (was a KeyError)
            if columns.counts_only:
                info.per_item = False
                yield self._counts(raw, columns, options, path)
            else:
                yield self._items(raw, columns, options, path, info, row_offset)
            row_offset += len(raw)
        info.skipped_records += len(skipped)
        if skipped:
            info.note(f"skipped {len(skipped)} unreadable line(s): {skipped[:10]}")

    # -- helpers -------------------------------------------------------------------------
    def _fixed_or_column(self, raw: pd.DataFrame, columns: ColumnMap, role: str, fixed: str | None,
                         default: str | None, path: Path) -> pd.Series:
        if fixed is not None:
            return pd.Series(fixed, index=raw.index, dtype="string")
        if role in columns.roles:
            return raw[columns.roles[role]].astype("string")
        if default is not None:
            return pd.Series(default, index=raw.index, dtype="string")
        raise InputError(
            f"no {role} column found (looked for {load_config('columns.yaml')[role][:5]}); "
            f"pass {FLAG_NAME[role]} or --{role} NAME",
            path=str(path),
        )

    def _identity(self, raw: pd.DataFrame, columns: ColumnMap, options: LoadOptions, path: Path,
                  info: SourceInfo) -> dict[str, pd.Series]:
        """Model, benchmark and subset per row: flags first, then the table's columns, then the path.

        A per-model file (one file per model, ``results/simpleqa/03_llama.jsonl``) has no model
        column: the model is then the file's stem and the benchmark its folder's name, since the
        file name names the model, not the benchmark. ``--model-from`` / ``--benchmark-from``
        choose the path part explicitly.
        """
        model_part = None  # the path part that names the model, when one does
        if options.model is None and (options.model_from is not None or "model" not in columns.roles):
            model_part = options.model_from or "stem"
        model_fixed = options.model if options.model is not None else path_name(path, model_part)
        bench_fixed = options.benchmark if options.benchmark is not None else path_name(path, options.benchmark_from)
        bench_default = None
        if bench_fixed is None and "benchmark" not in columns.roles:
            if model_part is not None:  # the path part the model does not use names the benchmark
                bench_default = path_name(path, "stem" if model_part == "parent" else "parent")
            else:
                bench_default = path.name.split(".")[0]
                info.note(f"benchmark <- file name ({bench_default!r})")
        if model_part is not None and options.model_from is None:
            said = "model <- file name" + (", benchmark <- folder name" if bench_default is not None else "")
            offer = ("--model-from and --benchmark-from stem|parent choose otherwise" if options.benchmark_from is None
                     else "--model-from stem|parent chooses otherwise")  # never a flag already given
            info.note(f"{said} (the table has no model column; {offer})")
        model = self._fixed_or_column(raw, columns, "model", model_fixed, None, path)
        if model_fixed is None:  # names from a column: a blank or non-string name is an error (issue 17)
            check_model_names(raw[columns.roles["model"]], raw[LINE], path, columns.roles["model"])
        bench_raw = self._fixed_or_column(raw, columns, "benchmark", bench_fixed, bench_default, path)
        model = map_unique(model.fillna(""), normalise_model)  # once per distinct name, not per row
        benchmark = map_unique(bench_raw.fillna(""), lambda b: normalise_benchmark(b)[0])
        subset = map_unique(bench_raw.fillna(""), lambda b: normalise_benchmark(b)[1])
        if "subset" in columns.roles:
            subset = raw[columns.roles["subset"]].astype("string").fillna("")
        return {"model": model, "benchmark": benchmark, "subset": subset}

    def _counts(self, raw: pd.DataFrame, columns: ColumnMap, options: LoadOptions, path: Path) -> pd.DataFrame:
        info = SourceInfo(str(path))
        out = pd.DataFrame(self._identity(raw, columns, options, path, info))
        for role in COUNT_ROLES:
            if role in columns.roles:
                values = pd.to_numeric(raw[columns.roles[role]], errors="coerce")
                if values.isna().any() or (values < 0).any():
                    line = int(raw.loc[values.isna() | (values < 0), LINE].iloc[0])
                    raise InputError("count is not a non-negative number", path=str(path), **located(path, line),
                                     field=columns.roles[role])
                out[role] = values.astype("int64")
            else:
                out[role] = 0
        out["source"] = str(path)
        return out

    def _items(self, raw: pd.DataFrame, columns: ColumnMap, options: LoadOptions, path: Path,
               info: SourceInfo, row_offset: int) -> pd.DataFrame:
        roles = columns.roles
        out = pd.DataFrame(self._identity(raw, columns, options, path, info))
        if "item_id" in roles:
            out["item_id"] = raw[roles["item_id"]].astype("string")
        else:
            info.note("item_id <- row number (no id column)")
            out["item_id"] = pd.Series(range(row_offset, row_offset + len(raw)), index=raw.index).astype("string")
        if "attempt" in roles:
            attempt = pd.to_numeric(raw[roles["attempt"]], errors="coerce")
            if attempt.isna().any():
                line = int(raw.loc[attempt.isna(), LINE].iloc[0])
                raise InputError("attempt is not an integer", path=str(path), **located(path, line),
                                 field=roles["attempt"])
            out["attempt"] = attempt.astype("int64")
        for role in ("prediction", "response", "gold", "cluster"):
            if role in roles:
                out[role] = as_text(raw[roles[role]], text_or_na)
        if "prediction" not in roles and "response" in roles and "correct" not in roles:
            out["prediction"] = out["response"]
            info.note(f"prediction <- column {roles['response']!r} (no separate extracted answer)")
        if "correct" in roles:
            grades = parse_grades(raw[roles["correct"]])
            bad = grades.isna() & raw[roles["correct"]].notna() & (raw[roles["correct"]].astype(str).str.strip() != "")
            if bad.any():
                line = int(raw.loc[bad, LINE].iloc[0])
                value = raw.loc[bad, roles["correct"]].iloc[0]
                raise InputError(f"not a grade: {str(value)[:40]!r} (expected correct/wrong, true/false, 1/0, ...)",
                                 path=str(path), **located(path, line), field=roles["correct"])
            out["grade"] = grades
            if columns.final_grades:  # the judge's "incorrect" stands; its "invalid" is no verdict on the content
                out["grade_final"] = (grades == "wrong").fillna(False).astype(bool)
        elif "prediction" not in out or "gold" not in out:
            raise InputError(
                "no correctness column and no prediction + gold columns to compare; "
                "pass --correct-col, or --pred-col and --gold-col",
                path=str(path),
            )
        if "confidence" in roles:
            conf, note = normalise_confidence(raw[roles["confidence"]], path=str(path), column=roles["confidence"],
                                              lines=raw[LINE])
            out["confidence"] = conf
            if note:
                info.note(note)
        if "instructed_t" in roles:
            out["instructed_t"] = pd.to_numeric(raw[roles["instructed_t"]], errors="coerce")
        elif options.instructed_t is not None:
            out["instructed_t"] = float(options.instructed_t)
        out["_line"] = raw[LINE].to_numpy()
        return out


def check_model_names(values: pd.Series, lines: pd.Series, path: Path, column: str) -> None:
    """A blank, null or non-text model name is an error naming its line or record: scored as it
    was, it became a model called "" (or "5", "['a']") ranked beside the real ones (issue 17)."""
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "string":
        bad = (values.fillna("").str.strip() == "").to_numpy(dtype=bool)
        if not bad.any():
            return
        i = int(np.flatnonzero(bad)[0])
        reason = "model name is blank or missing"
    else:
        flags = [v is None or v is pd.NA or not isinstance(v, str) or not v.strip() for v in values.tolist()]
        i = flags.index(True)
        value = values.iloc[i]
        missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
        reason = ("model name is missing" if missing
                  else "model name is blank" if isinstance(value, str)
                  else f"model name is not text ({type(value).__name__} {str(value)[:40]!r})")
    raise InputError(f"{reason}; fix the record or give --model NAME", path=str(path),
                     **located(path, int(lines.iloc[i])), field=column)


ADAPTER = GenericAdapter()
