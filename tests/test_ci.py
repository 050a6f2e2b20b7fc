"""CI adoption: the composite Action run step by step with a fake GitHub environment, ``::error``
annotations, step outputs and summaries, models new since the baseline, and Markdown that fits in
a GitHub comment."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import rescore
from rescore.cli.ci import error_annotation, write_outputs
from rescore.report.files import to_markdown
from rescore.score.gates import MARKDOWN_LIMIT, evaluate, parse_gates

from .conftest import invoke

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample_data/ is not here")


def baseline_without(tmp_path: Path, model: str) -> Path:
    """A leaderboard JSON of the sample data that lacks ``model`` (so it is new since the baseline)."""
    result = invoke("leaderboard", str(SAMPLE), "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    doc["rows"] = [r for r in doc["rows"] if r["model"] != model]
    path = tmp_path / "board.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a ``$GITHUB_OUTPUT`` file (``name=value`` and ``name<<DELIM ... DELIM``)."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        name, value = line.split("=", 1)
        out[name] = value
        i += 1
    return out


# ---- the Action, run locally ------------------------------------------------------------------------------
def _expand(text: str, inputs: dict[str, str]) -> str:
    """``${{ inputs.x }}`` and ``${{ github.action_path }}`` as the runner substitutes them."""
    text = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], text)
    return re.sub(r"\$\{\{\s*github\.action_path\s*\}\}", str(ROOT), text)


def _condition(expr: str | None, inputs: dict[str, str]) -> bool:
    """The ``if:`` forms action.yml uses: ``always()`` and ``inputs.x != ''`` joined by ``&&``."""
    if not expr:
        return True
    for term in (t.strip() for t in expr.split("&&")):
        if term == "always()":
            continue
        match = re.fullmatch(r"inputs\.([\w-]+) != ''", term)
        assert match, f"action.yml uses an if: this test does not evaluate: {term!r}"
        if inputs[match.group(1)] == "":
            return False
    return True


def run_action(tmp_path: Path, given: dict[str, str]) -> dict[str, Any]:
    """Run action.yml's steps as the runner would: defaults filled, inputs through env, a fresh
    ``$GITHUB_OUTPUT`` per step, one step summary, ``GITHUB_ACTIONS=true``. ``uses:`` steps
    (actions/setup-python) are not run here; ``python -m pip install`` is recorded by a shim
    instead of installing (the package under test is already installed)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    missing = [n for n, spec in action["inputs"].items() if spec.get("required") and not inputs[n]]
    assert not missing, missing
    shims = tmp_path / "shims"
    shims.mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    shim = shims / "python"
    shim.write_text(f'#!/usr/bin/env bash\nif [ "$1 $2 $3" = "-m pip install" ]; then echo "$@" >> "{pip_log}"; '
                    f'exit 0; fi\nexec "{sys.executable}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update({"PATH": f"{shims}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path),
                "GITHUB_ACTION_PATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "100"})
    outputs: dict[str, dict[str, str]] = {}
    ran: list[dict[str, Any]] = []
    failed = False
    for k, step in enumerate(action["runs"]["steps"]):
        condition = step.get("if")
        if not _condition(condition, inputs) or (failed and "always()" not in (condition or "")):
            continue
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@")
            ran.append({"name": step["name"], "skipped": "uses"})
            continue
        output_file = tmp_path / f"output-{k}"
        step_env = {**env, **{n: _expand(str(v), inputs) for n, v in (step.get("env") or {}).items()},
                    "GITHUB_OUTPUT": str(output_file)}
        assert "${{" not in step["run"], "inputs reach the script through env, never spliced into it"
        done = subprocess.run([shutil.which("bash") or "bash", "-e", "-c", step["run"]], env=step_env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
        ran.append({"name": step["name"], "code": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
        if "id" in step:
            outputs[step["id"]] = read_outputs(output_file)
        failed = failed or done.returncode != 0
    action_outputs = {}
    for name, spec in action["outputs"].items():
        step_id, key = re.fullmatch(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}", spec["value"]).groups()
        action_outputs[name] = outputs.get(step_id, {}).get(key, "")
    return {"steps": ran, "outputs": action_outputs, "failed": failed,
            "pip": pip_log.read_text() if pip_log.exists() else "",
            "summary": summary.read_text(encoding="utf-8") if summary.exists() else ""}


@needs_sample
def test_action_gates_annotates_and_reports(tmp_path: Path) -> None:
    base = baseline_without(tmp_path, "nova/guess-8b")
    run = run_action(tmp_path, {"paths": f"{SAMPLE}\n", "min": "score@0.9=-5\naccuracy=0.05", "baseline": str(base),
                                "report": "out/report.html", "thresholds": "0 0.9", "top": "3"})
    names = [s["name"] for s in run["steps"]]
    assert names == ["Set up Python", "Install rescore", "rescore check", "rescore report"]
    assert run["pip"].split() == ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)]
    check = run["steps"][2]
    assert check["code"] == 1 and run["failed"]
    annotations = [line for line in check["stdout"].splitlines() if line.startswith("::error")]
    fails = [line for line in check["stdout"].splitlines() if line.startswith("FAIL ")]
    assert len(annotations) == len(fails) == 3  # three models score below -5 at t=0.9
    assert annotations[0] == "::error title=rescore check::" + fails[0]
    assert check["stdout"].count("NEW ") == 3  # nova/guess-8b on each benchmark, on a line of its own
    assert "NEW gpqa nova/guess-8b new: not gated (not in the baseline)" in check["stdout"]
    out = run["outputs"]
    assert out["passed"] == "false" and out["failed"] == "3" and out["new-models"] == "3"
    board = rescore.leaderboard(rescore.load(SAMPLE), thresholds=[0, 0.9])
    scores = json.loads(out["scores"])
    row = board.rows[(board.rows["benchmark"] == "gpqa") & (board.rows["model"] == "acme/bold-70b")
                     & (board.rows["t"] == 0.9)].iloc[0]
    assert scores["gpqa"]["acme/bold-70b"]["0.9"] == round(float(row["score"]), 4)
    assert json.loads(out["leaders"]) == {"gpqa": "acme/careful-70b", "mmlu_pro": "acme/bold-70b",
                                          "simpleqa": "acme/bold-70b"}
    # the report still ran (if: always()) and both steps wrote the summary
    assert run["steps"][3]["code"] == 0 and (tmp_path / "out" / "report.html").is_file()
    assert out["report"] == "out/report.html"
    assert "## rescore check: FAILED (3 of" in run["summary"] and "🆕 new" in run["summary"]
    assert "HTML report: `out/report.html`" in run["summary"] and len(run["summary"]) < 2 * MARKDOWN_LIMIT


@needs_sample
def test_action_passes_and_requires_baseline(tmp_path: Path) -> None:
    base = baseline_without(tmp_path, "nova/guess-8b")
    ok = run_action(tmp_path / "a", {"paths": str(SAMPLE), "min": "score@0=0", "baseline": str(base),
                                      "version": "rescore==0.1.0", "python-version": ""})
    assert [s["name"] for s in ok["steps"]] == ["Install rescore", "rescore check"]  # no setup-python, no report
    assert ok["pip"].split()[-1] == "rescore==0.1.0"
    assert not ok["failed"] and ok["outputs"]["passed"] == "true" and ok["outputs"]["new-models"] == "3"
    assert "::error" not in ok["steps"][1]["stdout"]
    strict = run_action(tmp_path / "b", {"paths": str(SAMPLE), "baseline": str(base), "require-baseline": "true"})
    check = strict["steps"][-1]
    assert check["code"] == 1 and strict["outputs"]["passed"] == "false"
    assert (f"::error file={base},title=rescore check::FAIL gpqa nova/guess-8b new: not in the baseline "
            "(--require-baseline)") in check["stdout"].splitlines()


# ---- pieces ------------------------------------------------------------------------------------------------
def test_workflow_command_escaping_and_multiline_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_annotation("50% drop\nnext", title="a:b,c") == "::error title=a%3Ab%2Cc::50%25 drop%0Anext"
    assert error_annotation("x", file="runs/b.json") == "::error file=runs/b.json,title=rescore check::x"
    target = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    write_outputs({"one": "1", "many": "a\nRESCORE_EOF\nb"})
    assert read_outputs(target) == {"one": "1", "many": "a\nRESCORE_EOF\nb"}
    monkeypatch.delenv("GITHUB_OUTPUT")
    assert write_outputs({"x": "y"}) is None


@needs_sample
def test_new_model_line_junit_and_require_baseline(tmp_path: Path) -> None:
    base = baseline_without(tmp_path, "orbit/mid-32b")
    junit = tmp_path / "j.xml"
    result = invoke("check", str(SAMPLE), "--baseline", str(base), "--junit", str(junit))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"NEW {b} orbit/mid-32b new: not gated (not in the baseline)"
                                          for b in ("gpqa", "mmlu_pro", "simpleqa")]
    assert "(3 new since the baseline, not gated)" in result.stderr
    xml = junit.read_text()
    assert 'skipped="3"' in xml and xml.count("<skipped message=\"new: not gated (not in the baseline)\"") == 3
    strict = invoke("check", str(SAMPLE), "--baseline", str(base), "--require-baseline", "-f", "json")
    assert strict.exit_code == 1
    doc = json.loads(strict.stdout)
    assert [r["model"] for r in doc["results"] if not r["passed"]] == ["orbit/mid-32b"] * 3
    assert invoke("check", str(SAMPLE), "--min", "accuracy=0", "--require-baseline").exit_code == 2


@needs_sample
def test_report_and_compare_write_the_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert invoke("report", str(SAMPLE), "-o", str(tmp_path / "r.html"), "-q", "--top", "2", env=env).exit_code == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith(f"HTML report: `{tmp_path / 'r.html'}`") and "## rescore leaderboard" in text
    assert text.count("| 3 |") == 0  # --top 2: two rows per benchmark
    result = invoke("compare", str(SAMPLE), "-q", "--bootstrap", "50", "-t", "0.9", "-f", "json", env=env)
    assert result.exit_code == 0
    text = summary.read_text(encoding="utf-8")
    rows = json.loads(result.stdout)["rows"]
    significant = [r for r in rows if r["significant"]]
    assert "## rescore compare" in text and f"Significant: {len(significant)} of {len(rows)}" in text
    assert text.count("| 0.9 |") == len(significant)


def write_wide(folder: Path, models: int = 70, files: int = 80, benchmarks: int = 3) -> Path:
    """Many models and files with long paths: Markdown far above GitHub's limit unfolded."""
    deep = folder / ("nightly-evaluation-results-" + "x" * 200) / ("shard-" + "y" * 200) / ("part-" + "z" * 200)
    deep.mkdir(parents=True)
    header = "model,benchmark,question_id,grade\n"
    for f in range(files):
        lines = []
        for m in range(f % 10, models, 10):
            for b in range(benchmarks):
                for i in range(4):
                    grade = ("CORRECT", "INCORRECT", "NOT_ATTEMPTED")[(i * (m + 1) + b + f) % 3]
                    lines.append(f"org/model-{m:02d},bench-{b},q{f}-{i},{grade}\n")
        (deep / f"run-{f:04d}-of-a-long-evaluation-campaign-with-many-shards.csv").write_text(header + "".join(lines))
    return folder


def test_markdown_fits_a_github_comment(tmp_path: Path) -> None:
    runs = write_wide(tmp_path / "runs")
    board = rescore.leaderboard(rescore.load(runs), thresholds=[0, 0.25, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9,
                                                                 0.95, 0.97, 0.99], ties="overlap")
    full = to_markdown(board, limit=None)
    assert len(full) > 2 * MARKDOWN_LIMIT  # what it was: 70-row tables and an 80-line file list
    top5 = to_markdown(board, top=5)
    assert len(top5) < MARKDOWN_LIMIT
    assert "- 80 files read" in top5 and "`--format json` lists every file" in top5 and ".csv`" not in top5
    assert "Each table shows its top" not in top5  # folding the list was enough
    everyone = to_markdown(board)
    assert len(everyone) < MARKDOWN_LIMIT
    cut = int(re.search(r"Each table shows its top (\d+) models", everyone).group(1))
    assert 1 <= cut < 70 and everyone.count("| org/model-") == cut * 3
    assert len(to_markdown(board, top=cut + 1, limit=None)) > len(everyone)  # (the cut is not needlessly deep)
    small = rescore.leaderboard(rescore.load(SAMPLE)) if SAMPLE.is_dir() else None
    if small is not None:  # under the limit nothing changes
        assert to_markdown(small) == to_markdown(small, limit=None)
    # rescore check's step summary: the gate table folds past its share, the board takes the rest
    result = evaluate(board, parse_gates(["score@0.5=-0.5", "accuracy=0.34"], ["error_rate=0.5"]))
    gates = result.to_markdown(limit=MARKDOWN_LIMIT // 2)
    assert len(result.results) == 3 * 70 * 3 and len(gates) < MARKDOWN_LIMIT // 2 + 2_000
    folded = re.search(r"\| … \| (\d+) more rows \| \| (\d+) failed, (\d+) passed", gates)
    assert folded and int(folded.group(2)) + int(folded.group(3)) == int(folded.group(1))
    assert gates.index("❌ FAIL") < gates.index("| … |")  # failures come first
    assert len(gates) + 1 + len(to_markdown(board, limit=MARKDOWN_LIMIT - len(gates) - 1)) < MARKDOWN_LIMIT
    cli = invoke("leaderboard", str(runs), "-f", "markdown", "--top", "5", "-q")
    assert cli.exit_code == 0 and len(cli.stdout) < MARKDOWN_LIMIT
