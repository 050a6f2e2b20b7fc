"""Plain tables (CSV/TSV/JSON/JSONL/Parquet) of any layout: the fallback producer.

``columns`` decides which column plays which role, ``adapter`` is the plugin, and ``fast``
counts graded Parquet straight from Arrow in counts mode.
"""

from rescore.adapters.generic.adapter import ADAPTER, GenericAdapter
from rescore.adapters.generic.columns import GRADE_SAMPLE, ColumnMap

__all__ = ["ADAPTER", "GRADE_SAMPLE", "ColumnMap", "GenericAdapter"]
