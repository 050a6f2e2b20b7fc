"""Atomic output: write to a temporary file beside the target, then rename over it.

An interrupted run therefore leaves either the old file or the complete new one, never half
a file; and an output path that is also an input is refused, so inputs are never modified.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from rescore.errors import UsageError


def check_not_input(target: Path, inputs: Iterable[str | Path]) -> None:
    target_resolved = target.resolve()
    for raw in inputs:
        src = Path(raw).resolve()
        if target_resolved == src or (src.is_dir() and src in target_resolved.parents and target.exists()
                                      and _is_input_file(target_resolved, src)):
            raise UsageError(f"refusing to write {target}: it is one of the inputs")


def _is_input_file(target: Path, folder: Path) -> bool:
    return target.is_file() and folder in target.parents


def write_atomic(target: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then atomically move the result to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give the result the mode a plain open() would have
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: str | Path, text: str) -> Path:
    return write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"))
