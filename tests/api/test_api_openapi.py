"""The committed OpenAPI document is the one the API serves."""

from __future__ import annotations

import json
from pathlib import Path

from andon.api import OPENAPI_PATH
from andon.api.openapi import document, render
from api.api_helpers import Env

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_document_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(document()), (
        "docs/openapi.json is stale: run python -m andon.api.openapi docs/openapi.json"
    )


def test_served_document_is_openapi_3_1_and_needs_authentication(env: Env) -> None:
    env.client.cookies.clear()
    assert env.client.get(OPENAPI_PATH).status_code == 401
    served = env.client.get(OPENAPI_PATH, headers=env.headers("viewer-lyon")).json()
    assert served["openapi"] == "3.1.0"
    assert served == json.loads(COMMITTED.read_text(encoding="utf-8"))
    schemes = served["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            assert "401" in operation["responses"] or path == "/api/v1/health", (method, path)
            assert operation["responses"]["422"]["content"].keys() == {"application/problem+json"}
