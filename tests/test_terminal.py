"""Terminal tables never lose a value (issue 19, point 1).

Every command that prints a table runs at 40, 60, 80 and 200 columns with 1, 5 and 70 models
(and the leaderboard with 1, 4 and 12 thresholds): no line is longer than the width (unless it is
a model name that is itself longer), none ends in a space, every model name is printed whole,
and every score is there.
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

import pytest
from rich.text import Text

import rescore
from rescore.report.grid import Column, penalty, table_lines, threshold_header

from .conftest import invoke

WIDTHS = (40, 60, 80, 200)
THRESHOLDS = {1: [0.5], 4: [0, 0.5, 0.75, 0.9], 12: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]}
LONG = "organisation-with-a-long-name/model-alpha-70b-instruct"  # 54 characters: wider than 40 columns


def _names(n: int) -> list[str]:
    return [LONG] + [f"org{k:02d}/model-{k:02d}-chat" for k in range(1, n)] if n > 1 else ["solo/model-1"]


@pytest.fixture(scope="module")
def boards(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Graded tables with 1, 5 and 70 models (SimpleQA-style grades and a confidence per item)."""
    folder = tmp_path_factory.mktemp("widths")
    out = {}
    rng = random.Random(19)
    for n in (1, 5, 70):
        rows = ["model,question_id,grade,confidence"]
        for k, name in enumerate(_names(n)):
            for i in range(24):
                r = rng.random()
                grade = "CORRECT" if r < 0.5 else "NOT_ATTEMPTED" if r < 0.6 + k * 0.004 else "INCORRECT"
                rows.append(f"{name},q{i},{grade},{rng.random():.2f}")
        path = folder / f"m{n}.csv"
        path.write_text("\n".join(rows) + "\n")
        out[n] = path
    return out


@functools.cache
def _policy_board(path: Path) -> rescore.Leaderboard:
    return rescore.leaderboard(rescore.load(path), confidence_policy="both")


@functools.cache
def _plain_board(path: Path, ts: tuple[float, ...]) -> rescore.Leaderboard:
    """The library's board for one input and targets: the same at every terminal width."""
    return rescore.leaderboard(rescore.load(path), list(ts))


def _check_layout(text: str, width: int, names: list[str]) -> None:
    assert text.strip(), "nothing printed"
    for line in text.splitlines():
        assert line == line.rstrip(), f"trailing spaces: {line!r}"
        # only a word wider than the terminal (a long model name, a path) may pass the edge: it is never cut
        assert len(line) <= width or " " not in line.strip(), f"{len(line)} > {width}: {line!r}"
    for name in names:  # whole, never folded
        assert re.search(rf"(^|[\s(]){re.escape(name)}($|[\s,)])", text, re.M), f"{name} not printed whole"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("n_thresholds", sorted(THRESHOLDS))
@pytest.mark.parametrize("n_models", [1, 5, 70])
def test_leaderboard_keeps_every_value_at_every_width(boards: dict[int, Path], width: int, n_thresholds: int,
                                                      n_models: int) -> None:
    ts = THRESHOLDS[n_thresholds]
    args = [a for t in ts for a in ("-t", str(t))]
    result = invoke("leaderboard", str(boards[n_models]), *args, "-q", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    _check_layout(text, width, _names(n_models))
    board = _plain_board(boards[n_models], tuple(ts))
    for score in board.rows["score"]:
        assert f"{score:+.3f}" in text
    for t in ts:
        assert f"t={t:g}" in text and f"(wrong {'' if t == 0 else '−'}{penalty(t)})" in text
    assert "(wrong −0)" not in text and "…" not in text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("n_models", [1, 5, 70])
@pytest.mark.parametrize("command", [
    ["leaderboard", "--policy", "both"], ["leaderboard", "--explain"], ["calibration"], ["selective", "--max-risk",
                                                                                         "0.2"],
    ["inspect"], ["check", "--min", "score@0.5=-100"]])
def test_every_table_command_fits_the_width(boards: dict[int, Path], width: int, n_models: int,
                                            command: list[str]) -> None:
    result = invoke(*command[:1], str(boards[n_models]), *command[1:], "-q", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    names = _names(n_models)
    if command[0] == "check":  # prints nothing when every gate passes; its failures are lines of their own
        assert result.stdout == ""
        return
    text = result.stdout
    _check_layout(text, width, names)
    if "--policy" in command:
        board = _policy_board(boards[n_models])
        for score in board.policy_rows["score_policy"]:
            assert f"{score:+.3f}" in text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("n_models", [1, 5])
def test_compare_fits_the_width(boards: dict[int, Path], width: int, n_models: int) -> None:
    result = invoke("compare", str(boards[n_models]), "-t", "0", "-t", "0.9", "--bootstrap", "50", "-q",
                    env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        assert line == line.rstrip() and (len(line) <= width or " " not in line.strip())


def test_compare_with_70_models_keeps_every_difference(boards: dict[int, Path]) -> None:
    result = invoke("compare", str(boards[70]), "-t", "0.5", "--bootstrap", "0", "-q", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    from rescore.score.compare import build_report

    report = build_report(str(boards[70]), [0.5], bootstrap=0)
    text = result.stdout
    for line in text.splitlines():
        assert line == line.rstrip() and len(line) <= 80
    for row in report.tables["rows"].itertuples():
        assert f"{row.diff:.3f}" in text


def test_output_that_is_not_a_terminal_is_one_block_without_padding(boards: dict[int, Path]) -> None:
    """Piped, without $COLUMNS: each row whole on one line (for grep and diff), nothing padded."""
    ts = THRESHOLDS[12]
    result = invoke("leaderboard", str(boards[5]), *[a for t in ts for a in ("-t", str(t))], "-q",
                    env={"COLUMNS": None})  # type: ignore[dict-item]
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sum(1 for line in lines if line.startswith("model ")) == 1  # one block, not three
    assert all(line == line.rstrip() for line in lines)
    row = next(line for line in lines if line.startswith(LONG))
    assert len(re.findall(r"[+-]\d+\.\d{3}±", row)) == 12  # every threshold on the model's own line


def test_blocks_repeat_the_key_and_turn_when_nothing_fits() -> None:
    model = Column("model", [Text("a/x"), Text("b/y")], key=True)
    values = [Column(f"t={k}", [Text(f"+0.{k}00"), Text(f"-0.{k}00")], justify="right") for k in range(6)]
    wide = table_lines([model, *values], None)
    assert len(wide) == 4 and wide[0].plain.split() == ["model", *(f"t={k}" for k in range(6))]
    blocks = [line.plain for line in table_lines([model, *values], 30)]
    assert sum(line.startswith("model") for line in blocks) == 2  # the key repeated in the second block
    assert all(len(line) <= 30 for line in blocks)
    turned = [line.plain for line in table_lines([model, *values], 13)]
    assert turned[0] == "a/x" and "  t=0  +0.000" in turned and all(len(line) <= 13 for line in turned)


def test_headers_read_as_people_write_them() -> None:
    assert threshold_header(0.9) == "t=0.9\n(wrong −9)"
    assert threshold_header(0) == "t=0\n(wrong 0)"
    assert penalty(1 / 3) == "0.5" and penalty(0.333) == "0.499" and penalty(0.999) == "999"
    assert penalty(0.75) == "3" and penalty(0.1) == "0.111"


def test_undefined_interval_prints_a_dash() -> None:
    from rescore.report.grid import half_width

    assert half_width(float("nan")) == "±–" and half_width(0.061) == "±.06" and half_width(1.234) == "±1.23"
