"""Output where the user means it, whole or not at all.

A regular file is written to a temporary file beside it and renamed over it, so an interrupted
run leaves either the old file or the complete new one. A symbolic link is followed: its target
is replaced the same way (beside the target), and the link stays a link. A device, FIFO or
other non-regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written to directly,
never replaced by a regular file; ``-`` is standard output. Commands that write several files
stage all of them first and rename them together (:func:`write_many`): when one fails, none of
the old files is replaced. An output path that is also an input is refused, so inputs are never
modified; an unwritable target is one :class:`~rescore.errors.OutputError` naming it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rescore.errors import OutputError, UsageError

STDOUT = "-"

Writer = Callable[[Path], None]


def is_stdout(target: str | Path | None) -> bool:
    """``-o -``: the output is standard output."""
    return target is not None and str(target) == STDOUT


def check_not_input(target: Path, inputs: Iterable[str | Path]) -> None:
    if is_stdout(target):
        return
    target_resolved = target.resolve()
    for raw in inputs:
        src = Path(raw).resolve()
        if target_resolved == src or (src.is_dir() and src in target_resolved.parents and target.exists()
                                      and _is_input_file(target_resolved, src)):
            raise UsageError(f"refusing to write {target}: it is one of the inputs")


def _is_input_file(target: Path, folder: Path) -> bool:
    return target.is_file() and folder in target.parents


@dataclass
class _Staged:
    """One output written to ``tmp``, waiting to be moved (``replace``) or copied to ``final``."""

    target: Path  # as the user named it (for messages)
    final: Path | None  # the real path written (None: standard output)
    tmp: Path
    replace: bool  # rename tmp over final (a regular file) or copy its bytes into final (anything else)


def _cannot(target: Path, exc: OSError, doing: str = "write") -> OutputError:
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"cannot {doing} {target}: {reason}")


def _stage(target: Path, write: Writer) -> _Staged:
    """Run ``write`` into a temporary file for ``target``; nothing at ``target`` changes yet."""
    if is_stdout(target):
        final, replace = None, False
    else:
        final = Path(os.path.realpath(target))  # a symlink (or a chain of them) names its target
        try:
            mode = os.stat(final).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise _cannot(target, exc) from None
        if mode is not None and stat.S_ISDIR(mode):
            raise OutputError(f"cannot write {target}: it is a folder")
        replace = mode is None or stat.S_ISREG(mode)
    try:
        if replace:
            assert final is not None
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        else:  # a device, a FIFO or stdout is never renamed over: the bytes are staged elsewhere
            fd, tmp_name = tempfile.mkstemp(prefix=".rescore-out.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise _cannot(target, exc) from None
    tmp = Path(tmp_name)
    try:
        write(tmp)
    except OSError as exc:  # disk full, quota: name the output, not the temporary file
        _discard(tmp)
        raise _cannot(target, exc) from None
    except BaseException:
        _discard(tmp)
        raise
    return _Staged(target, final, tmp, replace)


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def _commit(staged: _Staged) -> None:
    try:
        if staged.replace:
            assert staged.final is not None
            # mkstemp makes the file private (0600); give the result the mode a plain open() would have
            os.chmod(staged.tmp, 0o666 & ~_umask())
            os.replace(staged.tmp, staged.final)
            return
        with staged.tmp.open("rb") as source:
            if staged.final is None:
                sys.stdout.flush()
                shutil.copyfileobj(source, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                with staged.final.open("wb") as sink:  # opens the device or FIFO as it is (no O_CREAT race)
                    shutil.copyfileobj(source, sink)
    except OSError as exc:
        raise _cannot(staged.target, exc) from None
    finally:
        _discard(staged.tmp)


def write_many(outputs: Sequence[tuple[str | Path, Writer]]) -> list[Path]:
    """Write several outputs all or nothing: every one is staged first; only when all succeeded
    are they moved into place, one rename each (the renames cannot fail half-way for want of
    space: the bytes are already on disk)."""
    staged: list[_Staged] = []
    try:
        for target, write in outputs:
            staged.append(_stage(Path(target), write))
    except BaseException:
        for done in staged:
            _discard(done.tmp)
        raise
    committed = 0
    try:
        for item in staged:
            _commit(item)
            committed += 1
    except BaseException:
        for rest in staged[committed:]:
            _discard(rest.tmp)
        raise
    return [Path(target) for target, _ in outputs]


def write_atomic(target: str | Path, write: Writer) -> Path:
    """Call ``write(tmp_path)`` then put the result at ``target`` (see the module docstring)."""
    return write_many([(target, write)])[0]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def text_writer(text: str) -> Writer:
    return lambda p: p.write_text(text, encoding="utf-8")


def write_text_atomic(target: str | Path, text: str) -> Path:
    return write_atomic(target, text_writer(text))
