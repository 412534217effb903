"""The web app while PostgreSQL is down or hung: JSON 503s, a degraded page, an honest wall.

`app.py serve` runs against this module's own PostgreSQL cluster (tests/pg.py), which the
tests stop, start and freeze (SIGSTOP), with a real browser on the wall.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from tests.browser import browser_page, chromium_path, log_in, wait_for_wall
from tests.conftest import missing_service
from tests.e2e_support import HazwatchProcess, write_registry
from tests.pg import PrivatePostgres, private_postgres
from tests.services import wait_for

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
VIEWER = ("wall", "viewer-pass-1")
HUNG_ANSWER_LIMIT_S = 15.0  # the database's timeouts (about 10 s) plus a margin
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def pg():
    with private_postgres("hazwatch-pg-web-") as server:
        yield server


@pytest.fixture
def app(tmp_path, mosquitto, pg: PrivatePostgres):
    pg.running()
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.args[app.args.index("--db-url") + 1] = pg.new_database()
    app.start()
    app.add_user(*VIEWER, "viewer")
    yield app
    pg.running()  # a test that failed half-way may have left it stopped
    app.stop()


@pytest.fixture
def browser_ready() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing_service("playwright is not installed (pip install -r requirements.txt)")
    if not chromium_path():
        missing_service("chromium is not installed (Debian package 'chromium')")


def _assert_json_503(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert body["code"] == "database_unavailable" and "database" in body["error"]
    assert int(response.headers["Retry-After"]) > 0


def _api(app: HazwatchProcess, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, f"{app.base}{path}", auth=ADMIN, timeout=30, **kw)


def test_api_answers_json_503_while_postgres_is_stopped_and_health_says_so(app, pg) -> None:
    assert _api(app, "GET", "/alarms").status_code == 200
    pg.stop()
    for method, path, kw in (
        ("GET", "/alarms", {}),
        ("GET", "/alarms/1", {}),
        ("POST", "/alarms/1/ack", {"json": {"comment": "seen"}}),
        ("GET", "/permits", {}),
        ("GET", "/rejected", {}),
        (
            "POST",
            "/users",
            {"json": {"username": "x1", "password": "pw-12345678", "role": "viewer"}},
        ),
    ):
        response = _api(app, method, path, **kw)
        try:
            _assert_json_503(response)
        except AssertionError as exc:
            raise AssertionError(f"{method} {path}: {exc}") from None
    health = app.health()
    assert health["status"] != "ok" and health["database"]["reachable"] is False
    assert any("database unreachable" in p for p in health["problems"]), health["problems"]
    pg.start()
    wait_for(
        lambda: _api(app, "GET", "/alarms").status_code == 200, 20, what="the API answering again"
    )


def test_api_answers_json_503_within_seconds_while_postgres_hangs(app, pg) -> None:
    assert _api(app, "GET", "/alarms").status_code == 200
    pids = pg.freeze()
    try:
        t0 = time.monotonic()
        response = _api(app, "GET", "/alarms")
        took = time.monotonic() - t0
    finally:
        pg.thaw(pids)
    _assert_json_503(response)
    assert took < HUNG_ANSWER_LIMIT_S, f"answered after {took:.1f} s"
    wait_for(
        lambda: _api(app, "GET", "/alarms").status_code == 200, 30, what="the API answering again"
    )


def _signed_in_session(app: HazwatchProcess) -> requests.Session:
    site = f"http://127.0.0.1:{app.port}"
    session = requests.Session()
    token = TOKEN.search(session.get(f"{site}/login", timeout=10).text).group(1)
    data = {"username": VIEWER[0], "password": VIEWER[1], "csrf_token": token}
    assert session.post(f"{site}/login", data=data, timeout=10).status_code == 200  # the wall
    return session


def _assert_degraded_page(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Database unreachable" in response.text and "数据库无法连接" in response.text
    assert "Internal Server Error" not in response.text
    assert int(response.headers["Retry-After"]) > 0


def test_a_page_loaded_while_postgres_is_stopped_answers_the_degraded_page(app, pg) -> None:
    site = f"http://127.0.0.1:{app.port}"
    session = _signed_in_session(app)
    pg.stop()
    _assert_degraded_page(session.get(f"{site}/console", timeout=30))
    fresh = requests.Session()  # signing in needs the user book too
    token = TOKEN.search(fresh.get(f"{site}/login", timeout=10).text).group(1)
    data = {"username": VIEWER[0], "password": VIEWER[1], "csrf_token": token}
    _assert_degraded_page(fresh.post(f"{site}/login", data=data, timeout=30))
    pg.start()
    wait_for(
        lambda: session.get(f"{site}/", timeout=30).status_code == 200,
        20,
        what="the wall page loading again",
    )


def test_open_wall_says_database_unreachable_with_the_data_age_then_recovers(
    app, pg, browser_ready
) -> None:
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        wait_for_wall(page)
        assert page.locator(".hz-outage").count() == 0 or not page.is_visible(".hz-outage")
        pg.stop()
        banner = page.locator(".hz-outage-title")
        banner.wait_for(state="visible", timeout=15_000)
        assert banner.inner_text() == "Database unreachable — retrying"
        detail = page.inner_text(".hz-outage-detail")
        assert re.search(r"Data from \d\d:\d\d:\d\d, \d+ s old", detail), detail
        page.wait_for_function(  # the age counts up while the database stays away
            """() => { const m = document.querySelector('.hz-outage-detail')
                        .innerText.match(/, (\\d+) s old/); return m && +m[1] >= 3; }""",
            timeout=15_000,
        )
        database = page.locator(".hz-health .hz-badge", has_text="DB")
        assert "hz-badge-bad" in (database.get_attribute("class") or "")
        assert "DOWN" in database.inner_text()
        assert page.locator(".hz-grid .hz-ent").count() > 0  # the last data stays on the wall
        page.click(".hz-lang")
        page.wait_for_selector(".hz-outage-title:has-text('数据库无法连接')", timeout=10_000)
        assert re.search(r"数据时间 \d\d:\d\d:\d\d（\d+秒前）", page.inner_text(".hz-outage"))
        pg.start()
        page.locator(".hz-outage-title").wait_for(state="detached", timeout=20_000)
        wait_for_wall(page)
