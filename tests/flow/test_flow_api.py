"""``/api/v1/flow``: the graph, delays, bottleneck and OCEL 2.0 export of the small plant
history on both stores, with roles and site scope."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from andon import ocel
from andon.model import Model
from andon.store import Store
from api.api_helpers import Env, build

from .flow_samples import LINE, fill

EVERYTHING = {"since": "1970-01-01T00:00:00Z", "until": "1970-01-01T10:00:00Z"}


@pytest.fixture
def env(store: Store, example_model: Model) -> Env:
    built = build(store, example_model)
    fill(store)
    return built


def test_the_graph_of_units_and_orders(env: Env) -> None:
    answer = env.client.get(
        "/api/v1/flow/graph", params={**EVERYTHING, "object_type": "unit"},
        headers=env.headers("root"),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    edges = answer.json()["edges"]
    moves = [e for e in edges if (e["source"], e["target"]) == ("consumed", "processed at print")]
    assert moves[0]["frequency"] == 4
    assert {e["object_type"] for e in edges} == {"unit"}
    # by default: the week up to the newest order or unit record
    default = env.client.get("/api/v1/flow/graph", headers=env.headers("root")).json()
    assert default["range"]["end"].startswith("1970-01-01T06:00:00")


def test_delays_and_the_bottleneck(env: Env) -> None:
    delays = env.client.get("/api/v1/flow/delays", params=EVERYTHING, headers=env.headers("root"))
    assert delays.status_code == 200, delays.text
    causes = {(c["station"].rsplit("/", 2)[-2], c["cause"]) for c in delays.json()["causes"]}
    assert ("reflow", "hold") in causes
    lines = env.client.get(
        "/api/v1/flow/bottleneck", params=EVERYTHING, headers=env.headers("root")
    ).json()["lines"]
    assert [line["line"] for line in lines] == [LINE]


def test_a_site_scoped_user_sees_its_sites_only(env: Env) -> None:
    lyon = env.headers("viewer-lyon")
    delays = env.client.get("/api/v1/flow/delays", params=EVERYTHING, headers=lyon)
    assert delays.status_code == 200
    assert delays.json()["causes"] == []  # the history is of another site
    graph = env.client.get("/api/v1/flow/graph", params=EVERYTHING, headers=lyon)
    assert graph.status_code == 403
    assert graph.json()["code"] == "flow.scoped"
    export = env.client.get("/api/v1/flow/ocel", headers=lyon)
    assert export.status_code == 403  # a viewer may not export the log


@pytest.mark.parametrize("fmt", ["ocel-json", "ocel-xml", "ocel-sqlite"])
def test_the_ocel_export_reads_back(env: Env, fmt: str, tmp_path: Path) -> None:
    answer = env.client.get(
        "/api/v1/flow/ocel", params={**EVERYTHING, "format": fmt}, headers=env.headers("root")
    )
    assert answer.status_code == 200, answer.text
    if fmt == "ocel-sqlite":
        target = tmp_path / "flow.sqlite"
        target.write_bytes(answer.content)
        with sqlite3.connect(target) as con:
            assert con.execute("SELECT count(*) FROM event").fetchone()[0] > 0
        log = ocel.read(target)
    else:
        log = ocel.loads(answer.content, fmt)  # type: ignore[arg-type]
    assert "quality_hold" in set(log.objects["type"])


def test_a_range_that_ends_before_it_starts(env: Env) -> None:
    answer = env.client.get(
        "/api/v1/flow/delays",
        params={"since": "1970-01-02T00:00:00Z", "until": "1970-01-01T00:00:00Z"},
        headers=env.headers("root"),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "range.invalid"
