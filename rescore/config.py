"""Configuration as data: thresholds, presets, abstention phrases, grade words and name maps.

Everything a user may want to tune lives in YAML under ``configs/`` (shipped inside the wheel
as ``rescore/_configs``). ``RESCORE_CONFIG_DIR`` points at another folder; files there win
over the bundled ones name by name, so a team can override one file and keep the rest.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rescore.errors import InputError

#: libyaml's safe loader when PyYAML was built with it (ten times faster: the bundled configs load
#: in 2 ms instead of 20 on every start), else the pure-Python one; both build the same objects
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_config_dir() -> Path:
    """The configs shipped with rescore: inside the wheel, or the repo's ``configs/``."""
    inside = _PACKAGE_DIR / "_configs"
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / "configs"


def config_dirs() -> list[Path]:
    """Folders searched for a config file, highest priority first."""
    dirs = []
    override = os.environ.get("RESCORE_CONFIG_DIR")
    if override:
        dirs.append(Path(override))
    dirs.append(bundled_config_dir())
    return dirs


def find_config(name: str) -> Path:
    for folder in config_dirs():
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise InputError(f"config file {name!r} not found in {', '.join(map(str, config_dirs()))}")


def read_yaml(path: str | Path) -> Any:
    """Read one YAML file, turning parse errors into an :class:`InputError` naming the line."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise InputError("file not found", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"invalid YAML ({getattr(exc, 'problem', exc)})", path=str(path), line=line) from None


@cache
def load_config(name: str) -> Any:
    """Load a named config (``"scoring.yaml"``) once per process."""
    return read_yaml(find_config(name))


def scoring_config() -> dict[str, Any]:
    return load_config("scoring.yaml")


def default_thresholds() -> list[float]:
    return [float(t) for t in scoring_config()["default_thresholds"]]


def preset(name: str) -> dict[str, Any]:
    """A named scoring preset (``binary``, ``kalai``, ``omniscience``...)."""
    presets = scoring_config()["presets"]
    if name not in presets:
        from rescore.errors import UsageError

        raise UsageError(f"unknown preset {name!r}; known: {', '.join(sorted(presets))}")
    return presets[name]
