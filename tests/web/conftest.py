"""Fixtures of the console tests: a small store of plant history and a logged-in client."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon import records
from andon.errors import AuthError
from andon.model import Model
from andon.records import RecordKind
from andon.store import DuckDBStore, Store
from andon.web import ConsoleSettings, install_console
from andon.web._overview import add_overview_routes

T0 = int(dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp() * 1_000_000)
MINUTE = 60_000_000


def write_history(store: Store, model: Model, *, days: int = 5, equipment: int = 4) -> list[str]:
    """Write a few days of samples, states, work orders and stock for some equipment."""
    rng = np.random.default_rng(5)
    paths = sorted(model.equipment)[:equipment]
    minutes = days * 24 * 60
    ts = T0 + np.arange(minutes, dtype=np.int64) * MINUTE
    states = ["running", "idle", "running", "unplanned_down", "running", "setup"]
    for path in paths:
        info = model.equipment[path]
        for tag in info.equipment_class.tags:
            low, high = tag.min or 0.0, tag.max or 100.0
            values = low + (high - low) * (0.3 + 0.05 * rng.standard_normal(minutes).cumsum() / 40)
            store.write(
                RecordKind.SAMPLE,
                records.samples(
                    ts=ts.tolist(), path=f"{path}/{tag.name}", value=values.tolist(), source="test"
                ),
            )
        change = ts[::45]
        store.write(
            RecordKind.STATE,
            records.states(
                ts=change.tolist(),
                path=path,
                state=[states[i % len(states)] for i in range(len(change))],
                source="test",
            ),
        )
    first = paths[0]
    mode = model.equipment[first].equipment_class.failure_modes[0]
    store.write(
        RecordKind.MAINTENANCE,
        records.maintenance(
            ts=[T0 + 600 * MINUTE, T0 + 700 * MINUTE],
            work_order="WO-1",
            path=first,
            kind="failure",
            event=["opened", "closed"],
            failure_mode=mode.id,
            parts=json.dumps({next(iter(mode.parts), "none"): 1}),
            source="test",
        ),
    )
    site = "/".join(first.split("/")[:2])
    for part in mode.parts:
        store.write(
            RecordKind.INVENTORY,
            records.inventory(ts=[T0], part=part, site=site, on_hand=3, on_order=1, source="test"),
        )
    return paths


@dataclass(frozen=True)
class _User:
    username: str
    role: str
    sites: tuple[str, ...]

    def can_see(self, path: str | None) -> bool:
        return "*" in self.sites or (
            path is not None and "/".join(path.split("/")[:2]) in self.sites
        )


class PlainSessions:
    """A session backend over a fixed table of users, for the pages' own tests."""

    def __init__(self, users: dict[str, tuple[str, str, tuple[str, ...]]]) -> None:
        self.users = users
        self.live: dict[str, str] = {}

    def start(self, username: str, password: str, request: object) -> str:
        entry = self.users.get(username)
        if entry is None or entry[0] != password:
            raise AuthError("unknown user or wrong password")
        secret = f"s-{username}-{len(self.live)}"
        self.live[secret] = username
        return secret

    def principal(self, secret: str) -> _User:
        username = self.live.get(secret)
        if username is None:
            raise AuthError("session expired")
        _, role, sites = self.users[username]
        return _User(username, role, sites)

    def end(self, secret: str) -> None:
        self.live.pop(secret, None)


@pytest.fixture
def history(example_model: Model) -> Iterator[tuple[Store, list[str]]]:
    store = DuckDBStore(None)
    paths = write_history(store, example_model)
    yield store, paths
    store.close()


@pytest.fixture
def console_app(
    example_model: Model, history: tuple[Store, list[str]]
) -> tuple[FastAPI, PlainSessions]:
    store, _ = history
    sessions = PlainSessions(
        {
            "ana": ("ana-password", "admin", ("*",)),
            "lea": ("lea-password", "viewer", ("acme/brno",)),
        }
    )
    app = FastAPI()
    console = install_console(
        app, store=store, model=example_model, sessions=sessions, settings=ConsoleSettings()
    )
    add_overview_routes(app, console)
    return app, sessions


def _login(client: TestClient, username: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": password, "next": "/plant"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def client(console_app: tuple[FastAPI, PlainSessions]) -> Iterator[TestClient]:
    app, _ = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        _login(http, "ana", "ana-password")
        yield http


@pytest.fixture
def login():  # type: ignore[no-untyped-def]
    """Log a test client in as a user."""
    return _login
