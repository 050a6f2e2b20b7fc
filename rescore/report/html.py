"""The HTML report: one self-contained file (inline CSS, SVG and one hashed script, no network).

Everything a reader needs travels in the file: the leaderboard at every threshold, figures
rendered by matplotlib to inline SVG, the scoring rule, and the provenance. When matplotlib
cannot be imported the tables still render and the report says which figures it left out and
why; likewise for figures whose data is missing (no per-item confidences, counts-only input).

A threshold slider (rescore/report/slider.py) re-scores, re-ranks and re-sorts the tables and
moves a marker on the S(t) figures; the page's Content-Security-Policy allows only that script,
by its hash. Without scripts the page is the same report, sorted by rank at the first target.

Every piece of untrusted text (model, benchmark and file names, notes) goes through
:func:`name` or :func:`esc`; matplotlib's SVG writer escapes the text it draws, and mathtext is
disabled for labels by escaping ``$``, so a model called ``<script>...`` is text.
"""

from __future__ import annotations

import contextlib
import html
import io
import logging
import math
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rescore.report.layout import is_partial, wider_half
from rescore.report.safe_text import escape_controls
from rescore.report.slider import SCRIPT, T_MAX, data_block, payload, script_hash
from rescore.score.intervals import clt_se, z_value
from rescore.score.leaderboard import PARTIAL_MARK, Leaderboard
from rescore.score.rule import FORMULA, penalty
from rescore.version import __version__

Y_FLOOR = -2.0  # S(t) falls towards -inf as t -> 1; below this the ranking is already plain
PLOTS_HINT = "figures need matplotlib (a dependency of rescore): pip install matplotlib"
T_GRID = np.round(np.arange(0, 100) / 100.0, 2)  # 0, 0.01, ..., 0.99: S(t) is continuous on [0, 1)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f")
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")
PANEL = 10  # models per panel of the S(t) figure: within a panel no two curves share a colour




