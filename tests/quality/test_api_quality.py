"""The quality endpoints of the REST API on three simulated days of the SMT example."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from andon.apps.quality import HOLD, QualityApp
from andon.decisions import Principal, Role
from andon.model import Model, load_model
from andon.proposals import Action, Proposal
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import HOUR_US
from api.api_helpers import Env, build

SMT = Path(__file__).resolve().parents[2] / "examples" / "smt"


@dataclass(frozen=True, slots=True)
class Api:
    env: Env
    model: Model
    now: int


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    model = load_model(SMT)
    store = DuckDBStore(None)
    result = simulate(model, days=3.0, seed=1, sink=PipelineSink.into(store, model=model))
    QualityApp().fit(store, model, until=result.end_us)
    try:
        yield Api(env=build(store, model), model=model, now=result.end_us)
    finally:
        store.close()


def _station(model: Model, cell: str) -> str:
    return next(p for p in sorted(model.equipment) if p.split("/")[4] == cell)


def test_an_spc_chart_has_limits_zones_and_the_rules_on_its_points(api: Api) -> None:
    station = _station(api.model, "print")
    answer = api.env.client.get(
        "/api/v1/quality/spc",
        params={"product": "PCB-CTRL", "station": station, "parameter": "paste_height"},
        headers=api.env.headers("root"),
    )
    assert answer.status_code == 200, answer.text
    chart = answer.json()
    assert chart["lower"] < chart["centre"] < chart["upper"]
    assert chart["zones"] == sorted(chart["zones"])
    assert chart["zones"][0] == pytest.approx(chart["lower"])
    assert (chart["lsl"], chart["usl"]) == (100, 140)
    points = chart["points"]
    assert len(points) > 100
    beyond = [p for p in points if not chart["lower"] <= p["value"] <= chart["upper"]]
    assert all(p["rules"] for p in beyond)
    assert all(p["zone"] == 3 for p in beyond)


def test_an_spc_chart_without_data_says_why(api: Api) -> None:
    station = _station(api.model, "print")
    answer = api.env.client.get(
        "/api/v1/quality/spc",
        params={"product": "PCB-CTRL", "station": station, "parameter": "no_such"},
        headers=api.env.headers("root"),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "quality.no_data"
    unknown = api.env.client.get(
        "/api/v1/quality/spc",
        params={"product": "NOPE", "station": station, "parameter": "paste_height"},
        headers=api.env.headers("root"),
    )
    assert unknown.status_code == 404


def test_t2_and_spe_come_with_the_contributions_of_each_alarm(api: Api) -> None:
    answer = api.env.client.get(
        "/api/v1/quality/multivariate",
        params={"product": "PCB-CTRL", "false_alarm_rate": 0.01},
        headers=api.env.headers("root"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["limits"]) == {"t2", "spe"}
    assert len(body["t2"]) == len(body["serials"]) == len(body["spe"])
    assert body["alarms"]
    for alarm in body["alarms"]:
        assert alarm["value"] > alarm["limit"]
        assert set(alarm["contributions"]) == set(body["variables"])
        assert sum(alarm["contributions"].values()) == pytest.approx(alarm["value"], rel=1e-6)


def test_a_unit_page_has_its_genealogy_signature_risk_and_factors(api: Api) -> None:
    chart = api.env.client.get(
        "/api/v1/quality/spc",
        params={
            "product": "PCB-CTRL",
            "station": _station(api.model, "print"),
            "parameter": "paste_height",
        },
        headers=api.env.headers("root"),
    ).json()
    serial = chart["points"][len(chart["points"]) // 2]["serial"]
    answer = api.env.client.get(f"/api/v1/quality/units/{serial}", headers=api.env.headers("root"))
    assert answer.status_code == 200, answer.text
    unit = answer.json()
    assert unit["product"] == "PCB-CTRL"
    assert unit["genealogy"]
    assert {row["parameter"] for row in unit["signature"]} >= {"paste_height"}
    assert unit["p_latent"] is not None
    assert 0.0 < unit["p_latent"] < 1.0
    assert unit["model_version"].startswith("quality-")
    missing = api.env.client.get("/api/v1/quality/units/NOPE-1", headers=api.env.headers("root"))
    assert missing.status_code == 404
    assert missing.json()["code"] == "quality.unknown_unit"


def test_held_units_and_lots_are_those_of_approved_holds(api: Api) -> None:
    station = _station(api.model, "ict")
    hold = Proposal(
        app="quality",
        subject=station,
        action=Action(kind=HOLD, subject=station, units=("U-1", "U-2"), lots=("LOT-9",)),
        expected_value=500.0,
        confidence=0.8,
        explanation="two units of a risky lot",
        created_at=api.now,
        expires_at=api.now + 8 * HOUR_US,
        supersede_key=HOLD,
    )
    (record,) = api.env.decisions.propose([hold], now=api.now)
    before = api.env.client.get("/api/v1/quality/held", headers=api.env.headers("root"))
    assert before.status_code == 200
    assert record.id not in {h["decision_id"] for h in before.json()}
    admin = Principal(username="root", role=Role.ADMIN, sites=("*",))
    api.env.decisions.approve(record.id, who=admin, now=api.now)
    held = api.env.client.get("/api/v1/quality/held", headers=api.env.headers("root")).json()
    mine = next(h for h in held if h["decision_id"] == record.id)
    assert mine["units"] == ["U-1", "U-2"]
    assert mine["lots"] == ["LOT-9"]
    assert mine["station"] == station
