"""``rescore report``: one self-contained HTML file; escaping; no-matplotlib fallback; a real browser render."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rescore
from rescore.report.html import PLOTS_HINT, figure_ids, render_html

from .conftest import invoke

FIGURES = ["fig-score-0-qa-conf", "fig-bump-0-qa-conf", "fig-reliability-0-qa-conf", "fig-riskcov-0-qa-conf",
           "fig-score-1-qa-plain", "fig-bump-1-qa-plain"]
EVIL = "<script>alert(1)</script>"

try:
    import matplotlib  # noqa: F401

    HAS_MPL = True
except ImportError:  # a trimmed install without matplotlib: the tables-only tests still run
    HAS_MPL = False
needs_mpl = pytest.mark.skipif(not HAS_MPL, reason="figures need matplotlib")


def write_runs(folder: Path) -> Path:
    """Two benchmarks, three models: qa_conf has confidences (40 items), qa_plain has none (30 items)."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = ["model,question_id,grade,confidence"]
    plain = ["model,question_id,grade"]
    for m, model in enumerate(("acme/bold", "acme/careful", "nova/guess")):
        for i in range(40):
            right = (i * (m + 3)) % 7 < (3 if m == 2 else 4)
            grade = "CORRECT" if right else ("NOT_ATTEMPTED" if m == 1 and i % 3 == 0 else "INCORRECT")
            conf.append(f"{model},c{i},{grade},{(0.35 + 0.6 * ((i * 7 + m) % 11) / 10) % 1:.2f}")
        for i in range(30):
            grade = ("CORRECT", "INCORRECT", "NOT_ATTEMPTED")[(i + m) % 3 if m else i % 2]
            plain.append(f"{model},p{i},{grade}")
    (folder / "qa_conf.csv").write_text("\n".join(conf) + "\n")
    (folder / "qa_plain.csv").write_text("\n".join(plain) + "\n")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def sample_report(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = invoke("report", str(runs), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out} (html" in result.stderr
    return out


def assert_self_contained(text: str) -> None:
    """Nothing fetched (no src/href to another origin, no @import, no url(http...)), and the only
    scripts are the inert data block and the one inline script the CSP allows by its hash."""
    lowered = text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", lowered)
    assert "@import" not in lowered and "url(http" not in lowered and "<link" not in lowered
    assert "default-src 'none'" in text  # the CSP forbids any fetch a future change might add
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", text, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="rescore-data"', ""]
    csp = re.search(r'Content-Security-Policy\' content="([^"]+)"', text).group(1)
    digest = base64.b64encode(hashlib.sha256(scripts[1][1].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    json.loads(scripts[0][1])  # the data block is plain JSON (numbers only)


@needs_mpl
def test_sample_report_has_every_figure_and_section(sample_report: Path) -> None:
    text = sample_report.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert figure_ids(text) == FIGURES
    for heading in ("The scoring rule", "Leaderboard at each target", "What this report could not plot, and why",
                    "Provenance", "Input files", "Groups (n per benchmark × model)"):
        assert heading in text
    # qa_plain has no confidences: said once in its section and once in the list
    assert ("Not plotted for all 3 models: reliability, risk-coverage and calibrated-policy curves (no per-item "
            "confidence)") in text
    assert ("<li><b>qa_plain: reliability diagram, risk-coverage and calibrated-policy curves for all 3 models</b>: "
            "no per-item confidence</li>") in text
    # the calibrated policy is drawn for qa_conf (the models stated confidences)
    assert "calibrated policy: answer iff confidence &gt; t" in text
    # provenance: formula, penalties, policy counts, adapter and version per file, version
    assert "S(t) = (n_correct - n_wrong * t/(1-t) + idk_credit * n_abstain) / n" in text
    assert "t=0.9 → penalty 9" in text
    assert "partial → wrong (0 items touched); invalid → wrong (0 items touched, 0 dropped)" in text
    assert text.count("<td class='name'>generic</td>") >= 1
    assert "No resampling (no bootstrap, so no seed or resample count)" in text
    # n per group, in the leaderboard and in the provenance table: 3 models on each benchmark
    expected = [("qa_conf", "acme/bold", 40, 23, 17, 0), ("qa_conf", "acme/careful", 40, 23, 11, 6),
                ("qa_conf", "nova/guess", 40, 17, 23, 0), ("qa_plain", "acme/bold", 30, 15, 15, 0),
                ("qa_plain", "acme/careful", 30, 10, 10, 10), ("qa_plain", "nova/guess", 30, 10, 10, 10)]
    for bench, model, n, c, w, a in expected:
        assert (f"<td class='name'>{bench}</td><td class='name'>{model}</td><td>{n}</td><td>{c}</td><td>{w}</td>"
                f"<td>{a}</td><td>0</td><td>0</td><td>0</td><td>yes</td>") in text


@needs_mpl
def test_report_equals_library_render(sample_report: Path, runs: Path) -> None:
    data = rescore.load(runs)
    board = rescore.leaderboard(data)
    assert sample_report.read_text(encoding="utf-8") == render_html(board, data.items)


@needs_mpl
def test_untrusted_text_is_escaped(tmp_path: Path) -> None:
    names = [EVIL, '$\\alpha$ & "q"', "_hidden"]
    lines = ["model,question_id,grade,confidence"]
    for m, name in enumerate(names):
        for i in range(12):
            grade = ("CORRECT", "INCORRECT", "NOT_ATTEMPTED")[(i + m) % 3]
            lines.append(f'"{name.replace(chr(34), chr(34) * 2)}",q{i},{grade},{0.3 + 0.05 * i:.2f}')
    data = tmp_path / "b<i>x&.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = invoke("report", str(data), "-o", str(out), "--title", f"T {EVIL}", "-q")
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "b<i>x" not in text and "b&lt;i&gt;x&amp;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "$\\alpha$ &amp; &quot;q&quot;" in text  # mathtext off: drawn literally
    assert len(figure_ids(text)) == 4  # score, bump, reliability, risk-coverage for the one benchmark


def test_without_matplotlib_tables_only(monkeypatch: pytest.MonkeyPatch, runs: Path, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "r.html"
    result = invoke("report", str(runs), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert PLOTS_HINT in result.stderr
    text = out.read_text(encoding="utf-8")
    assert figure_ids(text) == [] and "<svg" not in text
    assert f"Tables only: {PLOTS_HINT}" in text.replace("&quot;", '"')
    assert "<b>every figure</b>" in text and "Leaderboard at each target" in text


@needs_mpl
def test_counts_only_input_says_why(tmp_path: Path) -> None:
    data = tmp_path / "agg.csv"
    data.write_text("benchmark,model,n_correct,n_wrong,n_abstain\nqa,m1,60,30,10\nqa,m2,50,20,30\n")
    out = tmp_path / "r.html"
    assert invoke("report", str(data), "-o", str(out), "-q", "-t", "0.5").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert figure_ids(text) == ["fig-score-0-qa", "fig-bump-0-qa"]
    assert "no per-item data (counts-only input)" in text


def test_top_and_title(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = invoke("report", str(runs / "qa_plain.csv"), "-o", str(out), "--top", "2", "--title", "Nightly",
                    "-q", "--preset", "kalai")
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "<title>Nightly</title>" in text and "<h1>Nightly</h1>" in text
    board = text[text.index("<table class='board' data-b='0'>"):]
    board = board[:board.index("</table>")]
    # every model is in the table (the slider shows the top 2 at its t); past the top 2 rows are hidden
    assert re.findall(r"<tr data-i='(\d)'( hidden)?>", board) == [("0", ""), ("1", ""), ("2", " hidden")]
    assert "S(t=0.5)" in board and "S(t=0)" not in board
    # the figures show the same top 2 only (named in the curves' legend), and say so
    assert "Shown: the top 2 models at t=0.5 (--top)." in text


@pytest.mark.parametrize(("args", "code", "needle"), [
    ([], 2, "needs -o FILE.html"),
    (["-o", "r.txt"], 2, "name the file *.html"),
    (["-o", "r.html", "--bins", "1"], 2, ""),
    (["-o", "r.html", "-t", "1.5"], 2, "outside [0, 1)"),
    (["-o", "r.html", "-t", "0.5", "--preset", "kalai"], 2, "not both"),
    (["-o", "r.html", "--on-error", "maybe"], 2, "--on-error"),
    (["-o", "r.html", "--invalid", "ignore"], 2, "--invalid"),
])
def test_usage_errors(runs: Path, tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    args = [str(tmp_path / a) if a.startswith("r.") else a for a in args]
    result = invoke("report", str(runs), *args)
    assert result.exit_code == code
    assert needle in result.stderr
    assert not list(tmp_path.glob("*.html"))


def test_missing_input_exits_3(tmp_path: Path) -> None:
    result = invoke("report", str(tmp_path / "nope"), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 3 and "file not found" in result.stderr


def test_refuses_to_overwrite_input(tmp_path: Path) -> None:
    data = tmp_path / "x.html"
    data.write_text("<p>not results</p>")
    assert invoke("report", str(data), "-o", str(data)).exit_code == 2


CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)


@needs_mpl
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed")
def test_renders_in_headless_chromium(sample_report: Path, tmp_path: Path) -> None:
    """The browser parses every figure as an SVG element (offline: background networking off)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-extensions", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=2000", "--dump-dom", sample_report.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.findall(r'<svg id="(fig-[^"]+)"', dom) == FIGURES
    assert "<h1>rescore report</h1>" in dom
    # each figure is a real drawing: its axes text survived parsing
    for fig_id in FIGURES:
        start = dom.index(f'<svg id="{fig_id}"')
        assert "<text" in dom[start:dom.index("</svg>", start)]


@needs_mpl
def test_real_mmlu_pro_official_report(tmp_path: Path) -> None:
    from .conftest import real_data

    out = tmp_path / "r.html"
    assert invoke("report", str(real_data("mmlu_pro_official")), "-o", str(out), "-q").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert figure_ids(text) == ["fig-score-0-mmlu-pro", "fig-bump-0-mmlu-pro"]
    assert "Not plotted for all 2 models" in text and "no per-item confidence" in text
    # n, correct, wrong, abstain, partial, invalid per model, exactly as read
    assert ("<td class='name'>Meta-Llama-3-8B</td><td>350</td><td>117</td><td>207</td><td>0</td><td>0</td>"
            "<td>26</td>") in text
    assert ("<td class='name'>gemini-1.5-flash-002</td><td>350</td><td>219</td><td>127</td><td>2</td><td>0</td>"
            "<td>2</td>") in text


def write_many(folder: Path, models: int, items: int = 60) -> Path:
    """``models`` models on one benchmark, with confidences; names of uneven length, one in CJK."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["model,question_id,grade,confidence"]
    for m in range(models):
        model = "模型-零" if m == 3 else f"org{m % 5}/model-{m:02d}{'-x' * (m % 4)}"
        for i in range(items):
            h = (i * 31 + m * 17) % 100
            grade = "CORRECT" if h < 30 + m % 40 else ("NOT_ATTEMPTED" if h % 3 == 0 else "INCORRECT")
            lines.append(f"{model},q{i},{grade},{0.05 + 0.9 * ((i * 7 + m) % 13) / 12:.3f}")
    (folder / "many.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@needs_mpl
def test_seventy_models_stay_legible(tmp_path: Path) -> None:
    """70 models: the S(t) curves come in panels of 10 (every name in a legend, none cut), the rank
    chart names each model at both ends, matplotlib's warnings (a CJK glyph missing from DejaVu
    Sans) stay off stderr under -q and are listed in the report; --top trims the figures too."""
    runs = write_many(tmp_path / "runs", 70)
    out = tmp_path / "r.html"
    result = invoke("report", str(runs), "-o", str(out), "-q")
    assert result.exit_code == 0 and result.stderr == ""
    text = out.read_text(encoding="utf-8")
    fig = text[text.index('<svg id="fig-score-0-many"'):]
    fig = fig[:fig.index("</svg>")]
    assert fig.count('class="t-marker"') == 7  # one slider marker per panel
    board = rescore.leaderboard(rescore.load(runs))
    names = [m for m in board.groups["model"]]
    for model in names:  # each name drawn once in the curves' legends, twice in the rank chart
        label = html.escape(model, quote=False)
        assert fig.count(f"> {label}</text>") + fig.count(f">{label}</text>") == 1, model
    assert "One panel per 10 models" in text
    assert "Drawing notes" in text and "missing from" in text  # the CJK glyph, said in the report
    # --top on a smaller board (12 models: two panels without it), so the suite does not draw 70 twice
    few, top = write_many(tmp_path / "few", 12), tmp_path / "top.html"
    assert invoke("report", str(few), "-o", str(top), "-q", "--top", "5").exit_code == 0
    small = top.read_text(encoding="utf-8")
    fig = small[small.index('<svg id="fig-score-0-many"'):]
    fig = fig[:fig.index("</svg>")]
    few_board = rescore.leaderboard(rescore.load(few))
    first = few_board.rows[few_board.rows["t"] == few_board.thresholds[0]].sort_values(["rank", "model"])[
        "model"].tolist()
    assert fig.count('class="t-marker"') == 1
    assert all(html.escape(m, quote=False) in fig for m in first[:5])
    assert not any(f">{html.escape(m, quote=False)}</text>" in fig for m in first[5:])


@needs_mpl
def test_one_model_has_no_rank_chart(tmp_path: Path) -> None:
    runs = write_many(tmp_path / "runs", 1)
    out = tmp_path / "r.html"
    assert invoke("report", str(runs), "-o", str(out), "-q").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert [f for f in figure_ids(text) if "bump" in f] == []
    assert "<b>many: rank chart</b>: one model or one target: no ranks to compare" in text


def test_sorted_by_first_target_and_tie_mark_explained(runs: Path, tmp_path: Path) -> None:
    """The table's order is the rank at the first target shown, and ≈ is explained as the Holm
    paired test it is (interval overlap only where no items exist to pair)."""
    out = tmp_path / "r.html"
    assert invoke("report", str(runs), "-o", str(out), "-q", "-t", "0.5", "-t", "0.9").exit_code == 0
    text = out.read_text(encoding="utf-8")
    board = rescore.leaderboard(rescore.load(runs), thresholds=[0.5, 0.9])
    for b, bench in enumerate(sorted(set(board.groups["benchmark"]))):
        table = text[text.index(f"<table class='board' data-b='{b}'>"):]
        table = table[:table.index("</table>")]
        shown = re.findall(r"<td class='name'>([^<]+)</td>", table)
        at_first = board.rows[(board.rows["benchmark"] == bench) & (board.rows["t"] == 0.5)]
        assert shown == at_first.sort_values(["rank", "model"], kind="stable")["model"].tolist()
        wide = board.wide()  # the notebook view keeps the same order
        assert wide.loc[wide["benchmark"] == bench, "model"].tolist() == shown
    assert text.count("Sorted by rank at t=0.5, the first target") == 2
    assert "≈ marks a model not significantly different from the model ranked just above it: a two-sided paired " \
           "test" in text and "Holm-adjusted across all pairs of the benchmark at that t, at α = 0.05" in text
    assert "overlaps the model ranked just above (a tie in" not in text
    counts = tmp_path / "agg.csv"
    counts.write_text("benchmark,model,n_correct,n_wrong,n_abstain\nqa,m1,60,30,10\nqa,m2,50,20,30\n")
    assert invoke("report", str(counts), "-o", str(out), "-q").exit_code == 0
    assert "≈ marks a model whose 95% interval overlaps that of the model ranked just above it" in \
        out.read_text(encoding="utf-8")


def test_slider_data_reproduces_the_board(runs: Path) -> None:
    """Without a browser: the numbers the slider carries give the board's scores and SEs at every
    target (plain and clustered), so the script only has to do the arithmetic."""
    from rescore.report.html import ranked_models
    from rescore.report.slider import payload
    from rescore.score.rule import penalty

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    for data, cluster in ((rescore.load(runs), "auto"), (rescore.load(sample), "subset")):
        board = rescore.leaderboard(data, thresholds=[0, 0.3, 0.75, 0.9], cluster=cluster)
        benches = sorted(set(board.groups["benchmark"]))
        doc = payload(board, data.items, {b: ranked_models(board, b) for b in benches}, None)
        assert doc["paired"] is board.tie_method.startswith("paired")
        for bench, block in zip(benches, doc["benchmarks"], strict=True):
            order = ranked_models(board, bench)
            for t in board.thresholds:
                v = [1.0, -penalty(t), doc["credit"]]
                for model, m in zip(order, block["models"], strict=True):
                    row = board.rows[(board.rows["benchmark"] == bench) & (board.rows["model"] == model)
                                     & (board.rows["t"] == t)].iloc[0]
                    s = m["s"]
                    quad = (v[0] ** 2 * s[0] + 2 * v[0] * v[1] * s[1] + 2 * v[0] * v[2] * s[2] + v[1] ** 2 * s[3]
                            + 2 * v[1] * v[2] * s[4] + v[2] ** 2 * s[5])
                    assert (m["c"] - m["w"] * penalty(t) + doc["credit"] * m["a"]) / m["n"] == pytest.approx(
                        row["score"], abs=1e-12)
                    if m["f"] is None:  # one cluster (or one item): no SE, on both sides
                        assert row["se"] != row["se"]
                    else:
                        assert (m["f"] * quad) ** 0.5 == pytest.approx(row["se"], rel=1e-9)
                    # issue 20: the interval the script shows is the board's (score, CR2 ...), not a normal one
                    k = doc["grid"].index(t)
                    assert m["u"][k] == pytest.approx(row["ci_high"] - row["score"], abs=2e-9, nan_ok=True)
                    assert m["d"][k] == pytest.approx(row["score"] - row["ci_low"], abs=2e-9, nan_ok=True)
            assert len(block["pairs"]) == len(order) * (len(order) - 1) // 2  # every pair shares items here
        assert board.se_method == ("score" if cluster == "auto" else "clustered:subset+score-deff")


@needs_mpl
def test_matplotlib_import_chatter_stays_off_stderr(runs: Path, tmp_path: Path) -> None:
    """A fresh process whose matplotlib config dir is unusable: matplotlib logs a warning at import
    (straight to stderr, through logging's last-resort handler); -q keeps it off, the report lists it."""
    out = tmp_path / "r.html"
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "not-a-dir.txt" / "sub"), "NO_COLOR": "1"}
    (tmp_path / "not-a-dir.txt").write_text("a file, so the directory cannot be made")
    done = subprocess.run([sys.executable, "-m", "rescore", "report", str(runs / "qa_plain.csv"), "-o", str(out),
                           "-q"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = out.read_text(encoding="utf-8")
    assert "Drawing notes" in text and "MPLCONFIGDIR" in text
