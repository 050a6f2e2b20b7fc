"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network).

Everything a reader needs travels in the file: the leaderboard at every threshold, figures
rendered by matplotlib to inline SVG (the optional ``[plots]`` extra), the scoring rule, and
the provenance. Without matplotlib the tables still render and the report says which figures
it left out and why; likewise for figures whose data is missing (no per-item confidences,
counts-only input). Every piece of untrusted text (model, benchmark and file names, notes)
goes through :func:`html.escape`; matplotlib's SVG writer escapes the text it draws, and
mathtext is disabled for labels by escaping ``$``, so a model called ``<script>...`` is text.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rescore.report.safe_text import escape_controls
from rescore.score.intervals import clt_se, z_value
from rescore.score.leaderboard import Leaderboard
from rescore.score.rule import FORMULA, penalty
from rescore.version import __version__

Y_FLOOR = -2.0  # S(t) falls towards -inf as t -> 1; below this the ranking is already plain
PLOTS_HINT = 'figures need matplotlib: pip install "rescore[plots]"'
T_GRID = np.round(np.arange(0, 100) / 100.0, 2)  # 0, 0.01, ..., 0.99: S(t) is continuous on [0, 1)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f")
LINESTYLES = ("-", "--", ":", "-.")


def esc(text: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes); control and bidi
    characters from the files are shown as ``\\x1b``/``\\u202e`` (rescore/report/safe_text.py)."""
    return html.escape("" if text is None else escape_controls(text, keep_lines=True), quote=True)


def _mpl_label(text: str) -> str:
    """A label matplotlib draws literally: ``$`` would start mathtext, a leading ``_`` hides it."""
    text = escape_controls(text).replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "x"


def load_matplotlib() -> Any | None:
    """The matplotlib module, or None when the ``[plots]`` extra is not installed."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401  (checks the install is usable)
    except ImportError:
        return None
    return matplotlib


@dataclass
class Missing:
    """A figure (or table) the report could not draw, and why."""

    what: str
    why: str


@dataclass
class ReportData:
    """What the report draws, computed once from the leaderboard and (when given) the items."""

    board: Leaderboard
    items: pd.DataFrame | None
    reliability: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    risk_coverage: pd.DataFrame | None = None
    selective: pd.DataFrame | None = None
    omitted: dict[tuple[str, str], str] = field(default_factory=dict)
    policy_curves: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    missing: list[Missing] = field(default_factory=list)


def prepare(board: Leaderboard, items: pd.DataFrame | None, bins: int = 10) -> ReportData:
    """Compute the figure data; record every figure that cannot be drawn, with the reason."""
    data = ReportData(board=board, items=items)
    if items is None or items.empty:
        data.missing.append(Missing("reliability diagrams, risk-coverage curves, calibrated-policy curves",
                                    "no per-item data (counts-only input)"))
        return data
    from rescore.score.calibration import calibration_report
    from rescore.score.policies import policy_report
    from rescore.score.selective import selective_report

    calibration = calibration_report(items, board.policy, bins)
    rel = calibration["reliability"]
    data.reliability = rel[rel["binning"] == "width"]
    data.calibration = calibration["summary"]
    selective = selective_report(items, board.policy)
    data.risk_coverage = selective["curve"]
    data.selective = selective["summary"]
    policy = policy_report(items, list(T_GRID), board.policy)
    for (bench, model), frame in policy["rows"].groupby(["benchmark", "model"], sort=True):
        data.policy_curves[(str(bench), str(model))] = frame.sort_values("t")["score_policy"].to_numpy("float64")
    for frame in (calibration["omitted"], selective["omitted"], policy["omitted"]):
        for bench, model, why in frame.itertuples(index=False):
            data.omitted.setdefault((str(bench), str(model)), str(why))
    return data


# --------------------------------------------------------------------------------------------- figures


@dataclass
class Figure:
    fig_id: str
    title: str
    caption: str
    svg: str


