"""Model YAML is parsed by libyaml when it can, and by PyYAML's own parser when a file is bad.

Both must give the same document and the same lines; a bad file's message comes from the
pure-Python parser, which names the character it refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import ModelError
from andon.model import _yaml
from andon.model._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILES = sorted((ROOT / "examples").rglob("*.yaml"))


@pytest.mark.parametrize("file", MODEL_FILES, ids=[f.name for f in MODEL_FILES])
def test_both_parsers_give_the_same_document_and_lines(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    fast_node, fast_data = _yaml._parse(text, _yaml._FastLoader)
    slow_node, slow_data = _yaml._parse(text, _yaml._Loader)
    assert fast_data == slow_data
    assert fast_node is not None
    assert slow_node is not None
    fast_lines: dict[_yaml.Location, int] = {}
    slow_lines: dict[_yaml.Location, int] = {}
    _yaml._index_lines(fast_node, fast_lines)
    _yaml._index_lines(slow_node, slow_lines)
    assert fast_lines == slow_lines
    assert len(fast_lines) > 100


def test_a_bad_character_is_named_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("enterprise:\n  id: acme\n  name: @acme\n", encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        read_yaml(file)
    (problem,) = caught.value.problems
    assert problem.code == "yaml.syntax"
    assert problem.line == 3
    assert "'@'" in problem.message


def test_a_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    file = tmp_path / "twice.yaml"
    file.write_text("enterprise:\n  id: acme\n  id: other\n", encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        read_yaml(file)
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert "duplicate key 'id' (first on line 2)" in problem.message


def test_off_stays_a_word_on_the_fast_path() -> None:
    data = _yaml._parse("power: {off: 1, on: 2, run: true}\n", _yaml._FastLoader)[1]
    assert data == {"power": {"off": 1, "on": 2, "run": True}}
