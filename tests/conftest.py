"""Shared fixtures: the CLI runner, the repo root, and the optional ../shared/real_data."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from hypothesis import settings
from typer.testing import CliRunner

# No per-example deadline: on a shared 2-core machine timing is noise, and speed is the job of
# benchmarks/. Otherwise hypothesis's own choice stands: with CI set (GitHub Actions, .ci/run) it
# loads its built-in "ci" profile, derandomised, so a CI run is reproducible and never fails on an
# example no run before it tried; a developer's runs keep exploring new examples.
settings.register_profile("rescore", settings(settings.default, deadline=None))
settings.load_profile("rescore")

#: ``RESCORE_THOROUGH=1`` runs the slow property tests with their former, larger example counts
#: (before a release, or nightly); by default they run fewer examples of the same strategies, so
#: the whole suite stays well inside CI's time budget on two cores.
THOROUGH = os.environ.get("RESCORE_THOROUGH", "") not in ("", "0")


def examples(quick: int, thorough: int) -> int:
    """``max_examples`` for a slow property test: ``quick`` in the default run, ``thorough`` with
    ``RESCORE_THOROUGH=1``."""
    return thorough if THOROUGH else quick


ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
REAL_DATA = ROOT.parent / "shared" / "real_data"


def real_data(*parts: str) -> Path:
    """Path under ../shared/real_data, skipping the test when it is absent (a user's clone)."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


def _cached_get_command(real: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``typer.testing`` turns the Typer app into a click command at every ``invoke`` (a tenth of a
    second, hundreds of times in the suite); the command is the same while the app, the shown or
    hidden state of the advanced help panels (``options.show_advanced``) and typer's switch of shell
    detection for completion (both read when the command is built) are."""
    built: dict[tuple[int, tuple[bool, ...], str | None], tuple[Any, Any]] = {}

    def get_command(app: Any) -> Any:
        from rescore.cli import options

        hidden = tuple(bool(getattr(meta, "hidden", False)) for value in vars(options).values()
                       for meta in getattr(value, "__metadata__", ()))
        key = (id(app), hidden, os.getenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"))
        if key not in built:
            built[key] = (app, real(app))  # (the app is kept so that its id is never reused)
        return built[key][1]

    return get_command


typer.testing._get_command = _cached_get_command(typer.testing._get_command)  # type: ignore[attr-defined]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _not_in_a_github_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite may itself run in GitHub Actions: no test (or subprocess it starts) annotates that
    run or writes its step outputs and summary; tests that want them set their own (issue 19)."""
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def invoke(*args: str, env: dict[str, str] | None = None):
    """Run the CLI in-process; returns the click Result (stdout and stderr kept apart)."""
    from rescore.cli.app import app

    # never append to a real GitHub step summary or outputs from the tests, nor annotate (None unsets the variable)
    base: dict[str, str | None] = {"NO_COLOR": "1", "COLUMNS": "100", "GITHUB_STEP_SUMMARY": None,
                                   "GITHUB_ACTIONS": None, "GITHUB_OUTPUT": None}
    base.update(env or {})
    return CliRunner().invoke(app, list(args), env=base, catch_exceptions=False)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