def _svg(mpl: Any, draw: Callable[[Any], None], fig_id: str, title: str, size: tuple[float, float],
         layout: str | None = "constrained") -> str:
    """Draw with ``draw(figure)`` and return inline SVG carrying ``id=fig_id`` (deterministic bytes)."""
    from matplotlib.figure import Figure as MplFigure

    params = {"svg.fonttype": "none", "svg.hashsalt": fig_id, "font.size": 9, "axes.spines.top": False,
              "axes.spines.right": False, "font.family": ["DejaVu Sans", "sans-serif"]}
    with mpl.rc_context(params):
        figure = MplFigure(figsize=size, layout=layout)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return text.replace("<svg ", f'<svg id="{esc(fig_id)}" class="figure" role="img" aria-label="{esc(title)}" ', 1)


def _colors(models: list[str]) -> dict[str, tuple[str, str]]:
    """A (colour, linestyle) per model, stable across every figure of the report."""
    return {m: (PALETTE[i % len(PALETTE)], LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)])
            for i, m in enumerate(models)}


def _legend(ax: Any, count: int) -> None:
    if count:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)


def score_curve_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, colors: dict) -> Figure:
    board = data.board
    groups = board.groups[board.groups["benchmark"] == bench]
    credit = board.policy.idk_credit
    z = z_value(board.level)
    has_policy = any(k[0] == bench for k in data.policy_curves)

    def draw(fig: Any) -> None:
        from matplotlib.lines import Line2D

        ax = fig.subplots()
        handles, low, high = [], 0.0, 0.0
        for g in groups.to_dict("records"):
            model = str(g["model"])
            color, style = colors[model]
            c, w, a, n = float(g["C"]), float(g["W"]), float(g["A"]), float(g["n"])
            if n <= 0:
                continue
            s = (c - w * penalty(T_GRID) + credit * a) / n
            se = np.array([clt_se(c, w, a, float(t), credit) for t in T_GRID], dtype="float64")
            ax.plot(T_GRID, s, color=color, linestyle=style, linewidth=1.7)
            ax.fill_between(T_GRID, s - z * se, s + z * se, color=color, alpha=0.10, linewidth=0)
            high = max(high, float(np.nanmax(s + z * np.nan_to_num(se))))
            low = min(low, float(np.nanmin(s)))
            be = g.get("break_even_t")
            if be is not None and be == be and 0 < float(be) < 0.99:
                ax.plot([float(be)], [0.0], marker="o", markersize=4, color=color)
            policy = data.policy_curves.get((bench, model))
            if policy is not None:
                ax.plot(T_GRID, policy, color=color, linestyle=(0, (1, 1.2)), linewidth=1.5)
            handles.append(Line2D([], [], color=color, linestyle=style, linewidth=1.7, label=_mpl_label(model)))
        if has_policy:
            handles += [Line2D([], [], color="#444444", linewidth=1.7, label="as submitted"),
                        Line2D([], [], color="#444444", linestyle=(0, (1, 1.2)), linewidth=1.5,
                               label="calibrated policy: answer iff confidence > t")]
        for t in board.thresholds:
            ax.axvline(t, color="#999999", linewidth=0.6, linestyle=":")
        ax.axhline(0, color="#444444", linewidth=0.8)
        ax.set_xlim(0, 0.99)
        ax.set_ylim(max(low, Y_FLOOR) - 0.05, min(high, 1.0) + 0.05)  # no score exceeds 1
        ax.set_xlabel("confidence target t (a wrong answer costs t/(1−t))")
        ax.set_ylabel("score S(t)")
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)

    title = f"{bench}: score vs confidence target"
    caption = (f"The answers as submitted: S(t) for t in [0, 0.99] with the {round(board.level * 100)}% band; "
               "dots on the zero line mark each model's break-even target; dotted verticals are the leaderboard's "
               f"targets. The y axis stops at {Y_FLOOR:g} (the curves keep falling towards −∞ as t → 1).")
    if has_policy:
        caption += (" Dotted curves: the calibrated-abstention policy, i.e. the same answers kept only where the "
                    "model's stated confidence exceeds t (the score-maximising rule when confidences are "
                    "calibrated; the model's own confidences, not refitted).")
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (8.0, 4.2)))


