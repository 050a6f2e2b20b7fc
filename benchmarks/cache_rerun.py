"""The incremental cache (``--cache DIR``): a re-run after one file changed, against the first run.

    python benchmarks/cache_rerun.py                    # 1,000 files of 200 items, data in a temp folder
    python benchmarks/cache_rerun.py --files 200 --items 500

It writes ``--files`` graded JSONL files (one model each, ``--items`` items), then runs
``rescore leaderboard DIR -f json -o FILE --cache CACHE`` as a subprocess:

1. **cold**: no cache entry yet, every file is read (and stored);
2. **warm, nothing changed**: every file's stat matches its entry: no file is opened;
3. **one file changed, one added**: only those two are read;
4. **fresh checkout**: every mtime moved (as after ``git clone`` + ``actions/cache`` restore), so
   every file is hashed, none is parsed;

and, for reference, **no cache**. Every run must print byte-identical JSON (apart from the added
file, compared with an uncached run of the same folder). ``--jobs`` is passed to all runs alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple


def write_file(path: Path, model: str, items: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for i in range(items):
        grade = rng.choices(["CORRECT", "INCORRECT", "NOT_ATTEMPTED"], [5, 3, 2])[0]
        lines.append(json.dumps({"model": model, "benchmark": "quiz", "question_id": f"q{i}", "grade": grade,
                                 "confidence": round(rng.random(), 3), "response": "x" * rng.randrange(20, 200)}))
    path.write_text("\n".join(lines) + "\n")


class Timed(NamedTuple):
    wall: float
    cpu: float  # the subprocess's user + system time: what a busy shared machine does not inflate

    def __format__(self, spec: str) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU"


def run(data: Path, out: Path, extra: list[str]) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rescore", "leaderboard", str(data), "-f", "json", "-o", str(out), "-q",
                    *extra], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--jobs", default="1", help="passed as -j to every run (default 1: no pool)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rescore-cache-bench-") as tmp:
        root = Path(tmp)
        data, cache = root / "runs", root / "cache"
        data.mkdir()
        for k in range(args.files):
            write_file(data / f"org__model-{k:04d}.jsonl", f"org/model-{k:04d}", args.items, k)
        common = ["-j", args.jobs]
        uncached = run(data, root / "plain.json", common)
        cold = run(data, root / "cold.json", [*common, "--cache", str(cache)])
        warm = run(data, root / "warm.json", [*common, "--cache", str(cache)])
        write_file(data / "org__model-0007.jsonl", "org/model-0007", args.items, 10_007)
        write_file(data / "org__model-new.jsonl", "org/model-new", args.items, 99)
        changed = run(data, root / "changed.json", [*common, "--cache", str(cache)])
        changed_plain = run(data, root / "changed-plain.json", common)
        later = time.time() + 60
        for file in data.iterdir():
            os.utime(file, (later, later))
        checkout = run(data, root / "checkout.json", [*common, "--cache", str(cache)])
        outputs = {name: (root / f"{name}.json").read_bytes() for name in
                   ("plain", "cold", "warm", "changed", "changed-plain", "checkout")}
        same = outputs["plain"] == outputs["cold"] == outputs["warm"]
        same_changed = outputs["changed"] == outputs["changed-plain"] == outputs["checkout"]
        print(f"{args.files} files x {args.items} items, -j {args.jobs}")
        print(f"  no cache                      {uncached}")
        print(f"  cold cache (read + store)     {cold}")
        print(f"  warm, nothing changed         {warm}   ({warm.cpu / cold.cpu:.0%} of the first run's CPU)")
        print(f"  one changed + one added       {changed}   ({changed.cpu / cold.cpu:.0%}; "
              f"uncached: {changed_plain.cpu:.2f} s CPU)")
        print(f"  fresh checkout (mtimes moved) {checkout}   ({checkout.cpu / cold.cpu:.0%}; hashed, not parsed)")
        print(f"  identical output: {same and same_changed}")
        if not (same and same_changed):
            sys.exit(1)


if __name__ == "__main__":
    main()
