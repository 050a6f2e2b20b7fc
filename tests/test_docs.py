"""The README and the manual cannot drift: generated blocks are current, examples run, every command
is documented, and the site builds."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, invoke

README = ROOT / "README.md"
DOCS = ROOT / "docs"
RUN_MARK = "<!-- test: run -->"


def _documents() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def test_generated_blocks_are_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_docs.py"), "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, f"{result.stdout}: run python scripts/update_docs.py"


def test_readme_is_a_page_that_starts_with_the_two_commands() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert blocks[0].strip() == "pip install . && rescore leaderboard sample_data/"
    assert blocks[1].strip() == 'pip install ".[test]" && python -m pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet ".[test]"' in ci and "python -m pytest" in ci


def _blocks() -> dict[tuple[str, int], list[tuple[str, int]]]:
    """(document, block number) -> its ``rescore`` lines with the exit code each expects.

    A block runs when ``<!-- test: run -->`` stands right above it; a line whose comment says
    ``exit N`` (a failing gate) expects N, every other line 0.
    """
    blocks: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for path in _documents():
        text = path.read_text()
        for number, block in enumerate(re.findall(re.escape(RUN_MARK) + r"\n```bash\n(.*?)```", text, re.S)):
            for line in block.splitlines():
                command, _, comment = line.partition("  #")
                expected = re.search(r"\bexit (\d)\b", comment)
                if command.strip().startswith("rescore "):
                    blocks.setdefault((str(path.relative_to(ROOT)), number), []).append(
                        (command.strip(), int(expected.group(1)) if expected else 0))
    return blocks


def test_the_readme_has_an_example_per_use() -> None:
    assert len([key for key in _blocks() if key[0] == "README.md"]) >= 3  # shell, CI step, batch


@pytest.mark.parametrize(("document", "number"), sorted(_blocks()))
def test_documented_examples_run(document: str, number: int, tmp_path: Path) -> None:
    """Each marked block runs, in order, in a folder holding the files it names (sample_data/, runs/,
    results.parquet); a file one line writes is there for the next (a baseline, then a check)."""
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    shutil.copytree(ROOT / "sample_data", tmp_path / "runs")
    pd.DataFrame({"model": ["a", "a", "b"], "question_id": [1, 2, 1], "pred": ["x", "y", "x"],
                  "answer": ["x", "x", "y"]}).to_parquet(tmp_path / "results.parquet")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        for command, expected in _blocks()[(document, number)]:
            args = shlex.split(command)[1:]
            result = invoke(*args)
            assert result.exit_code == expected, (command, result.stderr)
            if "-o" in args and expected == 0:
                assert (tmp_path / args[args.index("-o") + 1]).exists()
    finally:
        os.chdir(old)


def test_the_example_adapter_in_the_docs_reads_its_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("toy_adapter", DOCS / "examples" / "toy_adapter.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "a.verdicts"
    path.write_text("m1 q1 right\nm1 q2 wrong\nm1 q3 pass\n")
    import rescore
    from rescore.read.options import LoadOptions
    from rescore.read.sources import SourceInfo

    info = SourceInfo(str(path))
    batch = next(module.ADAPTER.read(path, LoadOptions(), info))
    decided = module.ADAPTER.decide(batch, module.ADAPTER.abstention_detector(LoadOptions()))
    assert decided["outcome"].tolist() == ["correct", "wrong", "abstain"] and info.notes == ["3 verdict lines"]
    assert module.ADAPTER.detect(path) and not module.ADAPTER.detect(tmp_path / "a.csv")
    assert rescore.score_counts(1, 1, 1, t=0.5)["score"] == 0.0


@pytest.mark.skipif(shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists(),
                    reason="the docs extra is not installed (pip install '.[docs]')")
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs") or str(Path(sys.executable).parent / "mkdocs")
    done = subprocess.run([mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "plugins" / "index.html").exists()
