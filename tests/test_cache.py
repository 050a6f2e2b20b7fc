"""The incremental cache (issue 21): a re-run reads only what changed, and never answers differently.

Every test compares a run with the cache against a run without it (the whole Dataset: items,
counts, sources with their producer metrics, notes, skipped files), and counts how many files
were really read by wrapping the per-file reader.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rescore
from rescore import version as version_module
from rescore.errors import InputError
from rescore.read import cache as cache_module
from rescore.read import per_file

from .conftest import SAMPLE, examples, invoke, write_jsonl


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the per-file reader was called for (in-process runs: jobs=1)."""
    seen: list[str] = []
    real = per_file.read_one

    def counting(path, adapter_name, options):  # type: ignore[no-untyped-def]
        seen.append(str(path))
        return real(path, adapter_name, options)

    monkeypatch.setattr(per_file, "read_one", counting)
    return seen


def _dataset_view(data: rescore.Dataset) -> dict:
    return {"items": data.items, "counts": data.counts, "item_counts": data.item_counts,
            "sources": [dataclasses.asdict(s) for s in data.sources], "notes": data.notes, "skipped": data.skipped}


def assert_same(expected: rescore.Dataset, got: rescore.Dataset) -> None:
    a, b = _dataset_view(expected), _dataset_view(got)
    for table in ("items", "counts", "item_counts"):
        pd.testing.assert_frame_equal(a[table], b[table], check_exact=True)
    for key in ("sources", "notes", "skipped"):
        assert a[key] == b[key], key


def _rows(model: str, n: int, shift: int = 0) -> list[dict]:
    return [{"model": model, "benchmark": "quiz", "question_id": f"q{i}", "pred": "A", "answer": "A" if
             (i + shift) % 3 else "B", "response": "I don't know" if (i + shift) % 7 == 0 else "A",
             "confidence": round(((i * 37 + shift) % 100) / 100, 2)} for i in range(n)]


def _folder(root: Path, files: int, rows: int = 12) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        write_jsonl(root / f"model_{k:04d}.jsonl", _rows(f"org/m{k}", rows))
    return root


@pytest.mark.parametrize("need_items", [True, False])
def test_sample_data_cached_equals_uncached(tmp_path: Path, need_items: bool, reads: list[str]) -> None:
    plain = rescore.load(SAMPLE, need_items=need_items, jobs=1)
    reads.clear()
    first = rescore.load(SAMPLE, need_items=need_items, jobs=1, cache=str(tmp_path / "c"))
    assert len(reads) == len(plain.sources)
    reads.clear()
    second = rescore.load(SAMPLE, need_items=need_items, jobs=1, cache=str(tmp_path / "c"))
    assert reads == []  # every file from the cache
    assert_same(plain, first)
    assert_same(plain, second)


def test_a_rerun_reads_only_the_changed_and_the_added_file(tmp_path: Path, reads: list[str]) -> None:
    folder = _folder(tmp_path / "runs", 40)
    cache = str(tmp_path / "cache")
    rescore.load(folder, jobs=1, cache=cache)
    assert len(reads) == 40
    reads.clear()
    write_jsonl(folder / "model_0007.jsonl", _rows("org/m7", 12, shift=1))
    write_jsonl(folder / "model_0040.jsonl", _rows("org/new", 12))
    data = rescore.load(folder, jobs=1, cache=cache)
    assert sorted(Path(p).name for p in reads) == ["model_0007.jsonl", "model_0040.jsonl"]
    assert_same(rescore.load(folder, jobs=1), data)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the run opens from Python (planning's sniffed heads, hashing, reading; jobs=1)."""
    import builtins
    import io

    seen: list[str] = []
    real = builtins.open

    def recording(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, str | os.PathLike):
            seen.append(os.path.abspath(os.fspath(file)))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording)
    monkeypatch.setattr(io, "open", recording)  # Path.open
    return seen


