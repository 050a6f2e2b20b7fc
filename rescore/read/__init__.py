"""Stage 1, read: finding files and opening them, the canonical item table, counts mode, workers, engines.

It owns bytes-to-tables (CSV/TSV/JSON/JSONL/Parquet/zip, with limits), the canonical schema, the
adapter registry (plugins by entry point), per-file counting and the process/Dask engines that run
adapters. It is the lowest stage: it imports only errors and config, never adapters (it reaches them
through entry points), outcomes, score, report or cli.
"""