def bump_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, colors: dict) -> Figure:
    board = data.board
    rows = board.rows[board.rows["benchmark"] == bench]
    xs = sorted({0.0, *board.thresholds})

    def rank_at(model_rows: pd.DataFrame, t: float) -> float:
        if t == 0.0:
            return float(model_rows["rank_t0"].iloc[0])
        return float(model_rows.loc[model_rows["t"] == t, "rank"].iloc[0])

    models = sorted(rows["model"].unique(), key=str)

    margin = 0.35 + 0.068 * max((len(str(m)) for m in models), default=4)  # inches for the name labels
    width = 5.5 + 2 * margin
    height = max(2.6, 0.42 * len(models) + 1.2)

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        fig.subplots_adjust(left=margin / width, right=1 - margin / width, top=1 - 0.25 / height,
                            bottom=0.75 / height)
        positions = np.arange(len(xs))
        ranks = {m: [rank_at(rows[rows["model"] == m], t) for t in xs] for m in models}
        # models sharing a rank (equal scores) are spread apart a little, so no line or label hides another
        drawn = {m: list(r) for m, r in ranks.items()}
        for j in range(len(xs)):
            by_rank: dict[float, list] = {}
            for m in models:
                by_rank.setdefault(ranks[m][j], []).append(m)
            for tied in by_rank.values():
                for k, m in enumerate(tied):
                    drawn[m][j] += (k - (len(tied) - 1) / 2) * min(0.3, 0.8 / len(tied))
        for model in models:
            color, style = colors[str(model)]
            ys, r = drawn[model], ranks[model]
            ax.plot(positions, ys, color=color, linestyle=style, marker="o", linewidth=2, markersize=5)
            ax.annotate(_mpl_label(f"{model}  #{r[-1]:g}"), (positions[-1], ys[-1]), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=8, color=color, annotation_clip=False)
            ax.annotate(_mpl_label(f"#{r[0]:g}  {model}"), (positions[0], ys[0]), xytext=(-8, 0),
                        textcoords="offset points", va="center", ha="right", fontsize=8, color=color,
                        annotation_clip=False)
        ax.set_xticks(positions, [f"t={t:g}\n" + ("(accuracy)" if t == 0 else f"(wrong −{penalty(t):g})")
                                  for t in xs])
        ax.set_yticks([])
        ax.set_ylim(len(models) + 0.5, 0.5)
        ax.set_xlim(-0.05, len(xs) - 0.95)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="x", color="#dddddd")

    title = f"{bench}: rank from t=0 to t={xs[-1]:g}"
    caption = ("Rank of each model at each target (t=0 is plain accuracy); crossing lines are rank changes. Models "
               "with equal scores share a rank and are drawn slightly apart.")
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (width, height), layout=None))


def reliability_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, colors: dict) -> Figure | None:
    rel = data.reliability
    if rel is None:
        return None
    rel = rel[rel["benchmark"] == bench]
    if rel.empty:
        return None

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1], color="#888888", linewidth=0.8, linestyle="--", label="perfect calibration")
        for model, frame in rel.groupby("model", sort=True):
            color, style = colors[str(model)]
            sizes = 12 + 80 * frame["count"].to_numpy() / max(1, frame["count"].max())
            ax.plot(frame["mean_confidence"], frame["accuracy"], color=color, linestyle=style, linewidth=1.2,
                    label=_mpl_label(str(model)))
            ax.scatter(frame["mean_confidence"], frame["accuracy"], s=sizes, color=color, alpha=0.8, linewidths=0)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("stated confidence (bin mean)")
        ax.set_ylabel("accuracy of answered items")
        _legend(ax, 1)

    title = f"{bench}: reliability diagram"
    caption = ("Answered items in 10 equal-width confidence bins (marker area ∝ items). Below the diagonal: "
               "over-confident.")
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (7.0, 4.2)))


