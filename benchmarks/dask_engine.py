"""Local engine vs the Dask engine on the same tree, in one run: when does a cluster pay off?

    python benchmarks/dask_engine.py                      # 10M items, 50 models, data in /tmp/rescore-bench
    python benchmarks/dask_engine.py --items 200000 --models 10 --data /tmp/small-bench   # a quick look

The inputs come from ``benchmarks/make_data.py`` (lm-eval JSONL and Parquet with the same items)
and are shared with ``benchmarks/scale.py`` (same default folder, reused while META.json matches).
Each contender runs ``rescore leaderboard DIR -f json -o FILE`` as its own subprocess:

* **local -j N**: the default engine, N worker processes (``rescore.read.workers``);
* **dask, LocalCluster**: ``--engine dask`` with no scheduler, so the run pays for starting a
  scheduler and N worker processes and for shipping every file's count table to the client;
* **dask, running cluster**: ``--engine dask --scheduler ADDRESS`` against a LocalCluster this
  script started beforehand (loopback, N single-threaded worker processes), i.e. the steady
  state of a cluster that is already up: only task scheduling and result transfer remain.

Every run must print byte-identical JSON (the engines only decide where files are read). The
contenders run interleaved ``--repeat`` times and the best time of each is reported, so a busy
spell on a shared machine does not land on one contender only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_data import generate  # noqa: E402


def run(cmd: list[str]) -> float:
    """Wall seconds of one subprocess (which must succeed)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/rescore-bench"))
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local -j and Dask worker processes")
    parser.add_argument("--repeat", type=int, default=2, help="runs per contender; the best time is reported")
    parser.add_argument("--layout", choices=["parquet", "jsonl", "both"], default="parquet",
                        help="jsonl is 8 GB at 10M items: minutes per run on 2 cores")
    args = parser.parse_args(argv)

    from distributed import LocalCluster

    from rescore.read.engines.dask import local_cluster_kwargs

    meta_path = args.data / "META.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("items") != (args.items // args.models) * args.models or meta.get("models") != args.models:
        print(f"generating {args.items:,} items x {args.models} models in {args.data} ...", file=sys.stderr)
        meta = generate(args.data, args.items, args.models, jobs=args.workers)
    layouts = ["parquet", "jsonl"] if args.layout == "both" else [args.layout]
    folders = {"parquet": args.data / "parquet", "jsonl": args.data / "lmeval"}
    out = Path(tempfile.mkdtemp(prefix="rescore-dask-bench-"))
    base = [sys.executable, "-m", "rescore", "leaderboard", "-q", "-f", "json"]
    rows = []
    with LocalCluster(**local_cluster_kwargs(args.workers)) as cluster:
        address = cluster.scheduler_address
        for layout in layouts:
            folder = str(folders[layout])
            files = sum(1 for p in folders[layout].rglob("*") if p.is_file())
            contenders = [
                (f"local -j {args.workers}", ["-j", str(args.workers)]),
                (f"dask, LocalCluster ({args.workers} workers, started per run)", ["--engine", "dask"]),
                (f"dask, running cluster ({args.workers} workers)", ["--engine", "dask", "--scheduler", address]),
            ]
            times: dict[int, list[float]] = {k: [] for k in range(len(contenders))}
            outputs: dict[int, bytes] = {}
            for _ in range(args.repeat):  # interleaved, so a busy spell on the machine hits every contender
                for k, (name, extra) in enumerate(contenders):
                    target = out / f"{layout}-{k}.json"
                    wall = run([*base, folder, *extra, "-o", str(target)])
                    times[k].append(wall)
                    outputs[k] = target.read_bytes()
                    print(f"{layout:8} {name:52} {wall:8.2f} s  identical: {outputs[k] == outputs[0]}",
                          file=sys.stderr)
            for k, (name, _extra) in enumerate(contenders):
                rows.append({"layout": layout, "files": files, "engine": name, "seconds": round(min(times[k]), 2),
                             "identical": outputs[k] == outputs[0]})
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [f"{meta['items']:,} items, {args.models} models; {machine}; best of {args.repeat}", "",
             "| input | files | engine | time (s) | x local | JSON identical |", "|---|---|---|---|---|---|"]
    local = {r["layout"]: r["seconds"] for r in rows if r["engine"].startswith("local")}
    for r in rows:
        lines.append(f"| {r['layout']} | {r['files']} | {r['engine']} | {r['seconds']:.1f} | "
                     f"{r['seconds'] / local[r['layout']]:.2f} | {'yes' if r['identical'] else 'NO'} |")
    print("\n".join(lines))
    if not all(r["identical"] for r in rows):
        raise SystemExit("the engines disagree: see the JSON files in " + str(out))


if __name__ == "__main__":
    main()
