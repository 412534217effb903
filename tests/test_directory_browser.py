"""The enterprise directory in a real browser: search in Chinese, phones only for inspectors."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.browser import browser_page, log_in
from tests.e2e_support import REGISTRY_YAML, HazwatchProcess
from tests.services import wait_for
from tests.test_console_browser import INSPECTOR, VIEWER, duty_officer_now
from tests.test_wall_browser import PHONE, browser_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.services

# The test registry plus a second enterprise, so that a search has something to leave out.
REGISTRY = REGISTRY_YAML.replace("{restrictions}", "[]") + (
    "  - id: e2\n"
    "    name: Second Chemicals\n"
    "    name_zh: 第二化工\n"
    "    region: Otherland\n"
    "    contacts:\n"
    '      - {name: Other Boss, role: principal, phone: "+86 139 0000 0099"}\n'
    "    sites:\n"
    "      - id: a\n"
    "        name: Plant A\n"
)


@pytest.fixture
def app(tmp_path, mosquitto, browser_ready):  # noqa: F811
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=registry,
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    for (username, password), role in ((INSPECTOR, "inspector"), (VIEWER, "viewer")):
        app.add_user(username, password, role)
    yield app
    app.stop()


def lookups(app: HazwatchProcess) -> list[tuple[str, str, int | None]]:
    """Return the contact look-ups recorded in the app's database."""
    engine = sa.create_engine(f"sqlite:///{app.workdir / 'hazwatch.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT username, enterprise, alarm_id FROM contact_lookup ORDER BY id")
            )
            return [tuple(r) for r in rows]
    finally:
        engine.dispose()


def test_a_viewer_finds_an_enterprise_by_its_chinese_name_and_sees_no_phone(app) -> None:
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        page.click(".hz-nav-link:text('Enterprises')")
        grid = page.locator(".hz-dir-grid")
        grid.locator(".ag-row[row-id='e2']").wait_for(timeout=10000)
        assert grid.locator(".ag-row").count() == 2
        page.fill("#directory-search", "测试化肥")
        wait_for(lambda: grid.locator(".ag-row").count() == 1, 5, what="the search to filter")
        row = grid.locator(".ag-row[row-id='e1']")
        assert "Test Fertilizer" in row.inner_text()
        page.wait_for_selector(".hz-dir-count:text('1 of 2')")
        row.click()
        page.wait_for_selector(".hz-dir-name:text('Test Fertilizer')")
        fields = page.inner_text(".hz-dir-fields")
        assert "测试化肥" in fields and "1 Test Road" in fields and "Testland" in fields
        assert "Ammonia tanks" in page.inner_text(".hz-dir-zones")
        link = page.locator(".hz-dir-site-link")
        assert link.get_attribute("href") == "/site?enterprise=e1&site=s1"
        names = page.locator(".hz-contact .hz-contact-name").all_inner_texts()
        assert set(names) == {"Duty One", "Duty Two"}
        assert names[0] == duty_officer_now()
        assert page.locator("#directory-phones-button").count() == 0
        assert page.locator("a[href^='tel:']").count() == 0
        assert not PHONE.search(page.content())
        assert page.outside_requests == []
    assert lookups(app) == []


def test_an_inspector_sees_the_on_duty_officer_first_after_show_phones_and_it_is_recorded(
    app,
) -> None:
    site = f"http://127.0.0.1:{app.port}"
    on_duty = duty_officer_now()
    phone = "+86 139 0000 0003" if on_duty == "Duty One" else "+86 139 0000 0004"
    with browser_page() as page:
        log_in(page, site, *INSPECTOR)
        page.goto(site + "/enterprises?enterprise=e1")
        page.wait_for_selector(".hz-dir-name:text('Test Fertilizer')")
        page.wait_for_selector(".hz-contact")
        assert not PHONE.search(page.content())  # not before the look-up
        assert lookups(app) == []
        page.click("#directory-phones-button")
        page.wait_for_selector("a.hz-contact-phone")
        first = page.locator(".hz-contact").first
        assert first.locator(".hz-contact-name").inner_text() == on_duty
        assert "hz-contact-on-duty" in first.get_attribute("class")
        assert first.locator(".hz-on-duty").inner_text() == "on duty now"
        link = first.locator("a.hz-contact-phone")
        assert link.inner_text() == phone
        assert link.get_attribute("href") == "tel:" + phone.replace(" ", "")
        assert page.outside_requests == []
    wait_for(lambda: lookups(app), 5, what="the look-up to be recorded")
    assert lookups(app) == [(INSPECTOR[0], "e1", None)]
