"""The bundled configs (``configs/``) load as PyYAML's own safe loader reads them, and a broken
config is one error naming its file and line."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rescore.config import bundled_config_dir, read_yaml
from rescore.errors import InputError


@pytest.mark.parametrize("path", sorted(bundled_config_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_config_reads_as_the_python_safe_loader_reads_it(path: Path) -> None:
    with path.open(encoding="utf-8") as handle:
        expected = yaml.load(handle, Loader=yaml.SafeLoader)
    assert read_yaml(path) == expected
    assert expected  # not an empty file


def test_a_broken_config_names_its_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "abstention.yaml"
    broken.write_text("whole:\n  - i don't know\npatterns: [a,\nanswer_markers: []\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_yaml(broken)
    assert caught.value.path == str(broken)
    assert caught.value.line == 5
    assert "invalid YAML" in str(caught.value)


def test_a_config_holding_python_objects_is_refused(tmp_path: Path) -> None:
    unsafe = tmp_path / "names.yaml"
    unsafe.write_text("models: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid YAML"):
        read_yaml(unsafe)
