"""A complete third-party adapter: lines of ``model item verdict`` (tests/test_docs.py runs it)."""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from rescore.adapters.base import Adapter
from rescore.read.options import LoadOptions
from rescore.read.sources import SourceInfo

VERDICTS = {"right": "correct", "wrong": "wrong", "pass": "abstain"}


class VerdictLines(Adapter):
    name = "verdict_lines"
    version = "1"
    priority = 60  # above the generic table reader (0), below producers with stricter detection
    description = "Lines of 'model item verdict' (right / wrong / pass)"

    def detect(self, path: Path) -> bool:
        return path.suffix == ".verdicts"  # cheap: a name or the first bytes, never the whole file

    def read(self, path: Path, options: LoadOptions, info: SourceInfo) -> Iterator[pd.DataFrame]:
        rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        info.note(f"{len(rows)} verdict lines")
        yield pd.DataFrame({
            "model": [r[0] for r in rows],
            "benchmark": "toybench",
            "subset": "all",
            "item_id": [r[1] for r in rows],
            "attempt": 0,
            "grade": [VERDICTS[r[2]] for r in rows],  # the producer's verdict, as a canonical outcome
            "grade_rule": "verdict line",  # why: shown by --explain
        })


ADAPTER = VerdictLines()
