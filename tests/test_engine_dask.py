"""The Dask engine reproduces the local engine exactly, on a real multi-process LocalCluster (loopback only).

One cluster (2 worker processes, 1 thread each, no dashboard) is shared by the module; every
comparison is byte-for-byte against the local engine's output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

import rescore  # noqa: E402
from rescore.errors import InputError  # noqa: E402
from rescore.read.assemble import assemble, plan  # noqa: E402
from rescore.read.engines import EngineError, map_groups  # noqa: E402
from rescore.read.engines.dask import DaskEngine, local_cluster_kwargs  # noqa: E402
from rescore.read.options import LoadOptions  # noqa: E402
from rescore.read.per_file import read_one  # noqa: E402
from rescore.score.leaderboard import build  # noqa: E402

from .conftest import ROOT, SAMPLE, invoke, write_jsonl  # noqa: E402

MODELS = ["acme/a-7b", "acme/b-70b", "nova/c-8b", "nova/d-32b"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    with distributed.LocalCluster(**local_cluster_kwargs(2)) as local_cluster:  # loopback, no dashboard
        yield local_cluster


@pytest.fixture(scope="module")
def address(cluster: distributed.LocalCluster) -> str:
    return cluster.scheduler_address


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """25 files: 3 benchmarks x 4 models x 2 chunks (JSONL and CSV), repeats on one, plus a counts-only table."""
    root = tmp_path_factory.mktemp("tree")
    rng = np.random.default_rng(20261123)
    for b, bench in enumerate(["alpha", "beta", "gamma"]):
        for m, model in enumerate(MODELS):
            skill, shy = 0.35 + 0.08 * m, 0.1 * ((m + b) % 4)
            for chunk in range(2):
                rows = []
                for i in range(40):
                    for attempt in range(2 if bench == "gamma" else 1):
                        u = rng.random()
                        grade = "NOT_ATTEMPTED" if u < shy else ("CORRECT" if rng.random() < skill else "INCORRECT")
                        rows.append({"model": model, "benchmark": bench, "question_id": f"q{chunk * 40 + i}",
                                     "attempt": attempt, "category": f"cat{i % 3}", "grade": grade,
                                     "confidence": round(float(rng.random()), 3)})
                folder = root / bench
                folder.mkdir(exist_ok=True)
                stem = f"{model.replace('/', '__')}_{chunk}"
                if chunk == 0:
                    (folder / f"{stem}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
                else:
                    header = list(rows[0])
                    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in rows]
                    (folder / f"{stem}.csv").write_text("\n".join(lines) + "\n")
    (root / "published").mkdir()
    (root / "published" / "delta_counts.csv").write_text(
        "model,benchmark,n_correct,n_wrong,n_abstain\n"
        + "".join(f"{model},delta,{30 + 7 * m},{50 - 5 * m},{m * 3}\n" for m, model in enumerate(MODELS))
    )
    return root


def _json(*args: str) -> str:
    result = invoke("leaderboard", *args, "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_sample_data_json_is_byte_identical(address: str) -> None:
    local = _json(str(SAMPLE))
    dask = _json(str(SAMPLE), "--engine", "dask", "--scheduler", address)
    assert dask == local
    doc = json.loads(dask)
    assert len(doc["groups"]) >= 10 and len(doc["provenance"]["sources"]) >= 6


def test_generated_tree_is_identical_in_every_output(address: str, tree: Path) -> None:
    for extra in ([], ["--latest", "--invalid", "abstain", "--cluster", "subset", "-t", "0.8", "--policy", "both",
                       "--ties", "paired"]):
        local = _json(str(tree), *extra)
        assert _json(str(tree), "--engine", "dask", "--scheduler", address, *extra) == local
    doc = json.loads(local)
    assert len(doc["provenance"]["sources"]) == 25
    groups = {(g["benchmark"], g["model"]): g for g in doc["groups"]}
    assert len(groups) == 16
    assert groups[("gamma", "acme/a-7b")]["n"] == 160  # 80 items x 2 attempts, from two files
    assert groups[("delta", "nova/d-32b")]["per_item"] is False
    assert groups[("delta", "nova/d-32b")]["n"] == 51 + 35 + 9
    table_local = invoke("leaderboard", str(tree), "--explain", "-q")
    table_dask = invoke("leaderboard", str(tree), "--explain", "-q", "--engine", "dask", "--scheduler", address)
    assert table_dask.stdout == table_local.stdout


def test_library_api_and_dataset_equal(address: str, tree: Path) -> None:
    local = rescore.load(tree)
    remote = rescore.load(tree, engine="dask", scheduler=address)
    assert remote.items.equals(local.items)
    assert remote.counts.equals(local.counts)
    assert [s.to_dict() for s in remote.sources] == [s.to_dict() for s in local.sources]
    assert remote.notes == local.notes and remote.skipped == local.skipped
    assert len(local.items) == 4 * (80 + 80 + 160)  # per model: alpha, beta 80 items; gamma 80 x 2 attempts


def _calibration_bins(key: tuple[str, ...], rows) -> list[tuple[int, int, int]]:
    """A per-partition reduction as the calibration feature would do it: (bin, answered, correct)."""
    answered = rows[rows["outcome"] != "abstain"]
    bins = np.minimum((answered["confidence"].to_numpy() * 5).astype(int), 4)
    hit = (answered["outcome"] == "correct").to_numpy()
    return [(b, int((bins == b).sum()), int(hit[bins == b].sum())) for b in range(5)]


def _paired(key: tuple[str, ...], rows) -> dict[str, int]:
    """A paired comparison on one benchmark: items where model a-7b is right and d-32b wrong, and vice versa."""
    wide = rows.pivot_table(index=["item_id", "attempt"], columns="model", values="outcome", aggfunc="first")
    a, f = wide["acme/a-7b"], wide["nova/d-32b"]
    return {"a_only": int(((a == "correct") & (f != "correct")).sum()),
            "f_only": int(((f == "correct") & (a != "correct")).sum())}


def test_map_groups_per_model_and_per_benchmark_match_local(address: str, tree: Path) -> None:
    local = map_groups(tree, _calibration_bins, columns=["confidence", "outcome"])
    remote = map_groups(tree, _calibration_bins, columns=["confidence", "outcome"], engine="dask", scheduler=address)
    assert remote == local
    assert len(local) == 12  # the counts-only benchmark has no item rows
    items = rescore.load(tree).items
    assert sum(n for bins in local.values() for _, n, _ in bins) == int((items["outcome"] != "abstain").sum())
    paired_local = map_groups(tree, _paired, by=("benchmark",), columns=["item_id", "attempt", "model", "outcome"])
    paired_remote = map_groups(tree, _paired, by=("benchmark",), columns=["item_id", "attempt", "model", "outcome"],
                               engine="dask", scheduler=address)
    assert paired_remote == paired_local
    assert sorted(paired_local) == [("alpha",), ("beta",), ("gamma",)]


def test_item_partitions_stay_on_workers(address: str, tree: Path) -> None:
    options = LoadOptions(engine="dask")
    chosen, _ = plan([tree], options)
    with DaskEngine(scheduler=address) as engine:
        parts = engine.item_partitions(chosen, options, columns=["outcome"])
        assert all(isinstance(f, distributed.Future) for f in parts.values())
        one = parts[("beta", "nova/c-8b")].result()
    local = rescore.load(tree).items
    expected = local[(local["benchmark"] == "beta") & (local["model"] == "nova/c-8b")]
    assert len(one) == len(expected) == 80
    assert one["outcome"].tolist() == expected["outcome"].tolist()
    assert "response" not in one.columns  # only the asked-for columns (plus identity) travel


def _broken_tree(tree: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "broken"
    shutil.copytree(tree, copy)
    for name, line in (("beta/nova__d-32b_0.jsonl", 3), ("gamma/acme__a-7b_0.jsonl", 5)):
        path = copy / name
        lines = path.read_text().splitlines()
        row = json.loads(lines[line - 1])
        row["grade"] = "maybe"
        lines[line - 1] = json.dumps(row)
        path.write_text("\n".join(lines) + "\n")
    return copy


def test_parse_error_message_and_exit_code_match(address: str, tree: Path, tmp_path: Path) -> None:
    broken = _broken_tree(tree, tmp_path)
    local = invoke("leaderboard", str(broken), "-q")
    dask = invoke("leaderboard", str(broken), "-q", "--engine", "dask", "--scheduler", address)
    assert local.exit_code == dask.exit_code == 3
    assert dask.stderr == local.stderr
    # the first bad file in plan order is reported, with its line and field
    assert local.stderr.startswith(f"rescore: error: {broken / 'beta' / 'nova__d-32b_0.jsonl'}, line 3, field 'grade'")
    skip_local = _json(str(broken), "--on-error", "skip")
    assert _json(str(broken), "--on-error", "skip", "--engine", "dask", "--scheduler", address) == skip_local
    assert len(json.loads(skip_local)["provenance"]["skipped"]) == 2


def test_unreachable_scheduler_fails_fast() -> None:
    with socket.socket() as sock:  # a loopback port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    result = invoke("leaderboard", str(SAMPLE), "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                    "--scheduler-timeout", "1")
    elapsed = time.monotonic() - started
    assert result.exit_code == 3
    assert result.stderr.startswith(f"rescore: error: no Dask scheduler answered at tcp://127.0.0.1:{port} within 1 s")
    assert elapsed < 8


def test_workers_must_see_the_files(address: str) -> None:
    with DaskEngine(scheduler=address) as engine, pytest.raises(EngineError, match=r"cannot see /nonexistent/x\.csv"):
        engine._probe(["/nonexistent/x.csv"])


def test_default_local_cluster_from_the_command_line(tree: Path, tmp_path: Path) -> None:
    """`python -m rescore ... --engine dask` with no scheduler starts (and stops) a LocalCluster."""
    out = tmp_path / "dask.json"
    cmd = [sys.executable, "-m", "rescore", "leaderboard", str(tree), "-q", "-o", str(out)]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([*cmd, "--engine", "dask"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    local = tmp_path / "local.json"
    subprocess.run([*cmd[:-1], str(local)], cwd=ROOT, check=True, timeout=120, env=env)
    assert out.read_bytes() == local.read_bytes()


def _die_once(marker: str, victim: str, path: str, adapter_name: str, options: LoadOptions):
    """The worker reading ``victim`` dies the first time (hard exit, as an OOM kill would)."""
    if path.endswith(victim):
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            os._exit(1)
    return read_one(path, adapter_name, options)


def test_worker_killed_mid_run_gives_the_same_answer(address: str, tree: Path, tmp_path: Path,
                                                     cluster: distributed.LocalCluster) -> None:
    options = LoadOptions(engine="dask", keep_text=False)
    chosen, skipped = plan([tree], options)
    marker = tmp_path / "died"
    task = partial(_die_once, str(marker), "gamma/nova__c-8b_1.csv")
    with DaskEngine(scheduler=address) as engine:
        before = set(engine.client.scheduler_info()["workers"])
        data = assemble(engine.map_files(chosen, options, task=task), skipped, options)
        engine.client.wait_for_workers(2, timeout=30)  # the nanny restarts the dead worker for later tests
        after = set(engine.client.scheduler_info()["workers"])
    assert marker.exists()
    assert before != after  # one worker process really went away and came back
    local = rescore.load(tree, keep_text=False)
    assert json.dumps(build(data).to_dict()) == json.dumps(build(local).to_dict())


@pytest.mark.parametrize(("feature", "params"), [
    ("calibration", {"bins": 5}),
    ("policy", {"thresholds": [0.5, 0.75]}),
    ("compare", {"thresholds": [0.0, 0.75], "bootstrap": 200}),
    ("compare", {"thresholds": [0.5], "bootstrap": 0, "cluster": "subset"}),
])
def test_per_item_features_on_dask_equal_local(address: str, tree: Path, feature: str, params: dict) -> None:
    from pandas.testing import assert_frame_equal

    from rescore.score.per_group import feature_report

    local = feature_report(tree, feature, **params)
    remote = feature_report(tree, feature, options=LoadOptions(engine="dask", scheduler=address), **params)
    assert sorted(remote) == sorted(local)
    for key, value in local.items():
        if isinstance(value, pd.DataFrame):
            assert_frame_equal(remote[key].reset_index(drop=True), value.reset_index(drop=True), check_dtype=False)
        else:
            assert remote[key] == value, key
    if feature == "compare":
        assert len(local["pairs"]) == 3 * 6  # 4 models per benchmark with items: 6 pairs each
        expected = "clustered:item" if "cluster" not in params else "clustered:subset"
        assert local["method"]["se_method"] == expected  # attempts repeat on gamma only: auto is global
    if feature == "calibration":
        assert len(local["summary"]) == 12


def test_feature_report_dataset_keeps_provenance(address: str, tree: Path) -> None:
    """The per-item features' provenance (sources, notes, skipped, counts-only) is the same on Dask."""
    from rescore.score.per_group import feature_report

    _, local = feature_report(tree, "calibration", bins=5, return_dataset=True)
    _, remote = feature_report(tree, "calibration", bins=5, return_dataset=True,
                               options=LoadOptions(engine="dask", scheduler=address))
    assert [s.to_dict() for s in remote.sources] == [s.to_dict() for s in local.sources]
    assert remote.notes == local.notes and remote.skipped == local.skipped
    assert remote.counts.equals(local.counts) and len(remote.counts) == 4
    assert remote.items.empty and len(local.items) == 1280  # on Dask the rows stayed on the workers


