"""``GET /api/v1/trace/{id}`` and ``/recall`` on both stores: roles, site scope, problems."""

from __future__ import annotations

import pytest
from trace_plant import write_plant

from andon.model import Model
from andon.store import Store
from api.api_helpers import Env, build


@pytest.fixture
def env(store: Store, example_model: Model) -> Env:
    built = build(store, example_model)
    write_plant(store)
    return built


def test_a_viewer_of_every_site_traces_backward_and_forward(env: Env) -> None:
    back = env.client.get("/api/v1/trace/GB-1", headers=env.headers("root"))
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["direction"] == "backward"
    assert body["lots"] == ["LOT-G1", "SUP-9"]
    assert {m["work_order"] for m in body["maintenance"]} == {"WO-1"}
    ahead = env.client.get(
        "/api/v1/trace/SUP-9", params={"direction": "forward"}, headers=env.headers("root")
    )
    assert ahead.status_code == 200, ahead.text
    assert [u["serial"] for u in ahead.json()["units"]] == ["GB-1", "GB-2", "HS-1", "HS-2"]


def test_a_recall_names_completed_and_in_progress_units(env: Env) -> None:
    answer = env.client.get(
        "/api/v1/trace/SUP-9/recall",
        params={"supplier": "Stahlwerk"},
        headers=env.headers("viewer-lyon"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["supplier"] == "Stahlwerk"
    # a Lyon viewer sees the Lyon units only
    assert [u["serial"] for u in body["completed"]] == ["GB-1"]
    assert all(u["site"] == "acme/lyon" for u in body["completed"] + body["in_progress"])
    whole = env.client.get("/api/v1/trace/SUP-9/recall", headers=env.headers("root")).json()
    assert "GB-2" in [u["serial"] for u in whole["in_progress"]]


def test_a_site_scoped_user_sees_only_that_sites_stations(env: Env) -> None:
    brno = env.client.get(
        "/api/v1/trace/SUP-9", params={"direction": "forward"}, headers=env.headers("viewer-brno")
    )
    assert brno.status_code == 200, brno.text
    body = brno.json()
    assert [u["serial"] for u in body["units"]] == ["GB-2"]
    assert all(v["station"].startswith("acme/brno/") for v in body["visits"])
    # a Lyon unit is, for Brno, a serial that does not exist
    hidden = env.client.get("/api/v1/trace/GB-1", headers=env.headers("viewer-brno"))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "trace.unknown"


def test_unknown_and_malformed_ids_and_no_token(env: Env) -> None:
    unknown = env.client.get("/api/v1/trace/GB-404", headers=env.headers("root"))
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "trace.unknown"
    long = env.client.get("/api/v1/trace/" + "x" * 300, headers=env.headers("root"))
    assert long.status_code == 422
    assert long.json()["code"] == "trace.invalid"
    wrong = env.client.get(
        "/api/v1/trace/GB-1", params={"direction": "sideways"}, headers=env.headers("root")
    )
    assert wrong.status_code == 422
    assert env.client.get("/api/v1/trace/GB-1").status_code == 401
