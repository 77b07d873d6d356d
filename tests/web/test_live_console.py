"""The console on live data, in a real headless Chromium: the newest reading shows, a scoped
user learns nothing of another site, a typed reason survives the refresh, and the pages of
one decision and of the inbox's figures say what the records hold.

The store is written here record by record, as a source would (not by the simulator), and
the console is the one ``andon serve`` runs (:func:`andon.web._server.build_app`), served by
uvicorn on a free loopback port and refreshing every second.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from andon import records
from andon.apps.maintenance.actions import INTERVENE
from andon.decisions import (
    DecisionFilter,
    DecisionService,
    PasswordPolicy,
    Role,
    UserService,
    ensure_schema,
)
from andon.decisions.access import Principal
from andon.model import Model
from andon.proposals import Action, Factor, Option, Outcome, PartQuantity, Proposal
from andon.records import RecordKind
from andon.store import DuckDBStore
from andon.web import ConsoleSettings
from andon.web._server import build_app

from .conftest import MINUTE, T0, write_history

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long test password"
DAYS = 5
END = T0 + DAYS * 24 * 60 * MINUTE  # just after the history's last record

pytestmark = pytest.mark.slow


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("ANDON_REQUIRE_SERVICES") == "1":
        pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Plant:
    base: str
    store: DuckDBStore
    model: Model
    decisions: DecisionService
    lyon: list[str]
    brno: list[str]
    detailed: str
    to_approve: str
    measured: str


def _proposal(subject: str, label: str, value: float, **more: Any) -> Proposal:
    return Proposal(
        app="maintenance",
        supersede_key=f"test:{label}",
        subject=subject,
        action=Action(
            kind=INTERVENE.name,
            subject=subject,
            failure_modes=("bearing",),
            slot_start=END + 3_600_000_000,
            label=label,
            parts=more.pop("parts", ()),
        ),
        options=(
            Option(action="defer and watch", expected_cost=value * 3, description="run on"),
            Option(action=label, expected_cost=value, description="in the Saturday window"),
        ),
        expected_value=value * 2,
        value_low=value,
        value_high=value * 3,
        confidence=0.7,
        explanation=f"{label} on {subject}",
        factors=(Factor(name="vibration", text="spindle vibration up 38 % over 72 h"),),
        created_at=END - MINUTE,
        expires_at=END + 30 * 86_400_000_000,
        model_version="maintenance@test-7",
        **more,
    )


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory, example_model: Model) -> Iterator[Plant]:
    _require_chromium()
    store = DuckDBStore(str(tmp_path_factory.mktemp("live") / "andon.duckdb"))
    ensure_schema(store)
    paths = write_history(store, example_model, days=DAYS, equipment=len(example_model.equipment))
    lyon = [p for p in paths if p.startswith("acme/lyon/")]
    brno = [p for p in paths if p.startswith("acme/brno/")]
    users = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    for name, role, sites in (
        ("admin", Role.ADMIN, ("*",)),
        ("planner", Role.OPERATOR, ("acme/lyon",)),
        ("lea", Role.VIEWER, ("acme/lyon",)),
    ):
        users.add(name, role=role, sites=sites, password=PASSWORD, actor="test")
    decisions = DecisionService(store=store, clock=lambda: END)
    detailed_subject = lyon[0]
    part = next(
        iter(example_model.equipment[detailed_subject].equipment_class.failure_modes[0].parts)
    )
    store.write(
        RecordKind.INVENTORY,
        records.inventory(
            ts=[T0], part=part, site="acme/lyon", on_hand=3, on_order=0, source="test"
        ),
    )
    made = decisions.propose(
        [
            _proposal(
                detailed_subject,
                "replace the spindle bearing",
                900.0,
                parts=(PartQuantity(part=part, quantity=2),),
                evidence={
                    "failure_mode": "bearing",
                    "p_fail": 0.42,
                    "horizon_h": 168.0,
                    "failure_curve": {
                        "hours": [0, 24, 72, 168],
                        "p_fail": [0.0, 0.08, 0.2, 0.42],
                        "low": [0.0, 0.04, 0.12, 0.3],
                        "high": [0.0, 0.12, 0.3, 0.55],
                    },
                    "crew": "mechanics: 2 of 3 free on Saturday",
                    "spindle_hours": 1234.5,
                },
            ),
            _proposal(lyon[1], "inspect the coolant pump", 300.0),
            _proposal(lyon[2], "service the hydraulic unit", 200.0),
            _proposal(brno[0], "replace the blade", 500.0),
        ],
        now=END - MINUTE,
    )
    admin = Principal(username="admin", role=Role.ADMIN, sites=("*",))
    decisions.approve(made[2].id, who=admin, reason="fits the plan", now=END - MINUTE)
    decisions.execute(made[2].id, who=admin)
    decisions.record_outcome(
        made[2].id,
        outcome=Outcome(measured_at=END - MINUTE, realised_value=150.0, success=True),
        now=END - MINUTE,
    )
    server = build_app(
        store=store,
        model=example_model,
        users=users,
        decisions=decisions,
        settings=ConsoleSettings(live_every_s=1),
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
        store=store,
        model=example_model,
        decisions=decisions,
        lyon=lyon,
        brno=brno,
        detailed=made[0].id,
        to_approve=made[1].id,
        measured=made[2].id,
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


def _tag_row(page: Any, tag: str) -> Any:
    return page.locator("table.tags tr", has=page.locator(f"td:text-is('{tag}')"))


def test_the_newest_reading_shows_and_a_later_one_appears(page_as: Any, plant: Plant) -> None:
    path = plant.lyon[3]
    tag = plant.model.equipment[path].equipment_class.tags[0].name
    at = END + 5 * MINUTE
    plant.store.write(
        RecordKind.STATE,
        records.states(ts=[at], path=path, state=["unplanned_down"], source="live"),
    )
    plant.store.write(
        RecordKind.SAMPLE,
        records.samples(ts=[at], path=f"{path}/{tag}", value=[77.7], source="live"),
    )
    time.sleep(1.1)  # past the console's one-second memory of "now"
    page = page_as("admin")
    page.goto(f"{plant.base}/plant/{path}")
    expect(page.locator("h1 .state")).to_have_text("unplanned down")
    expect(_tag_row(page, tag)).to_contain_text("77.7")
    # Samples only from now on: the page follows them without a reload.
    plant.store.write(
        RecordKind.SAMPLE,
        records.samples(ts=[at + 10 * MINUTE], path=f"{path}/{tag}", value=[88.8], source="live"),
    )
    page.evaluate("window.__marker = 'no reload'")
    expect(_tag_row(page, tag)).to_contain_text("88.8", timeout=10_000)
    assert page.evaluate("window.__marker") == "no reload"
    expect(page.locator("h1 .state")).to_have_text("unplanned down")


def test_a_scoped_user_learns_nothing_of_another_site(page_as: Any, plant: Plant) -> None:
    page = page_as("lea")
    real = plant.brno[0]
    fake = real.rsplit("/", 1)[0] + "/no-such-machine"
    answers = []
    for path in (real, fake):
        response = page.goto(f"{plant.base}/plant/{path}")
        assert response.status == 404
        main = page.locator("main").inner_text()
        answers.append(main.replace(path, "PATH"))
        assert "Perhaps you meant" not in main
        assert "brno" not in main.replace(path, "")
    assert answers[0] == answers[1]
    # A near miss inside the user's own site still gets suggestions, all of them Lyon's.
    page.goto(f"{plant.base}/plant/{plant.lyon[0]}x")
    links = page.locator(".error-page li a").all_inner_texts()
    assert links
    assert all(link.startswith("acme/lyon/") for link in links)
    # The decision page: another site's decision is the same page as one that does not exist.
    brno_decision = next(
        r for r in plant.decisions.list(DecisionFilter()) if r.subject.startswith("acme/brno/")
    )
    texts = []
    for decision_id in (brno_decision.id, "0" * 32):
        response = page.goto(f"{plant.base}/decisions/{decision_id}")
        assert response.status == 404
        texts.append(page.locator("main").inner_text())
    assert texts[0] == texts[1]


def test_a_typed_reason_survives_the_refresh(page_as: Any, plant: Plant) -> None:
    page = page_as("planner")
    page.goto(f"{plant.base}/inbox")
    card = page.locator(f"#d-{plant.to_approve}")
    reason = card.locator("form.approve input[name=reason]")
    reason.fill("the pump is due anyway")
    page.locator("h1").first.click()  # the field loses focus
    expect(reason).not_to_be_focused()
    # Wait until the refresh has come round twice and held back each time.
    page.wait_for_function(
        "parseInt(document.getElementById('live').dataset.held || '0', 10) >= 2", timeout=10_000
    )
    expect(reason).to_have_value("the pump is due anyway")
    card.locator("form.approve button").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    record = plant.decisions.get(plant.to_approve)
    assert record.status.value == "approved"
    assert record.reason == "the pump is due anyway"


def test_the_page_of_a_decision(page_as: Any, plant: Plant) -> None:
    page = page_as("planner")
    page.goto(f"{plant.base}/inbox")
    page.click(f"#d-{plant.detailed} h2 a")
    page.wait_for_url(f"**/decisions/{plant.detailed}")
    expect(page.locator("h1")).to_contain_text("replace the spindle bearing")
    expect(page.locator("#model-version")).to_have_text("maintenance@test-7")
    options = page.locator("#options table").first.inner_text()
    assert "defer and watch" in options
    assert "2,700 EUR" in options
    part_row = page.locator("#parts tr[data-part]")
    assert part_row.count() == 1
    assert "on the shelf" in part_row.inner_text()  # 3 on hand, 2 needed
    expect(page.locator("#options")).to_contain_text("mechanics: 2 of 3 free on Saturday")
    curve = page.locator("#failure-curve svg")
    assert curve.locator("polygon.range").count() == 1
    assert curve.locator("polyline.mean").count() == 1
    assert curve.locator("text.unit").text_content() == "%"
    expect(page.locator("#risk")).to_contain_text("42% within 168 h")
    expect(page.locator("#evidence")).to_contain_text("spindle hours")
    assert page.locator("#condition svg").count() >= 1
    assert page.locator("#track").inner_text().count("proposals") == 1
    assert page.locator('#trail tr[data-action="decision.proposed"]').count() == 1


def test_the_inbox_figures_page(page_as: Any, plant: Plant) -> None:
    page = page_as("admin")
    page.goto(f"{plant.base}/inbox")
    page.click("#figures-link")
    page.wait_for_url("**/inbox/figures")
    lyon = page.locator('#figures tr[data-site="acme/lyon"]')
    brno = page.locator('#figures tr[data-site="acme/brno"]')
    assert lyon.locator('[data-figure="shown"]').inner_text() == "3"
    assert brno.locator('[data-figure="shown"]').inner_text() == "1"
    assert lyon.locator('[data-figure="measured"]').inner_text() == "1"
    assert "150 EUR" in lyon.inner_text()
    # A Lyon user sees Lyon's row only.
    scoped = page_as("lea")
    scoped.goto(f"{plant.base}/inbox/figures")
    assert scoped.locator("#figures tr[data-site]").count() == 1
    assert "brno" not in scoped.locator("main").inner_text().lower()


def test_a_first_visit_is_asked_to_log_in_not_told_it_expired(browser: Any, plant: Plant) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{plant.base}/inbox")
    assert "/login" in page.url
    assert "expired" not in page.locator("main").inner_text()
    icon = page.request.get(f"{plant.base}/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg")
    assert page.locator("link[rel=icon]").count() == 1
    context.close()


def test_long_trends_are_a_band_and_axes_have_units(page_as: Any, plant: Plant) -> None:
    page = page_as("admin")
    page.goto(f"{plant.base}/plant/{plant.lyon[1]}?days=7")
    bands = page.locator("figure.trend svg.band")
    assert bands.count() >= 1
    first = bands.first
    assert first.locator("polygon.range").count() == 1
    assert int(first.locator("polyline.mean").get_attribute("data-points")) <= 300
    labels = first.locator("text.tick.x")
    box = first.bounding_box()
    last = labels.nth(labels.count() - 1).bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 0.5  # not clipped
    units = {t.name: t.unit for t in plant.model.equipment[plant.lyon[1]].equipment_class.tags}
    for n in range(bands.count()):
        figure = page.locator("figure.trend", has=page.locator("svg.band")).nth(n)
        tag = figure.locator("figcaption").inner_text().split(" ")[0]
        assert figure.locator("text.unit").text_content() == units[tag]


def test_the_overview_for_a_one_site_user(page_as: Any, plant: Plant) -> None:
    page = page_as("lea")
    page.goto(f"{plant.base}/")
    note = page.locator("#gap-note").inner_text()
    assert "Not enough production" not in note
    assert "one site" in note
    assert page.locator("table.gaps").count() == 0  # no row naming another site


def test_the_users_page_is_for_administrators(page_as: Any, plant: Plant) -> None:
    admin = page_as("admin")
    admin.click("nav >> text=Users")
    admin.wait_for_url("**/users")
    rows = admin.locator("#users tr[data-user]")
    assert sorted(rows.evaluate_all("els => els.map(e => e.dataset.user)")) == [
        "admin",
        "lea",
        "planner",
    ]
    assert "acme/lyon" in admin.locator('#users tr[data-user="planner"]').inner_text()
    planner = page_as("planner")
    assert planner.locator("nav >> text=Users").count() == 0
    response = planner.goto(f"{plant.base}/users")
    assert response.status in {403, 404}
    assert planner.locator("#users").count() == 0
    assert "lea" not in planner.locator("main").inner_text()
