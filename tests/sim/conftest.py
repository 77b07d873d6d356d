"""A tiny plant for the simulator's statistical tests: one site, one line, short lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.model import Model, load_model

TINY = (Path(__file__).parent / "tiny.yaml").read_text(encoding="utf-8")


def tiny_model(tmp_path: Path, *, mtbf_wear: float = 40.0, mtbf_shock: float = 60.0) -> Model:
    """Write and load the tiny plant with the given lives."""
    text = TINY.replace("MTBF_WEAR", str(mtbf_wear)).replace("MTBF_SHOCK", str(mtbf_shock))
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    return load_model(file)


@pytest.fixture
def tiny(tmp_path: Path) -> Model:
    """The tiny plant with a 40 h wear life and a 60 h shock life on its press."""
    return tiny_model(tmp_path)
