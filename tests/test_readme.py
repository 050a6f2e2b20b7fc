"""The README cannot drift: generated blocks are current and its example commands run."""

from __future__ import annotations

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


def test_generated_blocks_are_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"], cwd=ROOT)
    assert result.returncode == 0, "README is stale: run python scripts/update_readme.py"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert blocks[0].strip() == "pip install . && rescore leaderboard sample_data/"
    assert blocks[1].strip() == 'pip install ".[test]" && python -m pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet ".[test]"' in ci and "python -m pytest" in ci


def _example_commands() -> list[str]:
    text = README.read_text()
    block = re.search(r"More forms of the same result:\n\n```bash\n(.*?)```", text, re.S)
    assert block
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.startswith("rescore ")]


@pytest.mark.parametrize("command", _example_commands())
def test_readme_examples_run(command: str, tmp_path: Path) -> None:
    """Each example runs in a folder holding the files it names (runs/, results.parquet, sample_data/)."""
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    shutil.copytree(ROOT / "sample_data", tmp_path / "runs")
    pd.DataFrame({"model": ["a", "a", "b"], "question_id": [1, 2, 1], "pred": ["x", "y", "x"],
                  "answer": ["x", "x", "y"]}).to_parquet(tmp_path / "results.parquet")
    args = shlex.split(command)[1:]
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = invoke(*args)
    finally:
        os.chdir(old)
    assert result.exit_code == 0, (command, result.stderr)
    if "-o" in args:
        assert (tmp_path / args[args.index("-o") + 1]).exists()
