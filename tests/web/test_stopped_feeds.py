"""A feed that stops is flagged, in a real headless Chromium: "no data from <path> since
<time>" on the machine's page, on its line's and site's pages and on the overview (for a
user who may see it), and on the inbox's row of each app whose last round ran without it.

The store is written here record by record as a source would; one Lyon machine's feed ends
a day before the rest. The console is the one ``andon serve`` runs
(:func:`andon.web._server.build_app`) with a decision loop beside it, served by uvicorn on
a free loopback port.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from andon import records
from andon.decisions import PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.proposals import Action, FitReport, Outcome, Proposal
from andon.records import RecordKind
from andon.runtime import Runtime, Schedule
from andon.store import DuckDBStore
from andon.store.base import Store
from andon.time import to_iso
from andon.web import ConsoleSettings
from andon.web._render import format_time
from andon.web._server import build_app

from .conftest import MINUTE, T0
from .test_live_console import ARGS, CHROMIUM, _free_port, _require_chromium

PASSWORD = "a long test password"
DAYS = 2
END = T0 + DAYS * 24 * 60 * MINUTE
"""The last record of every live feed."""
STOP = T0 + 24 * 60 * MINUTE
"""The stopped machine's last record: a day before the others' last ones."""

pytestmark = pytest.mark.slow


@dataclass
class Plant:
    base: str
    model: Model
    stopped: str
    live: str
    runtime: Runtime


@dataclass
class _QuietApp:
    """An app that fits and proposes nothing: the loop's round is what is under test."""

    name: str = "quiet"

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        return FitReport(app=self.name, version="q1", trained_until=until, rows=1)

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        return []

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        return None


def _write_until(store: Store, model: Model, path: str, *, end: int) -> None:
    """Write a running machine's samples and states from ``T0`` to ``end``, then nothing."""
    ts = np.arange(T0, end + 1, MINUTE, dtype=np.int64)
    for tag in model.equipment[path].equipment_class.tags:
        low, high = tag.min or 0.0, tag.max or 100.0
        store.write(
            RecordKind.SAMPLE,
            records.samples(
                ts=ts.tolist(),
                path=f"{path}/{tag.name}",
                value=[low + 0.4 * (high - low)] * len(ts),
                source="test",
            ),
        )
    store.write(
        RecordKind.STATE,
        records.states(ts=[T0, end], path=path, state=["running", "running"], source="test"),
    )


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory, example_model: Model) -> Iterator[Plant]:
    _require_chromium()
    store = DuckDBStore(str(tmp_path_factory.mktemp("stopped") / "andon.duckdb"))
    ensure_schema(store)
    lyon = sorted(p for p in example_model.equipment if p.startswith("acme/lyon/"))
    # Every machine but the stopped one reports to the end; the stopped one a day less.
    stopped, live = lyon[1], lyon[0]
    for path in sorted(example_model.equipment):
        _write_until(store, example_model, path, end=STOP if path == stopped else END)
    users = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    for name, role, sites in (("admin", Role.ADMIN, ("*",)), ("brno", Role.VIEWER, ("acme/brno",))):
        users.add(name, role=role, sites=sites, password=PASSWORD, actor="test")
    runtime = Runtime(
        store=store,
        model=example_model,
        apps={"quiet": _QuietApp()},
        clock=lambda: END,
        schedule=Schedule(upkeep_every_s=0, kpi_every_s=0),
    )
    runtime.tick(END)
    server = build_app(
        store=store,
        model=example_model,
        users=users,
        runtime=runtime,
        settings=ConsoleSettings(live_every_s=0),
    )
    port = _free_port()
    web = uvicorn.Server(
        uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert web.started, "the console did not start"
    yield Plant(
        base=f"http://127.0.0.1:{port}",
        model=example_model,
        stopped=stopped,
        live=live,
        runtime=runtime,
    )
    web.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser(plant: Plant) -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser: Any, plant: Plant) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{plant.base}/login?next=/plant")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/plant$"))
        return page

    yield open_as
    for context in contexts:
        context.close()


def _flag(plant: Plant) -> str:
    return f"no data from {plant.stopped} since {format_time(STOP)} UTC"


def test_a_stopped_machine_is_flagged_on_its_page(page_as: Any, plant: Plant) -> None:
    page = page_as("admin")
    page.goto(f"{plant.base}/plant/{plant.stopped}")
    flag = page.locator(f"#stopped li[data-stopped='{plant.stopped}']")
    expect(flag).to_have_text(_flag(plant))
    expect(page.locator("#stopped h2")).to_contain_text("data quality")
    # A machine that reports to the end has no flag.
    page.goto(f"{plant.base}/plant/{plant.live}")
    expect(page.locator("h1")).to_contain_text(plant.live.rsplit("/", 1)[-1])
    expect(page.locator("#stopped")).to_have_count(0)


def test_a_stopped_machine_is_flagged_on_the_overview(page_as: Any, plant: Plant) -> None:
    page = page_as("admin")
    page.goto(f"{plant.base}/")
    flags = page.locator("#stopped li")
    expect(flags).to_have_count(1)
    expect(flags.first).to_have_text(_flag(plant))
    flags.first.locator("a").click()
    page.wait_for_url(re.compile(re.escape(plant.stopped) + "$"))


def test_its_line_and_site_pages_flag_it(page_as: Any, plant: Plant) -> None:
    page = page_as("admin")
    line = "/".join(plant.stopped.split("/")[:4])
    site = "/".join(plant.stopped.split("/")[:2])
    for path in (line, site):
        page.goto(f"{plant.base}/plant/{path}")
        expect(page.locator(f"#stopped li[data-stopped='{plant.stopped}']")).to_have_text(
            _flag(plant)
        )
    other_site = next(p for p in plant.model.sites if p != site)
    page.goto(f"{plant.base}/plant/{other_site}")
    expect(page.locator("h1")).to_contain_text("site")
    expect(page.locator("#stopped")).to_have_count(0)


def test_another_sites_user_is_not_told(page_as: Any, plant: Plant) -> None:
    page = page_as("brno")
    page.goto(f"{plant.base}/")
    expect(page.locator("section.site")).to_have_count(1)
    expect(page.locator("#stopped")).to_have_count(0)
    assert plant.stopped not in page.content()


def test_the_app_status_says_its_inputs_stopped(page_as: Any, plant: Plant) -> None:
    [status] = plant.runtime.status()
    expected = f"no data from {plant.stopped} since {to_iso(STOP)}"
    assert status.stopped_inputs == 1
    assert status.stopped_note == f"inputs stopped for 1 equipment: {expected}"
    page = page_as("admin")
    page.goto(f"{plant.base}/inbox")
    row = page.locator("tr[data-app-stopped='quiet']")
    expect(row).to_contain_text(f"inputs stopped for 1 equipment: {expected}")
    assert row.get_attribute("data-count") == "1"
