"""The generic table loader: any CSV/TSV/JSON/JSONL/Parquet with recognisable columns.

Columns are mapped by flags (``--pred-col``...), a mapping file, or inferred from the names in
``configs/columns.yaml``; every inference is recorded as a note and printed. Correctness comes
from an explicit column (bool, 0/1, grade words) or from prediction vs gold. A table with
``n_correct``/``n_wrong`` columns is read as counts-only aggregates.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..confidence import normalise_confidence
from ..config import find_config, load_config, read_yaml
from ..errors import InputError
from ..names import normalise_benchmark, normalise_model
from ..options import LoadOptions
from ..outcomes import parse_grades
from ..tables import LINE, iter_table, located, table_kind
from ..vectorise import as_text, map_unique
from ._common import text_or_na
from .base import Adapter, FastCounts, SourceInfo

ROLES = (
    "model", "benchmark", "subset", "item_id", "attempt", "prediction", "response", "gold",
    "correct", "confidence", "cluster", "instructed_t",
)
COUNT_ROLES = ("n_correct", "n_wrong", "n_abstain", "n_partial", "n_invalid")
_FLAG_FOR_ROLE = {
    "model": "model_col", "benchmark": "benchmark_col", "subset": "subset_col", "item_id": "id_col",
    "attempt": "attempt_col", "prediction": "pred_col", "response": "response_col", "gold": "gold_col",
    "correct": "correct_col", "confidence": "confidence_col", "cluster": "cluster_col",
    "instructed_t": "instructed_t_col",
}
_FLAG_NAME = {role: "--" + flag.replace("_", "-") for role, flag in _FLAG_FOR_ROLE.items()}


def _mapping_file(options: LoadOptions) -> dict[str, str]:
    if not options.mapping:
        return {}
    path = Path(options.mapping)
    if not path.is_file():
        name = options.mapping if options.mapping.endswith((".yaml", ".yml")) else options.mapping + ".yaml"
        path = find_config(f"mappings/{name}")
    doc = read_yaml(path) or {}
    columns = doc.get("columns", doc)
    if not isinstance(columns, dict):
        raise InputError("mapping file must map roles to column names", path=str(path))
    unknown = set(columns) - set(ROLES) - set(COUNT_ROLES) - {"description"}
    if unknown:
        raise InputError(f"unknown roles {sorted(unknown)}; known: {list(ROLES)}", path=str(path))
    return {k: v for k, v in columns.items() if k != "description"}


GRADE_SAMPLE = 1000  # non-empty values of a candidate column judged by _looks_like_grades


def _non_empty(values: pd.Series) -> pd.Series:
    values = values.dropna()
    return values[values.astype(str).str.strip() != ""]


def _looks_like_grades(values: pd.Series) -> bool:
    sample = _non_empty(values).head(GRADE_SAMPLE)
    if sample.empty:
        return False
    parsed = parse_grades(sample)
    return bool(parsed.notna().mean() >= 0.95)


class ColumnMap:
    """Resolved role -> column name for one file, with the notes that explain the choice."""

    def __init__(self, columns: list[str], options: LoadOptions, path: Path, first: pd.DataFrame) -> None:
        self.roles: dict[str, str] = {}
        self.notes: list[str] = []
        self.judged_as_grades: list[str] = []  # columns whose values decided whether they hold grades
        lower = {c.lower(): c for c in columns}
        explicit = _mapping_file(options)
        for role, flag in _FLAG_FOR_ROLE.items():
            if getattr(options, flag):
                explicit[role] = getattr(options, flag)
        for role, column in explicit.items():
            if column not in columns:
                raise InputError(f"mapped column {column!r} (for {role}) not found; columns are {columns[:20]}",
                                 path=str(path), field=column)
            self.roles[role] = column
        names = load_config("columns.yaml")
        used = set(self.roles.values())
        inferred: list[str] = []
        for role in (*ROLES, *COUNT_ROLES):
            if role in self.roles:
                continue
            for candidate in names.get(role, []):
                column = lower.get(candidate.lower())
                if column is None or column in used:
                    continue
                if role == "correct":
                    self.judged_as_grades.append(column)
                    if not _looks_like_grades(first[column]):
                        self.notes.append(f"column {column!r} is not a grade column (values are not correct/wrong);"
                                          " ignored for correctness")
                        continue
                self.roles[role] = column
                used.add(column)
                inferred.append(f"{role} <- {column!r}")
                break
        if inferred:  # one line for the whole mapping: one decision, and a line per role buried the board
            self.notes.append("columns inferred: " + ", ".join(inferred))

    @staticmethod
    def read_by_value(columns: list[str]) -> list[str]:
        """The columns whose values (in the first batch) ColumnMap may look at: the grade
        candidates. Every other role is decided by column names alone."""
        candidates = {name.lower() for name in load_config("columns.yaml").get("correct", [])}
        return [column for column in columns if column.lower() in candidates]

    def judged_on_whole_samples(self, first: pd.DataFrame) -> bool:
        """Whether every column judged as grades had its full sample in ``first`` (so a longer
        first batch would have judged it on the same values)."""
        return all(len(_non_empty(first[column])) >= GRADE_SAMPLE for column in self.judged_as_grades)

    @property
    def counts_only(self) -> bool:
        return "n_correct" in self.roles and "n_wrong" in self.roles


class GenericAdapter(Adapter):
    name = "generic"
    version = "1"
    priority = 0
    description = "Any CSV/TSV/JSON/JSONL/Parquet table with model, item and correctness columns."

    def detect(self, path: Path) -> bool:
        return table_kind(path) is not None

    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None:
        """Graded Parquet straight from Arrow (rescore/fastcount.py)."""
        from ..fastcount import count_generic_parquet

        return count_generic_parquet(path, options, detector, info)

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        skipped: list[int] = []
        columns: ColumnMap | None = None
        row_offset = 0
        for raw in iter_table(path, options.batch_size, options.on_error, skipped):
            if columns is None:
                columns = ColumnMap([c for c in raw.columns if c != LINE], options, path, raw)
                for note in columns.notes:
                    info.note(note)
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
            f"pass {_FLAG_NAME[role]} or --{role} NAME",
            path=str(path),
        )

    def _identity(self, raw: pd.DataFrame, columns: ColumnMap, options: LoadOptions, path: Path,
                  info: SourceInfo) -> dict[str, pd.Series]:
        stem_benchmark = path.name.split(".")[0]
        model = self._fixed_or_column(raw, columns, "model", options.model, None, path)
        if options.benchmark is None and "benchmark" not in columns.roles:
            info.note(f"benchmark <- file name ({stem_benchmark!r})")
        bench_raw = self._fixed_or_column(raw, columns, "benchmark", options.benchmark, stem_benchmark, path)
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


ADAPTER = GenericAdapter()
