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


def main() -> None:
    rng = np.random.default_rng(SEED)
    multiple_choice(rng)
    short_answer(rng)


if __name__ == "__main__":
    main()
