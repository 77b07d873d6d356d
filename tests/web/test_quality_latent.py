"""The console's latent-risk pages on three simulated days of the SMT example, served by the
application ``andon serve`` runs: SPC charts with limits, zones and violations marked, T²
and SPE with an alarm's contributions, a unit's page, held units and lots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from andon.api import ApiSettings
from andon.apps.quality import HOLD, QualityApp
from andon.decisions import PasswordPolicy, Principal, Role, UserService
from andon.decisions._schema import ensure_schema
from andon.model import Model, load_model
from andon.proposals import Action, Proposal
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import HOUR_US
from andon.web._server import build_app

SMT = Path(__file__).resolve().parents[2] / "examples" / "smt"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True, slots=True)
class Console:
    client: TestClient
    model: Model
    now: int
    hold_id: str
    serial: str


@pytest.fixture(scope="module")
def console() -> Iterator[Console]:
    model = load_model(SMT)
    store = DuckDBStore(None)
    result = simulate(model, days=3.0, seed=1, sink=PipelineSink.into(store, model=model))
    QualityApp().fit(store, model, until=result.end_us)
    ensure_schema(store)
    users = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    users.add("qe", role=Role.ADMIN, sites=("*",), password=PASSWORD, actor="test")
    server = build_app(
        store=store,
        model=model,
        users=users,
        clock=lambda: result.end_us,
        api_settings=ApiSettings(password_memory_kib=1024),
    )
    decisions = server.app.state.andon.decisions
    station = next(p for p in sorted(model.equipment) if p.split("/")[4] == "ict")
    (record,) = decisions.propose(
        [
            Proposal(
                app="quality",
                subject=station,
                action=Action(kind=HOLD, subject=station, units=("HELD-UNIT-1",), lots=("L-7",)),
                expected_value=400.0,
                confidence=0.7,
                explanation="a risky lot",
                created_at=result.end_us,
                expires_at=result.end_us + 8 * HOUR_US,
                supersede_key=HOLD,
            )
        ],
        now=result.end_us,
    )
    decisions.approve(
        record.id, who=Principal(username="qe", role=Role.ADMIN, sites=("*",)), now=result.end_us
    )
    with TestClient(server.app, headers={"accept": "text/html"}) as client:
        login = client.post(
            "/login",
            data={"username": "qe", "password": PASSWORD, "next": "/quality/latent"},
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text
        serial = str(store.records(RecordKind.UNIT).column("serial")[0])
        yield Console(
            client=client, model=model, now=result.end_us, hold_id=record.id, serial=serial
        )
    store.close()


def test_the_overview_lists_charts_and_the_held_units(console: Console) -> None:
    page = console.client.get("/quality/latent")
    assert page.status_code == 200, page.text
    assert "HELD-UNIT-1" in page.text
    assert "L-7" in page.text
    assert f"/decisions/{console.hold_id}" in page.text
    assert "/quality/spc?product=PCB-CTRL" in page.text
    assert "/quality/multivariate?product=PCB-CTRL" in page.text
    assert 'id="latent-risk"' in console.client.get("/quality").text


def test_the_menu_leads_to_quality_risk_and_flow_and_marks_the_page_open(
    console: Console,
) -> None:
    overview = console.client.get("/").text
    assert '<a href="/quality/latent"' in overview
    assert '<a href="/flow"' in overview
    for path in ("/quality/latent", "/quality/multivariate?product=PCB-CTRL"):
        text = console.client.get(path).text
        current = re.findall(r'<a href="([^"]+)" class="active" aria-current="page"', text)
        assert current == ["/quality/latent"], (path, current)
    data_quality = console.client.get("/quality").text
    current = re.findall(r'<a href="([^"]+)" class="active" aria-current="page"', data_quality)
    assert current == ["/quality"]


def test_an_spc_chart_marks_the_points_that_violate_a_rule(console: Console) -> None:
    station = next(p for p in sorted(console.model.equipment) if p.split("/")[4] == "print")
    page = console.client.get(
        f"/quality/spc?product=PCB-CTRL&station={quote(station)}&parameter=paste_height"
    )
    assert page.status_code == 200, page.text
    svg = page.text
    assert 'class="chart spc"' in svg
    for limit in ("centre", "ucl", "lcl", "usl", "lsl"):
        assert f'class="limit {limit}"' in svg
    assert svg.count('class="zone"') == 4
    marked = re.findall(r'class="violation" data-rules="([^"]+)"', svg)
    table = re.search(r'id="violations"(.*?)</section>', svg, re.S)
    assert table is not None
    assert bool(marked) == ("No point violates a rule" not in table.group(1))
    assert all(rule for rule in marked)
    points = int(re.search(r'data-points="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    assert points > 100


def test_t2_and_spe_show_the_contributions_of_an_alarm(console: Console) -> None:
    page = console.client.get("/quality/multivariate?product=PCB-CTRL")
    assert page.status_code == 200, page.text
    assert "Contributions of the strongest alarm" in page.text
    assert page.text.count('class="chart"') >= 2
    assert "placement:placement_offset" in page.text or "print:paste_height" in page.text


def test_a_unit_page_shows_its_genealogy_signature_and_risk(console: Console) -> None:
    page = console.client.get(f"/quality/unit/{quote(console.serial)}")
    assert page.status_code == 200, page.text
    assert "P(latent defect)" in page.text
    assert 'id="genealogy"' in page.text
    assert "paste_height" in page.text
    assert console.client.get("/quality/unit/NO-SUCH-UNIT").status_code == 404