def test_a_cached_rerun_opens_only_the_changed_file_even_to_plan(tmp_path: Path, opened: list[str]) -> None:
    """Planning sniffs a file's head to pick its adapter (and a walk checks a table has result
    columns); with --cache that choice is remembered too, so an unchanged file is not opened at all."""
    folder = _folder(tmp_path / "runs", 6)
    (folder / "metadata.json").write_text('{"host": "x"}')  # passed over in the walk, remembered as such
    cache = str(tmp_path / "cache")
    first = rescore.load(folder, jobs=1, cache=cache)
    assert len(list(Path(cache).glob("detect-*.rsp"))) == 1

    def data_files() -> list[str]:
        return sorted({Path(p).name for p in opened if Path(p).parent == folder})

    opened.clear()
    again = rescore.load(folder, jobs=1, cache=cache)
    assert data_files() == []
    assert_same(first, again)
    write_jsonl(folder / "model_0003.jsonl", _rows("org/m3", 12, shift=2))
    opened.clear()
    changed = rescore.load(folder, jobs=1, cache=cache)
    assert data_files() == ["model_0003.jsonl"]
    assert_same(rescore.load(folder, jobs=1), changed)
    # a file that turns into something else at the same path is detected again: same answer as uncached
    (folder / "model_0004.jsonl").write_text('{"host": "y"}\n')
    (folder / "metadata.json").write_text(json.dumps(_rows("org/meta", 3)))
    opened.clear()
    swapped = rescore.load(folder, jobs=1, cache=cache)
    assert data_files() == ["metadata.json", "model_0004.jsonl"]
    assert_same(rescore.load(folder, jobs=1), swapped)
    # other options: the walk's check (which depends on them) is asked again, and the answer is the same
    mapped = rescore.load(folder, jobs=1, cache=cache, abstain_phrases=("pass",))
    assert_same(rescore.load(folder, jobs=1, abstain_phrases=("pass",)), mapped)


def test_a_corrupt_detection_memo_is_ignored(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "runs", 2)
    cache = tmp_path / "cache"
    plain = rescore.load(folder, jobs=1)
    rescore.load(folder, jobs=1, cache=str(cache))
    memo = next(cache.glob("detect-*.rsp"))
    for junk in ("not json", '{"files": {"%s": {"identity": 1, "adapter": "nobody"}}}' % (folder / "model_0000.jsonl"),
                 json.dumps({"files": {str(folder / "model_0001.jsonl"): {**json.loads(memo.read_text())["files"][
                     str(folder / "model_0001.jsonl")], "adapter": "no-such-adapter"}}})):
        memo.write_text(junk)
        assert_same(plain, rescore.load(folder, jobs=1, cache=str(cache)))


def test_a_touched_file_is_hashed_not_read_and_its_entry_refreshed(tmp_path: Path, reads: list[str]) -> None:
    folder = _folder(tmp_path / "runs", 3)
    cache = str(tmp_path / "cache")
    rescore.load(folder, jobs=1, cache=cache)
    reads.clear()
    target = folder / "model_0001.jsonl"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000_000))  # a fresh checkout
    rescore.load(folder, jobs=1, cache=cache)
    assert reads == []
    entry = next(e for e in Path(cache).glob("*.rsc") if json.loads(zipfile.ZipFile(e).read("meta.json"))["path"]
                 == str(target))
    assert json.loads(zipfile.ZipFile(entry).read("meta.json"))["identity"]["mtime_ns"] == target.stat().st_mtime_ns


def test_same_size_same_mtime_new_content_is_read_again(tmp_path: Path, reads: list[str]) -> None:
    folder = _folder(tmp_path / "runs", 2)
    cache = str(tmp_path / "cache")
    target = folder / "model_0000.jsonl"
    before = rescore.load(folder, jobs=1, cache=cache)
    stat = target.stat()
    text = target.read_text()
    target.write_text(text.replace('"answer": "A"', '"answer": "C"', 1))  # same length
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime back
    assert target.stat().st_size == stat.st_size
    reads.clear()
    after = rescore.load(folder, jobs=1, cache=cache)
    assert [Path(p).name for p in reads] == ["model_0000.jsonl"]  # the content hash caught it
    assert not after.items.equals(before.items)
    assert_same(rescore.load(folder, jobs=1), after)


