"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by playwright.

At 1280 and 400 px, light and dark: no console error, no request but the file itself, no
horizontal page scroll at 400 px; and the slider orders, scores, ranks and marks every
benchmark's table as ``rescore leaderboard`` does, at every listed target and at one the
report never computed. Skips when Chromium or playwright is missing (``.ci/run`` installs
Chromium with apt-get; playwright is in the ``test`` extra).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rescore
from rescore.report.layout import wider_half

from .conftest import invoke

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample_data/ is not here"),
]

ROWS_JS = """() => Array.from(document.querySelectorAll('table.board')).map(table => ({
  b: Number(table.dataset.b),
  rows: Array.from(table.tBodies[0].rows).filter(r => !r.hidden).map(r => ({
    model: r.cells[1].textContent, score: r.querySelector('.live-score').textContent,
    half: r.querySelector('.live-half').textContent, rank: r.querySelector('.live-rank').textContent,
    move: r.querySelector('.live-move').textContent, tie: r.querySelector('.live-tie').textContent}))}))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        yield p


def open_page(p: Any, profile: Path, path: Path, width: int, scheme: str) -> tuple[Any, Any, list, list]:
    """A fresh profile, the page loaded, and the console messages and requests seen."""
    context = p.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True,
        viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    messages: list[tuple[str, str]] = []
    requests: list[str] = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return context, page, messages, requests


def cli_rows(src: Path, args: list[str], t: float, ts: list[float]) -> dict[str, list[dict[str, str]]]:
    """What ``rescore leaderboard -t T...`` (targets ``ts``) prints at t, per benchmark, in the report's
    cell format (from the library's board: the JSON rounds to 6 decimals, the printed digits come
    from the float). Past 100 models the ≈ marks depend on every target shown, hence ``ts``."""
    def flag(name: str, default: str) -> str:
        return args[args.index(name) + 1] if name in args else default

    board = rescore.leaderboard(_loaded(str(src)), thresholds=ts, cluster=flag("--cluster", "auto"),
                                idk_credit=float(flag("--idk-credit", "0")), invalid=flag("--invalid", "wrong"),
                                partial=flag("--partial", "wrong"), level=float(flag("--level", "0.95")),
                                interval=flag("--interval", "auto"))
    out: dict[str, list[dict[str, str]]] = {}
    rows = board.rows[board.rows["t"] == t]
    for r in rows.sort_values(["benchmark", "rank", "model"], kind="stable").to_dict("records"):
        change, half = int(r["rank_change"]), wider_half(r["score"], r["ci_low"], r["ci_high"])
        out.setdefault(r["benchmark"], []).append({
            "model": r["model"], "score": f"{r['score']:+.3f}", "half": "±–" if half != half else f"±{half:.3f}",
            "rank": f"#{r['rank']}", "move": f" ▲{change}" if change > 0 else (f" ▼{-change}" if change < 0 else ""),
            "tie": " ≈" if r["overlaps_above"] else ""})
    return out


@functools.cache
def _loaded(src: str) -> rescore.Dataset:
    return rescore.load(src)


def slide_to(page: Any, t: float, listed: bool) -> list[dict[str, Any]]:
    if listed:
        page.click(f"button.t-pick[data-t='{t!r}']")
    else:
        page.eval_on_selector("#t-slider", "(s, t) => { s.value = String(t); s.dispatchEvent(new Event('input')); }",
                              t)
    return page.evaluate(ROWS_JS)


def check_against_cli(page: Any, src: Path, args: list[str], t: float, listed: list[float] | None,
                      top: int | None = None) -> None:
    """The tables at t (a listed target when ``listed`` holds the report's targets) against the CLI's."""
    tables = slide_to(page, t, listed is not None)
    expected = cli_rows(src, [a for a in args if a not in ("--top", str(top))], t, listed or [t])
    benchmarks = sorted(expected)
    assert len(tables) == len(benchmarks)
    for table in tables:
        want = expected[benchmarks[table["b"]]][:top] if top else expected[benchmarks[table["b"]]]
        got = [{k: r[k] for k in ("model", "score", "half", "rank", "move", "tie")} for r in table["rows"]]
        assert got == want, f"t={t} {benchmarks[table['b']]}"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report.html"
    result = invoke("report", str(SAMPLE), "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # -q: nothing on stderr, matplotlib's warnings included
    return out


@pytest.mark.parametrize("width", [1280, 400])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_clean_load_and_layout(browser: Any, report: Path, tmp_path: Path, width: int, scheme: str) -> None:
    context, page, messages, requests = open_page(browser, tmp_path / "profile", report, width, scheme)
    try:
        assert messages == []  # no console error, no CSP violation, no script error
        assert requests == [report.resolve().as_uri()]
        assert page.evaluate("document.getElementById('tbar').hidden") is False  # the script ran
        scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"page is {scroll[0]} px wide in a {scroll[1]} px window"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(13, 17, 23)" if scheme == "dark" else "rgb(255, 255, 255)")
        if width == 400:  # a wide table scrolls in its own box, not the page
            assert page.evaluate("Array.from(document.querySelectorAll('.scroll')).some("
                                 "b => b.scrollWidth > b.clientWidth)")
        before = page.eval_on_selector("line.t-marker", "l => l.getAttribute('x1')")
        slide_to(page, 0.9, listed=True)
        assert page.eval_on_selector("line.t-marker", "l => l.getAttribute('x1')") != before
        assert page.text_content("#t-value") == "0.9" and page.text_content("#t-penalty") == "9"
        assert messages == []
    finally:
        context.close()


def many_models(folder: Path, models: int = 104, items: int = 30) -> Path:
    """More models than the CLI tests every pair of (it then tests only the pairs its marks read)."""
    folder.mkdir()
    lines = ["model,question_id,grade"]
    for m in range(models):
        for i in range(items):
            h = (i * 37 + m * 11) % 97
            grade = "CORRECT" if h < 30 + m % 50 else ("NOT_ATTEMPTED" if h % 4 else "INCORRECT")
            lines.append(f"m{m:03d},q{i},{grade}")
    (folder / "qa.csv").write_text("\n".join(lines) + "\n")
    return folder


def mixed_input(folder: Path) -> Path:
    """Per-item runs and counts-only models on one benchmark: their ≈ marks fall back to interval
    overlap, the others' come from paired tests (the CLI's rule, which the script must follow)."""
    folder.mkdir()
    for path in (SAMPLE / "simpleqa_mini").glob("*_results.jsonl"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "agg.csv").write_text("benchmark,model,n_correct,n_wrong,n_abstain\n"
                                    "simpleqa,counted/m1,70,60,190\nsimpleqa,counted/m2,95,210,15\n")
    return folder


@pytest.mark.parametrize("args", [[], ["--cluster", "subset"], ["--top", "2", "-t", "0", "-t", "0.6", "-t", "0.95"],
                                  ["mixed"], ["--idk-credit", "0.25", "--invalid", "abstain", "--level", "0.9"],
                                  ["many", "--top", "12", "-t", "0", "-t", "0.5", "-t", "0.8"],
                                  ["--interval", "clt", "-t", "0", "-t", "0.75", "-t", "0.999"]],
                         ids=["default", "clustered", "top2", "mixed", "policy", "104-models", "clt"])
def test_slider_agrees_with_cli(browser: Any, tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "r.html"
    src = mixed_input(tmp_path / "mixed") if args == ["mixed"] else (
        many_models(tmp_path / "many") if args[:1] == ["many"] else SAMPLE)
    args = [a for a in args if a not in ("mixed", "many")]
    result = invoke("report", str(src), "-o", str(out), "-q", *args)
    assert result.exit_code == 0, result.stderr
    context, page, messages, _ = open_page(browser, tmp_path / "profile", out, 1280, "light")
    top = int(args[args.index("--top") + 1]) if "--top" in args else None
    listed = [float(b) for b in page.eval_on_selector_all("button.t-pick", "bs => bs.map(b => b.dataset.t)")]
    try:
        orders = set()
        for t in listed:
            check_against_cli(page, src, args, t, listed=listed, top=top)
            orders.add(json.dumps([[r["model"] for r in tb["rows"]] for tb in page.evaluate(ROWS_JS)]))
        assert len(orders) > 1  # the order does change with t on this data
        for t in (0.37, 0.83):  # not a target of the report: the browser re-scored it alone
            check_against_cli(page, src, args, t, listed=None, top=top)
        assert messages == []
    finally:
        context.close()
