"""The API against its own OpenAPI document: no 500s, every response matches the schema.

Schemathesis generates valid (positive) and invalid (negative) requests for every operation
of the document the app serves, a few examples each so that the run stays short, and checks
status codes, content types, headers and bodies against that document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from andon.api import OPENAPI_PATH
from andon.model import load_model
from andon.store import open_store
from api.api_helpers import Env, build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "discrete"
LYON = "acme/lyon/machining/m1/milling/mill1"
MAX_EXAMPLES = 10

_store = open_store("duckdb://:memory:")
ENV: Env = build(_store, load_model(EXAMPLES))
for _i in range(3):
    ENV.propose(f"{LYON}{_i}")
SCHEMA = schemathesis.openapi.from_asgi(OPENAPI_PATH, ENV.app, headers=ENV.headers("root"))
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}
CALLS: Counter[str] = Counter()

SEMANTIC = [positive_data_acceptance]
"""Checks left out: a schema-valid request may still be refused with a 422 problem when it
breaks a rule a JSON schema cannot state (``until`` before ``since``, a cursor this API did
not give out, an escalation rule with neither condition). Every such answer is still checked
against the document (status, content type, problem body) by the other checks."""


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    total = sum(CALLS.values())
    print(f"\nschemathesis: {len(OPERATIONS)} operations, {total} requests checked")
    _store.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_conforms_to_its_openapi_document(label: str, mode: GenerationMode) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        # a fresh admin token per request: logout revokes the token it is called with
        token = ENV.token_for("root")
        ENV.client.cookies.clear()
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, excluded_checks=SEMANTIC
        )
        CALLS[label] += 1

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            pytest.skip(f"{label} takes no input that could be invalid")
        raise
