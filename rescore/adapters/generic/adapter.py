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

import numpy as np
import pandas as pd

from rescore.adapters._common import text_or_na
from rescore.adapters.base import Adapter, FastCounts, SourceInfo
from rescore.adapters.generic.columns import COUNT_ROLES, FLAG_NAME, ColumnMap
from rescore.config import load_config
from rescore.errors import InputError
from rescore.outcomes.confidence import normalise_confidence
from rescore.outcomes.decide import parse_grades
from rescore.outcomes.distinct import as_text, map_unique
from rescore.outcomes.names import normalise_benchmark, normalise_model
from rescore.read.options import LoadOptions
from rescore.read.tables import LINE, iter_table, located, table_kind


class GenericAdapter(Adapter):
    name = "generic"
    version = "1"
    priority = 0
    description = "Any CSV/TSV/JSON/JSONL/Parquet table with model, item and correctness columns."

    def detect(self, path: Path) -> bool:
        return table_kind(path) is not None

    def count_fast(self, path: Path, options: LoadOptions, detector: Any, info: SourceInfo) -> FastCounts | None:
        """Graded Parquet straight from Arrow (fast.py beside this module)."""
        from rescore.adapters.generic.fast import count_generic_parquet

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
            f"pass {FLAG_NAME[role]} or --{role} NAME",
            path=str(path),
        )

    def _identity(self, raw: pd.DataFrame, columns: ColumnMap, options: LoadOptions, path: Path,
                  info: SourceInfo) -> dict[str, pd.Series]:
        stem_benchmark = path.name.split(".")[0]
        model = self._fixed_or_column(raw, columns, "model", options.model, None, path)
        if options.model is None:
            check_model_names(raw[columns.roles["model"]], raw[LINE], path, columns.roles["model"])
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
