"""Generate the scale benchmark's inputs: N items across M models, as lm-eval JSONL and as Parquet.

Both layouts hold the same items (same outcomes per model), so the same counts come out of
either:

* ``lmeval/<org>__model-NN/results_<ts>.json`` plus ``samples_<task>_<ts>.jsonl`` for two
  generate_until tasks per model, exactly the lm-evaluation-harness ``--log_samples`` layout
  (0.4.x keys: ``doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics,
  doc_hash, prompt_hash, target_hash, exact_match``). ``doc`` and ``arguments`` are kept small
  (a real prompt repeats the question and options); the response is a short chain of thought
  ending in "The answer is (X)." Lines average about 1 KB (three 64-hex hashes included).
* ``parquet/model-NN.parquet``: one file per model with generic columns
  ``model, benchmark, subset, item_id, prediction, response, gold, grade``.

Outcome mix per model: correct 45-80 %, extraction failures (``[invalid]``) 4-12 % of which
about half are "I don't know."-style responses, the rest wrong letters.

Usage: ``python benchmarks/make_data.py OUT --items 10000000 --models 50``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

TASKS = ("synth_qa", "synth_reason")
TIMESTAMP = "2026-11-23T18-00-00.000000"
LETTERS = np.array(list("ABCDEFGHIJ"))
CATEGORIES = np.array(["algebra", "biology", "chemistry", "history", "law", "physics", "geography", "economics"])
REASONING = [
    "Let me work through this step by step. First, recall the relevant definition and check each option.",
    "Considering each option in turn, the first two can be ruled out quickly by the units involved.",
    "We compare the candidates against the facts stated in the question and eliminate the inconsistent ones.",
    "Step by step: compute the intermediate value, then match it against the listed options carefully.",
    "The key observation is the second clause of the question; everything else follows from it directly.",
]
IDK = ["I don't know.", "I'm not sure about this one, so I will not guess.", "I cannot determine the answer."]
FAILED = ["The options are all plausible here and the question is ambiguous in its wording.",
          "Thinking about it more, several of these could be right depending on the convention."]


def model_name(m: int) -> str:
    return f"bench-org/model-{m:02d}"


def plan_outcomes(m: int, n: int, seed: int) -> dict[str, np.ndarray]:
    """Per item: gold letter, predicted letter (or '' for extraction failure), idk flag."""
    rng = np.random.default_rng(seed * 1000 + m)
    p_correct = 0.45 + 0.35 * (m % 10) / 9
    p_invalid = 0.04 + 0.08 * ((m * 7) % 11) / 10
    u = rng.random(n)
    gold = LETTERS[rng.integers(0, 10, n)]
    wrong = LETTERS[(np.searchsorted(LETTERS, gold) + rng.integers(1, 10, n)) % 10]
    correct = u < p_correct
    invalid = u > 1 - p_invalid
    pred = np.where(correct, gold, wrong)
    pred = np.where(invalid, "", pred)
    idk = invalid & (rng.random(n) < 0.5)
    return {"gold": gold, "pred": pred, "correct": correct, "invalid": invalid, "idk": idk,
            "variant": rng.integers(0, 1 << 30, n)}


def _response(i: int, pred: str, idk: bool, variant: int) -> str:
    if idk:
        return IDK[variant % len(IDK)]
    if not pred:
        return FAILED[variant % len(FAILED)]
    return f"{REASONING[variant % len(REASONING)]} The answer is ({pred})."


def write_lmeval_model(out: Path, m: int, n: int, seed: int) -> int:
    """One model's results file and two samples files; returns bytes written."""
    folder = out / "lmeval" / model_name(m).replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    plan = plan_outcomes(m, n, seed)
    half = n // 2
    written = 0
    results, configs, n_samples = {}, {}, {}
    for k, task in enumerate(TASKS):
        lo, hi = (0, half) if k == 0 else (half, n)
        lines = []
        for i in range(lo, hi):
            doc_id = i - lo
            gold = plan["gold"][i]
            pred = plan["pred"][i]
            variant = int(plan["variant"][i])
            response = _response(i, pred, bool(plan["idk"][i]), variant)
            filtered = pred if pred else "[invalid]"
            h = os.urandom(96).hex()
            line = {
                "doc_id": doc_id,
                "doc": {"question_id": f"{task}-{doc_id}", "question": f"Synthetic question {doc_id}?",
                        "answer": gold, "category": CATEGORIES[doc_id % 8]},
                "target": gold,
                "arguments": {"gen_args_0": {"arg_0": f"Question: Synthetic question {doc_id}?\nAnswer:",
                                             "arg_1": {"until": ["</s>", "Question:"], "do_sample": False,
                                                       "temperature": 0.0, "max_gen_toks": 256}}},
                "resps": [[response]],
                "filtered_resps": [filtered],
                "filter": "strict-match",
                "metrics": ["exact_match"],
                "doc_hash": h[:64], "prompt_hash": h[64:128], "target_hash": h[128:],
                "exact_match": 1.0 if plan["correct"][i] else 0.0,
            }
            lines.append(json.dumps(line))
        text = "\n".join(lines) + "\n"
        (folder / f"samples_{task}_{TIMESTAMP}.jsonl").write_text(text, encoding="utf-8")
        written += len(text)
        acc = float(plan["correct"][lo:hi].mean())
        results[task] = {"alias": task, "sample_len": hi - lo, "exact_match,strict-match": acc,
                         "exact_match_stderr,strict-match": float(np.sqrt(acc * (1 - acc) / max(hi - lo - 1, 1)))}
        configs[task] = {"task": task, "output_type": "generate_until", "num_fewshot": 0,
                         "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
                         "filter_list": [{"name": "strict-match", "filter": [
                             {"function": "regex", "regex_pattern": "answer is \\(([A-J])\\)"},
                             {"function": "take_first"}]}]}
        n_samples[task] = {"original": hi - lo, "effective": hi - lo}
    doc = {"results": results, "group_subtasks": {t: [] for t in TASKS}, "configs": configs,
           "versions": {t: 1.0 for t in TASKS}, "n-shot": {t: 0 for t in TASKS}, "n-samples": n_samples,
           "config": {"model": "hf", "model_args": f"pretrained={model_name(m)}", "batch_size": "auto", "limit": None},
           "lm_eval_version": "0.4.9", "date": 1795000000.0, "model_source": "hf",
           "model_name": model_name(m), "model_name_sanitized": model_name(m).replace("/", "__")}
    (folder / f"results_{TIMESTAMP}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return written


def write_parquet_model(out: Path, m: int, n: int, seed: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = out / "parquet"
    folder.mkdir(parents=True, exist_ok=True)
    plan = plan_outcomes(m, n, seed)
    half = n // 2
    idx = np.arange(n)
    doc_id = np.where(idx < half, idx, idx - half)
    task = np.where(idx < half, TASKS[0], TASKS[1])
    responses = [_response(i, plan["pred"][i], bool(plan["idk"][i]), int(plan["variant"][i])) for i in range(n)]
    grade = np.where(plan["correct"], "correct", np.where(plan["invalid"], "invalid", "incorrect"))
    table = pa.table({
        "model": pa.array(np.full(n, model_name(m))).dictionary_encode(),
        "benchmark": pa.array(task).dictionary_encode(),
        "subset": pa.array(CATEGORIES[doc_id % 8]).dictionary_encode(),
        "item_id": pa.array(np.char.add(np.char.add(task.astype(str), "-"), doc_id.astype(str))),
        "prediction": pa.array(plan["pred"], mask=plan["invalid"]),
        "response": pa.array(responses),
        "gold": pa.array(plan["gold"]),
        "grade": pa.array(grade).dictionary_encode(),
    })
    path = folder / f"model-{m:02d}.parquet"
    pq.write_table(table, path, row_group_size=250_000)
    return path.stat().st_size


GENERIC_IDK = "I don't know"


def generic_columns(m: int, n: int, seed: int) -> dict[str, np.ndarray]:
    """One model's rows of the ordinary table (issue 18): ``model, benchmark, item_id, pred,
    answer, confidence``; no grade column, so correctness is prediction vs gold. About 5 % of
    ``pred`` say "I don't know" (the plan's invalid items that abstain, the rest of its invalid
    items answer a wrong letter); a tenth of the letters come lower-case, as hand-made tables do."""
    plan = plan_outcomes(m, n, seed)
    rng = np.random.default_rng(seed * 7919 + m)
    idx = np.arange(n)
    half = n // 2
    task = np.where(idx < half, TASKS[0], TASKS[1])
    letters = np.where(plan["correct"], plan["gold"], np.where(plan["invalid"], plan["gold"], plan["pred"]))
    wrong = LETTERS[(np.searchsorted(LETTERS, plan["gold"]) + 1 + (plan["variant"] % 9)) % 10]
    letters = np.where(plan["invalid"] & ~plan["correct"], wrong, letters)
    letters = np.where(rng.random(n) < 0.1, np.char.lower(letters.astype(str)), letters)
    pred = np.where(plan["idk"], GENERIC_IDK, letters).astype(object)
    confidence = np.round(rng.random(n), 3)
    return {"model": np.full(n, model_name(m), dtype=object), "benchmark": task.astype(object),
            "item_id": np.char.add(np.where(idx < half, "q", "r"), np.where(idx < half, idx, idx - half).astype(str)
                                   ).astype(object),
            "pred": pred, "answer": plan["gold"].astype(object), "confidence": confidence}


def write_generic(out: Path, n_items: int, n_models: int, seed: int, text_rows: int) -> dict[str, int]:
    """``generic/all.parquet`` (every row, one file; row groups of 1M rows, as pandas and Arrow
    write by default) and its first ``text_rows`` rows as ``generic_text/all.csv`` and
    ``generic_text/all.jsonl`` (plus ``generic_text/first.parquet``, the same rows in Parquet)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    per_model = n_items // n_models
    (out / "generic").mkdir(parents=True, exist_ok=True)
    (out / "generic_text").mkdir(parents=True, exist_ok=True)
    writer = None
    sizes: dict[str, int] = {}
    first: list[pa.Table] = []
    kept = 0
    for m in range(n_models):
        table = pa.table(generic_columns(m, per_model, seed))
        if writer is None:
            writer = pq.ParquetWriter(out / "generic" / "all.parquet", table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        if kept < text_rows:
            first.append(table.slice(0, text_rows - kept))
            kept += first[-1].num_rows
    assert writer is not None
    writer.close()
    head = pa.concat_tables(first)
    pq.write_table(head, out / "generic_text" / "first.parquet")
    pacsv.write_csv(head, out / "generic_text" / "all.csv")
    with (out / "generic_text" / "all.jsonl").open("w", encoding="utf-8") as handle:
        for row in head.to_pylist():
            handle.write(json.dumps(row) + "\n")
    for name in ("generic/all.parquet", "generic_text/all.csv", "generic_text/all.jsonl"):
        sizes[name] = (out / name).stat().st_size
    return sizes


def expected_generic(n_items: int, n_models: int, seed: int, rows: int | None = None) -> dict[str, int]:
    """Outcome totals of the generic table (its first ``rows`` rows): pred vs answer, IDK abstains."""
    per_model = n_items // n_models
    totals = {"correct": 0, "wrong": 0, "abstain": 0}
    left = per_model * n_models if rows is None else rows
    for m in range(n_models):
        if left <= 0:
            break
        cols = generic_columns(m, per_model, seed)
        take = min(left, per_model)
        pred = np.char.upper(cols["pred"][:take].astype(str))
        idk = cols["pred"][:take] == GENERIC_IDK
        right = pred == cols["answer"][:take].astype(str)
        totals["abstain"] += int(idk.sum())
        totals["correct"] += int((right & ~idk).sum())
        totals["wrong"] += int((~right & ~idk).sum())
        left -= take
    return totals


INSPECT_TEMPLATE = Path("/work/shared/real_data/inspect_ai/mmlu-summary-choices.eval")


def _inspect_sample(template: dict, i: int, state: str, gold: str, other: str) -> dict:
    """A copy of the template sample with its own id, target, answer and completion."""
    answer = {"correct": gold, "wrong": other, "abstain": "I don't know"}[state]
    completion = "I don't know." if state == "abstain" else f"Let me think.\n\nANSWER: {answer}"
    sample = dict(template, id=i + 1, epoch=1, target=gold, events=[], attachments={})
    sample["output"] = dict(template["output"], completion=completion)
    # an "I don't know" carries the grader's abstention letter N (NOANSWER): on inspect's C/I/P/N
    # scale an I stands even for a phrase reply (docs/verdicts.md, rule 3), so the truth needs the N
    value = {"correct": "C", "wrong": "I", "abstain": "N"}[state]
    sample["scores"] = {"choice": {"value": value, "answer": answer,
                                   "explanation": completion, "history": []}}
    return sample


def write_inspect(out: Path, n_samples: int, n_logs: int, seed: int,
                  template_path: Path = INSPECT_TEMPLATE) -> dict[str, int]:
    """inspect_ai ``.eval`` logs (zip: header.json + samples/<id>_epoch_1.json), ``n_samples`` in
    all over ``n_logs`` logs (one model each), cloned from a real log's header and first sample
    (its events dropped to keep generation quick). Per sample: correct 60 %, "I don't know" 5 %
    (graded N), else a wrong letter. Returns the outcome totals (the truth every reader must reproduce)."""
    import zipfile

    folder = out / "inspect"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(template_path) as source:
        header = json.loads(source.read("header.json"))
        template = json.loads(source.read(next(n for n in source.namelist() if n.startswith("samples/"))))
    rng = np.random.default_rng(seed)
    totals = {"correct": 0, "wrong": 0, "abstain": 0}
    per_log = n_samples // n_logs
    for k in range(n_logs):
        u = rng.random(per_log)
        gold = LETTERS[rng.integers(0, 4, per_log)]
        other = LETTERS[(np.searchsorted(LETTERS, gold) + 1) % 4]
        states = np.where(u < 0.6, "correct", np.where(u < 0.65, "abstain", "wrong"))
        head = json.loads(json.dumps(header))
        head["eval"]["model"] = f"bench-org/inspect-{k:02d}"
        with zipfile.ZipFile(folder / f"log-{k:02d}.eval", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("header.json", json.dumps(head))
            archive.writestr("_journal/start.json", json.dumps({"version": head.get("version"), "eval": head["eval"],
                                                                "plan": head.get("plan")}))
            for i in range(per_log):
                sample = _inspect_sample(template, i, str(states[i]), str(gold[i]), str(other[i]))
                archive.writestr(f"samples/{i + 1}_epoch_1.json", json.dumps(sample))
        for state in totals:
            totals[state] += int((states == state).sum())
    return totals


def expected_counts(n_items: int, n_models: int, seed: int) -> dict[str, int]:
    """Outcome totals the benchmark's every reader must reproduce (a correctness check)."""
    per_model = n_items // n_models
    totals = {"correct": 0, "wrong": 0, "abstain": 0, "invalid": 0}
    for m in range(n_models):
        plan = plan_outcomes(m, per_model, seed)
        totals["correct"] += int(plan["correct"].sum())
        totals["abstain"] += int(plan["idk"].sum())
        totals["invalid"] += int((plan["invalid"] & ~plan["idk"]).sum())
        totals["wrong"] += int((~plan["correct"] & ~plan["invalid"]).sum())
    return totals


def generate(out: Path, n_items: int, n_models: int, seed: int = 7, jobs: int = 2) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    per_model = n_items // n_models
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        jsonl = sum(pool.map(write_lmeval_model, [out] * n_models, range(n_models), [per_model] * n_models,
                             [seed] * n_models))
        parquet = sum(pool.map(write_parquet_model, [out] * n_models, range(n_models), [per_model] * n_models,
                               [seed] * n_models))
    meta = {"items": per_model * n_models, "models": n_models, "seed": seed, "jsonl_bytes": jsonl,
            "parquet_bytes": parquet, "seconds": round(time.perf_counter() - started, 1)}
    (out / "META.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    meta = generate(args.out, args.items, args.models, args.seed, args.jobs)
    print(json.dumps(meta), file=sys.stderr)


if __name__ == "__main__":
    main()