def esc(text: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes); control and bidi
    characters from the files are shown as ``\\x1b``/``\\u202e`` (rescore/report/safe_text.py)."""
    return html.escape("" if text is None else escape_controls(text, keep_lines=True), quote=True)


def name(text: Any) -> str:
    """A model, benchmark or file name as HTML text: every name in the page passes through here,
    so a stricter rendering of untrusted names (control characters, bidi overrides) is one hook."""
    return esc(text)


def _mpl_label(text: str) -> str:
    """A label matplotlib draws literally: ``$`` would start mathtext, a leading ``_`` hides it."""
    text = escape_controls(text).replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "x"


@contextlib.contextmanager
def quiet_matplotlib(said: list[str] | None = None) -> Iterator[None]:
    """Keep matplotlib's warnings and log records off stderr (``-q`` means quiet), and collect
    them in ``said`` so the report can list them. At import it logs, e.g., that its config
    directory is not writable or that it is building the font cache; drawing warns of glyphs
    missing from the font."""
    logger = logging.getLogger("matplotlib")
    heard = _Collect()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(heard)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        logger.removeHandler(heard)
        logger.setLevel(level)
        logger.propagate = propagate
    if said is not None:
        for text in [str(w.message) for w in caught] + heard.messages:
            if text not in said:
                said.append(text)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_matplotlib(said: list[str] | None = None) -> Any | None:
    """The matplotlib module (a dependency), or None when it cannot be imported (a broken or trimmed install)."""
    try:
        with quiet_matplotlib(said):
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
         layout: str | None = "constrained", after: Callable[[Any], str] | None = None,
         said: list[str] | None = None) -> str:
    """Draw with ``draw(figure)`` and return inline SVG carrying ``id=fig_id`` (deterministic bytes).

    ``after(figure)`` may return SVG elements to append (drawn on top, in the figure's point
    coordinates, once the layout is final). Matplotlib's warnings and log messages (a glyph
    missing from the font, a layout that could not fit) are caught and appended to ``said``:
    the report lists them, and stderr stays quiet.
    """
    from matplotlib.figure import Figure as MplFigure

    params = {"svg.fonttype": "none", "svg.hashsalt": fig_id, "font.size": 9, "axes.spines.top": False,
              "axes.spines.right": False, "font.family": ["DejaVu Sans", "sans-serif"]}
    extra = ""
    heard: list[str] = []
    with quiet_matplotlib(heard), mpl.rc_context(params):
        figure = MplFigure(figsize=size, layout=layout)
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        if after is not None:
            extra = after(figure)
    if said is not None:
        said.extend(f"{title}: {h}" for h in heard if f"{title}: {h}" not in said)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    if extra:
        end = text.rindex("</svg>")
        text = text[:end] + extra + "\n" + text[end:]
    return text.replace("<svg ", f'<svg id="{esc(fig_id)}" class="figure" role="img" aria-label="{esc(title)}" ', 1)


def _styles(models: list[str]) -> dict[str, tuple[str, str, str]]:
    """A (colour, linestyle, marker) per model, stable across every figure of the report and
    distinct for up to 240 models: colours cycle every 10, line styles every 40, markers beyond."""
    return {m: (PALETTE[i % len(PALETTE)], LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)],
                MARKERS[(i // (len(PALETTE) * len(LINESTYLES))) % len(MARKERS)])
            for i, m in enumerate(models)}


def ranked_models(board: Leaderboard, bench: str, top: int | None = None) -> list[str]:
    """A benchmark's models by rank at the first target (ties by name), the first ``top`` of them:
    the order of its table and of its figures."""
    rows = board.rows[(board.rows["benchmark"] == bench) & (board.rows["t"] == board.thresholds[0])]
    order = [str(m) for m in rows.sort_values(["rank", "model"], kind="stable")["model"]]
    return order[:top] if top else order


def _legend(ax: Any, count: int, handles: list | None = None) -> None:
    """A legend beside the axes, in as many columns as keep it within 16 rows (none is cut off)."""
    if count:
        kwargs = {"handles": handles} if handles is not None else {}
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8,
                  ncols=max(1, math.ceil(count / 16)), **kwargs)


def _marker_lines(axes: list[Any]) -> Callable[[Any], str]:
    """SVG lines the slider moves, one per S(t) panel, placed where the axes' x = 0 and x = 0.99 are."""

    def after(figure: Any) -> str:
        width, height = figure.get_figwidth() * 72.0, figure.get_figheight() * 72.0
        out = []
        for ax in axes:
            box = ax.get_position()
            lo, hi = ax.get_xlim()
            x0 = (box.x0 + (0.0 - lo) / (hi - lo) * box.width) * width
            x1 = (box.x0 + (T_MAX - lo) / (hi - lo) * box.width) * width
            top, bottom = (1.0 - box.y1) * height, (1.0 - box.y0) * height
            out.append(f'<line class="t-marker" x1="{x0:.2f}" x2="{x0:.2f}" y1="{top:.2f}" y2="{bottom:.2f}" '
                       f'data-x0="{x0:.3f}" data-x1="{x1:.3f}" stroke="#e36209" stroke-width="1.6" '
                       'style="visibility: hidden"/>')
        return "\n".join(out)

    return after


