"""An asset that sends readings but no states (a compressor), over HTTP: it is not shown as
"no state" with an empty States card, but with its hours of readings and its meters."""

from __future__ import annotations

import re

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon import records
from andon.model import Model
from andon.records import RecordKind
from andon.store import DuckDBStore
from andon.web import ConsoleSettings, install_console

from .conftest import MINUTE, T0, PlainSessions, _login


def test_a_compressor_shows_its_running_not_an_empty_states_card(example_model: Model) -> None:
    compressor = next(
        p for p, e in example_model.equipment.items() if e.equipment_class.id == "air_compressor"
    )
    meter = next(
        m
        for m, info in example_model.meters.items()
        if compressor.startswith(info.owner_path + "/")
    )
    store = DuckDBStore(None)
    ts = (T0 + np.arange(0, 10 * 60) * MINUTE).tolist()  # ten hours of one-minute readings
    store.write(
        RecordKind.SAMPLE,
        records.samples(
            ts=ts, path=f"{compressor}/discharge_pressure", value=[7.4] * len(ts), source="t"
        ),
    )
    store.write(
        RecordKind.ENERGY,
        records.energy(
            ts=[T0 + 15 * MINUTE * (i + 1) for i in range(40)],
            path=meter,
            kwh=[12.5] * 40,
            interval_s=900.0,
            source="t",
        ),
    )
    app = FastAPI()
    sessions = PlainSessions({"ana": ("pw", "admin", ("*",))})
    install_console(
        app, store=store, model=example_model, sessions=sessions, settings=ConsoleSettings()
    )
    with TestClient(app, headers={"accept": "text/html"}) as http:
        _login(http, "ana", "pw")
        page = http.get(f"/plant/{compressor}").text
    store.close()
    assert ">no state<" not in page
    assert "States over" not in page
    assert "reports readings, not states" in page
    assert "10 h of 168 h" in page
    assert "500 kWh" in page  # the cell's air meter, 40 x 12.5
    assert "shared with the rest of" in page


def test_a_line_page_shows_the_line_kpis_and_its_equipment(client, history) -> None:  # type: ignore[no-untyped-def]
    _, paths = history
    line = "/".join(paths[0].split("/")[:4])
    page = client.get(f"/plant/{line}").text
    assert 'id="kpis"' in page
    assert f'data-kpi-path="{line}"' in page
    assert f'data-kpi-path="{paths[0]}"' in page
    availability = re.findall(
        rf'data-kpi-path="{re.escape(line)}".*?data-kpi="availability" data-value="([0-9.]+)"',
        page,
        flags=re.S,
    )
    assert availability
    assert 0 < float(availability[0]) <= 1
