"""Help tells the truth (issue 19, point 2).

Every command's ``--help`` (with the advanced flags shown, as the CLI reference has them) must show
each option's help text as written (rich markup used to swallow ``[plots]``, ``[default: ...]`` and
``[required]``), its default, ``[required]`` when required, and every choice of a closed set.
Choices are validated (exit 2) and offered by shell completion, which installs with
``--install-completion``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from rescore.cli import options
from rescore.cli.app import app, command_names

from .conftest import invoke

WIDE = {"COLUMNS": "400"}  # nothing wraps, so each text is on one line of the help


def _flat(text: str) -> str:
    """The help's words, box drawing and line breaks removed."""
    return " ".join(text.replace("│", " ").replace("╭", " ").replace("╰", " ").split())


def _full_help(command: str) -> str:
    options.show_advanced(True)
    try:
        result = invoke(command, "--help", env=WIDE)
    finally:
        options.show_advanced(False)
    assert result.exit_code == 0, result.output
    return _flat(result.stdout)


def _default_text(param: Any) -> str | None:
    """What ``[default: ...]`` must say for this option, or None when it has no default to show."""
    default = param.default
    if param.is_flag or default is None or default == () or default == []:
        return None
    return str(default)


@pytest.mark.parametrize("command", command_names())
def test_every_option_shows_its_help_default_choices_and_required(command: str) -> None:
    text = _full_help(command)
    options.show_advanced(True)  # the advanced flags are checked too (as --help-all and docs/cli.md show them)
    try:
        cli = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    finally:
        options.show_advanced(False)
    assert any(p.name == "model_col" for p in cli.params) or command not in ("leaderboard", "check")
    doc = inspect.cleandoc(cli.callback.__doc__ or "")
    for paragraph in doc.split("\n\n"):  # the docstring as written (markup-looking brackets included)
        assert _flat(paragraph) in text, paragraph
    # (typer vendors its own click: its parameters are told apart by ``param_type_name``)
    checked = 0
    for param in cli.params:
        if getattr(param, "hidden", False):
            continue
        is_option = param.param_type_name == "option"
        name = param.opts[-1] if is_option else param.human_readable_name
        if getattr(param, "help", None):  # as written (the app escapes "[" for rich: undo that to compare)
            assert _flat(param.help.replace("\\[", "[")) in text, f"{command} {name}: help text altered"
            checked += 1
        for choice in getattr(param.type, "choices", None) or ():
            assert str(choice) in text, f"{command} {name}: choice {choice} not shown"
        if param.required:
            assert "[required]" in text
        if is_option:
            shown = _default_text(param)
            if shown is not None and param.show_default is not False:
                assert f"[default: {shown}]" in text, f"{command} {name}: default {shown} not shown"
            elif param.show_default is False and shown is not None:
                assert "[default:" in (param.help or ""), f"{command} {name}: default {shown} hidden"
    # the loop saw the command's options (a command group such as ``cache`` has its own in each subcommand)
    assert checked or not any(getattr(p, "help", None) for p in cli.params)


def test_help_keeps_square_brackets_and_the_documented_defaults() -> None:
    leaderboard = _flat(invoke("leaderboard", "--help", env=WIDE).stdout)
    assert "[default: 0 0.5 0.75 0.9]" in leaderboard  # -t: was eaten as a markup tag
    assert "<wrong|correct|abstain>" in leaderboard and "[default: wrong]" in leaderboard
    report = _flat(invoke("report", "--help", env=WIDE).stdout)
    assert "[required]" in report


@pytest.mark.parametrize(("flag", "value"), [("--partial", "sometimes"), ("--format", "xml"), ("--ties", "maybe"),
                                             ("--engine", "spark"), ("--cluster", "row")])
def test_a_value_outside_the_choices_is_a_usage_error(flag: str, value: str) -> None:
    result = invoke("leaderboard", "sample_data", flag, value)
    assert result.exit_code == 2
    assert value in result.stderr and "is not one of" in result.stderr


def _complete(words: str) -> list[str]:
    from rescore.cli.app import build_app

    env = {"_RESCORE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()))}
    result = CliRunner().invoke(build_app(), [], env=env, prog_name="rescore")
    return result.stdout.split()


def test_completion_offers_the_choices() -> None:
    assert _complete("rescore leaderboard --partial ") == ["wrong", "correct", "abstain"]
    assert set(_complete("rescore compare --correction ")) == {"holm", "bh", "none"}
    assert {"binary", "kalai"} <= set(_complete("rescore leaderboard --preset "))
    assert "leaderboard" in _complete("rescore ")


def test_install_completion_writes_the_bash_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # typer detects the running shell (shellingham) unless told not to; then --install-completion takes its name
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = CliRunner().invoke(app, ["--install-completion", "bash"], env={"HOME": str(tmp_path)},
                                prog_name="rescore")
    assert result.exit_code == 0, result.output
    assert "_RESCORE_COMPLETE" in (tmp_path / ".bash_completions" / "rescore.sh").read_text()
    assert ".bash_completions/rescore.sh" in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["leaderboard", "--help"], ["compare", "-h"],
                                  ["cache", "info", "--help"]])
def test_help_and_version_never_import_the_data_stages(argv: list[str]) -> None:
    """``--help``, ``--version`` and shell completion build the app: its commands import their
    reading, scoring and reporting stages (pandas, numpy: 0.5 s) only when they run, so help
    answers in a fifth of a second. Run in a fresh interpreter, where nothing is imported yet."""
    import subprocess
    import sys

    code = ("import sys\n"
            f"sys.argv = ['rescore', *{argv!r}]\n"
            "from rescore.cli.app import main\n"
            "try:\n    main()\nexcept SystemExit as stop:\n    assert stop.code in (0, None), stop.code\n"
            "heavy = sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules)\n"
            "print('IMPORTED', heavy)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "IMPORTED []", done.stdout[-300:]
