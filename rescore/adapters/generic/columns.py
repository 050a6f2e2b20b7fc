"""Which column of a plain table plays which role (model, item id, grade, prediction, ...).

Shared by the generic adapter and its Parquet fast path (``fast.py``), which must judge a
file's columns exactly alike.
"""


from __future__ import annotations

from pathlib import Path

import pandas as pd

from rescore.config import find_config, load_config, read_yaml
from rescore.errors import InputError
from rescore.outcomes.decide import parse_grades
from rescore.read.options import LoadOptions

ROLES = (
    "model", "benchmark", "subset", "item_id", "attempt", "prediction", "response", "gold",
    "correct", "confidence", "cluster", "instructed_t",
)
COUNT_ROLES = ("n_correct", "n_wrong", "n_abstain", "n_partial", "n_invalid")
FLAG_FOR_ROLE = {
    "model": "model_col", "benchmark": "benchmark_col", "subset": "subset_col", "item_id": "id_col",
    "attempt": "attempt_col", "prediction": "pred_col", "response": "response_col", "gold": "gold_col",
    "correct": "correct_col", "confidence": "confidence_col", "cluster": "cluster_col",
    "instructed_t": "instructed_t_col",
}
FLAG_NAME = {role: "--" + flag.replace("_", "-") for role, flag in FLAG_FOR_ROLE.items()}


def _mapping_file(options: LoadOptions) -> dict[str, str]:
    if not options.mapping:
        return {}
    path = Path(options.mapping)
    if not path.is_file():
        name = options.mapping if options.mapping.endswith((".yaml", ".yml")) else options.mapping + ".yaml"
        path = find_config(f"mappings/{name}")
    doc = read_yaml(path) or {}
    columns = doc.get("columns", doc) if isinstance(doc, dict) else doc
    if not isinstance(columns, dict) or not all(isinstance(v, str) for k, v in columns.items() if k != "description"):
        raise InputError(f"mapping file must map roles to column names (role: column), found "
                         f"{type(columns).__name__}", path=str(path))
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
        for role, flag in FLAG_FOR_ROLE.items():
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
