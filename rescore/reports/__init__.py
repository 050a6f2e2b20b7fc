"""Reports: turn a Leaderboard into terminal tables and files (CSV, JSON, Parquet, Markdown)."""

from .formats import FORMATS, format_from_path, render, write

__all__ = ["FORMATS", "format_from_path", "render", "write"]