def score_curve_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, styles: dict, top: int | None = None,
                       said: list[str] | None = None) -> Figure:
    board = data.board
    models = ranked_models(board, bench, top)
    groups = board.groups[board.groups["benchmark"] == bench].set_index("model")
    credit = board.policy.idk_credit
    z = z_value(board.level)
    has_policy = any(k[0] == bench and k[1] in models for k in data.policy_curves)
    panels = _chunks(models)
    axes: list[Any] = []

    def curves(model: str) -> tuple[np.ndarray, np.ndarray] | None:
        g = groups.loc[model]
        c, w, a, n = float(g["C"]), float(g["W"]), float(g["A"]), float(g["n"])
        if n <= 0:
            return None
        s = (c - w * penalty(T_GRID) + credit * a) / n
        return s, np.array([clt_se(c, w, a, float(t), credit) for t in T_GRID], dtype="float64")

    drawn = {m: curves(m) for m in models}
    low = min([0.0] + [float(np.nanmin(v[0])) for v in drawn.values() if v is not None])
    high = max([0.0] + [float(np.nanmax(v[0] + z * np.nan_to_num(v[1]))) for v in drawn.values() if v is not None])

    def draw(fig: Any) -> None:
        from matplotlib.lines import Line2D

        grid = fig.subplots(len(panels), 1, sharex=True, squeeze=False)
        for ax, panel in zip(grid[:, 0], panels, strict=True):
            axes.append(ax)
            handles = []
            for k, model in enumerate(panel):
                color, style, marker = _panel_style(styles, model, k, len(panels))
                curve = drawn[model]
                if curve is None:
                    continue
                s, se = curve
                ax.plot(T_GRID, s, color=color, linestyle=style, linewidth=1.7)
                ax.fill_between(T_GRID, s - z * se, s + z * se, color=color, alpha=0.10, linewidth=0)
                be = groups.loc[model].get("break_even_t")
                if be is not None and be == be and 0 < float(be) < T_MAX:
                    ax.plot([float(be)], [0.0], marker=marker, markersize=4, color=color)
                policy = data.policy_curves.get((bench, model))
                if policy is not None:
                    ax.plot(T_GRID, policy, color=color, linestyle=(0, (1, 1.2)), linewidth=1.5)
                handles.append(Line2D([], [], color=color, linestyle=style, marker=marker, markersize=4,
                                      linewidth=1.7, label=_mpl_label(model)))
            if has_policy:
                handles += [Line2D([], [], color="#444444", linewidth=1.7, label="as submitted"),
                            Line2D([], [], color="#444444", linestyle=(0, (1, 1.2)), linewidth=1.5,
                                   label="calibrated policy: answer iff confidence > t")]
            for t in board.thresholds:
                ax.axvline(t, color="#999999", linewidth=0.6, linestyle=":")
            ax.axhline(0, color="#444444", linewidth=0.8)
            ax.set_xlim(0, T_MAX)
            ax.set_ylim(max(low, Y_FLOOR) - 0.05, min(high, 1.0) + 0.05)  # no score exceeds 1
            ax.set_ylabel("score S(t)")
            if handles:
                _legend(ax, len(handles), handles)
        grid[-1, 0].set_xlabel("confidence target t (a wrong answer costs t/(1−t))")

    shown = f"the top {len(models)} models at t={board.thresholds[0]:g}" if top and len(models) == top else ""
    title = f"{bench}: score vs confidence target"
    caption = (f"The answers as submitted: S(t) for t in [0, {T_MAX:g}] with the {round(board.level * 100)}% band; "
               "dots on the zero line mark each model's break-even target; dotted verticals are the leaderboard's "
               f"targets. The y axis stops at {Y_FLOOR:g} (the curves keep falling towards −∞ as t → 1).")
    if len(panels) > 1:
        caption += f" One panel per {PANEL} models, in rank order at t={board.thresholds[0]:g}, on a shared scale."
    if shown:
        caption += f" Shown: {shown} (--top)."
    if has_policy:
        caption += (" Dotted curves: the calibrated-abstention policy, i.e. the same answers kept only where the "
                    "model's stated confidence exceeds t (the score-maximising rule when confidences are "
                    "calibrated; the model's own confidences, not refitted).")
    caption += " The orange line follows the slider's t."
    size = (8.0, 4.2 if len(panels) == 1 else 2.9 * len(panels) + 0.6)
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, size, after=_marker_lines(axes), said=said))


def bump_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, styles: dict, top: int | None = None,
                said: list[str] | None = None) -> Figure | None:
    """Ranks across targets; None when it would say nothing (one model, or one target)."""
    board = data.board
    rows = board.rows[board.rows["benchmark"] == bench]
    xs = sorted({0.0, *board.thresholds})
    models = ranked_models(board, bench, top)
    if len(models) < 2 or len(xs) < 2:
        return None

    def rank_at(model_rows: pd.DataFrame, t: float) -> float:
        if t == 0.0:
            return float(model_rows["rank_t0"].iloc[0])
        return float(model_rows.loc[model_rows["t"] == t, "rank"].iloc[0])

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
            color, style, marker = styles[model]
            ys, r = drawn[model], ranks[model]
            ax.plot(positions, ys, color=color, linestyle=style, marker=marker, linewidth=2, markersize=5)
            ax.annotate(_mpl_label(f"{model}  #{r[-1]:g}"), (positions[-1], ys[-1]), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=8, color=color, annotation_clip=False)
            ax.annotate(_mpl_label(f"#{r[0]:g}  {model}"), (positions[0], ys[0]), xytext=(-8, 0),
                        textcoords="offset points", va="center", ha="right", fontsize=8, color=color,
                        annotation_clip=False)
        ax.set_xticks(positions, [f"t={t:g}\n" + ("(accuracy)" if t == 0 else f"(wrong −{penalty(t):g})")
                                  for t in xs])
        ax.set_yticks([])
        ax.set_ylim(max(ranks[m][j] for m in models for j in range(len(xs))) + 0.5, 0.5)
        ax.set_xlim(-0.05, len(xs) - 0.95)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="x", color="#dddddd")

    title = f"{bench}: rank from t=0 to t={xs[-1]:g}"
    caption = ("Rank of each model at each target (t=0 is plain accuracy); crossing lines are rank changes. Models "
               "with equal scores share a rank and are drawn slightly apart.")
    if top and len(models) == top:
        caption += f" Shown: the top {top} at t={board.thresholds[0]:g} (--top), with their ranks among all models."
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (width, height), layout=None, said=said))


