"""Generate ``sample_data/``: small, realistic result dumps with a fixed seed.

Five simulated models with different abstention habits answer a multiple-choice benchmark
(MMLU-Pro style, 10 options, 14 categories, per-item verbalised confidence) and a short-answer
benchmark (SimpleQA style, graded CORRECT/INCORRECT/NOT_ATTEMPTED). The "bluffer" leads on
accuracy (t = 0) and falls behind the cautious models at t = 0.9: the point of rescore.

Run: ``python scripts/make_sample_data.py`` (rewrites sample_data/ deterministically).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 20250904
OUT = Path(__file__).resolve().parent.parent / "sample_data"

# name: (skill, abstain_below, overconfidence) - the model answers when its private
# probability of being right exceeds abstain_below, and reports p**overconfidence.
MODELS = {
    "acme/bold-70b": (0.62, 0.00, 0.5),
    "acme/careful-70b": (0.56, 0.45, 1.0),
    "nova/guess-8b": (0.45, 0.00, 0.6),
    "nova/humble-8b": (0.40, 0.55, 1.0),
    "orbit/mid-32b": (0.52, 0.20, 0.8),
}
CATEGORIES = ["biology", "business", "chemistry", "computer science", "economics", "engineering", "health",
              "history", "law", "math", "other", "philosophy", "physics", "psychology"]
LETTERS = "ABCDEFGHIJ"
IDK = ["I don't know.", "I am not sure, so I will not answer.", "I cannot determine the answer.", "IDK"]


def item_probabilities(rng: np.random.Generator, skill: float, difficulty: np.ndarray) -> np.ndarray:
    """Private probability of answering correctly: a logistic in skill minus difficulty."""
    logit = np.log(skill / (1 - skill)) - difficulty + rng.normal(0, 0.6, size=difficulty.size)
    return 1 / (1 + np.exp(-logit))


def multiple_choice(rng: np.random.Generator, n_items: int = 280) -> None:
    folder = OUT / "mmlu_pro_mini"
    folder.mkdir(parents=True, exist_ok=True)
    difficulty = rng.normal(0, 1.0, size=n_items)
    gold = rng.integers(0, 10, size=n_items)
    category = [CATEGORIES[i % len(CATEGORIES)] for i in range(n_items)]
    for model, (skill, abstain_below, overconf) in MODELS.items():
        p = item_probabilities(rng, skill, difficulty)
        right = rng.random(n_items) < p
        rows = []
        for i in range(n_items):
            stated = round(float(p[i] ** overconf) * 100)
            if p[i] < abstain_below:
                pred, text = "", IDK[i % len(IDK)]
            else:
                letter = gold[i] if right[i] else (gold[i] + 1 + rng.integers(0, 9)) % 10
                pred = LETTERS[letter]
                text = f"Let's think step by step. ... The answer is ({pred})."
            rows.append({"question_id": 7000 + i, "benchmark": "mmlu_pro", "category": category[i], "model": model,
                         "response": text, "pred": pred, "answer": LETTERS[gold[i]],
                         "confidence": f"{stated}%"})
        path = folder / f"{model.replace('/', '__')}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def short_answer(rng: np.random.Generator, n_items: int = 320) -> None:
    """SimpleQA in the third-party grader layout (eval-simpleQA): one ``<model>_results.jsonl`` per model
    (grade A/B/C, ``config`` = model, ``correct`` = the gold text) plus its ``<model>_summary.json``."""
    folder = OUT / "simpleqa_mini"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "simpleqa_grades.csv").unlink(missing_ok=True)  # the generic-CSV layout this replaced
    difficulty = rng.normal(0.8, 1.0, size=n_items)
    for model, (skill, abstain_below, _) in MODELS.items():
        p = item_probabilities(rng, skill * 0.9, difficulty)
        right = rng.random(n_items) < p
        stem = model.replace("/", "__")
        grades = {"A": 0, "B": 0, "C": 0}
        with (folder / f"{stem}_results.jsonl").open("w", encoding="utf-8") as handle:
            for i in range(n_items):
                gold = f"answer {i}"
                if p[i] < abstain_below + 0.05:
                    grade, predicted = "C", IDK[i % len(IDK)]
                elif right[i]:
                    grade, predicted = "A", f"It is {gold}."
                else:
                    grade, predicted = "B", f"It is answer {i + 1}."
                grades[grade] += 1
                row = {"question_id": f"sqa-{i:04d}", "config": model, "grade": grade, "question": f"Question {i}?",
                       "predicted": predicted, "correct": gold, "attempt": 1}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        n, attempted = n_items, grades["A"] + grades["B"]
        summary = {"is_correct": grades["A"] / n, "is_incorrect": grades["B"] / n, "is_not_attempted": grades["C"] / n,
                   "is_given_attempted": attempted / n,
                   "accuracy_given_attempted": grades["A"] / attempted if attempted else 0.0,
                   "total_samples": n, "correct_count": grades["A"], "incorrect_count": grades["B"],
                   "not_attempted_count": grades["C"]}
        (folder / f"{stem}_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def lm_eval_multiple_choice(rng: np.random.Generator, n_items: int = 64) -> None:
    """lm-eval ``--log_samples`` output of a GPQA-diamond-style 4-choice task, in lm-eval 0.4's exact layout.

    Per model: ``lm_eval/<org>__<model>/results_<ts>.json`` + ``samples_leaderboard_gpqa_diamond_<ts>.jsonl``,
    one line per question with the per-choice log-likelihoods as STRINGS and the ``acc_norm`` metric (as
    the Open LLM Leaderboard task). A log-likelihood model never abstains; its softmax over the choices
    is the confidence. Over-confident models put more mass on their pick than they earn.
    """
    import hashlib

    root = OUT / "lm_eval"
    difficulty = rng.normal(0.3, 1.0, size=n_items)
    gold = rng.integers(0, 4, size=n_items)
    for k, (model, (skill, _abstain_below, overconf)) in enumerate(MODELS.items()):
        folder = root / model.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        ts = f"2025-09-04T1{k}-00-00.000000"
        p = item_probabilities(rng, max(skill - 0.1, 0.3), difficulty)
        right = rng.random(n_items) < p
        lines, correct = [], 0
        for i in range(n_items):
            pick = int(gold[i]) if right[i] else int((gold[i] + 1 + rng.integers(0, 3)) % 4)
            stated = float(np.clip(p[i] ** overconf, 0.3, 0.995))
            probs = np.empty(4)
            probs[pick] = stated
            probs[[j for j in range(4) if j != pick]] = rng.dirichlet(np.ones(3)) * (1 - stated)
            offset = rng.uniform(0.5, 3.0)  # continuation log-likelihoods are not normalised over choices
            lls = [round(float(np.log(q)) - offset, 6) for q in probs]
            prompt = f"What is the correct answer to Q{i}?\nAnswer: "
            target = f"({'ABCD'[gold[i]]})"
            hit = float(int(np.argmax(lls)) == int(gold[i]))
            correct += int(hit)
            line = {
                "doc_id": i,
                "doc": {"Question": f"Q{i}?", "answer": target},
                "target": target,
                "arguments": {f"gen_args_{j}": {"arg_0": prompt, "arg_1": f" ({'ABCD'[j]})"} for j in range(4)},
                "resps": [[[str(v), str(j == int(np.argmax(lls)))]] for j, v in enumerate(lls)],
                "filtered_resps": [[str(v), str(j == int(np.argmax(lls)))] for j, v in enumerate(lls)],
                "filter": "none",
                "metrics": ["acc_norm"],
                "doc_hash": hashlib.sha256(prompt.encode()).hexdigest()[:16],
                "prompt_hash": hashlib.sha256(prompt.encode()).hexdigest()[16:32],
                "target_hash": hashlib.sha256(target.encode()).hexdigest()[:16],
                "acc_norm": hit,
            }
            lines.append(json.dumps(line, ensure_ascii=False))
        (folder / f"samples_leaderboard_gpqa_diamond_{ts}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        task = "leaderboard_gpqa_diamond"
        results = {
            "results": {task: {"alias": task, "acc_norm,none": correct / n_items, "acc_norm_stderr,none": float(
                np.sqrt(correct / n_items * (1 - correct / n_items) / (n_items - 1)))}},
            "group_subtasks": {task: []},
            "configs": {task: {"task": task, "dataset_path": "Idavidrein/gpqa", "dataset_name": "gpqa_diamond",
                               "doc_to_target": "answer", "doc_to_choice": ["(A)", "(B)", "(C)", "(D)"],
                               "target_delimiter": " ", "num_fewshot": 0, "output_type": "multiple_choice",
                               "metric_list": [{"metric": "acc_norm", "aggregation": "mean",
                                                "higher_is_better": True}], "repeats": 1}},
            "versions": {task: 1.0},
            "n-shot": {task: 0},
            "higher_is_better": {task: {"acc_norm": True}},
            "n-samples": {task: {"original": 198, "effective": n_items}},
            "config": {"model": "hf", "model_args": f"pretrained={model},dtype=bfloat16", "batch_size": 8,
                       "limit": n_items},
            "model_name": model,
            "model_name_sanitized": model.replace("/", "__"),
            "lm_eval_version": "0.4.8",
        }
        (folder / f"results_{ts}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    rng = np.random.default_rng(SEED)
    multiple_choice(rng)
    short_answer(rng)
    lm_eval_multiple_choice(np.random.default_rng(SEED + 1))


if __name__ == "__main__":
    main()