def test_options_and_version_are_part_of_the_key(tmp_path: Path, reads: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path / "runs", 2)
    cache = str(tmp_path / "cache")
    rescore.load(folder, jobs=1, cache=cache)
    reads.clear()
    phrased = rescore.load(folder, jobs=1, cache=cache, abstain_phrases=("pass",))
    assert len(reads) == 2
    assert_same(rescore.load(folder, jobs=1, abstain_phrases=("pass",)), phrased)
    reads.clear()
    rescore.load(folder, jobs=4, cache=cache)  # jobs change nothing read: hits
    assert reads == []
    monkeypatch.setattr(version_module, "__version__", "99.0")
    rescore.load(folder, jobs=1, cache=cache)
    assert len(reads) == 2


def test_a_changed_companion_invalidates_the_entry(tmp_path: Path, reads: list[str]) -> None:
    run = tmp_path / "lm_eval"
    shutil.copytree(SAMPLE / "lm_eval" / "acme__bold-70b", run)
    cache = str(tmp_path / "cache")
    rescore.load(run, jobs=1, cache=cache)
    results = next(run.glob("results_*.json"))
    doc = json.loads(results.read_text())
    doc["results"] = {k: {**v, "acc_norm,none": 0.123} for k, v in doc["results"].items()}
    results.write_text(json.dumps(doc))
    reads.clear()
    data = rescore.load(run, jobs=1, cache=cache)
    assert len(reads) == 1
    assert_same(rescore.load(run, jobs=1), data)