def risk_coverage_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, colors: dict) -> Figure | None:
    curve = data.risk_coverage
    if curve is None:
        return None
    curve = curve[curve["benchmark"] == bench]
    if curve.empty:
        return None

    def draw(fig: Any) -> None:
        ax = fig.subplots()
        for model, frame in curve.groupby("model", sort=True):
            color, style = colors[str(model)]
            ax.step(frame["coverage_all"], frame["risk"], where="post", color=color, linestyle=style,
                    linewidth=1.5, label=_mpl_label(str(model)))
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("coverage (share of all items answered)")
        ax.set_ylabel("risk (error rate among answered)")
        _legend(ax, 1)

    title = f"{bench}: risk-coverage"
    caption = ("Answer only the items with the highest stated confidence: each point is a confidence cut-off. "
               "Lower is better; a curve ends at the share the model actually answered.")
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (7.5, 4.0)))


# --------------------------------------------------------------------------------------------- HTML

CSS = """
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
.muted, figcaption, .small { color: var(--muted); font-size: 0.88rem; }
nav { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 14px 0; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 9px; text-align: right; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
th .sub { font-weight: 400; }
td.name, th.name { text-align: left; max-width: 340px; overflow-wrap: anywhere; }
td .sub, th .sub { display: block; color: var(--muted); font-size: 0.78rem; }
.up { color: #1a7f37; } .down { color: #cf222e; } .tie { color: #9a6700; }
.best { font-weight: 700; }
figure { margin: 12px 0 22px; }
svg.figure { max-width: 100%; height: auto; display: block; }
.notice { background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.86rem; }
pre { background: var(--bg2); padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 24px; }
"""


