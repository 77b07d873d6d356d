"""The console's flow page: the flow map drawn server-side as SVG, and the waiting by cause."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon.model import Model
from andon.store import DuckDBStore
from andon.web import ConsoleSettings, install_console
from andon.web._flow import flow_map
from web.conftest import PlainSessions, _login

from .flow_samples import fill


@pytest.fixture
def client(example_model: Model) -> Iterator[TestClient]:
    store = DuckDBStore(None)
    fill(store)
    sessions = PlainSessions(
        {
            "ana": ("ana-password", "admin", ("*",)),
            "lea": ("lea-password", "viewer", ("acme/brno",)),
        }
    )
    app = FastAPI()
    install_console(
        app, store=store, model=example_model, sessions=sessions, settings=ConsoleSettings()
    )
    with TestClient(app, headers={"accept": "text/html"}) as http:
        yield http
    store.close()


def test_the_flow_page_draws_the_map_and_the_causes(client: TestClient) -> None:
    _login(client, "ana", "ana-password")
    page = client.get("/flow")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<svg class="chart flow"' in html
    assert 'data-activity="processed at reflow"' in html
    assert 'data-source="processed at print" data-target="processed at reflow"' in html
    assert "<script" not in html.split("<h1>Flow</h1>")[1]
    assert "http" not in html.split('<svg class="chart flow"')[1].split("</svg>")[0]
    assert "hold" in html  # the waiting by cause


def test_a_scoped_user_gets_no_map(client: TestClient) -> None:
    _login(client, "lea", "lea-password")
    html = client.get("/flow").text
    assert "shown to users who see every site" in html
    assert '<svg class="chart flow"' not in html


def test_the_map_escapes_names_and_colours_by_median() -> None:
    edges = pl.DataFrame(
        {
            "source": ["<a>", "b"],
            "target": ["b", "c"],
            "frequency": [5, 1],
            "median_s": [10.0, 1000.0],
        }
    )
    svg = str(flow_map(edges, {"<a>": 0.0, "b": 1.0, "c": 2.0}))
    assert "<a>" not in svg
    assert "&lt;a&gt;" in svg
    quick = svg.split('data-source="b"', maxsplit=1)[0]
    assert "hsl(119, 70%, 40%)" in quick  # the quick edge is green
    assert "hsl(0, 70%, 40%)" in svg  # the slowest edge is red
