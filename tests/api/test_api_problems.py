"""A 422 lists every problem with its code and location, the same list the CLI prints; every
andon error answers with its family's status and its own code."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from andon import load_model
from andon.api.problems import install
from andon.cli import app as cli
from andon.decisions.errors import DecisionNotFoundError, NotAuthenticatedError
from andon.errors import (
    AndonError,
    ConnectError,
    ExecutionError,
    InsufficientHistoryError,
    KpiError,
    ModelError,
    Problem,
    StoreError,
    UnknownAppError,
    UsageError,
)
from api.api_helpers import Env

LYON = "acme/lyon/machining/m1/milling/mill1"

BROKEN = """\
enterprise: {id: acme}
equipment_classes:
  - id: press
    tags: [{name: temperature, unit: degC}]
parts:
  - {id: SEAL, unit_cost: -5, lead_time_days: 3}
sites:
  - id: plant
    timezone: Mars/Olympus
    areas:
      - id: area
        lines:
          - id: line1
            cells:
              - id: pressing
                equipment:
                  - {id: p1, class: presss}
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN)
    return file


def _raising(error: AndonError) -> TestClient:
    """A bare app with andon's problem handlers and one route that raises ``error``."""
    app = FastAPI()
    install(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def _model_error(path: Path) -> ModelError:
    with pytest.raises(ModelError) as raised:
        load_model(path)
    return raised.value


def test_a_bad_payload_lists_every_problem_with_code_and_location(env: Env) -> None:
    record = env.propose(LYON)
    response = env.client.post(
        f"/api/v1/decisions/{record.id}/reject",
        json={"reason": 42, "extra": 1},
        headers=env.headers("admin-lyon"),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "request.invalid"
    found = {(item["code"], item["loc"]) for item in body["errors"]}
    assert found == {
        ("request.string_type", "body.reason"),
        ("request.extra_forbidden", "body.extra"),
    }
    for item in body["errors"]:
        assert item["message"]
        assert item["path"] == item["loc"]
        assert item["loc"] in body["detail"]


def test_a_repeated_query_parameter_is_a_problem_of_the_same_shape(env: Env) -> None:
    response = env.client.get(
        "/api/v1/decisions?limit=1&limit=2", headers=env.headers("admin-lyon")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        Problem(
            code="request.repeated", message="given more than once", path="query.limit"
        ).to_json()
    ]


def test_the_api_and_the_cli_show_the_same_problems_of_a_bad_model(broken: Path) -> None:
    error = _model_error(broken)
    assert len(error.problems) >= 3
    expected = Problem.ordered(error.problems)

    response = _raising(error).get("/boom")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "model.invalid"
    assert body["detail"] == error.summary
    assert body["errors"] == [problem.to_json() for problem in expected]
    assert {item["code"] for item in body["errors"]} >= {
        "model.unknown_class",
        "model.unknown_timezone",
    }
    assert all(item["file"] == str(broken) and item["line"] for item in body["errors"])

    result = CliRunner().invoke(cli, ["model", "validate", str(broken)])
    assert result.exit_code == 2
    printed = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert printed == [str(problem) for problem in expected]
    assert printed == [
        f"{item['loc']}: {item['message']} (expected {item['expected']}) [{item['code']}]"
        for item in body["errors"]
    ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (KpiError("no such grain 'fortnight'"), 422, "kpi.invalid"),
        (DecisionNotFoundError("no decision d-1"), 404, "decision.not_found"),
        (NotAuthenticatedError("token expired"), 401, "auth.not_authenticated"),
        (UnknownAppError(app="quality", known=["maintenance"]), 404, "app.unknown"),
        (InsufficientHistoryError("3 failures, 5 needed", app="maintenance"), 409,
         "app.insufficient_history"),
        (StoreError("locked", code="store.locked"), 503, "store.locked"),
    ],
)  # fmt: skip
def test_each_family_answers_with_its_status_and_the_error_code(
    error: AndonError, status: int, code: str
) -> None:
    response = _raising(error).get("/boom")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"].endswith(f"/problems/{code}")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UsageError("Runtime.start() called twice"), 500),
        (AndonError("a bare error"), 500),
        (ConnectError("broker 10.0.0.7:1883 refused"), 502),
        (ExecutionError("CMMS at 10.0.0.9 answered 500", decision_id="d-9"), 502),
        (StoreError("psql: relation t_x.decisions is locked"), 503),
    ],
)
def test_a_server_side_failure_logs_its_message_and_does_not_show_it(
    error: AndonError, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="andon.api"):
        response = _raising(error).get("/boom")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == error.code
    assert str(error) not in response.text
    assert "10.0.0" not in response.text
    assert str(error) in caplog.text