def test_corrupt_and_foreign_entries_are_ignored_noted_and_rewritten(tmp_path: Path, reads: list[str]) -> None:
    folder = _folder(tmp_path / "runs", 2)
    cache = tmp_path / "cache"
    plain = rescore.load(folder, jobs=1)
    rescore.load(folder, jobs=1, cache=str(cache))
    first, second = sorted(cache.glob("*.rsc"))
    first.write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copyfile(tmp_path / "runs" / "model_0000.jsonl", tmp_path / "x")  # (unrelated file, left alone)
    # the other entry becomes foreign: another slot's content under its name
    with zipfile.ZipFile(second) as archive:
        meta = json.loads(archive.read("meta.json"))
        members = {n: archive.read(n) for n in archive.namelist()}
    meta["slot"] = "0" * 40
    members["meta.json"] = json.dumps(meta).encode()
    with zipfile.ZipFile(second, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    reads.clear()
    data = rescore.load(folder, jobs=1, cache=str(cache))
    assert len(reads) == 2
    notes = [n for n in data.notes if n.startswith("cache entry")]
    assert len(notes) == 2 and any("foreign" in n for n in notes)
    assert_same(plain, dataclasses.replace(data, notes=[n for n in data.notes if n not in notes]))
    reads.clear()
    again = rescore.load(folder, jobs=1, cache=str(cache))  # rewritten: hits, no notes
    assert reads == []
    assert_same(plain, again)


def test_concurrent_runs_share_a_cache_safely(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "runs", 12)
    cache = str(tmp_path / "cache")
    plain = rescore.load(folder, jobs=1)
    results: list[rescore.Dataset] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(rescore.load(folder, jobs=1, cache=cache))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(results) == 3
    for data in results:
        assert_same(plain, data)
    assert not list(Path(cache).glob(".tmp-*"))  # no half-written entry left behind
    assert_same(plain, rescore.load(folder, jobs=1, cache=cache))


def test_cache_env_variable_and_cli_commands(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q")
    first = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q", env={"RESCORE_CACHE": str(cache)})
    second = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q", "--cache", str(cache))
    assert plain.stdout == first.stdout == second.stdout
    info = invoke("cache", "info", "--cache", str(cache), "--json")
    assert info.exit_code == 0
    summary = json.loads(info.stdout)
    assert summary["entries"] == len(list(cache.glob("*.rsc"))) > 5 and summary["by_version"]
    (cache / "keep.txt").write_text("not the cache's")
    cleared = invoke("cache", "clear", env={"RESCORE_CACHE": str(cache)})
    assert cleared.exit_code == 0 and "removed" in cleared.stdout
    assert not list(cache.glob("*.rsc")) and (cache / "keep.txt").exists()
    assert not list(cache.glob("*.rsp"))  # the detection memo goes too
    missing = invoke("cache", "info", env={"RESCORE_CACHE": None})  # type: ignore[dict-item]
    assert missing.exit_code == 2


# -- the property: whatever changes, the cache never changes an answer ---------------------------------
_MUTATIONS = st.lists(st.one_of(
    st.tuples(st.just("rewrite"), st.integers(0, 2), st.integers(1, 5)),   # new content (maybe same size)
    st.tuples(st.just("same-size"), st.integers(0, 2), st.just(0)),        # new content, old size and mtime
    st.tuples(st.just("touch"), st.integers(0, 2), st.just(0)),            # new mtime, same content
    st.tuples(st.just("add"), st.integers(3, 5), st.integers(1, 5)),
    st.tuples(st.just("remove"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("version"), st.integers(0, 1), st.just(0)),
), min_size=1, max_size=4)
_OPTIONS = st.fixed_dictionaries({
    "need_items": st.booleans(),
    "keep_text": st.booleans(),
    "abstain_phrases": st.sampled_from([(), ("pass",)]),
    "model": st.sampled_from([None, "org/fixed"]),
})


def _load_or_error(folder: Path, **kwargs: object) -> rescore.Dataset | str:
    try:
        return rescore.load(folder, jobs=1, **kwargs)
    except InputError as exc:
        return str(exc)


@settings(max_examples=examples(6, 12), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=_MUTATIONS, option_sets=st.lists(_OPTIONS, min_size=1, max_size=3))
def test_property_cached_runs_equal_uncached_runs(tmp_path_factory: pytest.TempPathFactory,
                                                  monkeypatch: pytest.MonkeyPatch, mutations: list,
                                                  option_sets: list[dict]) -> None:
    root = tmp_path_factory.mktemp("prop")
    folder = _folder(root / "runs", 3, rows=9)
    cache = str(root / "cache")
    original = version_module.__version__
    try:
        for step, (kind, index, shift) in enumerate(mutations):
            target = folder / f"model_{index:04d}.jsonl"
            if kind == "rewrite" or kind == "add":
                write_jsonl(target, _rows(f"org/m{index}", 9, shift=shift + step))
            elif kind == "same-size" and target.exists():
                stat = target.stat()
                text = target.read_text()
                target.write_text(text.replace('"pred": "A"', '"pred": "B"', 1) if '"pred": "A"' in text
                                  else text.replace('"pred": "B"', '"pred": "A"', 1))
                os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            elif kind == "touch" and target.exists():
                os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000_000 * (step + 1)))
            elif kind == "remove" and target.exists() and len(list(folder.glob("*.jsonl"))) > 1:
                target.unlink()
            elif kind == "version":
                monkeypatch.setattr(version_module, "__version__", f"{original}+{index}")
            for chosen in option_sets:
                kwargs = {k: v for k, v in chosen.items() if v is not None}
                expected = _load_or_error(folder, **kwargs)
                for _ in range(2):  # read and stored, then from the cache
                    got = _load_or_error(folder, cache=cache, **kwargs)
                    if isinstance(expected, str):  # e.g. one --model for every file: the same items twice
                        assert got == expected
                    else:
                        assert not isinstance(got, str), got
                        assert_same(expected, got)
    finally:
        monkeypatch.setattr(version_module, "__version__", original)
        shutil.rmtree(root, ignore_errors=True)


def test_results_that_cannot_be_kept_are_read_each_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        reads: list[str]) -> None:
    folder = _folder(tmp_path / "runs", 2)

    def refuse(frame: pd.DataFrame) -> tuple[bytes, dict]:
        raise cache_module.BadEntry("a column Arrow cannot hold")

    monkeypatch.setattr(cache_module, "_table_bytes", refuse)
    data = rescore.load(folder, jobs=1, cache=str(tmp_path / "cache"))
    assert len(reads) == 2 and any("not cached" in n for n in data.notes)
