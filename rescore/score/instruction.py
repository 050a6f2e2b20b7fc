"""The explicit confidence-target instruction of Kalai et al. (2025), for any t."""

from __future__ import annotations

from rescore.score.rule import check_threshold, penalty


def _number(x: float) -> str:
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return text if text else "0"


def _points(x: float) -> str:
    return f"{_number(x)} point" + ("" if x == 1 else "s")


def confidence_target_instruction(t: float, idk_credit: float = 0.0) -> str:
    """E.g. t=0.9: "Answer only if you are more than 90% confident, since mistakes are penalized
    9 points, while correct answers receive 1 point, and an answer of 'I don't know' receives 0 points."
    """
    t = check_threshold(t)
    percent = _number(t * 100)
    return (
        f"Answer only if you are more than {percent}% confident, since mistakes are penalized "
        f"{_points(penalty(t))}, while correct answers receive 1 point, and an answer of "
        f"'I don't know' receives {_points(idk_credit)}."
    )