def _panel_style(styles: dict, model: str, k: int, panels: int) -> tuple[str, str, str]:
    """A model's style in a figure: its report-wide one, or, in one panel of several, a colour by
    its place in the panel (so no two lines of a panel share a colour)."""
    return styles[model] if panels == 1 else (PALETTE[k % len(PALETTE)], "-", "o")


def _chunks(models: list[str]) -> list[list[str]]:
    return [models[i:i + PANEL] for i in range(0, len(models), PANEL)] or [[]]


def reliability_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, styles: dict, top: int | None = None,
                       said: list[str] | None = None) -> Figure | None:
    rel = data.reliability
    if rel is None:
        return None
    rel = rel[rel["benchmark"] == bench]
    present = set(rel["model"].astype(str))
    panels = _chunks([m for m in ranked_models(data.board, bench, top) if m in present])
    if not present or not panels[0]:
        return None

    def draw(fig: Any) -> None:
        grid = fig.subplots(len(panels), 1, squeeze=False)
        for ax, panel in zip(grid[:, 0], panels, strict=True):
            ax.plot([0, 1], [0, 1], color="#888888", linewidth=0.8, linestyle="--", label="perfect calibration")
            for k, model in enumerate(panel):
                frame = rel[rel["model"].astype(str) == model]
                color, style, marker = _panel_style(styles, model, k, len(panels))
                sizes = 12 + 80 * frame["count"].to_numpy() / max(1, frame["count"].max())
                ax.plot(frame["mean_confidence"], frame["accuracy"], color=color, linestyle=style, linewidth=1.2,
                        marker=marker, markersize=3, label=_mpl_label(model))
                ax.scatter(frame["mean_confidence"], frame["accuracy"], s=sizes, color=color, alpha=0.8,
                           linewidths=0)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            ax.set_aspect("equal")
            ax.set_xlabel("stated confidence (bin mean)")
            ax.set_ylabel("accuracy of answered items")
            _legend(ax, len(panel) + 1)

    title = f"{bench}: reliability diagram"
    caption = ("Answered items in 10 equal-width confidence bins (marker area ∝ items). Below the diagonal: "
               "over-confident.")
    if len(panels) > 1:
        caption += f" One panel per {PANEL} models, in rank order at t={data.board.thresholds[0]:g}."
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, (7.0, 4.2 * len(panels)), said=said))


def risk_coverage_figure(mpl: Any, data: ReportData, bench: str, fig_id: str, styles: dict, top: int | None = None,
                         said: list[str] | None = None) -> Figure | None:
    curve = data.risk_coverage
    if curve is None:
        return None
    curve = curve[curve["benchmark"] == bench]
    present = set(curve["model"].astype(str))
    panels = _chunks([m for m in ranked_models(data.board, bench, top) if m in present])
    if not present or not panels[0]:
        return None

    def draw(fig: Any) -> None:
        grid = fig.subplots(len(panels), 1, sharex=True, sharey=True, squeeze=False)
        for ax, panel in zip(grid[:, 0], panels, strict=True):
            for k, model in enumerate(panel):
                frame = curve[curve["model"].astype(str) == model]
                color, style, _ = _panel_style(styles, model, k, len(panels))
                ax.step(frame["coverage_all"], frame["risk"], where="post", color=color, linestyle=style,
                        linewidth=1.5, label=_mpl_label(model))
            ax.set_xlim(0, 1)
            ax.set_ylim(bottom=0)
            ax.set_ylabel("risk (error rate among answered)")
            _legend(ax, len(panel))
        grid[-1, 0].set_xlabel("coverage (share of all items answered)")

    title = f"{bench}: risk-coverage"
    caption = ("Answer only the items with the highest stated confidence: each point is a confidence cut-off. "
               "Lower is better; a curve ends at the share the model actually answered.")
    if len(panels) > 1:
        caption += f" One panel per {PANEL} models, in rank order at t={data.board.thresholds[0]:g}."
    size = (7.5, 4.0 if len(panels) == 1 else 3.0 * len(panels) + 0.6)
    return Figure(fig_id, title, caption, _svg(mpl, draw, fig_id, title, size, said=said))


