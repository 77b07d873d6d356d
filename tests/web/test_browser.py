"""The console in a real headless Chromium, over the demo's loop on a short history.

The store is filled by the real runtime (simulator -> store -> KPIs -> apps -> decisions),
and the console is served by uvicorn on a free loopback port. Chromium is Debian's package,
driven by Playwright through its ``executable_path``; the test skips with the reason when it
is absent, and fails instead under ``ANDON_REQUIRE_SERVICES=1``. Screenshots of every page
are saved under ``artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
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

from andon.apps.maintenance.actions import INTERVENE
from andon.decisions import AuditLog
from andon.decisions.access import split_token
from andon.proposals import Action, Factor, Option, Proposal
from andon.runtime import SimulatedRun, SimulatedRunSettings
from andon.series import MAX_POINTS
from andon.web import ConsoleSettings
from andon.web._server import build_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "andon-demo"

pytestmark = pytest.mark.slow


def require_chromium() -> None:
    """Skip (or fail under ANDON_REQUIRE_SERVICES=1) when Debian's Chromium is missing."""
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
class Live:
    """A console served over a runtime's store, and the decisions the tests act on."""

    base: str
    runtime: Any
    to_approve: str
    for_viewer: str
    for_conflict: str
    for_double: str
    equipment: str


def _proposal(subject: str, action: str, now: int, value: float) -> Any:
    return Proposal(
        app="maintenance",
        supersede_key="test",
        subject=subject,
        action=Action(
            kind=INTERVENE.name,
            subject=subject,
            failure_modes=("bearing",),
            slot_start=now,
            label=action,
        ),
        options=(
            Option(action="defer", expected_cost=value * 2),
            Option(action=action, expected_cost=value),
        ),
        expected_value=value,
        value_low=value * 0.5,
        value_high=value * 1.5,
        confidence=0.8,
        explanation=f"test proposal on {subject}",
        factors=(Factor(name="vibration", text="vibration rising for days", weight=0.7),),
        created_at=now,
        expires_at=now + 30 * 86_400_000_000,
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    require_chromium()

    workdir = tmp_path_factory.mktemp("demo")
    settings = SimulatedRunSettings(
        model=ROOT / "examples" / "discrete",
        workdir=workdir,
        history_days=2,
        stream_days=0,
        speed=0,
        password_memory_kib=1024,
    )
    runtime = SimulatedRun(settings=settings)
    runtime.ensure_demo_users()
    runtime.run_history()
    runtime.wait_done()
    lyon = sorted(p for p in runtime.model.equipment if p.startswith("acme/lyon/"))
    now = runtime.now()
    made = runtime.decisions.propose(
        [
            _proposal(lyon[0], "replace the blade in the Saturday window", now, 900.0),
            _proposal(lyon[1], "inspect the spindle bearing", now, 400.0),
            _proposal(lyon[2], "order a spare coolant pump", now, 300.0),
            _proposal(lyon[3], "service the hydraulic pump", now, 700.0),
        ],
        now=now,
    )
    server = build_app(
        store=runtime.store,
        model=runtime.model,
        decisions=runtime.decisions,
        users=runtime.users,
        clock=runtime.now,
        settings=ConsoleSettings(live_every_s=1, demo_hint="Demo users: admin, planner, viewer"),
        runtime=runtime.runtime,
    )
    server.overview.warm()
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
    yield Live(
        base=f"http://127.0.0.1:{port}",
        runtime=runtime,
        to_approve=made[0].id,
        for_viewer=made[1].id,
        for_conflict=made[2].id,
        for_double=made[3].id,
        equipment=lyon[0],
    )
    web.should_exit = True
    thread.join(10)
    runtime.close()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser: Any, live: Live) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live.base}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/(\?.*)?$|.*/plant.*|.*/inbox.*"))
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_login_page_and_a_wrong_password(browser: Any, live: Live) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live.base}/plant")
    assert "/login" in page.url
    shot(page, "login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert page.locator("text=Unknown user or wrong password").is_visible()
    context.close()


def test_overview_numbers_match_the_rest_api(page_as: Any, live: Live) -> None:
    page = page_as("admin")
    page.goto(f"{live.base}/")
    shot(page, "overview")
    heading = page.locator("h1[data-overview-end]")
    start_us = int(heading.get_attribute("data-overview-start"))
    end_us = int(heading.get_attribute("data-overview-end"))

    def iso(micros: int) -> str:
        return dt.datetime.fromtimestamp(micros / 1e6, tz=dt.UTC).isoformat()

    # The same session asks the REST API for the same sites, days and range.
    response = page.request.get(
        f"{live.base}/api/v1/kpis",
        params={"grain": "site", "period": "day", "since": iso(start_us), "until": iso(end_us)},
    )
    assert response.status == 200, response.text()
    items = response.json()["items"]
    assert {item["path"] for item in items} == {"acme/lyon", "acme/brno"}
    checked = 0
    for item in items:
        day_us = int(dt.datetime.fromisoformat(item["period_start"]).timestamp() * 1_000_000)
        cell = page.locator(f'[data-daily-site="{item["path"]}"][data-day="{day_us}"]')
        assert cell.count() == 1, (item["path"], item["period_start"])
        oee = item["kpis"]["oee"]
        if oee is None:
            assert cell.get_attribute("data-value") == ""
            continue
        assert float(cell.get_attribute("data-value")) == pytest.approx(oee, rel=1e-9)
        checked += 1
    assert checked >= 2
    # The site cards add the days' time elements up before dividing, as ISO 22400-2 asks.
    for site in ("acme/lyon", "acme/brno"):
        days = [i for i in items if i["path"] == site]
        pbt = sum(i["elements"]["pbt_s"] or 0 for i in days)
        apt = sum(i["elements"]["apt_s"] or 0 for i in days)
        # Above the equipment the quality ratio is in planned run time (docs/kpi.md).
        pq = sum(i["elements"]["pri_pq_s"] or 0 for i in days)
        gq = sum(i["elements"]["pri_gq_s"] or 0 for i in days)
        card = page.locator(f'[data-site="{site}"]')
        availability = card.locator('[data-kpi="availability"]')
        assert float(availability.get_attribute("data-value")) == pytest.approx(apt / pbt)
        assert availability.locator("b").inner_text() == f"{apt / pbt * 100:.1f}%"
        quality = card.locator('[data-kpi="quality_ratio"]')
        assert float(quality.get_attribute("data-value")) == pytest.approx(gq / pq)
    assert page.locator("svg.bars rect").count() >= 1
    # OEE in %, its axis from 0: a change of a point does not look like a crash.
    trend = page.locator("section:has(h2:text('OEE by day')) svg.chart")
    assert trend.locator("text.tick.y").all_text_contents()[0] == "0"
    assert trend.locator("text.unit").text_content() == "%"
    # The gap table names the site once, then the loss.
    if page.locator("table.gaps").count():
        assert page.locator("table.gaps th").all_inner_texts().count("site") == 1


def test_open_an_equipment_page_from_the_tree(page_as: Any, live: Live) -> None:
    page = page_as("admin")
    page.goto(f"{live.base}/plant")
    shot(page, "plant")
    page.click(f'a[href="/plant/{live.equipment}"]')
    page.wait_for_url(f"**/plant/{live.equipment}")
    assert page.locator("h1").inner_text().startswith(live.equipment.rsplit("/", 1)[-1])
    assert page.locator("svg.timeline rect").count() > 0
    points = [
        int(p)
        for p in page.locator("polyline.series").evaluate_all(
            "els => els.map(e => e.dataset.points)"
        )
    ]
    assert points
    assert max(points) <= MAX_POINTS
    assert page.locator("text=Spare parts").is_visible()
    shot(page, "equipment")


def test_approve_a_decision_and_find_it_in_the_audit_trail(page_as: Any, live: Live) -> None:
    page = page_as("planner")
    page.goto(f"{live.base}/inbox")
    shot(page, "inbox")
    # Each app's status in the loop: fitted (the back-history gives it lives to learn from)
    # with its version and rows, or not fitted and saying why.
    status = page.locator('#apps tr[data-app="maintenance"]')
    assert status.count() == 1
    if "not fitted" in status.inner_text():
        assert status.locator(".failure").inner_text().strip() not in {"", "—"}
    else:
        assert status.locator("code").inner_text().strip() not in {"", "—"}
    card = page.locator(f"#d-{live.to_approve}")
    reason = card.locator("form.approve input[name=reason]")
    reason.fill("window fits the plan")
    # The live refresh (every second here) never replaces a form being typed in: wait on
    # the value, not on time, then send it.
    expect(reason).to_have_value("window fits the plan")
    card.locator("form.approve button").click()
    page.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    expect(page.locator(".flash")).to_contain_text("Approved")
    assert page.locator(".flash").inner_text().startswith("Approved")
    record = live.runtime.decisions.get(live.to_approve)
    assert record.status.value == "approved"
    assert record.decided_by == "planner"
    admin = page_as("admin")
    admin.goto(f"{live.base}/audit")
    row = admin.locator(f'tr[data-action="decision.approved"][data-entity-id="{live.to_approve}"]')
    assert row.count() == 1
    assert "planner" in row.inner_text()
    assert "window fits the plan" in row.inner_text()
    assert admin.locator("#verify-result.ok").is_visible()
    shot(admin, "audit")


def test_a_viewer_cannot_approve(page_as: Any, live: Live) -> None:
    page = page_as("viewer")
    page.goto(f"{live.base}/inbox")
    card = page.locator(f"#d-{live.for_viewer}")
    assert card.count() == 1
    assert card.locator("form.approve").count() == 0
    assert page.locator("text=can see decisions but not decide them").is_visible()
    # Posting the form by hand does not get further.
    csrf = page.locator("form[action='/logout'] input[name=csrf]").get_attribute("value")
    response = page.request.post(
        f"{live.base}/inbox/{live.for_viewer}/approve",
        form={"csrf": csrf, "form": "handmade-token", "reason": "me"},
    )
    assert response.status == 403
    assert "may not" in response.text()
    assert live.runtime.decisions.get(live.for_viewer).status.value == "proposed"


def test_a_decision_decided_by_someone_else_is_not_decided_twice(page_as: Any, live: Live) -> None:
    planner = page_as("planner")
    admin = page_as("admin")
    planner.goto(f"{live.base}/inbox")
    # Keep the planner's page as it was loaded, as a page left open in another tab would be.
    planner.evaluate("document.getElementById('live').removeAttribute('data-live')")
    admin.goto(f"{live.base}/inbox")
    admin_card = admin.locator(f"#d-{live.for_conflict}")
    admin_card.locator("form.reject input[name=reason]").fill("not needed this month")
    admin_card.locator("form.reject button").click()
    admin.wait_for_url(re.compile(r".*/inbox\?done=.*"))
    # The planner's page still shows the old form; the live refresh is paused while typing.
    card = planner.locator(f"#d-{live.for_conflict}")
    card.locator("form.approve input[name=reason]").fill("go")
    card.locator("form.approve button").click()
    planner.wait_for_load_state()
    flash = planner.locator(".flash.error").inner_text()
    assert "already rejected by admin" in flash
    record = live.runtime.decisions.get(live.for_conflict)
    assert record.status.value == "rejected"
    assert record.decided_by == "admin"
    shot(planner, "inbox-conflict")


def test_a_form_posted_twice_acts_once(page_as: Any, live: Live) -> None:
    page = page_as("planner")
    page.goto(f"{live.base}/inbox")
    form = page.locator(f"#d-{live.for_double} form.approve")
    fields = {
        name: form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("csrf", "form", "version")
    }
    fields["reason"] = "twice"
    url = f"{live.base}/inbox/{live.for_double}/approve"
    first = page.request.post(url, form=fields, max_redirects=0)
    second = page.request.post(url, form=fields, max_redirects=0)
    assert first.status == 303
    assert second.status == 409
    assert "Nothing was done twice" in second.text()
    approvals = [
        e
        for e in AuditLog(store=live.runtime.store).entries(entity_id=live.for_double)
        if e.action == "decision.approved"
    ]
    assert len(approvals) == 1


def test_expired_session_leads_back_to_login(page_as: Any, live: Live) -> None:
    page = page_as("admin")
    page.goto(f"{live.base}/quality")
    shot(page, "quality")
    cookie = next(c for c in page.context.cookies() if c["name"] == "andon_session")
    token_id, _ = split_token(cookie["value"])
    live.runtime.users.revoke(token_id, actor="test")
    # The live refresh notices first, without a reload.
    page.wait_for_selector("#banner:not([hidden])", timeout=10_000)
    assert "session has expired" in page.locator("#banner").inner_text()
    page.goto(f"{live.base}/plant")
    assert "/login" in page.url
    assert page.locator("text=session has expired").is_visible()


def test_live_pages_refresh_without_a_reload(page_as: Any, live: Live) -> None:
    page = page_as("admin")
    page.goto(f"{live.base}/plant/{live.equipment}")
    page.evaluate("window.__marker = 'still here'")
    page.wait_for_function(
        "document.getElementById('live').dataset.refreshed !== undefined", timeout=10_000
    )
    assert page.evaluate("window.__marker") == "still here"


def test_unknown_element_is_a_clear_page(page_as: Any, live: Live) -> None:
    page = page_as("admin")
    response = page.goto(f"{live.base}/plant/acme/lyon/no-such-line")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "No such element"
    assert "Traceback" not in page.content()
    shot(page, "not-found")
