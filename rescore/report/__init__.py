"""Stage 5, report: terminal tables, the HTML report, and CSV/TSV/JSON/Parquet/Markdown files.

It only renders what :mod:`rescore.score` computed, and writes files atomically
(:mod:`rescore.report.atomic`). It may import every stage below it, never cli.
"""


from rescore.report.files import FORMATS, format_from_path, render, write

__all__ = ["FORMATS", "format_from_path", "render", "write"]
