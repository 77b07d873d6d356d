"""No simulated sample leaves its tag's valid range, on every example plant andon ships."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from andon.contracts import check
from andon.model import load_model
from andon.model.schema import TagType
from andon.records import RecordKind
from andon.sim import MemorySink, simulate
from andon.sim.examples import EXAMPLE_NAMES

ROOT = Path(__file__).resolve().parents[2]
FOUND = sorted(p.name for p in (ROOT / "examples").iterdir() if any(p.glob("*.yaml")))


def test_every_example_folder_is_a_shipped_example() -> None:
    assert set(FOUND) == EXAMPLE_NAMES


@pytest.mark.parametrize("name", FOUND)
def test_no_sample_outside_its_tag_s_range(name: str) -> None:
    model = load_model(ROOT / "examples" / name)
    sink = MemorySink()
    simulate(model, days=2, seed=7, sink=sink)
    samples = sink.table(RecordKind.SAMPLE)
    assert samples.num_rows > 0
    result = check(RecordKind.SAMPLE, samples, model, now_us=2**62)
    assert result.quarantined.num_rows == 0, result.reasons()
    # and by hand, in class units, against the model's own bounds
    good = result.good.filter(pc.is_valid(result.good["value"]))
    paths = good["path"].to_pylist()
    values = good["value"].to_numpy()
    high = np.array(
        [
            np.inf if model.tags[p].definition.max is None else model.tags[p].definition.max
            for p in paths
        ],
        dtype=float,
    )
    low = np.array(
        [
            -np.inf if model.tags[p].definition.min is None else model.tags[p].definition.min
            for p in paths
        ],
        dtype=float,
    )
    outside = (values < low) | (values > high)
    assert int(outside.sum()) == 0
    boolean = np.array([model.tags[p].definition.type is TagType.BOOL for p in paths])
    assert set(np.unique(values[boolean]).tolist()) <= {0.0, 1.0}
