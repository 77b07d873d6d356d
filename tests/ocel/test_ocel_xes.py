"""XES (IEEE 1849) read as an OCEL 2.0 log of cases: the control flow, bad input with its
place, and the published running example and BPI Challenge 2012 when present."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from andon import ocel
from andon.errors import OcelError

EVENT_LOGS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "event_logs"

SMALL = b"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <string key="concept:name" value="small"/>
  <trace>
    <string key="concept:name" value="c1"/>
    <event><string key="concept:name" value="register"/>
      <date key="time:timestamp" value="2026-01-01T08:00:00.000+01:00"/></event>
    <event><string key="concept:name" value="check"/>
      <date key="time:timestamp" value="2026-01-01T08:30:00.000+01:00"/></event>
  </trace>
  <trace>
    <event><date key="time:timestamp" value="2026-01-01T09:00:00Z"/>
      <string key="concept:name" value="register"/></event>
  </trace>
</log>
"""


def test_traces_become_cases(tmp_path: Path) -> None:
    path = tmp_path / "small.xes"
    path.write_bytes(SMALL)
    log = ocel.read_xes(path)
    assert log.objects.select("id", "type").rows() == [("c1", "case"), ("case-1", "case")]
    assert log.events.sort("time")["type"].to_list() == ["register", "check", "register"]
    assert log.events.sort("time")["time"][0].hour == 7  # +01:00 read as its instant
    graph = ocel.directly_follows(log)
    assert graph.edges.select("source", "target", "frequency", "mean_s").rows() == [
        ("register", "check", 1, 1800.0)
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (b"not xml at all", "ocel.not_xml"),
        (b"<events/>", "ocel.not_ocel"),
        (b'<!DOCTYPE log [<!ENTITY x "y">]><log/>', "ocel.not_xml"),
        (
            (
                b'<log><trace><event><string key="concept:name" value="a"/>'
                b'<date key="time:timestamp" value="tomorrow"/></event></trace></log>'
            ),
            "ocel.bad_time",
        ),
        (
            (
                b'<log><trace><event><date key="time:timestamp" value="2026-01-01T00:00:00Z"/>'
                b"</event></trace></log>"
            ),
            "ocel.missing_field",
        ),
    ],
)
def test_bad_input_is_reported(tmp_path: Path, text: bytes, code: str) -> None:
    path = tmp_path / "bad.xes"
    path.write_bytes(text)
    with pytest.raises(OcelError) as caught:
        ocel.read_xes(path)
    assert code in {p.code for p in caught.value.problems}


def test_running_example() -> None:
    path = EVENT_LOGS / "running-example.xes"
    if not path.exists():
        pytest.skip("the public event logs are not in ../shared/data/event_logs")
    log = ocel.read_xes(path)
    assert log.counts()["events"] == 42
    assert log.objects.height == 6
    starts = ocel.directly_follows(log).starts
    assert starts.select("activity", "objects").rows() == [("register request", 6)]
    assert log.e2o.group_by("object_id").len()["len"].sum() == 42
    assert (log.e2o["qualifier"] == "case").all()
    assert log.events.filter(pl.col("type") == "pay compensation").height == 3
