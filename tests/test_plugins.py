"""Producers are plugins: a package outside rescore adds one through the ``rescore.adapters`` entry points.

The test builds a tiny third-party plugin as an installed distribution would look on ``sys.path``
(a module plus a ``.dist-info`` with ``entry_points.txt``), then runs the real CLI in a fresh
process: ``rescore formats`` lists it and ``rescore leaderboard`` reads its file. A second,
broken entry point (its module does not exist) and a plugin whose ``detect`` raises are reported
by name and skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rescore.read.plugins import GROUP

from .conftest import ROOT

TOY_MODULE = '''
from pathlib import Path
import pandas as pd
from rescore.adapters.base import Adapter


class ToyAdapter(Adapter):
    """Lines of 'model item verdict' (verdict: right / wrong / pass)."""

    name = "toy"
    version = "7"
    priority = 90
    description = "Toy verdict lines (a third-party plugin)"

    def detect(self, path: Path) -> bool:
        return path.suffix == ".toy"

    def read(self, path, options, info):
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
        grade = {"right": "correct", "wrong": "wrong", "pass": "abstain"}
        yield pd.DataFrame({
            "model": [r[0] for r in rows], "benchmark": "toybench", "subset": "all",
            "item_id": [r[1] for r in rows], "attempt": 0,
            "grade": [grade[r[2]] for r in rows], "grade_rule": "toy verdict",
        })


class Exploding(ToyAdapter):
    name = "exploding"
    priority = 95

    def detect(self, path: Path) -> bool:
        raise RuntimeError("kaboom")


ADAPTER = ToyAdapter()
EXPLODING = Exploding()
'''


def _install_plugin(site: Path) -> None:
    (site / "rescore_toy.py").write_text(TOY_MODULE)
    dist = site / "rescore_toy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rescore-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[{GROUP}]\ntoy = rescore_toy:ADAPTER\nexploding = rescore_toy:EXPLODING\nbroken = rescore_gone:ADAPTER\n")


def _rescore(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "rescore", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=site)


def test_a_third_party_adapter_is_listed_and_reads_its_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site)
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a.toy").write_text("m1 q1 right\nm1 q2 wrong\nm1 q3 pass\nm1 q4 right\n")

    listed = _rescore(site, "formats", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["toy"]["module"] == "rescore_toy" and rows["toy"]["version"] == "7"
    assert "generic" in rows and "lm_eval" in rows  # the built-ins come through the same entry points
    assert "adapter plugin 'broken' skipped: rescore_gone:ADAPTER: ModuleNotFoundError" in listed.stderr

    board = _rescore(site, "leaderboard", str(runs), "--format", "json", "-t", "0", "-t", "0.5")
    assert board.returncode == 0, board.stderr
    doc = json.loads(board.stdout)
    by_t = {row["t"]: row for row in doc["rows"] if row["model"] == "m1"}
    assert by_t[0]["score"] == 0.5 and by_t[0.5]["score"] == 0.25  # (2 - 1) / 4 at penalty 1
    assert doc["provenance"]["sources"][0]["adapter"] == "toy"
    assert "adapter plugin 'exploding' skipped: detect raised RuntimeError: kaboom" in board.stderr
    # a plugin that does not say which producer flags it acts on (Adapter.honours unset) is never refused one
    flagged = _rescore(site, "leaderboard", str(runs), "--format", "json", "-t", "0", "--scorer", "toyscore")
    assert flagged.returncode == 0, flagged.stderr


def test_without_the_plugin_its_file_is_not_read_as_something_else(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "a.toy").write_text("m1 q1 right\n")
    done = _rescore(tmp_path, "leaderboard", str(runs / "a.toy"))
    assert done.returncode == 3
    assert "a.toy" in done.stderr and "Traceback" not in done.stderr
