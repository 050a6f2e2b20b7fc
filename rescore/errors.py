"""Errors that carry their exit code, so every command maps failures the same way.

The CLI turns a :class:`RescoreError` into one line on stderr and its ``exit_code``; a
library user gets an ordinary exception with the same message. Exit codes are part of
the public contract (README, "Exit codes"): 0 ok, 1 gate failed, 2 usage, 3 input/data.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3


class RescoreError(Exception):
    """Base class: a failure the user can act on, described in one line."""

    exit_code = EXIT_INPUT


class UsageError(RescoreError, ValueError):
    """The request itself is wrong (bad threshold, unknown option value, ...)."""

    exit_code = EXIT_USAGE


class InputError(RescoreError, ValueError):
    """An input file or table is unreadable or inconsistent.

    The message always names the file and, where known, the line/record and field, so the
    user can open the offending spot without a traceback.
    """

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.record = record
        self.field = field
        self.reason = message
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class GateFailed(RescoreError):
    """A requested quality gate (``rescore check``) did not hold."""

    exit_code = EXIT_GATE_FAILED


class OutputError(RescoreError):
    """An output cannot be written (no permission, a folder in the way, disk full): one line
    naming the target the user gave, not the temporary file beside it."""

    exit_code = EXIT_INPUT
