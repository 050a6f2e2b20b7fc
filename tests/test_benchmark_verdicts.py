"""``benchmarks/scale.py`` says plainly which of issue 7's targets a run met (its logic only;
the timings themselves belong to the benchmark, not to the test suite)."""

from __future__ import annotations

import sys

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import scale


def _row(layout: str, tool: str, seconds: float, vs_duckdb: float | None, peak_mb: int = 400) -> dict:
    return {"layout": layout, "tool": tool, "seconds": seconds, "vs_duckdb": vs_duckdb, "peak_mb": peak_mb}


def test_each_target_is_met_or_missed_at_its_limit() -> None:
    results = [_row("parquet", "DuckDB", 1.0, 1.0), _row("parquet", "rescore (4 t)", 1.5, 1.5),
               _row("parquet", "rescore (99 t)", 1.9, 1.9), _row("jsonl", "DuckDB", 3.0, 1.0),
               _row("jsonl", "rescore (4 t)", 6.3, 2.1, peak_mb=2100)]
    lines = scale.verdicts(results)
    assert lines == ["target Parquet time vs DuckDB <= 1.5x: 1.50x, met",
                     "target lm-eval JSONL time vs DuckDB <= 2.0x: 2.10x, MISSED",
                     "target 99 vs 4 thresholds <= 1.2x: 1.27x, MISSED",
                     "target peak memory < 2048 MB: 2100 MB, MISSED"]


def test_only_what_was_run_is_judged() -> None:
    lines = scale.verdicts([_row("jsonl", "DuckDB", 3.0, 1.0), _row("jsonl", "rescore (4 t)", 5.0, 1.67)])
    assert lines == ["target lm-eval JSONL time vs DuckDB <= 2.0x: 1.67x, met",
                     "target peak memory < 2048 MB: 400 MB, met"]
