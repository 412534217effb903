"""The admin page in a real browser: users and roles, a rejected message published through the
real Mosquitto, registry reload (broken, then fixed); and what non-admins cannot do."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.browser import browser_page, log_in
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_wall_browser import browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
VIEWER = ("watch", "viewer-pass-1")
INSPECTOR = ("insp", "inspector-pass-1")
NEW_USER = ("ops1", "ops-pass-1234")
BAD_PAYLOAD = '{"readings": [<img src=x onerror=alert(1)> <b>bold</b>'
SECOND_ENTERPRISE = """\
  - id: e2
    name: Second Chemicals
    name_zh: 第二化工
    sites:
      - id: s1
        name: North plant
        zones:
          - {id: Z1, name: Tanks, hazard: general, max_people: 5}
        sensors:
          - {id: PT-9, zone: Z1, kind: pressure, unit: MPa, high: 2.0}
"""


@pytest.fixture
def app(tmp_path, mosquitto, browser_ready):  # noqa: F811
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=write_registry(tmp_path),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.registry_path = tmp_path / "registry.yaml"
    app.start()
    for (username, password), role in ((VIEWER, "viewer"), (INSPECTOR, "inspector")):
        app.add_user(username, password, role)
    yield app
    app.stop()


def can_sign_in(app: HazwatchProcess, user: tuple[str, str]) -> bool:
    return app.get("/alarms", auth=user).status_code == 200


def test_admin_manages_users_sees_rejects_and_reloads_the_registry(app, gateway) -> None:  # noqa: F811
    site = f"http://127.0.0.1:{app.port}"
    create_bodies: list[str] = []
    with browser_page() as page:
        page.on(
            "request",
            lambda r: (
                create_bodies.append(r.post_data)
                if "/_dash-update-component" in r.url  # Dash adds ?endId=...
                and "admin-create.n_clicks" in (r.post_data or "")
                else None
            ),
        )
        log_in(page, site, *ADMIN)
        page.click(".hz-nav-link:text('Admin')")
        page.wait_for_selector(".hz-admin-users-list .ag-row[row-id='admin']")
        # All six page links fit the 1920 px header (the navigation clips what does not).
        widths = page.evaluate(
            "() => { const n = document.querySelector('.hz-nav');"
            " return [n.scrollWidth, n.clientWidth]; }"
        )
        assert widths[0] <= widths[1], widths

        # Create a user, then change its role.
        page.fill("#admin-new-username", NEW_USER[0])
        page.fill("#admin-new-password", NEW_USER[1])
        page.click("#admin-new-role label:has-text('inspector')")
        page.click("#admin-create")
        page.wait_for_selector(".hz-result .hz-ok:text('User ops1 created')")
        row = page.locator(".hz-admin-users-list .ag-row[row-id='ops1']")
        row.wait_for()
        assert "inspector" in row.inner_text()
        assert can_sign_in(app, NEW_USER)
        row.click()
        page.wait_for_selector(".hz-admin-user-head:has-text('User ops1')")
        page.click("#admin-role label:has-text('viewer')")
        page.click("#admin-set-role")
        page.wait_for_selector(".hz-result .hz-ok:text('ops1 is now viewer')")
        wait_for(lambda: "viewer" in row.inner_text(), 5, what="the role in the table")
        audit = page.locator(".hz-admin-audit")
        wait_for(lambda: "change role" in audit.inner_text(), 5, what="the audit entry")
        assert "inspector → viewer" in audit.inner_text()

        # A bad message through the real broker lands in the reject list, as text.
        gateway.publish("hazmon/e1/s1/telemetry", BAD_PAYLOAD)
        gateway.wait_all()
        page.click(".hz-tab:has-text('Rejected messages')")
        cell = page.locator(".hz-admin-grid .ag-cell:has-text('<b>bold</b>')")
        cell.wait_for(timeout=15000)
        assert page.locator(".hz-admin-grid b, .hz-admin-grid img").count() == 0
        assert "hazmon/e1/s1/telemetry" in page.inner_text(".hz-admin-grid")
        assert "Not valid JSON" in page.inner_text(".hz-admin-counts")
        page.fill(".ag-floating-filter input >> nth=1", "Not valid")  # the reason filter
        wait_for(lambda: page.locator(".hz-admin-grid .ag-row").count() == 1, 5, what="filter")

        # A broken registry is refused with every problem listed; the old one stays.
        original = app.registry_path.read_text(encoding="utf-8")
        broken = original.replace("zone: Z1, kind: gas_nh3", "zone: Z9, kind: gas_nh3").replace(
            "timezone: Asia/Shanghai", "timezone: Mars/Olympus"
        )
        app.registry_path.write_text(broken, encoding="utf-8")
        page.click(".hz-tab:has-text('Registry')")
        fields = page.locator(".hz-admin-fields")
        wait_for(lambda: "Asia/Shanghai" in fields.inner_text(), 10, what="registry fields")
        page.click("#admin-reload")
        page.wait_for_selector(".hz-admin-errors li")
        problems = page.inner_text(".hz-admin-errors")
        assert "Z9" in problems and "Mars/Olympus" in problems, problems
        assert "previous registry stays in use" in page.inner_text(".hz-admin-reload")
        assert "Asia/Shanghai" in fields.inner_text()

        # The fixed file, with a second enterprise, is taken.
        app.registry_path.write_text(original + SECOND_ENTERPRISE, encoding="utf-8")
        page.click("#admin-reload")
        page.wait_for_selector(".hz-result .hz-ok:text('Registry reloaded: 2 enterprises')")
        assert page.locator(".hz-admin-errors").count() == 0
        assert page.outside_requests == []

    # The ingest uses the new registry: e2's sensor is registered, not listed as unknown.
    gateway.publish("hazmon/e2/s1/telemetry", {"sensor": "PT-9", "value": 1.0})
    gateway.publish("hazmon/e2/s1/telemetry", {"sensor": "PT-NEW", "value": 1.0})
    gateway.wait_all()
    wait_for(lambda: "PT-NEW" in _unregistered(app), 10, what="the unregistered sensor")
    assert "PT-9" not in _unregistered(app)
    latest = app.get("/sites/e2/s1/latest", auth=VIEWER)
    assert latest.status_code == 200, latest.text

    # Forged callbacks: a viewer and an inspector replay the admin's create request.
    assert create_bodies, "the create callback request was not seen"
    for user in (VIEWER, INSPECTOR):
        forged_name = f"forged-{user[0]}"
        body = json.loads(create_bodies[0])
        for state in body["state"]:
            if state["id"] == "admin-new-username":
                state["value"] = forged_name
        with browser_page() as page:
            log_in(page, site, *user)
            assert "Admin" not in page.locator(".hz-nav-link").all_inner_texts()
            page.goto(site + "/admin")
            page.wait_for_selector(".hz-message-page:text('Your role may not open this page')")
            assert page.locator("#admin-create").count() == 0
            response = page.request.post(
                site + "/_dash-update-component",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            assert response.status == 200, response.text()
            assert "Only an administrator may do this" in response.text()
            # The header's sign-out button POSTs the session's form token and signs out.
            page.goto(site + "/")
            page.click(".hz-header form[action='/logout'] button[type=submit]")
            page.wait_for_selector("input[name=username]")
            page.goto(site + "/")
            assert "/login" in page.url
        assert not can_sign_in(app, (forged_name, NEW_USER[1]))


def _unregistered(app: HazwatchProcess) -> str:
    # The admin page's source, read through the same book: /api/v1/health has no list of
    # them, so read the table the page reads.
    import sqlite3

    with sqlite3.connect(app.workdir / "hazwatch.db") as conn:
        return " ".join(r[0] for r in conn.execute("SELECT sensor FROM unregistered_sensor"))
