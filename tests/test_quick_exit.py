"""The console script ends without the interpreter's module teardown (rescore/cli/quick_exit.py),
but with everything an observer can see of a normal exit: exit codes, atexit handlers, threads
joined, buffered stdout flushed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rescore.cli.quick_exit import exit_code

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

# a program that registers an atexit handler and starts a slow non-daemon thread, then runs the CLI
PROGRAM = """
import atexit, sys, threading, time
marker = sys.argv[1]
atexit.register(lambda: open(marker, "a").write("atexit\\n"))
def late():
    time.sleep(1.5)  # longer than any of these commands
    open(marker, "a").write("thread\\n")
threading.Thread(target=late).start()
sys.argv = ["rescore", *sys.argv[2:]]
from rescore.cli.app import run
run()
"""


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    marker = tmp_path / "marker.txt"
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(marker), *args], capture_output=True, text=True,
                          env=env, timeout=120)
    return done, marker.read_text().splitlines() if marker.exists() else []


@pytest.mark.parametrize(("args", "code"), [
    (("leaderboard", str(SAMPLE), "-f", "json"), 0),
    (("leaderboard", "--no-such-flag"), 2),
    (("leaderboard", "/no/such/folder"), 3),
])
def test_the_exit_code_atexit_handlers_and_threads_are_those_of_a_normal_exit(tmp_path: Path, args: tuple[str, ...],
                                                                              code: int) -> None:
    done, marker = _run(tmp_path, *args)
    assert done.returncode == code, done.stderr
    assert marker == ["thread", "atexit"]  # the thread joined first, then the atexit handlers, as Python does
    if code == 0:
        import json

        board = json.loads(done.stdout)  # the whole buffered output reached the pipe
        assert board["rows"]
    else:
        assert done.stderr.startswith("rescore: error:") and "Traceback" not in done.stderr


def test_the_stdin_copy_is_removed_at_exit(tmp_path: Path) -> None:
    import tempfile

    before = {p.name for p in Path(tempfile.gettempdir()).glob("rescore-stdin-*")}
    data = (SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl").read_bytes()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "rescore", "leaderboard", "-", "-f", "json"], input=data,
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    after = {p.name for p in Path(tempfile.gettempdir()).glob("rescore-stdin-*")}
    assert after <= before  # the atexit handler that removes the copy ran


def test_exit_code_follows_system_exit() -> None:
    assert exit_code(None) == 0
    assert exit_code(3) == 3
    assert exit_code("a message") == 1
