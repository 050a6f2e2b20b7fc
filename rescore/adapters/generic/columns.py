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


# a gold answer is short (a name, a number, a letter); free text this long, or spread over
# lines, is a model's reply
LONG_TEXT_CHARS = 60
LONG_TEXT_WORDS = 8
MULTILINE_SHARE = 0.3
LABEL_CHARS = 40  # a grade label is a word or two ("not_attempted", "partially correct")


def _may_be_labels(values: pd.Series) -> bool:
    """Whether a column's first values are short words, so its sample is judged for grade labels
    (:func:`_sample_abstention_labels`); free text, booleans and numbers are turned down on these
    few values."""
    quick = values.head(GRADE_SAMPLE).dropna().head(20)
    return not quick.empty and all(isinstance(v, str) and len(v) <= LABEL_CHARS for v in quick)


def _sample_abstention_labels(values: pd.Series) -> list[str]:
    """The distinct labels of a column of grade *words* that include an abstention, judged on its
    sample (empty if not such a scale); for a column :func:`_may_be_labels` let through."""
    sample = _non_empty(values).head(GRADE_SAMPLE)
    if sample.empty or not all(isinstance(v, str) for v in sample):
        return []
    parsed = parse_grades(sample)
    if parsed.notna().mean() < 0.95 or not (parsed == "abstain").any():
        return []
    return sorted({str(v).strip() for v, outcome in zip(sample, parsed, strict=True) if str(outcome) == "abstain"})[:4]


def _model_text(values: pd.Series) -> str | None:
    """Why a column's values look like a model's free text rather than gold answers, or None."""
    sample = _non_empty(values).head(GRADE_SAMPLE)
    if sample.empty or not all(isinstance(v, str) for v in sample):
        return None
    text = sample.astype(str)
    multiline = float(text.str.strip().str.contains("\n", regex=False).mean())
    chars = float(text.str.len().median())
    words = float(text.str.split().str.len().median())
    if multiline >= MULTILINE_SHARE:
        return f"{multiline:.0%} of its values span several lines"
    if chars >= LONG_TEXT_CHARS and words >= LONG_TEXT_WORDS:
        return f"median {chars:.0f} characters, {words:.0f} words"
    return None


class ColumnMap:
    """Resolved role -> column name for one file, with the notes that explain the choice."""

    def __init__(self, columns: list[str], options: LoadOptions, path: Path, first: pd.DataFrame) -> None:
        self.roles: dict[str, str] = {}
        self.notes: list[str] = []
        self.judged_as_grades: list[str] = []  # columns whose values decided whether they hold grades
        # every column whose values were sampled to decide a role (grades, a grade scale's abstention
        # label, free text offered as gold): what judged_as_first_batch must find whole
        self.sampled: list[str] = []
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
        if "correct" not in explicit:
            self._prefer_abstaining_grades(columns, first, inferred)
        # a grade scale with its own abstention category (a judge's correct/incorrect/not_attempted):
        # its "incorrect" stands against the abstention phrases (issue 16, point 11; outcomes.decide step 3)
        self.final_grades = "correct" in self.roles and self.roles["correct"] in first.columns and bool(
            self._labels(first, self.roles["correct"]))
        if "gold" in self.roles and "gold" not in explicit:
            self._refuse_model_text_as_gold(first, inferred)
        if inferred:  # one line for the whole mapping: one decision, and a line per role buried the board
            self.notes.append("columns inferred: " + ", ".join(inferred))

    def _prefer_abstaining_grades(self, columns: list[str], first: pd.DataFrame, inferred: list[str]) -> None:
        """A column of grade labels that include an abstention (a SimpleQA judge's ``not_attempted``,
        under any name: ``judge_pred``) decides, over a boolean or 0/1 column (``is_correct``) that
        cannot say "not attempted" and so counts every abstention as wrong."""
        chosen = self.roles.get("correct")
        if chosen is not None and self._labels(first, chosen):
            return
        taken = {column for role, column in self.roles.items() if role != "correct"}
        preferred = {name.lower() for name in load_config("columns.yaml").get("correct", [])}
        ordered = sorted((c for c in columns if c not in taken and c != chosen and c in first.columns),
                         key=lambda c: c.lower() not in preferred)  # a known grade name first, then file order
        for column in ordered:
            labels = self._labels(first, column)
            if not labels:
                continue
            self.judged_as_grades.append(column)
            self.roles["correct"] = column
            entry = f"correct <- {column!r}"
            if chosen is not None:
                inferred[:] = [e for e in inferred if e != f"correct <- {chosen!r}"]
            inferred.append(entry)
            over = f", preferred over {chosen!r}, which cannot say \"not attempted\"" if chosen else ""
            self.notes.append(f"correctness from {column!r}: its grade labels include an abstention "
                              f"({', '.join(labels)}){over}")
            return

    def _labels(self, first: pd.DataFrame, column: str) -> list[str]:
        """The grade labels of a column that include an abstention (empty if it is no such scale),
        noting the column as sampled when its sample was judged."""
        values = first[column]
        if not _may_be_labels(values):
            return []
        self.sampled.append(column)
        return _sample_abstention_labels(values)

    def _refuse_model_text_as_gold(self, first: pd.DataFrame, inferred: list[str]) -> None:
        """A column inferred as the gold answer that holds long free text is the model's reply (a
        per-model dump's ``answer`` is often what the model answered): never a gold answer. It
        becomes the response when there is none, else it is left out."""
        column = self.roles["gold"]
        self.sampled.append(column)
        why = _model_text(first[column])
        if why is None:
            return
        del self.roles["gold"]
        inferred[:] = [e for e in inferred if e != f"gold <- {column!r}"]
        if "response" not in self.roles:
            self.roles["response"] = column
            inferred.append(f"response <- {column!r}")
            taken = "taken as the model's response"
        else:
            taken = "not used"
        self.notes.append(f"column {column!r} is not a gold answer: it holds the model's own text ({why}: a reply, "
                          f"not a short gold answer); {taken}")

    def judged_as_first_batch(self, first: pd.DataFrame, head_rows: int, batch_size: int) -> bool:
        """Whether roles judged on ``first``, a file's first ``head_rows`` rows (or all it holds),
        are those the general reader judges on its first batch of ``batch_size`` rows: the head is
        that batch, or the whole file, or every column judged by its values (the grade candidates,
        the chosen grade column's labels, a gold column checked for free text) had its full sample
        in it, so a longer first batch would have judged it on the same values. The fast paths
        judge a head of ``GRADE_SAMPLE`` rows and ask this before trusting it."""
        if head_rows >= batch_size or len(first) < head_rows:
            return True
        return all(len(_non_empty(first[column])) >= GRADE_SAMPLE
                   for column in dict.fromkeys([*self.judged_as_grades, *self.sampled]))

    @property
    def result_like(self) -> bool:
        """Whether the table has what a result needs: a grade, an answer with its gold, or counts.

        A column *named* as a grade whose values are not grades still counts: the file is meant as
        results, and reading it says what is wrong with that column (a folder walk must not pass
        over a broken result file as if it were foreign)."""
        roles = self.roles
        answered = bool({"prediction", "response"} & set(roles))
        return (self.counts_only or "correct" in roles or ("gold" in roles and answered)
                or bool(self.judged_as_grades))

    @property
    def counts_only(self) -> bool:
        return "n_correct" in self.roles and "n_wrong" in self.roles
