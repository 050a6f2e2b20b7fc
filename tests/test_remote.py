"""Remote paths (issue 21): fsspec URLs are PATHs, tested without the internet.

Two filesystems stand in for buckets and the Hub: fsspec's in-process ``memory://``, and a local
HTTP server on 127.0.0.1 (tests/httpserve.py: ranged requests, ETags, byte counts, bounded life)
serving ``sample_data/``. What is read from a URL must equal what is read from disk, reads must
be ranged (a head for detection, footers and wanted columns for Parquet, members for a zip),
failures must be one line with exit 3 in bounded time, and no credential may be shown.
"""

from __future__ import annotations

import random
import string
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

fsspec = pytest.importorskip("fsspec")

import rescore  # noqa: E402
from rescore.errors import InputError, UsageError  # noqa: E402
from rescore.read import remote  # noqa: E402
from rescore.read.plugins import detect  # noqa: E402
from rescore.read.remote import RemotePath, clean_url  # noqa: E402

from .conftest import SAMPLE, invoke, write_jsonl  # noqa: E402
from .httpserve import RangeServer, serving  # noqa: E402


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


needs_http = pytest.mark.skipif(not _has("aiohttp"), reason="fsspec's HTTP filesystem needs aiohttp")


@pytest.fixture
def memory_sample() -> Iterator[str]:
    """sample_data/ copied into fsspec's memory filesystem (removed afterwards)."""
    fs = fsspec.filesystem("memory")
    root = f"memory://rescore-test-{random.randrange(1 << 30)}"
    for path in sorted(SAMPLE.rglob("*")):
        if path.is_file():
            fs.pipe(f"{root}/{path.relative_to(SAMPLE).as_posix()}", path.read_bytes())
    yield root
    fs.rm(root, recursive=True)


@pytest.fixture
def http() -> Iterator[RangeServer]:
    """The repository root over HTTP on 127.0.0.1 (so sample_data/ is at URL/sample_data/)."""
    if not _has("aiohttp"):
        pytest.skip("fsspec's HTTP filesystem needs aiohttp")
    with serving(SAMPLE.parent, lifetime=300) as server:
        yield server


def _same_data(local: rescore.Dataset, other: rescore.Dataset) -> None:
    pd.testing.assert_frame_equal(local.items.drop(columns="source"), other.items.drop(columns="source"))
    # (row order aside: local CSV/JSONL tables are counted through Arrow, rows in code order, remote
    # ones by the general reader in first-seen order; every statistic groups and sorts them)
    keys = [c for c in local.item_counts.columns if c != "count"]
    pd.testing.assert_frame_equal(local.item_counts.sort_values(keys).reset_index(drop=True),
                                  other.item_counts.sort_values(keys).reset_index(drop=True))
    pd.testing.assert_frame_equal(local.counts.drop(columns="source"), other.counts.drop(columns="source"))
    assert [s.items for s in local.sources] == [s.items for s in other.sources]
    assert [s.producer_metrics for s in local.sources] == [s.producer_metrics for s in other.sources]


# -- the path object --------------------------------------------------------------------------------
def test_remote_path_offers_what_adapters_use() -> None:
    path = RemotePath("memory://bucket/run/acme__x/samples_gpqa_2025.jsonl")
    assert str(path) == "memory://bucket/run/acme__x/samples_gpqa_2025.jsonl"
    assert (path.name, path.suffix, path.stem) == ("samples_gpqa_2025.jsonl", ".jsonl", "samples_gpqa_2025")
    assert path.parent.name == "acme__x" and path.parent.parent.name == "run"
    assert str(path.parent / "results.json") == "memory://bucket/run/acme__x/results.json"
    assert path.with_name("other.json").name == "other.json"
    assert [p.name for p in path.parents][:2] == ["acme__x", "run"]
    assert path == RemotePath(str(path)) and hash(path) == hash(RemotePath(str(path)))
    import pickle

    assert pickle.loads(pickle.dumps(path)) == path


def test_urls_are_shown_without_credentials() -> None:
    assert clean_url("https://user:s3cret@host.example/a/b.jsonl?X-Amz-Signature=abc&token=t0k#frag") \
        == "https://host.example/a/b.jsonl"
    path = RemotePath("https://user:s3cret@host.example/a/b.jsonl?sig=abc")
    assert "s3cret" not in str(path) and "sig" not in str(path) and "s3cret" not in repr(path)
    assert path.url.endswith("?sig=abc")  # kept for opening only
    assert remote.path_token(path) == path.url
    assert "abc" not in remote._redact("500, message='boom', url='https://u:p@h/x?sig=abc'")


def test_file_urls_are_local_paths(tmp_path: Path) -> None:
    local = rescore.load(SAMPLE / "mmlu_pro_mini")
    via_url = rescore.load(f"file://{SAMPLE / 'mmlu_pro_mini'}")
    pd.testing.assert_frame_equal(local.items, via_url.items)
    globbed = rescore.load(f"file://{SAMPLE}/mmlu_pro_mini/acme__*.jsonl")
    assert sorted(globbed.items["model"].unique()) == ["acme/bold-70b", "acme/careful-70b"]


