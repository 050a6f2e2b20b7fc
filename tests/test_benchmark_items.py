"""The dense per-benchmark item arrays behind paired tests and the bootstrap, against the plain
pandas construction they replaced (a groupby per benchmark and a MultiIndex of item keys):
same models, same item numbering (the bootstrap's seeded resamples depend on it), same
clusters, on random tables with several benchmarks, subsets, attempts and missing clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rescore.read import schema
from rescore.read.schema import conform
from rescore.score.clusters import cluster_series
from rescore.score.compare import BenchmarkItems, benchmark_items
from rescore.score.item_scores import scored_items
from rescore.score.policies import Policy

from .conftest import examples


def reference(items: pd.DataFrame, policy: Policy, cluster: str) -> list[tuple]:
    scored = scored_items(items, policy)
    labels, _ = cluster_series(scored, cluster) if not scored.empty else (None, "clt")
    if labels is not None:
        scored = scored.assign(_cluster=labels.to_numpy())
    out = []
    for benchmark, frame in scored.groupby("benchmark", sort=True, observed=True):
        keys = pd.MultiIndex.from_frame(frame[["subset", "item_id", "attempt"]].astype("string"))
        item_code, uniques = pd.factorize(keys)
        model_code, models = pd.factorize(frame["model"].astype("string"), sort=True)
        present = np.zeros((len(models), len(uniques)), dtype=bool)
        present[model_code, item_code] = True
        x = np.zeros((len(models), len(uniques), 3))
        x[model_code, item_code] = frame[["c", "w", "a"]].to_numpy(dtype="float64")
        clusters = None
        if labels is not None:
            clusters = np.full(len(uniques), -1, dtype="int64")
            clusters[item_code] = pd.factorize(frame["_cluster"].astype("string"))[0]
        out.append((str(benchmark), [str(m) for m in models], present, x, clusters))
    return out


_ROW = st.fixed_dictionaries({
    "benchmark": st.sampled_from(["b1", "b2", "b3"]),
    "model": st.sampled_from(["zeta", "alpha", "mid"]),
    "subset": st.sampled_from(["", "law", "math"]),
    "item_id": st.sampled_from(["1", "2", "10", "x"]),
    "attempt": st.integers(0, 2),
    "outcome": st.sampled_from(["correct", "wrong", "abstain", "partial", "invalid"]),
    "cluster": st.sampled_from([None, "c1", "c2"]),
})


@pytest.mark.parametrize("fold_limit", [schema.FOLD_LIMIT, 4])  # and the item keys renumbered on the way
@settings(max_examples=examples(60, 150), deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=40), st.sampled_from(["none", "item", "subset", "column", "auto"]),
       st.sampled_from(["wrong", "drop", "abstain"]))
def test_benchmark_items_equal_the_plain_construction(fold_limit: int, rows: list[dict], cluster: str,
                                                      invalid: str) -> None:
    frame = pd.DataFrame(rows).drop_duplicates(["benchmark", "model", "subset", "item_id", "attempt"])
    items = conform(frame, source="t.jsonl")
    policy = Policy(invalid=invalid)
    if cluster == "column" and scored_items(items, policy)["cluster"].isna().all():
        cluster = "item"  # (no cluster left after the policy: --cluster column is a usage error)
    original = schema.FOLD_LIMIT
    try:
        schema.FOLD_LIMIT = fold_limit
        got, _ = benchmark_items(items, policy, cluster)
    finally:
        schema.FOLD_LIMIT = original
    want = reference(items, policy, cluster)
    assert len(got) == len(want)
    for bench, (name, models, present, x, clusters) in zip(got, want, strict=True):
        assert (bench.benchmark, bench.models) == (name, models)
        assert np.array_equal(bench.present, present) and np.array_equal(bench.x, x)
        assert (bench.clusters is None) == (clusters is None)
        if clusters is not None:
            assert bench.clusters.tolist() == clusters.tolist()
        # the outcome codes the builder gives are those the dense arrays give
        derived = BenchmarkItems(name, models, present, x, clusters).outcome_codes
        assert (bench.outcome_codes is None) == (derived is None)
        if derived is not None:
            assert np.array_equal(bench.outcome_codes, derived)

