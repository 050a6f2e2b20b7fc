"""The library surface a notebook meets: a typed ``rescore.load``, ``Dataset.runs`` and HTML reprs."""

from __future__ import annotations

import inspect
import typing
from dataclasses import fields

import pandas as pd
import pytest

import rescore
from rescore.read.options import EXTRA_OPTIONS, LoadOptions

from .conftest import SAMPLE


def test_load_lists_every_option_as_a_typed_keyword() -> None:
    parameters = inspect.signature(rescore.load).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    keywords = {name: p for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    option_fields = {f.name: f for f in fields(LoadOptions) if f.name != "extra"}
    assert set(keywords) == set(option_fields) | set(EXTRA_OPTIONS) | {"options"}
    hints = typing.get_type_hints(rescore.load, localns={"LoadOptions": LoadOptions, "Dataset": rescore.Dataset})
    option_hints = typing.get_type_hints(LoadOptions)
    for name, field in option_fields.items():  # same type and default as the options object documents
        assert keywords[name].default == field.default, name
        assert hints[name] == option_hints[name], name


def test_keywords_and_an_options_object_read_alike() -> None:
    by_keywords = rescore.load(SAMPLE, need_items=False, latest=True)
    by_object = rescore.load(SAMPLE, options=LoadOptions(need_items=False, latest=True))
    pd.testing.assert_frame_equal(by_keywords.item_counts, by_object.item_counts)
    with pytest.raises(TypeError, match=r"got options \(latest\) and an options object"):
        rescore.load(SAMPLE, latest=True, options=LoadOptions())


def test_runs_has_one_row_per_run_with_its_outcomes_and_the_producers_number() -> None:
    data = rescore.load(SAMPLE)
    runs = data.runs
    assert list(runs.columns[:6]) == ["path", "producer", "benchmark", "model", "run", "items"]
    # every item row is counted once, in the run of the file that holds it
    assert runs["items"].sum() == len(data.items)
    per_file = data.items.groupby("source").size()
    assert runs.groupby("path")["items"].sum().sort_index().tolist() == per_file.sort_index().tolist()
    outcome_columns = [f"n_{o}" for o in ("correct", "wrong", "abstain", "partial", "invalid")]
    assert (runs[outcome_columns].sum(axis=1) == runs["items"]).all()
    # the producer's own aggregate sits beside the run it describes (lm-eval writes acc per task)
    lm_eval = runs[runs["producer"] == "lm_eval"]
    assert len(lm_eval) == 5 and lm_eval["producer_accuracy"].notna().all()
    for row in lm_eval.itertuples():
        source = next(s for s in data.sources if s.path == row.path)
        assert row.producer_accuracy == source.producer_metrics["aggregates"][0]["accuracy"]


def test_runs_in_counts_mode_agree_with_item_mode() -> None:
    items = rescore.load(SAMPLE).runs.drop(columns="path")
    counts = rescore.load(SAMPLE, need_items=False).runs.drop(columns="path")
    key = ["benchmark", "model"]
    pd.testing.assert_frame_equal(items.sort_values(key).reset_index(drop=True),
                                  counts.sort_values(key).reset_index(drop=True), check_dtype=False)


def test_notebook_reprs_show_the_board_and_the_runs() -> None:
    data = rescore.load(SAMPLE / "mmlu_pro_mini")
    html = data._repr_html_()
    assert "<table" in html and "acme/bold-70b" in html and f"{len(data.sources)} file(s) read" in html
    board = rescore.leaderboard(data, thresholds=[0, 0.9])
    html = board._repr_html_()
    first = board.rows[(board.rows["t"] == 0)].sort_values("rank").iloc[0]
    assert "<th>t=0.9</th>" in html and f"{first['score']:.3f} [{first['ci_low']:.3f}, {first['ci_high']:.3f}]" in html