@pytest.mark.parametrize("command", [["calibration", "--bins", "5"], ["selective"],
                                     ["compare", "-t", "0.5", "--bootstrap", "100", "--seed", "3"]])
def test_confidence_commands_take_the_engine_flag(address: str, tree: Path, command: list[str]) -> None:
    """`rescore calibration|selective|compare --engine dask` read on the cluster and print what local prints."""
    from .conftest import invoke

    local = invoke(*command, str(tree), "-f", "json", "-q")
    assert local.exit_code == 0, local.stderr
    on_dask = invoke(*command, str(tree), "-f", "json", "-q", "--engine", "dask", "--scheduler", address)
    assert on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == local.stdout


def _graded_parquet(folder: Path, name: str, ids: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = pd.DataFrame({"model": "acme/a-7b", "benchmark": "alpha", "question_id": [f"q{i}" for i in ids],
                         "grade": ["CORRECT" if i % 3 else "INCORRECT" for i in ids]})
    path = folder / name
    rows.to_parquet(path, index=False)
    return path


def test_overlapping_files_are_hashed_on_the_workers(address: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Two columnar-read files of one (benchmark, model, run) need their key hashes compared. With
    Dask they are computed on the workers (which see the files), never on the client: here the
    client's own computation is made to fail, and the answers still match the local engine's."""
    apart = tmp_path / "apart"
    _graded_parquet(apart, "first.parquet", range(0, 60))
    _graded_parquet(apart, "second.parquet", range(60, 120))
    same = tmp_path / "same"
    _graded_parquet(same, "first.parquet", range(0, 60))
    _graded_parquet(same, "copy.parquet", range(30, 90))
    counts = LoadOptions(need_items=False)  # counts mode: the columnar Parquet path defers the hashes
    on_dask = LoadOptions(need_items=False, engine="dask", scheduler=address)
    local_apart = rescore.read.load.load(apart, counts)
    with pytest.raises(InputError, match=r"30 item key\(s\)") as local_same:
        rescore.read.load.load(same, counts)

    def not_here(self: rescore.read.per_file.DeferredKeys) -> None:
        raise AssertionError(f"hashed on the client: {self.path}")

    monkeypatch.setattr(rescore.read.per_file.DeferredKeys, "compute", not_here)
    dask_apart = rescore.read.load.load(apart, on_dask)
    pd.testing.assert_frame_equal(dask_apart.item_counts, local_apart.item_counts)
    with pytest.raises(InputError, match=r"30 item key\(s\)") as dask_same:
        rescore.read.load.load(same, on_dask)
    assert str(dask_same.value) == str(local_same.value)


# -- issue 21: remote paths are read on the workers --------------------------------------------------
def _http_root(tree: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("aiohttp")
    pytest.importorskip("fsspec")
    from .httpserve import serving

    return serving(tree.parent, lifetime=300)


def test_remote_urls_are_read_on_the_workers_and_equal_local(address: str, tree: Path, tmp_path: Path) -> None:
    with _http_root(tree) as server:
        url = f"{server.url}/{tree.name}/"
        local = _json(str(tree))
        options = LoadOptions(engine="dask", need_items=False)
        chosen, skipped = plan([url], options)
        before = server.bytes_sent()
        with DaskEngine(scheduler=address) as engine:
            data = assemble(engine.map_files(chosen, options), skipped, options)
            # the client planned (heads only); the files' bodies went to the workers, which ran read_one
            client_side = before
        got = json.dumps(build(data).to_dict()).replace(url, f"{tree}/")
        assert got == json.dumps(build(rescore.load(tree, need_items=False)).to_dict())
        assert server.bytes_sent() > client_side
        dask_json = _json(url, "--engine", "dask", "--scheduler", address)
        assert dask_json.replace(url, f"{tree}/") == local
        cached = _json(url, "--engine", "dask", "--scheduler", address, "--cache", str(tmp_path / "cache"))
        assert cached == dask_json
        assert _json(url, "--engine", "dask", "--scheduler", address, "--cache", str(tmp_path / "cache")) == dask_json


def test_worker_killed_reading_a_url_gives_the_same_answer(address: str, tree: Path, tmp_path: Path,
                                                           cluster: distributed.LocalCluster) -> None:
    with _http_root(tree) as server:
        options = LoadOptions(engine="dask", keep_text=False)
        chosen, skipped = plan([f"{server.url}/{tree.name}/"], options)
        marker = tmp_path / "died"
        task = partial(_die_once, str(marker), "gamma/nova__c-8b_1.csv")
        with DaskEngine(scheduler=address) as engine:
            data = assemble(engine.map_files(chosen, options, task=task), skipped, options)
            engine.client.wait_for_workers(2, timeout=30)
        url = f"{server.url}/{tree.name}/"
    assert marker.exists()
    local = rescore.load(tree, keep_text=False)
    assert json.dumps(build(data).to_dict()).replace(url, f"{tree}/") == json.dumps(build(local).to_dict())


def test_item_partitions_keep_apart_what_only_shares_a_name(address: str, tmp_path: Path) -> None:
    """Issue 16, point 10 on Dask: lm-eval's gpqa_main and gpqa_extended (which share questions)
    are two benchmarks in item mode on the cluster too, with the same rows, report and note as locally."""
    from pandas.testing import assert_frame_equal

    from rescore.score.per_group import feature_report

    from .test_adapter_lm_eval import TS1, mc_line

    for model, task, n in [("org__a", "leaderboard_gpqa_main", 6), ("org__a", "leaderboard_gpqa_extended", 8),
                           ("org__b", "leaderboard_gpqa_main", 5)]:
        (tmp_path / model).mkdir(exist_ok=True)
        write_jsonl(tmp_path / model / f"samples_{task}_{TS1}.jsonl",
                    [mc_line(i, ["a", "b"], [-1.0, -2.0], i % 2, {"acc_norm": float(i % 2 == 0)}) for i in range(n)])
    params = {"thresholds": [0.5], "bootstrap": 0}
    local, local_data = feature_report(tmp_path, "compare", return_dataset=True, **params)
    remote, remote_data = feature_report(tmp_path, "compare", return_dataset=True,
                                         options=LoadOptions(engine="dask", scheduler=address), **params)
    assert set(local["pairs"]["benchmark"]) == {"gpqa_main"}  # extended has one model: no pair
    assert_frame_equal(remote["pairs"].reset_index(drop=True), local["pairs"].reset_index(drop=True), check_dtype=False)
    assert any("kept apart as gpqa_extended, gpqa_main" in n for n in remote_data.notes)
    assert remote_data.notes == local_data.notes
    assert [s.to_dict() for s in remote_data.sources] == [s.to_dict() for s in local_data.sources]
