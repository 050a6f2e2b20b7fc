"""The result of ``rescore calibration`` / ``selective`` / ``compare``: named tables plus provenance.

One small container for the three confidence-aware reports, so they share the JSON shape
(``{"schema": "rescore.<kind>", "schema_version": 1, "provenance": {...}, "<table>": [...]}``),
the CSV convention (the first table is the main one; ``-o out.csv`` also writes
``out.<table>.csv`` for the others) and the terminal rendering. The library functions return a
:class:`StatsReport`; :mod:`rescore.report.stats_output` writes and prints it, so ``--format json``
equals ``report.to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rescore.read.assemble import skipped_summary
from rescore.score.jsonable import records
from rescore.score.rule import Policy
from rescore.version import __version__

SCHEMA_VERSION = 1


def base_provenance(data: Any, policy: Policy, **extra: Any) -> dict[str, Any]:
    """What every confidence report states: version, outcome policy, sources, skipped files, notes."""
    return {
        "rescore_version": __version__,
        "policy": policy.describe(),
        **extra,
        "sources": [s.to_dict() for s in getattr(data, "sources", [])],
        "skipped": [{"path": p, "reason": r} for p, r in getattr(data, "skipped", [])],
        **({"skipped_kinds": skipped_summary(data.skipped)} if getattr(data, "skipped", None) else {}),
    }


@dataclass
class StatsReport:
    """Named tables (the first is the main one) with their provenance and stderr notes."""

    kind: str
    tables: dict[str, pd.DataFrame]
    provenance: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def main(self) -> str:
        return next(iter(self.tables))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (schema ``rescore.<kind>``)."""
        out: dict[str, Any] = {"schema": f"rescore.{self.kind}", "schema_version": SCHEMA_VERSION,
                               "provenance": {**self.provenance, "notes": list(self.notes)}}
        for name, frame in self.tables.items():
            out[name] = records(frame)
        return out
