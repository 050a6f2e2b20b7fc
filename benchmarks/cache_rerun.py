"""The incremental cache (``--cache DIR``): a re-run after one file changed, against the first run.

    python benchmarks/cache_rerun.py                    # 1,000 files of 200 items, data in a temp folder
    python benchmarks/cache_rerun.py --files 200 --items 500

It writes ``--files`` graded JSONL files (one model each, ``--items`` items), then runs
``rescore leaderboard DIR -f json -o FILE`` as a subprocess, in this order:

1. **no cache**: the reference (every file read);
2. **first run with --cache**: every file read, and stored;
3. **cached re-run, nothing changed**: no file opened at all (not even to plan);
4. **one file added**: only that file read;
5. **one file changed**: only that file read;
6. **no cache** again over the changed folder: the reference for runs 4 to 7;
7. **fresh checkout**: every mtime moved (as after ``git clone`` + an ``actions/cache`` restore):
   every file hashed, none parsed.

Each run counts the data files it *opened* (any open from Python: planning's sniffed heads,
hashing, reading) and the files it *read* (parsed by an adapter), by running the CLI under a small
wrapper with ``-j 1`` (no worker processes, so every open is seen). The benchmark fails unless
runs 4 and 5 read exactly the one file, run 3 opens none, and every cached output is
byte-identical to the uncached one of the same folder.

Measured: the uncached run grows linearly with the number of files (nothing is quadratic: on
generic JSONL files of 200 items reading costs about 55 ms a file, planning under 1 ms).
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

# Runs the CLI recording which files under DATA were opened and which the per-file reader read.
_WRAPPER = r"""
import atexit, builtins, io, json, os, sys
data, log = os.path.abspath(sys.argv[1]) + os.sep, sys.argv[2]
opened, read = set(), set()
real_open, real_os_open = builtins.open, os.open

def _note(file):
    if isinstance(file, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(file))
        if path.startswith(data):
            opened.add(path)

def counting_open(file, *args, **kwargs):
    _note(file)
    return real_open(file, *args, **kwargs)

def counting_os_open(file, *args, **kwargs):
    _note(file)
    return real_os_open(file, *args, **kwargs)

builtins.open = io.open = counting_open
os.open = counting_os_open
from rescore.read import per_file
real_read = per_file.read_one

def counting_read(path, *args, **kwargs):
    read.add(str(path))
    return real_read(path, *args, **kwargs)

per_file.read_one = counting_read

@atexit.register
def _write():
    with real_open(log, "w") as handle:
        json.dump({"opened": sorted(opened), "read": sorted(read)}, handle)

sys.argv = ["rescore", *sys.argv[3:]]
from rescore.cli.app import main
main()
"""


def write_file(path: Path, model: str, items: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for i in range(items):
        grade = rng.choices(["CORRECT", "INCORRECT", "NOT_ATTEMPTED"], [5, 3, 2])[0]
        lines.append(json.dumps({"model": model, "benchmark": "quiz", "question_id": f"q{i}", "grade": grade,
                                 "confidence": round(rng.random(), 3), "response": "x" * rng.randrange(20, 200)}))
    path.write_text("\n".join(lines) + "\n")


class Run(NamedTuple):
    wall: float
    cpu: float  # the subprocess's user + system time: what a busy shared machine does not inflate
    opened: list[str]
    read: list[str]


def run(data: Path, out: Path, extra: list[str]) -> Run:
    log = out.with_suffix(".files.json")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _WRAPPER, str(data), str(log), "leaderboard", str(data), "-f", "json",
                    "-o", str(out), "-q", "-j", "1", *extra], check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    files = json.loads(log.read_text())
    return Run(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
               [Path(p).name for p in files["opened"]], [Path(p).name for p in files["read"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rescore-cache-bench-") as tmp:
        root = Path(tmp)
        data, cache = root / "runs", root / "cache"
        data.mkdir()
        for k in range(args.files):
            write_file(data / f"org__model-{k:04d}.jsonl", f"org/model-{k:04d}", args.items, k)
        cached = ["--cache", str(cache)]
        runs: dict[str, Run] = {}
        runs["plain"] = run(data, root / "plain.json", [])
        runs["cold"] = run(data, root / "cold.json", cached)
        runs["warm"] = run(data, root / "warm.json", cached)
        write_file(data / "org__model-new.jsonl", "org/model-new", args.items, 99)
        runs["added"] = run(data, root / "added.json", cached)
        write_file(data / "org__model-0007.jsonl", "org/model-0007", args.items, 10_007)
        runs["changed"] = run(data, root / "changed.json", cached)
        runs["plain-after"] = run(data, root / "plain-after.json", [])
        later = time.time() + 60
        for file in data.iterdir():
            os.utime(file, (later, later))
        runs["checkout"] = run(data, root / "checkout.json", cached)
        out = {name: (root / f"{name}.json").read_bytes() for name in runs}
        identical = out["plain"] == out["cold"] == out["warm"] and \
            out["changed"] == out["plain-after"] == out["checkout"]
        labels = {"plain": "no cache", "cold": "first run with `--cache` (read and store)",
                  "warm": "cached re-run, nothing changed", "added": "cached re-run, one file added",
                  "changed": "cached re-run, one file changed", "plain-after": "no cache, after the changes",
                  "checkout": "fresh checkout (every mtime moved)"}
        print(f"{args.files} files x {args.items} items, -j 1\n")
        print("| run | wall | CPU | files opened | files read |")
        print("|---|---|---|---|---|")
        for name, result in runs.items():
            read = ", ".join(result.read) if 0 < len(result.read) <= 2 else str(len(result.read))
            print(f"| {labels[name]} | {result.wall:.1f} s | {result.cpu:.1f} s | {len(result.opened)} | {read} |")
        print(f"\nidentical output with and without the cache: {identical}")
        checks = {
            "the cached re-run opens no file": runs["warm"].opened == [] and runs["warm"].read == [],
            "one file added: only it is read": runs["added"].read == ["org__model-new.jsonl"]
            and runs["added"].opened == ["org__model-new.jsonl"],
            "one file changed: only it is read": runs["changed"].read == ["org__model-0007.jsonl"]
            and runs["changed"].opened == ["org__model-0007.jsonl"],
            "a fresh checkout parses no file": runs["checkout"].read == [],
            "every file read without the cache": len(runs["plain"].read) == args.files,
        }
        for what, ok in checks.items():
            print(f"{'ok ' if ok else 'FAILED'} {what}")
        if not identical or not all(checks.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
