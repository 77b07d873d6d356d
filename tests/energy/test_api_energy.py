"""``/api/v1/energy``: accounts, baselines, waste and a schedule, over a simulated week."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from andon.apps.energy import EnergyApp
from andon.model import Model
from andon.sim import SimResult, simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import to_iso
from api.api_helpers import Env, build

SITE = "conf/s1"


@pytest.fixture(scope="module")
def env(plant: Model) -> Iterator[tuple[Env, SimResult]]:
    store = DuckDBStore(None)
    result = simulate(plant, days=8, seed=4, sink=PipelineSink.into(store, model=plant))
    EnergyApp().fit(store, plant, until=result.end_us)
    try:
        yield build(store, plant), result
    finally:
        store.close()


def _range(result: SimResult) -> dict[str, str]:
    return {"since": to_iso(result.end_us - 7 * 86_400_000_000), "until": to_iso(result.end_us)}


def test_accounts_per_site_machine_state_and_hour(env: tuple[Env, SimResult]) -> None:
    api, result = env
    answer = api.client.get(
        "/api/v1/energy/accounts", params=_range(result), headers=api.headers("root")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["site"] for s in body["sites"]] == [SITE]
    assert body["sites"][0]["metered_kwh"] > 0
    categories = {s["category"] for s in body["states"]}
    assert {"running", "idle"} <= categories
    presses = [s for s in body["states"] if s["path"].endswith("press1")]
    assert sum(s["kwh"] for s in presses) > 0
    hours = body["hours"]
    assert len(hours) >= 24 * 6
    priced = [h for h in hours if h["price_per_kwh"] is not None]
    assert len(priced) >= 0.95 * len(hours)


def test_a_user_of_another_site_sees_no_energy(env: tuple[Env, SimResult]) -> None:
    api, result = env
    other = api.client.get(
        "/api/v1/energy/accounts", params=_range(result), headers=api.headers("viewer-lyon")
    )
    assert other.status_code == 200, other.text
    assert other.json()["states"] == []
    assert other.json()["sites"] == []
    refused = api.client.get(
        "/api/v1/energy/waste",
        params={**_range(result), "path": SITE},
        headers=api.headers("viewer-lyon"),
    )
    assert refused.status_code == 403


def test_baselines_carry_their_guideline_14_figures(env: tuple[Env, SimResult]) -> None:
    api, result = env
    answer = api.client.get(
        "/api/v1/energy/baselines",
        params={"until": to_iso(result.end_us)},
        headers=api.headers("root"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["cv_rmse_max"] == 30.0
    assert body["items"]
    for item in body["items"]:
        meets = abs(item["cv_rmse"]) <= 30.0 and abs(item["nmbe"]) <= 10.0
        assert item["meets_guideline_14"] is meets


def test_waste_findings_are_valued_largest_first(env: tuple[Env, SimResult]) -> None:
    api, result = env
    answer = api.client.get(
        "/api/v1/energy/waste", params=_range(result), headers=api.headers("root")
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert any(i["kind"] == "switch_off_idle" and i["idle_minutes"] for i in items)
    values = [i["value_per_year"] for i in items]
    assert values == sorted(values, reverse=True)


def _job(job_id: str, release: int, due: int) -> dict[str, object]:
    return {"id": job_id, "release": release, "due": due, "power_kw": [50.0] * 3,
            "machines": ["m1", "m2"]}  # fmt: skip


def test_the_schedule_moves_work_to_cheap_hours_and_names_late_jobs(
    env: tuple[Env, SimResult],
) -> None:
    api, _ = env
    body = {
        "site": SITE,
        "start": "2026-01-06T00:00:00Z",
        "steps": 24,
        "jobs": [_job("a", 6, 24), _job("b", 6, 24), _job("tight", 20, 22)],
    }
    answer = api.client.post("/api/v1/energy/schedule", json=body, headers=api.headers("root"))
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert len(plan["price_per_kwh"]) == 24
    assert plan["plan"]["energy_cost"] <= plan["asap"]["energy_cost"]
    assert plan["saving_share"] > 0
    assert plan["plan"]["late_jobs"] == ["tight"]
    assert {p["job"] for p in plan["plan"]["placements"]} == {"a", "b", "tight"}


def test_a_bad_schedule_request_names_every_problem(env: tuple[Env, SimResult]) -> None:
    api, _ = env
    body = {
        "site": SITE,
        "start": "2026-01-06T00:00:00Z",
        "steps": 24,
        "jobs": [_job("a", 5, 3), _job("a", 0, 4)],
    }
    answer = api.client.post("/api/v1/energy/schedule", json=body, headers=api.headers("root"))
    assert answer.status_code == 422, answer.text
    codes = [e["code"] for e in answer.json()["errors"]]
    assert codes == ["schedule.bad_window", "schedule.duplicate_job"]
    unknown = {**body, "site": "conf/nowhere", "jobs": [_job("a", 0, 4)]}
    refused = api.client.post("/api/v1/energy/schedule", json=unknown, headers=api.headers("root"))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "schedule.unknown_site"
