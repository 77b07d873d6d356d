"""The console's pages over a store of plant history, through HTTP (no browser)."""

from __future__ import annotations

import re

import pyarrow as pa
from fastapi.testclient import TestClient

from andon.series import MAX_POINTS
from andon.store import Store


def test_pages_need_a_login(console_app) -> None:
    app, _ = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        response = http.get("/plant/acme/lyon", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/plant/acme/lyon")
        assert http.get("/quality", follow_redirects=False).status_code == 303


def test_wrong_password_says_so_without_detail(console_app) -> None:
    app, _ = console_app
    with TestClient(app) as http:
        response = http.post("/login", data={"username": "ana", "password": "nope"})
        assert response.status_code == 401
        assert "Unknown user or wrong password" in response.text
        assert "andon_session" not in response.headers.get("set-cookie", "")


def test_plant_tree_lists_every_equipment_with_its_state(client, example_model, history) -> None:
    page = client.get("/plant").text
    for path in example_model.equipment:
        assert f'href="/plant/{path}"' in page
    # Equipment with history shows the state it is in at the newest record.
    assert re.search(r'class="state s-(running|idle|setup|unplanned_down)"', page)


def test_equipment_page_shows_timeline_trends_orders_and_parts(client, history) -> None:
    _, paths = history
    first = paths[0]
    page = client.get(f"/plant/{first}").text
    assert "States over 7 d" in page
    assert "WO-1" in page
    points = [int(n) for n in re.findall(r'data-points="(\d+)"', page)]
    assert points, "a trend per tag"
    assert max(points) <= MAX_POINTS
    # The fixture wrote days of one-minute samples, more than the budget: they were thinned.
    shown = [int(n) for n in re.findall(r"(\d+) samples</span>", page)]
    assert max(shown) > MAX_POINTS
    assert "on hand" in page


def test_a_year_window_stays_within_the_point_budget(client, history) -> None:
    _, paths = history
    page = client.get(f"/plant/{paths[1]}?days=365").text
    points = [int(n) for n in re.findall(r'data-points="(\d+)"', page)]
    assert points
    assert all(n <= MAX_POINTS for n in points)


def test_unknown_element_is_a_clear_404_with_suggestions(client, history) -> None:
    _, paths = history
    wrong = paths[0][:-1] + "9x"
    response = client.get(f"/plant/{wrong}")
    assert response.status_code == 404
    assert "No such element" in response.text
    assert "Traceback" not in response.text
    assert f'href="/plant/{paths[0]}"' in response.text


def test_unknown_url_is_a_page_not_a_trace(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_partial_refresh_returns_the_live_region_only(client, history) -> None:
    _, paths = history
    response = client.get(f"/plant/{paths[0]}", headers={"X-Andon-Partial": "1"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Sensor trends" in response.text


def test_expired_session_redirects_to_login_and_partial_gets_401(
    console_app, login, history
) -> None:
    app, sessions = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        login(http, "ana", "ana-password")
        sessions.live.clear()  # every session ends, as at expiry
        response = http.get("/plant", follow_redirects=False)
        assert response.status_code == 303
        assert "expired=1" in response.headers["location"]
        page = http.get(response.headers["location"]).text
        assert "session has expired" in page
        partial = http.get("/plant", headers={"X-Andon-Partial": "1"})
        assert partial.status_code == 401


def test_site_scope_hides_other_sites(console_app, login, example_model) -> None:
    app, _ = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        login(http, "lea", "lea-password")
        page = http.get("/plant").text
        assert "/plant/acme/brno" in page
        assert "/plant/acme/lyon" not in page
        lyon = next(p for p in example_model.equipment if p.startswith("acme/lyon/"))
        assert http.get(f"/plant/{lyon}").status_code == 404


def test_quality_page_counts_quarantine_by_reason_and_source(client, history) -> None:
    store: Store = history[0]
    rows = pa.table(
        {
            "received_at": pa.array(
                [1_000_000, 2_000_000, 3_000_000], pa.timestamp("us", tz="UTC")
            ),
            "kind": ["sample"] * 3,
            "source": ["mqtt-lyon", "mqtt-lyon", "opcua-brno"],
            "ts": pa.array([1, 2, 3], pa.timestamp("us", tz="UTC")),
            "path": ["acme/x/t", "acme/x/t", "acme/y/t"],
            "reason": ["unknown_path", "unknown_path", "out_of_range"],
            "detail": ["no such tag", "no such tag", "above max"],
            "record": ["{}", "{}", "{}"],
        }
    )
    store.quarantine(rows)
    page = client.get("/quality").text
    assert "3 record(s) quarantined" in page
    assert re.search(r"<code>unknown_path</code></td><td class=\"num\">2<", page)
    assert "opcua-brno" in page


def test_logout_ends_the_session(console_app, login) -> None:
    app, sessions = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        login(http, "ana", "ana-password")
        page = http.get("/plant").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        response = http.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert response.status_code == 303
        assert not sessions.live
        assert http.get("/plant", follow_redirects=False).status_code == 303


def test_overview_shows_every_site_with_its_kpis(client, example_model) -> None:
    page = client.get("/").text
    for site in example_model.plant.sites:
        assert f'data-site="{example_model.root}/{site.id}"' in page
    assert page.count('data-kpi="oee"') == len(example_model.plant.sites)
    assert "OEE loss tree" in page
    assert "Gap to the best site" in page


def test_overview_shows_only_the_users_sites(console_app, login) -> None:
    app, _ = console_app
    with TestClient(app, headers={"accept": "text/html"}) as http:
        login(http, "lea", "lea-password")
        page = http.get("/").text
        assert 'data-site="acme/brno"' in page
        assert 'data-site="acme/lyon"' not in page


def test_a_bad_window_falls_back_to_the_default(client, history) -> None:
    _, paths = history
    page = client.get(f"/plant/{paths[0]}?days=abc")
    assert page.status_code == 200
    assert "States over 7 d" in page.text