# --------------------------------------------------------------------------------------------- HTML

CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa;
        --accent: #0969da; --up: #1a7f37; --down: #cf222e; --tie: #9a6700; --note: #fff8c5; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --bg2: #161b22; --accent: #4493f8;
          --up: #3fb950; --down: #f85149; --tie: #d29922; --note: #2e2a1a; }
  svg.figure { filter: invert(0.9) hue-rotate(180deg); }  /* matplotlib draws dark on white */
}
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       background: var(--bg); max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; line-height: 1.45;
       overflow-wrap: break-word; }
h1 { font-size: 1.7rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: 4px;
     overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
li, p, figcaption { overflow-wrap: anywhere; }
.muted, figcaption, .small { color: var(--muted); font-size: 0.88rem; }
nav { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; margin: 14px 0;
      display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav a { color: var(--accent); text-decoration: none; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; margin: 8px 0 14px; }
.scroll table { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 9px; text-align: right; vertical-align: top;
         white-space: nowrap; }
th { background: var(--bg2); font-weight: 600; }
th .sub { font-weight: 400; }
td.name, th.name { text-align: left; white-space: normal; min-width: 9em; max-width: 340px; overflow-wrap: anywhere; }
td .sub, th .sub { display: block; color: var(--muted); font-size: 0.78rem; }
.up { color: var(--up); } .down { color: var(--down); } .tie { color: var(--tie); }
.best { font-weight: 700; }
td.live, th.live { background: var(--bg2); }
figure { margin: 12px 0 22px; }
svg.figure { max-width: 100%; height: auto; display: block; background: #ffffff; }
.notice { background: var(--note); border: 1px solid #d4a72c66; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.86rem; }
code { overflow-wrap: anywhere; }
pre { background: var(--bg2); padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr)); gap: 8px 24px; }
.tbar { position: sticky; top: 0; z-index: 2; background: var(--bg2); border: 1px solid var(--line);
        border-radius: 6px; padding: 8px 14px; margin: 14px 0; display: flex; flex-wrap: wrap; gap: 6px 14px;
        align-items: center; }
.tbar[hidden] { display: none; }
.tbar input[type=range] { flex: 1 1 200px; min-width: 0; accent-color: #e36209; }
.tbar button { font: inherit; font-size: 0.85rem; padding: 1px 8px; color: var(--fg); background: var(--bg);
               border: 1px solid var(--line); border-radius: 4px; cursor: pointer; }
@media (max-width: 600px) {
  body { padding: 12px 10px 48px; }
  h1 { font-size: 1.35rem; }
  th, td { padding: 3px 6px; }
  .tbar { padding: 4px 8px; gap: 2px 8px; font-size: 0.9rem; margin: 8px 0; }
}
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


def _marks(change: int, tie: bool, tie_title: str, live: bool = False) -> str:
    """The ``#rank ▲▼ ≈`` line under a score (the live column's spans are rewritten by the slider)."""
    arrow = f" ▲{change}" if change > 0 else (f" ▼{-change}" if change < 0 else "")
    cls = "up" if change > 0 else ("down" if change < 0 else "")
    if live:
        return (f"<span class='live-move {cls}'>{arrow}</span>"
                f"<span class='tie live-tie' title='{esc(tie_title)}'>{' ≈' if tie else ''}</span>")
    out = f" <span class='{cls}'>{arrow.strip()}</span>" if arrow else ""
    if tie:
        out += f" <span class='tie' title='{esc(tie_title)}'>≈</span>"
    return out


def _score_cell(r: dict[str, Any], tie_title: str, live: bool = False) -> str:
    half = wider_half(float(r["score"]), *(float("nan") if r[k] is None else float(r[k])
                                           for k in ("ci_low", "ci_high")))
    change, tie, rank = int(r["rank_change"]), bool(r["overlaps_above"]), int(r["rank"])
    if live:
        return (f"<td class='live'><span class='live-score'>{_f(r['score'], signed=True)}</span> "
                f"<span class='muted live-half'>±{_f(half)}</span><span class='sub'><span class='live-rank'>"
                f"#{rank}</span>{_marks(change, tie, tie_title, live=True)}</span></td>")
    cls = " class='best'" if rank == 1 else ""
    return (f"<td{cls}>{_f(r['score'], signed=True)} <span class='muted'>±{_f(half)}</span>"
            f"<span class='sub'>#{rank}{_marks(change, tie, tie_title)}</span></td>")


def _leaderboard_table(board: Leaderboard, bench: str, top: int | None, index: int = 0) -> str:
    """One benchmark's table, every model in rank order at the first target; past ``top`` the rows
    are hidden (the slider shows the top at its t). The shaded column is the slider's t."""
    rows = board.rows[board.rows["benchmark"] == bench]
    groups = board.groups[board.groups["benchmark"] == bench].set_index("model")
    ts = board.thresholds
    order = ranked_models(board, bench)
    tie_title = "≈: " + board.tie_phrase()
    head = ["<th>#</th>", '<th class="name">model</th>',
            f"<th class='live'>S(t=<span class='t-live'>{ts[0]:g}</span>)<span class='sub t-live-pen'>wrong "
            f"−{penalty(ts[0]):g}</span></th>",
            "<th>n</th>", "<th>accuracy</th>", "<th>IDK</th>", "<th>wrong</th>"]
    head += [f"<th>S(t={t:g})<span class='sub'>wrong −{penalty(t):g}</span></th>" for t in ts]
    head += ["<th>break-even t</th>"]
    out = [f"<div class='scroll'><table class='board' data-b='{index}'>",
           "<thead><tr>" + "".join(head) + "</tr></thead>", "<tbody>"]
    by_key = {(m, float(t)): r for m, t, r in zip(rows["model"], rows["t"], rows.to_dict("records"), strict=True)}
    for pos, model in enumerate(order):
        g = groups.loc[model]
        first = by_key[(model, float(ts[0]))]
        mark = ""
        if is_partial(g):  # issue 16.4: scored on part of the benchmark's items
            mark = (f" <span class='tie' title='coverage {float(g['coverage']):.0%}: scored on part of the "
                    f"benchmark&#39;s items'>{PARTIAL_MARK}</span>")
        cells = [f"<td class='rank'>{int(first['rank'])}</td>", f"<td class='name'>{name(model)}{mark}</td>",
                 _score_cell(first, tie_title, live=True), f"<td>{int(g['n'])}</td>",
                 f"<td>{_f(g['accuracy'])}</td>", f"<td>{_f(g['abstention_rate'])}</td>",
                 f"<td>{_f(g['error_rate'])}</td>"]
        cells += [_score_cell(by_key[(model, float(t))], tie_title) for t in ts]
        cells.append(f"<td>{_f(g['break_even_t'], 2)}</td>")
        hidden = " hidden" if top and pos >= top else ""
        out.append(f"<tr data-i='{pos}'{hidden}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    partial = [(m, float(groups.loc[m, "coverage"])) for m in order if is_partial(groups.loc[m])]
    if partial:
        said = ", ".join(f"{name(m)} {c:.0%}" for m, c in partial)
        out.append(f"<p class='muted'>{PARTIAL_MARK} scored on part of this benchmark's items (coverage: {said}); "
                   "their scores are on other items than the rest. <code>--common-items</code> scores every model "
                   "on the items all of them have.</p>")
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
    out = ["<div class='scroll'><table><thead><tr><th class='name'>model</th><th>answered</th><th>mean confidence</th>"
           "<th>accuracy (answered)</th><th>over-confidence</th><th>ECE</th><th>Brier</th><th>AURC</th></tr></thead>"
           "<tbody>"]
    for r in cal.to_dict("records"):
        s = sel_by.get(str(r["model"]), {})
        out.append(f"<tr><td class='name'>{name(r['model'])}</td><td>{int(r['n'])}</td>"
                   f"<td>{_f(r['mean_confidence'])}</td><td>{_f(r['accuracy'])}</td>"
                   f"<td>{_f(r['overconfidence'], signed=True)}</td><td>{_f(r['ece_width'])}</td>"
                   f"<td>{_f(r['brier'])}</td><td>{_f(s.get('aurc'))}</td></tr>")
    out.append("</tbody></table></div>")
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
<div class='scroll'><table><thead><tr><th>t</th><th>a wrong answer costs</th><th>answer only if more than …
confident</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<p class="small">Intervals: {round(board.level * 100)}%
{esc(board.provenance()["interval"]["kind"])} (method: {esc(board.se_method)}; ± is the wider side, – is
undefined); {esc(_tie_sentence(board))}
▲▼ is the rank change from t = 0. Break-even t: S(t) &gt; 0 exactly below it. Partial answers
{_POLICY_PHRASE[pol.partial]}; invalid ones (extraction or grader failure) {_POLICY_PHRASE[pol.invalid]}.</p>
"""


def _tie_sentence(board: Leaderboard) -> str:
    """What ``≈`` means on this board, in full (the tables' footers say it in one clause)."""
    if board.tie_method.startswith("paired"):
        text = (f"≈ marks a model not significantly different from the model ranked just above it: a two-sided "
                f"paired test of their score difference on the items both answered, Holm-adjusted across all pairs "
                f"of the benchmark at that t, at α = {1 - board.level:.2g}")
        if "interval overlap for pairs" in board.tie_method:
            text += " (for a model without per-item data, its interval overlapping the one above instead)"
        return text + "."
    return (f"≈ marks a model whose {round(board.level * 100)}% interval overlaps that of the model ranked just "
            "above it (no per-item data to pair them on).")


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
        "<div class='scroll'><table><thead><tr><th class='name'>benchmark</th><th class='name'>model</th><th>n</th>"
        "<th>correct</th>"
        "<th>wrong</th><th>abstain</th><th>partial</th><th>invalid</th><th>dropped</th><th>per item</th>"
        "<th class='name'>SE method</th></tr></thead><tbody>",
    ]
    for g in board.groups.to_dict("records"):
        out.append(
            f"<tr><td class='name'>{name(g['benchmark'])}</td><td class='name'>{name(g['model'])}</td>"
            f"<td>{int(g['n'])}</td><td>{int(g['n_correct'])}</td><td>{int(g['n_wrong'])}</td>"
            f"<td>{int(g['n_abstain'])}</td><td>{int(g['n_partial'])}</td><td>{int(g['n_invalid'])}</td>"
            f"<td>{int(g['dropped'])}</td><td>{'yes' if g['per_item'] else 'no (counts)'}</td>"
            f"<td class='name'>{esc(g['se_method'])}</td></tr>")
    out.append("</tbody></table></div>")
    out.append("<h3>Input files</h3>")
    out.append("<div class='scroll'><table><thead><tr><th class='name'>file</th><th class='name'>adapter</th>"
               "<th>version</th><th>items</th><th class='name'>models</th><th class='name'>benchmarks</th></tr>"
               "</thead><tbody>")
    for s in prov["sources"]:
        out.append(f"<tr><td class='name'>{name(s.get('path'))}</td><td class='name'>{esc(s.get('adapter'))}</td>"
                   f"<td>{esc(s.get('adapter_version'))}</td><td>{esc(s.get('items'))}</td>"
                   f"<td class='name'>{', '.join(name(m) for m in s.get('models') or [])}</td>"
                   f"<td class='name'>{', '.join(name(b) for b in s.get('benchmarks') or [])}</td></tr>")
    out.append("</tbody></table></div>")
    if prov["skipped"]:
        out.append("<h3>Skipped files</h3><ul>")
        out.extend(f"<li><code>{name(s['path'])}</code>: {esc(s['reason'])}</li>" for s in prov["skipped"])
        out.append("</ul>")
    if prov.get("warnings"):
        out.append("<h3>Warnings</h3><ul>")
        out.extend(f"<li>{esc(w)}</li>" for w in prov["warnings"])
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
    said: list[str] = []  # matplotlib's warnings, kept off stderr and listed in the report
    mpl = load_matplotlib(said)
    benchmarks = sorted(board.groups["benchmark"].astype(str).unique())
    styles = _styles(sorted(board.groups["model"].astype(str).unique()))
    orders = {bench: ranked_models(board, bench) for bench in benchmarks}
    missing = list(data.missing)
    if mpl is None:
        missing.insert(0, Missing("every figure", PLOTS_HINT))

    body: list[str] = []
    nav = ["<a href='#rule'>Scoring rule</a>"] + [f"<a href='#b-{i}-{_slug(b)}'>{name(b)}</a>"
                                                   for i, b in enumerate(benchmarks)]
    nav += ["<a href='#missing'>Not plotted</a>", "<a href='#provenance'>Provenance</a>"]
    n_models = board.groups["model"].nunique()
    body.append(f"<h1>{esc(title)}</h1>")
    body.append(f"<p class='muted'>{n_models} models, {len(benchmarks)} benchmarks, targets "
                f"{esc(', '.join(f'{t:g}' for t in board.thresholds))}; rescore {esc(__version__)}.</p>")
    body.append("<nav>" + "".join(nav) + "</nav>")
    picks = "".join(f"<button type='button' class='t-pick' data-t='{t!r}'>t={t:g}</button>" for t in board.thresholds)
    body.append(f"<div id='tbar' class='tbar' hidden><label for='t-slider'>confidence target t = <output "
                f"id='t-value'>{board.thresholds[0]:g}</output> (a wrong answer costs <span id='t-penalty'>"
                f"{penalty(board.thresholds[0]):g}</span>)</label><input type='range' id='t-slider' min='0' "
                f"max='{T_MAX:g}' step='0.01' value='{min(board.thresholds[0], T_MAX)!r}' "
                f"aria-label='confidence target t'><span>{picks}</span></div>")
    if mpl is None:
        body.append(f"<p class='notice'>Tables only: {esc(PLOTS_HINT)}.</p>")
    body.append("<h2 id='rule'>The scoring rule</h2>")
    body.append(_scoring_rule(board))
    for i, bench in enumerate(benchmarks):
        anchor = f"b-{i}-{_slug(bench)}"
        n_values = sorted(set(board.groups.loc[board.groups["benchmark"] == bench, "n"].astype(int)))
        n_text = f"n={n_values[0]}" if len(n_values) == 1 else f"n={n_values[0]}–{n_values[-1]}"
        body.append(f"<h2 id='{anchor}'>{name(bench)} <span class='muted'>({n_text})</span></h2>")
        shown = f"; the top {top} shown" if top and len(orders[bench]) > top else ""
        body.append(f"<h3>Leaderboard at each target</h3><p class='small'>Sorted by rank at t="
                    f"{board.thresholds[0]:g}, the first target{shown}. The shaded column follows the slider: moving "
                    f"t re-scores, re-ranks and re-sorts the table. {esc(_tie_sentence(board))}</p>")
        body.append(_leaderboard_table(board, bench, top, i))
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
            body.append(f"<p class='notice'>Not plotted for {name(who)}: reliability, risk-coverage and "
                        f"calibrated-policy curves ({esc(why)}).</p>")
        if mpl is None:
            continue
        base = f"{i}-{_slug(bench)}"
        figures = [score_curve_figure(mpl, data, bench, f"fig-score-{base}", styles, top, said)]
        bump = bump_figure(mpl, data, bench, f"fig-bump-{base}", styles, top, said)
        if bump is not None:
            figures.append(bump)
        else:
            missing.append(Missing(f"{bench}: rank chart", "one model or one target: no ranks to compare"))
        rel = reliability_figure(mpl, data, bench, f"fig-reliability-{base}", styles, top, said)
        if rel is not None:
            figures.append(rel)
        elif data.reliability is not None and not omitted:
            missing.append(Missing(f"{bench}: reliability diagram", "no model on this benchmark has usable "
                                   "per-item confidences"))
        risk = risk_coverage_figure(mpl, data, bench, f"fig-riskcov-{base}", styles, top, said)
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
    if said:
        body.append("<h3>Drawing notes</h3><ul>" + "".join(f"<li>{esc(w)}</li>" for w in said) + "</ul>")
    body.append("<h2 id='provenance'>Provenance</h2>")
    body.append(_provenance(board))
    body.append(data_block(payload(board, items, orders, top)))
    body.append(f"<script>{SCRIPT}</script>")
    return ("<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
            "<meta name='color-scheme' content='light dark'>\n"
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
            f"img-src data:; script-src {script_hash()}\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + f"\n<footer class='small'><hr>Generated by rescore {esc(__version__)}. Self-contained: one inline "
            "script (the slider, allowed by its hash), no network.</footer>\n</body>\n</html>\n")


def figure_ids(report: str) -> list[str]:
    """The ids of the inline SVG figures in a rendered report (what the browser test looks for)."""
    return re.findall(r'<svg id="(fig-[^"]+)"', report)
