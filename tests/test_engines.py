"""Engine selection without Dask: the default stays local, Dask is never imported, a missing extra is exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import rescore
from rescore.cli.commands import leaderboard as command
from rescore.read.engines import map_groups
from rescore.read.options import LoadOptions

from .conftest import ROOT, SAMPLE, invoke


def test_importing_rescore_never_imports_dask() -> None:
    code = ("import rescore, rescore.cli.app, rescore.read.engines, rescore.read.load, sys; "
            "assert 'dask' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_local_load_never_imports_dask() -> None:
    code = ("import rescore, sys; rescore.leaderboard(sys.argv[1]); "
            "assert 'dask' not in sys.modules and 'distributed' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLE)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr


def _hide_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import dask`` / ``import distributed`` fail as if the extra were not installed."""
    for name in list(sys.modules):
        if name in ("dask", "distributed") or name.startswith(("dask.", "distributed.")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)


def test_engine_dask_without_extra_is_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_dask(monkeypatch)
    result = invoke("leaderboard", str(SAMPLE), "--engine", "dask")
    assert result.exit_code == 2
    assert 'pip install "rescore[dask]"' in result.stderr
    assert result.stderr.startswith("rescore: error: --engine dask needs the optional Dask extra")
    assert "Traceback" not in result.stderr


def test_library_engine_dask_without_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_dask(monkeypatch)
    with pytest.raises(rescore.errors.UsageError, match=r'pip install "rescore\[dask\]"'):
        rescore.load(SAMPLE, engine="dask")


@pytest.mark.parametrize(("args", "needle"), [
    (["--engine", "spark"], "'spark' is not one of 'local', 'dask'"),  # a choice: click says so (issue 19)
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --engine dask"),
    (["--scheduler-timeout", "0"], "--scheduler-timeout"),
])
def test_engine_usage_errors(args: list[str], needle: str) -> None:
    result = invoke("leaderboard", str(SAMPLE), *args)
    assert result.exit_code == 2
    assert needle in result.stderr


@pytest.mark.parametrize(("args", "field", "value"), [
    (["--engine", "dask"], "engine", "dask"),
    (["--engine", "dask", "--scheduler", "tcp://10.1.2.3:8786"], "scheduler", "tcp://10.1.2.3:8786"),
    (["--engine", "dask", "--scheduler-timeout", "2.5"], "scheduler_timeout", 2.5),
])
def test_engine_flags_reach_load_options(monkeypatch: pytest.MonkeyPatch, args: list[str], field: str,
                                         value: object) -> None:
    seen: list[LoadOptions] = []

    def fake_load(paths: list[Path], options: LoadOptions) -> rescore.Dataset:
        seen.append(options)
        return rescore.load(SAMPLE)

    monkeypatch.setattr(command, "load", fake_load)
    monkeypatch.setattr("rescore.read.engines.base.require_dask", lambda: None)  # no cluster is started: load is faked
    result = invoke("leaderboard", str(SAMPLE), *args, "-q", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert getattr(seen[0], field) == value
    assert getattr(LoadOptions(), field) != value


def test_explicit_local_engine_is_the_default() -> None:
    default = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q")
    local = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q", "--engine", "local")
    assert default.exit_code == local.exit_code == 0
    assert default.stdout == local.stdout


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """Two benchmarks x two models in three files (one model's rows split over two files)."""
    rows = {"a.csv": [("m1", "b1", i, i % 3 != 0) for i in range(9)] + [("m2", "b1", i, i % 2 == 0) for i in range(9)],
            "b.csv": [("m1", "b2", i, True) for i in range(4)],
            "c.csv": [("m2", "b2", i, i == 0) for i in range(5)]}
    for name, data in rows.items():
        (tmp_path / name).write_text("model,benchmark,id,correct\n" + "".join(
            f"{m},{b},{i},{int(c)}\n" for m, b, i, c in data))
    return tmp_path


def test_local_map_groups_equals_groupby_of_load(small: Path) -> None:
    sizes = map_groups(small, lambda key, rows: (len(rows), int((rows["outcome"] == "correct").sum())),
                       columns=["outcome"])
    assert sizes == {("b1", "m1"): (9, 6), ("b1", "m2"): (9, 5), ("b2", "m1"): (4, 4), ("b2", "m2"): (5, 1)}
    items = rescore.load(small).items
    expected = {(b, m): (len(g), int((g["outcome"] == "correct").sum()))
                for (b, m), g in items.groupby(["benchmark", "model"])}
    assert sizes == expected


def test_map_groups_partition_shape(small: Path) -> None:
    """A partition holds the ``by`` columns then the requested ones, rows in loading order."""
    seen: dict[tuple[str, ...], pd.DataFrame] = {}
    map_groups(small, lambda key, rows: seen.setdefault(key, rows), by=("benchmark",), columns=["item_id", "model"])
    assert sorted(seen) == [("b1",), ("b2",)]
    assert list(seen[("b1",)].columns) == ["benchmark", "item_id", "model"]
    assert seen[("b2",)]["model"].tolist() == ["m1"] * 4 + ["m2"] * 5