# -- memory:// --------------------------------------------------------------------------------------
@pytest.mark.parametrize("need_items", [True, False])
def test_memory_filesystem_equals_local(memory_sample: str, need_items: bool) -> None:
    local = rescore.load(SAMPLE, need_items=need_items)
    other = rescore.load(memory_sample, need_items=need_items)
    _same_data(local, other)
    assert all(s.path.startswith(memory_sample) for s in other.sources)
    assert [p.replace(memory_sample, str(SAMPLE)) for p, _ in other.skipped] == [p for p, _ in local.skipped]


def test_globs_select_files(memory_sample: str) -> None:
    data = rescore.load(f"{memory_sample}/*/*/samples_leaderboard_gpqa*")
    assert len(data.sources) == 5 and set(data.items["benchmark"]) == {"gpqa"}
    with pytest.raises(InputError, match="no file matches"):
        rescore.load(f"{memory_sample}/*/nothing_*")


def test_missing_remote_file_is_one_named_error(memory_sample: str) -> None:
    with pytest.raises(InputError, match="file not found") as caught:
        rescore.load(f"{memory_sample}/absent.jsonl")
    assert caught.value.exit_code == 3 and "absent.jsonl" in str(caught.value)


def test_missing_filesystem_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(protocol: str) -> None:
        raise ImportError(f"Install s3fs to access {protocol}")

    monkeypatch.setattr(fsspec, "get_filesystem_class", unavailable)
    with pytest.raises(UsageError) as caught:
        rescore.load("s3://bucket/results/")
    message = str(caught.value)
    assert 'pip install "rescore[remote]"' in message and "s3fs" in message and "\n" not in message


@pytest.mark.skipif(_has("s3fs"), reason="s3fs is installed here: nothing is missing")
def test_cli_missing_filesystem_is_exit_2_one_line() -> None:
    result = invoke("leaderboard", "s3://some-bucket/logs/")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "rescore[remote]" in result.stderr


# -- HTTP on 127.0.0.1 ------------------------------------------------------------------------------
def test_leaderboard_from_urls_equals_local_byte_for_byte(http: RangeServer) -> None:
    base = f"{http.url}/sample_data/"
    local_table = invoke("leaderboard", str(SAMPLE), "-q")
    url_table = invoke("leaderboard", base, "-q")
    assert url_table.exit_code == 0, url_table.stderr
    assert url_table.stdout == local_table.stdout
    local_json = invoke("leaderboard", "sample_data/", "-f", "json", "-q").stdout
    url_json = invoke("leaderboard", base, "-f", "json", "-q").stdout
    # byte for byte but the source paths (and the run's own time stamps, if any)
    assert url_json.replace(base, "sample_data/") == local_json
    assert http.bytes_sent() > 0


@needs_http
def test_detection_reads_only_a_files_head(tmp_path: Path) -> None:
    rows = [{"doc_id": i, "arguments": [["q", " A"]], "resps": [[["-1.0", False]]], "filtered_resps": [["-1.0", False]],
             "target": 0, "acc": 1.0, "doc": {"question": "x" * 2000}} for i in range(3000)]
    big = write_jsonl(tmp_path / "samples_leaderboard_gpqa_2025-01-01T00-00-00.jsonl", rows)
    size = big.stat().st_size
    assert size > 5_000_000
    with serving(tmp_path, lifetime=60) as server:
        adapter = detect(RemotePath(f"{server.url}/{big.name}"))
        assert adapter is not None
        assert server.bytes_sent() < size / 5  # a few blocks, not the file


@needs_http
def test_parquet_reads_only_the_columns_it_needs(tmp_path: Path) -> None:
    rng = random.Random(7)
    n = 12000
    frame = pd.DataFrame({
        "model": ["acme/x"] * n, "benchmark": ["quiz"] * n, "question_id": [f"q{i}" for i in range(n)],
        "correct": [rng.random() < 0.6 for _ in range(n)],
        "debug_blob": ["".join(rng.choices(string.ascii_letters, k=600)) for _ in range(n)],
    })
    path = tmp_path / "graded.parquet"
    frame.to_parquet(path, row_group_size=500)
    size = path.stat().st_size
    with serving(tmp_path, lifetime=60) as server:
        data = rescore.load(f"{server.url}/graded.parquet", need_items=False)
        sent = server.bytes_sent()
    local = rescore.load(path, need_items=False)
    pd.testing.assert_frame_equal(local.item_counts, data.item_counts)
    assert sent < size / 3, (sent, size)  # the head aside, the 7 MB text column never crossed the wire


