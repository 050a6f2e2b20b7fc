"""The package tree is the data flow: stages import only the stages below them, and nothing cycles.

Two checks, both over every import statement in ``rescore/`` (module level, inside functions and
under ``TYPE_CHECKING`` alike, since a lazy import is still a dependency):

* import-linter's contracts in ``pyproject.toml`` (run when ``lint-imports`` is installed, as in
  the test extra), and the same layer order checked here directly so the rule holds without it;
* no cycles, counting a package's ``__init__`` as a module like any other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rescore"
#: highest first; a stage may import only stages after it in this list
STAGES = ("rescore.cli", "rescore.report", "rescore.score", "rescore.adapters", "rescore.outcomes", "rescore.read")
FOUNDATION = ("rescore.errors", "rescore.config", "rescore.version")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every rescore module that ``name`` imports (names resolved to the deepest existing module)."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            candidates = [f"{module}.{a.name}" for a in node.names] + [module]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate.startswith("rescore") and candidate != name:
                targets.add(candidate)
                break
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _stage(module: str) -> float | None:
    if module == "rescore":  # the public API: it composes the stages, and only the CLI calls it
        return 0.5
    for rank, stage in enumerate(STAGES):
        if module == stage or module.startswith(stage + "."):
            return rank
    return len(STAGES) if module in FOUNDATION else None


def test_every_module_belongs_to_a_stage_or_the_foundation() -> None:
    loose = [m for m in _modules() if _stage(m) is None and m not in ("rescore", "rescore.__main__")]
    assert loose == []


def test_stages_import_only_stages_below_them() -> None:
    wrong = []
    for module, targets in _graph().items():
        own = _stage(module)
        if own is None or module == "rescore":  # the API and __main__ compose every stage
            continue
        for target in targets:
            theirs = _stage(target)
            if theirs is None or theirs < own:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycles_anywhere() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """The two checks above can fail: a lazy upward import inside a function is found."""
    modules = {"rescore.read.x": tmp_path / "x.py", "rescore.score.y": tmp_path / "y.py"}
    modules["rescore.read.x"].write_text("def f():\n    from rescore.score.y import g\n")
    modules["rescore.score.y"].write_text("from rescore.read import x\n")
    assert _imports("rescore.read.x", modules["rescore.read.x"], modules) == {"rescore.score.y"}
    assert _imports("rescore.score.y", modules["rescore.score.y"], modules) == {"rescore.read.x"}
    assert _stage("rescore.score.y") < _stage("rescore.read.x")  # type: ignore[operator]


LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (pip install '.[test]')")
def test_import_linter_contracts_hold() -> None:
    """The contracts in pyproject.toml, as CI runs them (layers, and producers independent of each other)."""
    done = subprocess.run([str(LINT_IMPORTS)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
