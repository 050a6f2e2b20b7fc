"""A reader that closes the pipe (``rescore ... | head``) must not change the exit code.

Exit 1 means "a gate failed"; a CI script with ``set -o pipefail`` would otherwise read a closed
pipe as a failed gate. The child writes into a pipe whose read end is already closed, so every
write fails, whatever the timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = str(ROOT / "sample_data")


def _run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read
    try:
        return subprocess.run([sys.executable, "-m", "rescore", *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(write_end)


@pytest.mark.parametrize(("args", "code"), [
    (("leaderboard", SAMPLE, "-q"), 0),
    (("leaderboard", SAMPLE, "-q", "-f", "csv"), 0),
    (("check", SAMPLE, "-q", "--min", "score@0.9=-100", "-f", "json"), 0),
    (("check", SAMPLE, "-q", "--min", "score@0.9=5", "-f", "json"), 1),  # a failed gate still fails
    (("check", SAMPLE, "-q", "--min", "score@0.9=5"), 1),
], ids=["table", "csv", "gate-passes", "gate-fails-json", "gate-fails-text"])
def test_closed_pipe_keeps_the_commands_exit_code(args: tuple[str, ...], code: int) -> None:
    result = _run_into_closed_pipe(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_output_files_are_still_written_when_stdout_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "board.json"
    result = _run_into_closed_pipe("leaderboard", SAMPLE, "-f", "json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("{")