@needs_http
def test_eval_zip_members_are_read_by_range(tmp_path: Path) -> None:
    from .test_adapter_inspect_ai import _header, _members, _sample

    samples = [_sample(i, "C" if i % 3 else "I", "ANSWER: A") for i in range(1, 31)]
    path = tmp_path / "run.eval"
    rng = random.Random(3)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in _members(_header(), samples).items():
            archive.writestr(name, data)
        # a large member inspect_ai writes and rescore never reads (stored: it stays large)
        archive.writestr(zipfile.ZipInfo("attachments/blob.bin"), rng.randbytes(4_000_000))
    size = path.stat().st_size
    with serving(tmp_path, lifetime=60) as server:
        data = rescore.load(f"{server.url}/run.eval")
        sent = server.bytes_sent()
    local = rescore.load(path)
    pd.testing.assert_frame_equal(local.items.drop(columns="source"), data.items.drop(columns="source"))
    assert sent < size / 4, (sent, size)


def test_credentials_never_reach_outputs(http: RangeServer, tmp_path: Path) -> None:
    host = http.url.removeprefix("http://")
    file = "sample_data/mmlu_pro_mini/acme__bold-70b.jsonl"
    url = f"http://reader:pa55word@{host}/{file}?X-Amz-Signature=deadbeef"
    out = tmp_path / "board.json"
    result = invoke("leaderboard", url, "-f", "json", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    written = out.read_text() + result.stdout + result.stderr
    assert "pa55word" not in written and "deadbeef" not in written and "reader@" not in written
    assert f"http://{host}/{file}" in written
    # an error names the URL the same way
    bad = invoke("leaderboard", f"http://reader:pa55word@{host}/sample_data/absent.jsonl?sig=deadbeef")
    assert bad.exit_code == 3 and "pa55word" not in bad.stderr and "deadbeef" not in bad.stderr


def test_failing_server_is_one_line_exit_3_after_retries(http: RangeServer) -> None:
    http.fail_status = 500
    started = time.monotonic()
    result = invoke("leaderboard", f"{http.url}/sample_data/mmlu_pro_mini/acme__bold-70b.jsonl", "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert "\n" not in line and "after 3 tries" in line and "Traceback" not in result.stderr
    assert elapsed < 20


def test_slow_server_times_out_in_bounded_time(http: RangeServer) -> None:
    http.delay = 3.0  # every request stalls longer than --timeout
    started = time.monotonic()
    result = invoke("leaderboard", f"{http.url}/sample_data/mmlu_pro_mini/acme__bold-70b.jsonl", "--timeout", "0.3")
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.stderr
    assert "\n" not in result.stderr.strip() and "--timeout" in result.stderr
    assert elapsed < 15  # 3 tries of 0.3 s and the backoff, not 3 stalls


def test_inspect_command_reads_urls(http: RangeServer) -> None:
    result = invoke("inspect", f"{http.url}/sample_data/simpleqa_mini/", "-f", "json")
    assert result.exit_code == 0, result.stderr
    local = invoke("inspect", str(SAMPLE / "simpleqa_mini"), "-f", "json")
    assert result.stdout.replace(f"{http.url}/sample_data/", f"{SAMPLE}/") == local.stdout


def test_hub_style_layout_on_memory(tmp_path: Path) -> None:
    """The Open LLM Leaderboard's details layout (one folder per model of lm-eval files) and its glob."""
    fs = fsspec.filesystem("memory")
    root = f"memory://details-{random.randrange(1 << 30)}"
    for folder in sorted((SAMPLE / "lm_eval").iterdir()):
        for file in sorted(folder.iterdir()):
            fs.pipe(f"{root}/{folder.name}/{file.name}", file.read_bytes())
    try:
        data = rescore.load(f"{root}/*/samples_leaderboard_gpqa*", need_items=False)
        local = rescore.load(sorted((SAMPLE / "lm_eval").glob("*/samples_leaderboard_gpqa*")), need_items=False)
        pd.testing.assert_frame_equal(local.item_counts, data.item_counts)
        assert all(s.producer_metrics for s in data.sources)  # the results_*.json beside each was found
    finally:
        fs.rm(root, recursive=True)



def test_cache_keys_remote_files_by_etag(http: RangeServer, tmp_path: Path) -> None:
    """A re-run over HTTP with --cache takes every file from the cache (the server's ETags are unchanged),
    and plans without fetching a byte of any file (HEAD requests only)."""
    base = f"{http.url}/sample_data/"
    cache = str(tmp_path / "cache")
    plain = rescore.load(base, need_items=False)
    first = rescore.load(base, need_items=False, cache=cache)
    read_first = http.bytes_sent()
    before = dict(http.sent)
    second = rescore.load(base, need_items=False, cache=cache)
    read_second = http.bytes_sent() - read_first
    fetched = [path.rsplit("/", 1)[1] for path, n in http.sent.items() if n != before.get(path, 0)]
    _same_data(plain, first)
    _same_data(plain, second)
    assert [s.path for s in second.sources] == [s.path for s in plain.sources]
    assert len(list((tmp_path / "cache").glob("*.rsc"))) == len(plain.sources)
    # no file read, and no head sniffed to pick a reader (remembered too), but the SimpleQA summaries':
    # whether one is skipped as a companion depends on its neighbours, so that is asked each time
    assert fetched and all(name.endswith("_summary.json") for name in fetched), fetched
    assert read_second < 2_000 < read_first