def _f(x: Any, digits: int = 3, signed: bool = False) -> str:
    if x is None or x is pd.NA:
        return "–"
    try:
        value = float(x)
    except (TypeError, ValueError):
        return esc(x)
    if value != value:
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _leaderboard_table(board: Leaderboard, bench: str, top: int | None) -> str:
    rows = board.rows[board.rows["benchmark"] == bench]
    groups = board.groups[board.groups["benchmark"] == bench].set_index("model")
    ts = board.thresholds
    order = rows[rows["t"] == ts[-1]].sort_values(["rank", "model"], kind="stable")["model"].tolist()
    if top:
        order = order[:top]
    head = ["<th>#</th>", '<th class="name">model</th>', "<th>n</th>", "<th>accuracy</th>", "<th>IDK</th>",
            "<th>wrong</th>"]
    head += [f"<th>S(t={t:g})<span class='sub'>wrong −{penalty(t):g}</span></th>" for t in ts]
    head += ["<th>break-even t</th>"]
    out = ["<table class='board'>", "<thead><tr>" + "".join(head) + "</tr></thead>", "<tbody>"]
    by_key = {(m, float(t)): r for m, t, r in zip(rows["model"], rows["t"], rows.to_dict("records"), strict=True)}
    for model in order:
        g = groups.loc[model]
        last = by_key[(model, float(ts[-1]))]
        cells = [f"<td>{int(last['rank'])}</td>", f"<td class='name'>{esc(model)}</td>", f"<td>{int(g['n'])}</td>",
                 f"<td>{_f(g['accuracy'])}</td>", f"<td>{_f(g['abstention_rate'])}</td>",
                 f"<td>{_f(g['error_rate'])}</td>"]
        for t in ts:
            r = by_key[(model, float(t))]
            half = float(r["ci_high"]) - float(r["score"]) if r["ci_high"] is not None else float("nan")
            change = int(r["rank_change"])
            marks = ""
            if change > 0:
                marks += f" <span class='up'>▲{change}</span>"
            elif change < 0:
                marks += f" <span class='down'>▼{-change}</span>"
            if bool(r["overlaps_above"]):
                marks += " <span class='tie' title='interval overlaps the model ranked just above'>≈</span>"
            cls = " class='best'" if int(r["rank"]) == 1 else ""
            cells.append(f"<td{cls}>{_f(r['score'], signed=True)} <span class='muted'>±{_f(half)}</span>"
                         f"<span class='sub'>#{int(r['rank'])}{marks}</span></td>")
        cells.append(f"<td>{_f(g['break_even_t'], 2)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _confidence_table(data: ReportData, bench: str) -> str:
    cal = data.calibration
    sel = data.selective
    if cal is None or cal.empty:
        return ""
    cal = cal[cal["benchmark"] == bench]
    if cal.empty:
        return ""
    sel_by = {} if sel is None else {str(r["model"]): r for r in sel[sel["benchmark"] == bench].to_dict("records")}
    out = ["<table><thead><tr><th class='name'>model</th><th>answered</th><th>mean confidence</th>"
           "<th>accuracy (answered)</th><th>over-confidence</th><th>ECE</th><th>Brier</th><th>AURC</th></tr></thead>"
           "<tbody>"]
    for r in cal.to_dict("records"):
        s = sel_by.get(str(r["model"]), {})
        out.append(f"<tr><td class='name'>{esc(r['model'])}</td><td>{int(r['n'])}</td>"
                   f"<td>{_f(r['mean_confidence'])}</td><td>{_f(r['accuracy'])}</td>"
                   f"<td>{_f(r['overconfidence'], signed=True)}</td><td>{_f(r['ece_width'])}</td>"
                   f"<td>{_f(r['brier'])}</td><td>{_f(s.get('aurc'))}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _scoring_rule(board: Leaderboard) -> str:
    pol = board.policy
    rows = "".join(f"<tr><td>{t:g}</td><td>{penalty(t):g}</td><td>{t * 100:g}%</td></tr>" for t in board.thresholds)
    return f"""
<p>Binary grading gives a wrong answer and “I don't know” the same 0, so guessing always pays. Stating a
confidence target <i>t</i> and grading correct = +1, wrong = −t/(1−t), “I don't know” = {pol.idk_credit:g}
rewards a model that answers only when its confidence exceeds <i>t</i> (Kalai, Nachum, Vempala &amp; Zhang 2025,
<i>Why Language Models Hallucinate</i>). <i>t</i> = 0 is plain accuracy.</p>
<pre>{esc(FORMULA)}</pre>
<table><thead><tr><th>t</th><th>a wrong answer costs</th><th>answer only if more than … confident</th></tr></thead>
<tbody>{rows}</tbody></table>
<p class="small">Intervals: {round(board.level * 100)}% normal intervals, mean ± z·SE of the per-item score
(SE method: {esc(board.se_method)}); ≈ marks an interval that overlaps the model ranked just above (a tie in
practice); ▲▼ is the rank change from t = 0. Break-even t: S(t) &gt; 0 exactly below it. Partial answers
{_POLICY_PHRASE[pol.partial]}; invalid ones (extraction or grader failure) {_POLICY_PHRASE[pol.invalid]}.</p>
"""


_POLICY_PHRASE = {"wrong": "score as wrong", "correct": "score as correct", "abstain": "score as abstentions",
                  "drop": "are dropped from n"}


def _provenance(board: Leaderboard) -> str:
    prov = board.provenance()
    touched = prov["policy_counts"]
    pens = ", ".join(f"t={x['t']:g} → penalty {x['penalty']:g}" for x in prov["thresholds"])
    out = [
        "<ul>",
        f"<li>Formula: <code>{esc(prov['formula'])}</code></li>",
        f"<li>Targets and penalties: {esc(pens)}</li>",
        f"<li>Policies: partial → {esc(board.policy.partial)} ({touched['partial']} items touched); invalid → "
        f"{esc(board.policy.invalid)} ({touched['invalid']} items touched, {touched['dropped']} dropped); "
        f"idk_credit = {board.policy.idk_credit:g}</li>",
        f"<li>Intervals: {esc(prov['interval']['kind'])}, level {board.level:g}, SE method "
        f"{esc(board.se_method)}. No resampling (no bootstrap, so no seed or resample count).</li>",
        "<li>Alignment: none; every model is scored on all of its own items (no items dropped by alignment).</li>",
        f"<li>rescore {esc(__version__)}</li>",
        "</ul>",
        "<h3>Groups (n per benchmark × model)</h3>",
        "<table><thead><tr><th class='name'>benchmark</th><th class='name'>model</th><th>n</th><th>correct</th>"
        "<th>wrong</th><th>abstain</th><th>partial</th><th>invalid</th><th>dropped</th><th>per item</th>"
        "<th class='name'>SE method</th></tr></thead><tbody>",
    ]
    for g in board.groups.to_dict("records"):
        out.append(
            f"<tr><td class='name'>{esc(g['benchmark'])}</td><td class='name'>{esc(g['model'])}</td>"
            f"<td>{int(g['n'])}</td><td>{int(g['n_correct'])}</td><td>{int(g['n_wrong'])}</td>"
            f"<td>{int(g['n_abstain'])}</td><td>{int(g['n_partial'])}</td><td>{int(g['n_invalid'])}</td>"
            f"<td>{int(g['dropped'])}</td><td>{'yes' if g['per_item'] else 'no (counts)'}</td>"
            f"<td class='name'>{esc(g['se_method'])}</td></tr>")
    out.append("</tbody></table>")
    out.append("<h3>Input files</h3>")
    out.append("<table><thead><tr><th class='name'>file</th><th class='name'>adapter</th><th>version</th>"
               "<th>items</th><th class='name'>models</th><th class='name'>benchmarks</th></tr></thead><tbody>")
    for s in prov["sources"]:
        out.append(f"<tr><td class='name'>{esc(s.get('path'))}</td><td class='name'>{esc(s.get('adapter'))}</td>"
                   f"<td>{esc(s.get('adapter_version'))}</td><td>{esc(s.get('items'))}</td>"
                   f"<td class='name'>{esc(', '.join(map(str, s.get('models') or [])))}</td>"
                   f"<td class='name'>{esc(', '.join(map(str, s.get('benchmarks') or [])))}</td></tr>")
    out.append("</tbody></table>")
    if prov["skipped"]:
        out.append("<h3>Skipped files</h3><ul>")
        out.extend(f"<li><code>{esc(s['path'])}</code>: {esc(s['reason'])}</li>" for s in prov["skipped"])
        out.append("</ul>")
    if prov["notes"]:
        out.append("<h3>Notes</h3><ul>")
        out.extend(f"<li>{esc(n)}</li>" for n in prov["notes"])
        out.append("</ul>")
    return "\n".join(out)


def _omitted_here(data: ReportData, bench: str) -> dict[str, list[str]]:
    """Models of ``bench`` whose confidences cannot be used, grouped by the reason."""
    out: dict[str, list[str]] = {}
    for (b, model), why in sorted(data.omitted.items()):
        if b == bench:
            out.setdefault(why, []).append(model)
    return out


def _figure_html(fig: Figure) -> str:
    return (f"<figure>{fig.svg}\n<figcaption><b>{esc(fig.title)}.</b> {esc(fig.caption)}</figcaption></figure>")


def render_html(board: Leaderboard, items: pd.DataFrame | None = None, *, title: str = "rescore report",
                top: int | None = None, bins: int = 10) -> str:
    """The whole report as one HTML string (see the module docstring for what it contains)."""
    data = prepare(board, items, bins)
    mpl = load_matplotlib()
    benchmarks = sorted(board.groups["benchmark"].astype(str).unique())
    colors = _colors(sorted(board.groups["model"].astype(str).unique()))
    missing = list(data.missing)
    if mpl is None:
        missing.insert(0, Missing("every figure", PLOTS_HINT))

    body: list[str] = []
    nav = ["<a href='#rule'>Scoring rule</a>"] + [f"<a href='#b-{i}-{_slug(b)}'>{esc(b)}</a>"
                                                   for i, b in enumerate(benchmarks)]
    nav += ["<a href='#missing'>Not plotted</a>", "<a href='#provenance'>Provenance</a>"]
    n_models = board.groups["model"].nunique()
    body.append(f"<h1>{esc(title)}</h1>")
    body.append(f"<p class='muted'>{n_models} models, {len(benchmarks)} benchmarks, targets "
                f"{esc(', '.join(f'{t:g}' for t in board.thresholds))}; rescore {esc(__version__)}.</p>")
    body.append("<nav>" + "".join(nav) + "</nav>")
    if mpl is None:
        body.append(f"<p class='notice'>Tables only: {esc(PLOTS_HINT)}.</p>")
    body.append("<h2 id='rule'>The scoring rule</h2>")
    body.append(_scoring_rule(board))
    for i, bench in enumerate(benchmarks):
        anchor = f"b-{i}-{_slug(bench)}"
        n_values = sorted(set(board.groups.loc[board.groups["benchmark"] == bench, "n"].astype(int)))
        n_text = f"n={n_values[0]}" if len(n_values) == 1 else f"n={n_values[0]}–{n_values[-1]}"
        body.append(f"<h2 id='{anchor}'>{esc(bench)} <span class='muted'>({n_text})</span></h2>")
        body.append(f"<h3>Leaderboard at each target</h3><p class='small'>Sorted by rank at t="
                    f"{board.thresholds[-1]:g}.</p>")
        body.append(_leaderboard_table(board, bench, top))
        table = _confidence_table(data, bench)
        if table:
            body.append("<h3>Confidence</h3>" + table)
        omitted = _omitted_here(data, bench)
        for why, models in omitted.items():
            total = int((board.groups["benchmark"] == bench).sum())
            who = ("the only model" if total == 1 else f"all {total} models") if len(models) == total else \
                ", ".join(models)
            what = f"{bench}: reliability diagram, risk-coverage and calibrated-policy curves for {who}"
            missing.append(Missing(what, why))
            body.append(f"<p class='notice'>Not plotted for {esc(who)}: reliability, risk-coverage and "
                        f"calibrated-policy curves ({esc(why)}).</p>")
        if mpl is None:
            continue
        base = f"{i}-{_slug(bench)}"
        figures = [score_curve_figure(mpl, data, bench, f"fig-score-{base}", colors),
                   bump_figure(mpl, data, bench, f"fig-bump-{base}", colors)]
        rel = reliability_figure(mpl, data, bench, f"fig-reliability-{base}", colors)
        if rel is not None:
            figures.append(rel)
        elif data.reliability is not None and not omitted:
            missing.append(Missing(f"{bench}: reliability diagram", "no model on this benchmark has usable "
                                   "per-item confidences"))
        risk = risk_coverage_figure(mpl, data, bench, f"fig-riskcov-{base}", colors)
        if risk is not None:
            figures.append(risk)
        elif data.risk_coverage is not None and not omitted:
            missing.append(Missing(f"{bench}: risk-coverage curve", "no model on this benchmark has usable "
                                   "per-item confidences"))
        body.append("<h3>Figures</h3>")
        body.extend(_figure_html(f) for f in figures)
    body.append("<h2 id='missing'>What this report could not plot, and why</h2>")
    if missing:
        body.append("<ul>" + "".join(f"<li><b>{esc(m.what)}</b>: {esc(m.why)}</li>" for m in missing) + "</ul>")
    else:
        body.append("<p>Nothing: every figure had the data it needs.</p>")
    body.append("<h2 id='provenance'>Provenance</h2>")
    body.append(_provenance(board))
    return ("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + f"\n<footer class='small'><hr>Generated by rescore {esc(__version__)}. Self-contained: no scripts, "
            "no network.</footer>\n</body>\n</html>\n")


def figure_ids(report: str) -> list[str]:
    """The ids of the inline SVG figures in a rendered report (what the browser test looks for)."""
    return re.findall(r'<svg id="(fig-[^"]+)"', report)
