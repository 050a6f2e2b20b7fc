"""The HTML report's threshold slider: the numbers it needs, and the script that uses them.

Every statistic the leaderboard prints at a target t is a function of v(t) = (1, -t/(1-t),
idk_credit) and a few per-model or per-pair numbers, so the report can carry those numbers and
re-score at any t in the browser without a server or a library:

- a model's score is v·(C, W, A)/n, and its squared SE a quadratic form f·vᵀSv, S the 3x3
  scatter of per-unit residual totals (units are items, or clusters with ``--cluster``) and
  f = 1/(n(n-1)) for items or G/((G-1)n²) for G clusters (rescore.score.intervals);
- a pair's paired difference is v·d (d = mean of A minus B on shared items) and its squared SE
  is again f·vᵀSv (rescore.score.compare.PairData.diff_se); the script turns it into a
  two-sided normal p-value and Holm-adjusts across the pairs of the benchmark, as the ``≈``
  marks of the CLI do;
- what the page cannot redo in a few lines of script is carried precomputed on the slider's grid
  (every 0.01 step and every listed target): each model's interval by the board's method (issue 20:
  score, LR, CR2 + t, or clt) as offsets from its score, and a pair's p-value wherever the CLI's
  test is not the normal one (the exact sign-flip test, Student t for few clusters).

The script is a constant, so the page's Content-Security-Policy allows exactly it by its
sha256 hash (no ``unsafe-inline``, no external file). It never writes a name: it moves the
table rows Python rendered (names already escaped) and writes numbers with ``textContent``.
The data block holds numbers only, and is JSON with ``<``, ``>`` and ``&`` escaped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from rescore.score.intervals import z_value
from rescore.score.leaderboard import Leaderboard
from rescore.score.rule import score

T_MAX = 0.99  # the slider's right end: S(t) falls towards -inf as t -> 1


def _scatter6(s: np.ndarray) -> list[float]:
    """The upper triangle (s11, s12, s13, s22, s23, s33) of a symmetric 3x3 matrix, as floats."""
    return [float(s[0, 0]), float(s[0, 1]), float(s[0, 2]), float(s[1, 1]), float(s[1, 2]), float(s[2, 2])]


def _factor(n: float, g: float | None) -> float | None:
    """f in SE² = f·vᵀSv: 1/(n(n-1)) for items, G/((G-1)n²) for G clusters; None when undefined."""
    if g is None:
        return 1.0 / (n * (n - 1.0)) if n > 1 else None
    return g / (g - 1.0) / (n * n) if g > 1 and n > 0 else None


def _count_scatter(c: float, w: float, a: float) -> np.ndarray:
    """Scatter of one-hot item rows about their mean: diag(m) - m mᵀ/n (what clt_se sums)."""
    m = np.array([c, w, a], dtype="float64")
    n = m.sum()
    return np.diag(m) - (np.outer(m, m) / n if n > 0 else 0.0)


def slider_grid(board: Leaderboard) -> np.ndarray:
    """Every t the slider can take (its 0.01 steps) and every listed target (a button can show a
    target past :data:`T_MAX`, e.g. 0.999, and must find its own interval, not the nearest step's)."""
    return np.unique(np.concatenate([np.round(np.arange(0, 100) / 100.0, 2), list(board.thresholds), [0.0]]))


def _offsets(board: Leaderboard, bench: str, order: list[str], grid: np.ndarray
             ) -> tuple[list[list[float]], list[list[float]]]:
    """Per model of ``order``, (high - S, S - low) at every grid t by the board's interval method
    (issue 20: the script cannot redo a score interval, and a normal one would print ±0 for 3 of
    3 right)."""
    low, high = board.intervals_grid(bench, order, grid)
    groups = board.groups[board.groups["benchmark"] == bench].set_index("model").loc[order]
    # the rows' own score function: high - s is then bit for bit what the tables' "±" is built from
    # (not rounded, so a half-width on a printed digit's edge rounds as the CLI's does)
    c, w, a, n = (groups[k].to_numpy(dtype="float64")[:, None] for k in ("C", "W", "A", "n"))
    s = np.asarray(score(c, w, a, n, grid[None, :], board.policy.idk_credit))
    with np.errstate(invalid="ignore"):
        return (high - s).tolist(), (s - low).tolist()


def _exact_p(board: Leaderboard, pair: Any, grid: np.ndarray) -> list[float | None]:
    """The pair's p-values where rescore's paired test is not the normal one the script computes
    (the exact sign-flip test when few units differ or all differ alike, Student t for clusters),
    as runs ``[first, last, p, ...]`` of grid indices: the ≈ marks then follow the CLI's at every
    t. An exact p is constant over long stretches of t, so runs keep a 100-model page at a fifth
    of the size a value per grid point took."""
    from rescore.score.compare import p_two_sided

    credit = board.policy.idk_credit
    exact = pair.p_values(grid, credit)
    diff, se = pair.diff_se(grid, credit)
    with np.errstate(invalid="ignore", divide="ignore"):
        normal = p_two_sided(diff, se)
    runs: list[float | None] = []
    for k, (p, q) in enumerate(zip(exact.tolist(), normal.tolist(), strict=True)):
        if (p != p and q != q) or (p == p and q == q and abs(p - q) <= 1e-12 * max(1.0, abs(q))):
            continue  # the script's normal p is the CLI's here
        last = runs[-2] if runs else None
        if last == k - 1 and (runs[-1] == p or (p != p and runs[-1] != runs[-1])):
            runs[-2] = k
        else:
            runs += [k, k, p]
    return runs


def cluster_mode(board: Leaderboard) -> str:
    """The ``--cluster`` mode the board's SEs used, read back from its method name."""
    return board.se_method.split("+")[0].split(":", 1)[1] if board.se_method.startswith("clustered:") else "none"


def benchmark_payload(board: Leaderboard, bench: str, order: list[str], bench_items: Any | None) -> dict[str, Any]:
    """The numbers of one benchmark: per model (in ``order``) and per pair with shared items."""
    groups = board.groups[board.groups["benchmark"] == bench].set_index("model")
    index = {m: i for i, m in enumerate(order)}
    by_name = {m: k for k, m in enumerate(sorted(order, key=str))}
    clustered = board.se_method.startswith("clustered:")
    grid = slider_grid(board)
    per_model: dict[str, tuple[list[float], float | None]] = {}
    if bench_items is not None:
        for k, model in enumerate(bench_items.models):
            present = bench_items.present[k]
            x = bench_items.x[k][present]
            n = float(present.sum())
            totals = x.sum(axis=0)
            if clustered and bench_items.clusters is not None:
                codes = bench_items.clusters[present]
                _, inverse = np.unique(codes, return_inverse=True)
                g_count = int(inverse.max()) + 1 if inverse.size else 0
                unit = np.zeros((g_count, 3))
                np.add.at(unit, inverse, x)
                sizes = np.bincount(inverse, minlength=g_count).astype("float64")
                resid = unit - sizes[:, None] * (totals / n)[None, :]
                per_model[model] = (_scatter6(resid.T @ resid), _factor(n, float(g_count)))
    models: list[dict[str, Any]] = []
    ups, downs = _offsets(board, bench, order, grid)
    for model in order:
        g = groups.loc[model]
        c, w, a, n = (float(g[k]) for k in ("C", "W", "A", "n"))
        scatter, factor = per_model.get(model, (None, None))
        if scatter is None:  # items or counts only: the scatter follows from the counts
            scatter, factor = _scatter6(_count_scatter(c, w, a)), _factor(n, None)
        models.append({"c": c, "w": w, "a": a, "n": n, "f": factor, "s": scatter, "o": by_name[model],
                       "u": ups[len(models)], "d": downs[len(models)]})
    pairs = []
    shown = False
    if bench_items is not None and board.tie_method.startswith("paired") and len(bench_items.models) > 1:
        from itertools import combinations

        from rescore.score.compare import ALL_PAIRS_MAX_MODELS

        candidates = list(combinations(range(len(bench_items.models)), 2))
        if len(bench_items.models) > ALL_PAIRS_MAX_MODELS:  # the CLI tests only the pairs its marks read
            shown = True
            code = {m: k for k, m in enumerate(bench_items.models)}
            candidates = _shown_union(board, models, [code.get(m) for m in order])
        for i, j in candidates:
            a_name, b_name = bench_items.models[i], bench_items.models[j]
            if a_name not in index or b_name not in index:
                continue
            pair = bench_items.pair(i, j)
            n = float(pair.n)
            if n == 0:  # nothing shared: untestable, so "not called different" (as the CLI's marks)
                pairs.append([index[a_name], index[b_name], None, None, None, None, 0, 0, 0, 0, 0, 0, []])
                continue
            mean = pair.mean()
            kinds, counts = pair.unit_table
            weights = counts.astype("float64")
            resid = kinds[:, :3] - kinds[:, 3:4] * mean[None, :]
            scatter = (resid * weights[:, None]).T @ resid
            factor = _factor(n, None if pair.clusters is None else float(weights.sum()))
            pairs.append([index[a_name], index[b_name], *map(float, mean), factor, *_scatter6(scatter),
                          _exact_p(board, pair, grid)])
    for m, model in zip(models, order, strict=True):
        m["p"] = bench_items is not None and model in set(bench_items.models)
    return {"models": models, "pairs": pairs, "shown": shown}


def _shown_union(board: Leaderboard, models: list[dict[str, Any]], codes: list[int | None]) -> list[tuple[int, int]]:
    """Every pair a slider position can mark on a benchmark of more than ALL_PAIRS_MAX_MODELS
    models: each model with the one ranked just above it and with the leader, at every t of the
    slider's grid and every listed target (rescore.score.compare._shown_pairs at one t).
    ``codes`` maps the table's models to their index among the models with items (None: counts only)."""
    ts = np.unique(np.concatenate([np.round(np.arange(0, 100) / 100.0, 2), board.thresholds, [0.0]]))
    c, w, a, n = (np.array([m[k] for m in models], dtype="float64") for k in ("c", "w", "a", "n"))
    by_name = np.array([m["o"] for m in models])
    credit = float(board.policy.idk_credit)
    found: set[tuple[int, int]] = set()
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in ts:
            score = np.round((c - w * (t / (1.0 - t)) + credit * a) / n, 12)
            rank = pd.Series(score).rank(method="min", ascending=False, na_option="bottom").to_numpy()
            order = np.lexsort((by_name, rank))
            for pos in range(1, len(order)):
                for other in (order[pos - 1], order[0]):
                    i, j = codes[int(other)], codes[int(order[pos])]
                    if i is not None and j is not None and i != j:
                        found.add((min(i, j), max(i, j)))
    return sorted(found)


def payload(board: Leaderboard, items: pd.DataFrame | None, orders: dict[str, list[str]], top: int | None
            ) -> dict[str, Any]:
    """Everything the script needs, per benchmark in ``orders`` (the table's row order)."""
    benches: dict[str, Any] = {}
    if items is not None and not items.empty:
        from rescore.score.compare import benchmark_items

        found, _ = benchmark_items(items, board.policy, cluster_mode(board))
        benches = {b.benchmark: b for b in found}
    return {
        "credit": float(board.policy.idk_credit),
        "z": z_value(board.level),
        "alpha": 1.0 - board.level,
        "paired": board.tie_method.startswith("paired"),
        "thresholds": list(board.thresholds),
        "top": top or 0,
        "grid": [float(t) for t in slider_grid(board)],
        "benchmarks": [benchmark_payload(board, bench, order, benches.get(bench)) for bench, order in orders.items()],
    }


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def data_block(data: dict[str, Any]) -> str:
    """The payload as an inert ``application/json`` block (never executed, so the CSP needs no hash)."""
    text = json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="rescore-data">{text}</script>'


SCRIPT = r"""
(function () {
  "use strict";
  var block = document.getElementById("rescore-data");
  if (!block || !window.JSON) { return; }
  var D = JSON.parse(block.textContent);
  var bar = document.getElementById("tbar");
  var slider = document.getElementById("t-slider");
  var tables = document.querySelectorAll("table.board");
  function penalty(t) { return t / (1 - t); }
  function erfc(x) {  /* Numerical Recipes erfcc: relative error below 1.2e-7 */
    var z = Math.abs(x), u = 1 / (1 + 0.5 * z);
    var r = u * Math.exp(-z * z - 1.26551223 + u * (1.00002368 + u * (0.37409196 + u * (0.09678418 +
      u * (-0.18628806 + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 +
      u * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }
  function pValue(d, se) {
    if (se === 0) { return Math.abs(d) < 1e-12 ? 1 : 0; }
    var z = Math.abs(d) / se;
    return isFinite(z) ? erfc(z / Math.SQRT2) : NaN;
  }
  function quad(s, v) {
    return v[0] * v[0] * s[0] + 2 * v[0] * v[1] * s[1] + 2 * v[0] * v[2] * s[2] + v[1] * v[1] * s[3] +
      2 * v[1] * v[2] * s[4] + v[2] * v[2] * s[5];
  }
  function se(f, s, v) { return f === null ? NaN : Math.sqrt(Math.max(f * quad(s, v), 0)); }
  function holm(p) {  /* step-down adjusted p-values; NaN stays NaN (rescore.score.compare.holm) */
    var idx = [], out = p.map(function () { return NaN; }), i;
    for (i = 0; i < p.length; i++) { if (!isNaN(p[i])) { idx.push(i); } }
    idx.sort(function (a, b) { return p[a] - p[b] || a - b; });
    var m = idx.length, run = 0;
    for (i = 0; i < m; i++) { run = Math.max(run, (m - i) * p[idx[i]]); out[idx[i]] = Math.min(run, 1); }
    return out;
  }
  function ranks(score) {  /* 1 = best; equal scores (to 12 digits) share the best rank; NaN last */
    var r = score.map(function (x) { return isNaN(x) ? NaN : Math.round(x * 1e12) / 1e12; });
    return r.map(function (x) {
      var k = 1;
      for (var j = 0; j < r.length; j++) { if (isNaN(x) ? !isNaN(r[j]) : r[j] > x) { k++; } }
      return k;
    });
  }
  function ordering(B, t) {
    var M = B.models;
    var score = M.map(function (m) { return (m.c - m.w * penalty(t) + D.credit * m.a) / m.n; });
    var rank = ranks(score), order = M.map(function (m, i) { return i; });
    order.sort(function (a, b) { return rank[a] - rank[b] || M[a].o - M[b].o; });
    return {score: score, rank: rank, order: order};
  }
  function family(B, t) {  /* past 100 models the CLI tests only the pairs its marks read, at its targets */
    if (!B.shown) { return B.pairs; }
    var keys = {}, ts = D.thresholds.indexOf(t) >= 0 ? D.thresholds.concat([0]) : [t, 0];
    ts.forEach(function (u) {
      var o = ordering(B, u).order;
      for (var k = 1; k < o.length; k++) {
        [o[k - 1], o[0]].forEach(function (h) {
          var i = o[k];
          if (h !== i && B.models[h].p && B.models[i].p) { keys[Math.min(h, i) + "," + Math.max(h, i)] = 1; }
        });
      }
    });
    return B.pairs.filter(function (q) { return keys[Math.min(q[0], q[1]) + "," + Math.max(q[0], q[1])]; });
  }
  function at(t) {  /* the grid index of t: the slider's steps and the listed targets are all on it */
    var best = 0;
    for (var k = 1; k < D.grid.length; k++) { if (Math.abs(D.grid[k] - t) < Math.abs(D.grid[best] - t)) { best = k; } }
    return best;
  }
  function num(x) { return x === null ? NaN : x; }
  function state(B, t) {
    var v = [1, -penalty(t), D.credit], M = B.models, O = ordering(B, t), g = at(t);
    var score = O.score, rank = O.rank, order = O.order;
    /* the interval by the board's method (score, t, clt ...), computed in Python on the grid */
    var up = M.map(function (m) { return num(m.u[g]); }), down = M.map(function (m) { return num(m.d[g]); });
    var half = M.map(function (m, i) { return isNaN(up[i]) || isNaN(down[i]) ? NaN : Math.max(up[i], down[i]); });
    var pairs = family(B, t), p = {}, raw = pairs.map(function (q) {
      var runs = q[12] || [];  /* [first, last, p, ...]: the exact or Student p where the CLI uses one */
      for (var r = 0; r < runs.length; r += 3) {
        if (runs[r] <= g && g <= runs[r + 1]) { return runs[r + 2] === null ? NaN : runs[r + 2]; }
      }
      return pValue(v[0] * q[2] + v[1] * q[3] + v[2] * q[4], se(q[5], q.slice(6, 12), v));
    });
    var adj = holm(raw);
    pairs.forEach(function (q, k) { p[q[0] + "," + q[1]] = adj[k]; p[q[1] + "," + q[0]] = adj[k]; });
    var above = M.map(function () { return false; });
    for (var k = 1; k < order.length; k++) {
      var i = order[k], h = order[k - 1];
      var overlap = score[i] + up[i] >= score[h] - down[h];
      if (D.paired) {
        var q = p[h + "," + i];
        above[i] = rank[i] === rank[h] || (q === undefined ? overlap : !(q < D.alpha));
      } else { above[i] = overlap; }
    }
    return {score: score, half: half, rank: rank, above: above, order: order};
  }
  function fixed(x, d, signed) {  /* Python's format: exact halves round to even */
    if (x === null || isNaN(x)) { return "\u2013"; }
    var a = Math.abs(x), s = a.toFixed(d), p10 = Math.pow(10, d), y = a * p10, f = Math.floor(y);
    if (y - f === 0.5 && f % 2 === 0 && (2 * f + 1) % Math.pow(5, d) === 0 && (f + 0.5) / p10 === a) {
      s = (f / p10).toFixed(d);
    }
    return (x < 0 || Object.is(x, -0) ? "-" : (signed ? "+" : "")) + s;
  }
  function general(x) { return String(Number(x.toPrecision(6))); }
  var base = D.benchmarks.map(function (B) { return state(B, 0).rank; });
  function show(t) {
    var k = penalty(t), label = general(t);
    document.getElementById("t-value").textContent = label;
    document.getElementById("t-penalty").textContent = general(k);
    Array.prototype.forEach.call(document.querySelectorAll(".t-live"), function (el) { el.textContent = label; });
    Array.prototype.forEach.call(document.querySelectorAll(".t-live-pen"), function (el) {
      el.textContent = "wrong \u2212" + general(k);
    });
    Array.prototype.forEach.call(tables, function (table) {
      var b = Number(table.getAttribute("data-b")), B = D.benchmarks[b], S = state(B, t);
      var body = table.tBodies[0], rows = {};
      Array.prototype.forEach.call(body.rows, function (row) { rows[row.getAttribute("data-i")] = row; });
      S.order.forEach(function (i, pos) {
        var row = rows[i], change = base[b][i] - S.rank[i];
        row.querySelector(".rank").textContent = String(S.rank[i]);
        row.querySelector(".live-score").textContent = fixed(S.score[i], 3, true);
        row.querySelector(".live-half").textContent = "\u00b1" + fixed(S.half[i], 3, false);
        row.querySelector(".live-rank").textContent = "#" + S.rank[i];
        var move = row.querySelector(".live-move");
        move.className = "live-move " + (change > 0 ? "up" : (change < 0 ? "down" : ""));
        move.textContent = change > 0 ? " \u25b2" + change : (change < 0 ? " \u25bc" + (-change) : "");
        row.querySelector(".live-tie").textContent = S.above[i] ? " \u2248" : "";
        row.hidden = D.top > 0 && pos >= D.top;
        body.appendChild(row);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("line.t-marker"), function (line) {
      var x0 = Number(line.getAttribute("data-x0")), x1 = Number(line.getAttribute("data-x1"));
      var x = x0 + (Math.min(t, 0.99) / 0.99) * (x1 - x0);
      line.setAttribute("x1", x.toFixed(2)); line.setAttribute("x2", x.toFixed(2));
      line.style.visibility = "visible";
    });
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  Array.prototype.forEach.call(document.querySelectorAll("button.t-pick"), function (button) {
    button.addEventListener("click", function () {
      var t = Number(button.getAttribute("data-t"));
      slider.value = String(t);
      show(t);
    });
  });
  bar.hidden = false;
  show(D.thresholds[0]);
})();
"""


def script_hash(script: str = SCRIPT) -> str:
    """The CSP source (``'sha256-...'``) that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
