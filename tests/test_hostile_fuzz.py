"""Issue 17, point 8: a mutation fuzz over real and sample files of every adapter.

Each seed file is copied with its folder's other files (companions such as lm-eval's results
file or SimpleQA's summary stay beside it), then mutated one way (truncated, bytes flipped, a
line deleted or doubled, NUL/invalid UTF-8/huge numbers/NaN spliced in, emptied) and read by
``rescore leaderboard -f json``. Every run must end in one of two ways: exit 0 with a JSON board
whose counts add up, or one ``rescore: error:`` line naming a file with exit 2 or 3. Never a
traceback, an "unexpected" error, a hang (each run has a time limit) or partial output.

The seed (``FUZZ_SEED``) is fixed, so CI runs the same mutations; the whole test stops adding
cases after ``BUDGET_S`` seconds, so it stays well under a minute on a loaded machine.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from .conftest import REAL_DATA, SAMPLE, invoke

FUZZ_SEED = 17
BUDGET_S = 20.0
RUN_LIMIT_S = 20
DATA_SUFFIXES = {".json", ".jsonl", ".eval", ".csv", ".tsv", ".parquet"}
MAX_SEED_BYTES = 3 * 1024 * 1024


class _Hang(BaseException):
    """Raised by the alarm: a BaseException, so the CLI's error handler cannot swallow it."""


def _seeds() -> list[Path]:
    """Sample files of every kind, plus up to two small data files per real-data folder."""
    seeds = [next((SAMPLE / "lm_eval" / "acme__bold-70b").glob("samples_*.jsonl")),
             next((SAMPLE / "lm_eval" / "acme__bold-70b").glob("results_*.json")),
             SAMPLE / "mmlu_pro_mini" / "acme__bold-70b.jsonl",
             SAMPLE / "simpleqa_mini" / "acme__bold-70b_results.jsonl",
             SAMPLE / "simpleqa_mini" / "acme__bold-70b_summary.json"]
    if REAL_DATA.is_dir():
        for folder in sorted(p for p in REAL_DATA.iterdir() if p.is_dir()):
            found = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
                     and p.stat().st_size <= MAX_SEED_BYTES]
            seeds.extend(found[:2])
    return seeds


def _mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One named mutation of ``data``."""
    kind = rng.choice(["truncate", "flip", "drop_line", "double_line", "splice", "number", "empty"])
    if not data or kind == "empty":
        return "empty", b""
    if kind == "truncate":
        return kind, data[: rng.randrange(len(data))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return kind, bytes(out)
    lines = data.split(b"\n")
    if kind in ("drop_line", "double_line") and len(lines) > 1:
        k = rng.randrange(len(lines))
        lines[k:k + 1] = [] if kind == "drop_line" else [lines[k], lines[k]]
        return kind, b"\n".join(lines)
    if kind == "number":
        import re

        spots = [m.start() for m in re.finditer(rb"\d+(\.\d+)?", data[:200_000])]
        if spots:
            at = rng.choice(spots)
            end = at + len(re.match(rb"\d+(\.\d+)?", data[at:]).group())  # type: ignore[union-attr]
            return kind, data[:at] + rng.choice([b"1e999", b"NaN", b"-1", b"99999999999999999999", b"1.5"]) + data[end:]
    at = rng.randrange(len(data))
    junk = rng.choice([b"\x00", b"\xff\xfe", b"\x1b[2J", b'"}', b"\n{", "\u202e".encode()])
    return "splice", data[:at] + junk + data[at:]


def _check(result, case: str) -> None:
    err = result.stderr
    assert "Traceback" not in err, case
    assert "unexpected" not in err, (case, err)
    if result.exit_code == 0:
        board = json.loads(result.stdout)  # whole, valid JSON: never partial output
        for group in board["groups"]:
            total = sum(group[f"n_{o}"] for o in ("correct", "wrong", "abstain", "partial", "invalid"))
            assert total >= group["n"] >= 0, case
        return
    assert result.exit_code in (2, 3), (case, result.exit_code, err)
    assert result.stdout == "", case  # nothing half-written to stdout
    errors = [line for line in err.splitlines() if line.startswith("rescore: error: ")]
    assert len(errors) == 1, (case, err)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="the per-run time limit uses SIGALRM")
def test_mutated_files_of_every_adapter_fail_cleanly_or_score_consistently(tmp_path: Path) -> None:
    rng = random.Random(FUZZ_SEED)
    seeds = _seeds()
    start = time.monotonic()

    def on_alarm(signum: int, frame: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, on_alarm)
    runs = 0
    try:
        for round_ in range(3):
            for n, seed in enumerate(seeds):
                if time.monotonic() - start > BUDGET_S:
                    break
                case_dir = tmp_path / f"r{round_}_{n}"
                case_dir.mkdir()
                for sibling in seed.parent.iterdir():  # companions stay beside the mutated file
                    if sibling.is_file() and sibling.stat().st_size <= MAX_SEED_BYTES:
                        shutil.copy(sibling, case_dir / sibling.name)
                kind, mutated = _mutate(seed.read_bytes(), rng)
                (case_dir / seed.name).write_bytes(mutated)
                case = f"{seed} {kind}"
                signal.alarm(RUN_LIMIT_S)
                try:
                    result = invoke("leaderboard", str(case_dir), "-q", "-f", "json", "--skip-unknown")
                except _Hang:
                    pytest.fail(f"hang: {case}")
                finally:
                    signal.alarm(0)
                _check(result, case)
                runs += 1
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert runs >= len(seeds) // 2  # the budget let a fair share run
