"""Which items share a cluster, for clustered standard errors (``--cluster``).

Items of one passage, one task family or repeated attempts of one question are not independent;
the leaderboard and the paired comparison group them alike, so both ask this module.
"""

from __future__ import annotations

import pandas as pd

from rescore.errors import UsageError
from rescore.read.schema import as_string

CLUSTER_CHOICES = ("auto", "none", "subset", "item", "column")


def cluster_series(items: pd.DataFrame, mode: str) -> tuple[pd.Series | None, str]:
    """The cluster label per item for clustered SEs, and the method name to report."""
    if mode not in CLUSTER_CHOICES:
        raise UsageError(f"--cluster must be one of {', '.join(CLUSTER_CHOICES)}, not {mode!r}")
    has_column = "cluster" in items.columns and items["cluster"].notna().any()
    repeated = bool(len(items)) and bool((items["attempt"] != items["attempt"].iloc[0]).any())
    if mode == "auto":
        mode = "column" if has_column else ("item" if repeated else "none")
    if mode == "none":
        return None, "clt"
    if mode == "column":
        if not has_column:
            raise UsageError("--cluster column needs a cluster column in the data (--cluster-col)")
        return as_string(items["cluster"]).fillna(items["item_id"]), "clustered:column"
    if mode == "subset":
        return as_string(items["subset"]), "clustered:subset"
    return as_string(items["subset"]) + "\x1f" + as_string(items["item_id"]), "clustered:item"
