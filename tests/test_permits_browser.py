"""The permits page in a real browser: an inspector records a permit reported by phone."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, log_in
from tests.services import wait_for
from tests.test_alarms_e2e import Crowd
from tests.test_console_browser import INSPECTOR, VIEWER, app  # noqa: F401  (fixture)
from tests.test_wall_browser import browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services


def pick(page, dropdown_id: str, label: str) -> None:
    """Choose an option of a Dash dropdown by its label."""
    page.click(f"#{dropdown_id}")
    page.get_by_role("option", name=label).click()
    page.wait_for_selector(f"#{dropdown_id}:has-text('{label}')")


def zone_alarm(app) -> dict | None:  # noqa: F811
    alarms = app.get("/alarms", auth=VIEWER, state="all").json()["alarms"]
    return next((a for a in alarms if a["source"] == "zone:Z1"), None)


def test_an_inspector_records_a_permit_by_phone_and_the_alarm_stops(app, gateway) -> None:  # noqa: F811
    site = f"http://127.0.0.1:{app.port}"
    with Crowd(gateway, 5), browser_page() as page:
        wait_for(lambda: zone_alarm(app), 20, what="the suspected special operation alarm")
        assert zone_alarm(app)["cleared_at"] is None
        log_in(page, site, *INSPECTOR)
        page.click(".hz-nav-link:text('Permits')")
        page.wait_for_selector("#permits-form-submit")
        assert "Takes effect at once" in page.inner_text(".hz-pm-effect")
        pick(page, "permits-form-enterprise", "Test Fertilizer (e1)")
        # One site with one zone: both follow the enterprise by themselves.
        page.wait_for_selector("#permits-form-zone:has-text('Ammonia tanks')")
        page.click("#permits-form-submit")
        page.wait_for_selector(".hz-pm-form .hz-error:text('Operation type: required')")
        pick(page, "permits-form-type", "Hot work")
        page.fill("#permits-form-number", "TEL-1")
        page.fill("#permits-form-workers", "5")
        page.fill("#permits-form-end", "soon")
        page.click("#permits-form-submit")
        page.wait_for_selector(".hz-pm-form .hz-error:text('End: write the time as')")
        page.fill("#permits-form-end", "2099-01-01 08:00")
        page.fill("#permits-form-note", "Wang Qiang called at 23:10")
        page.click("#permits-form-submit")
        page.wait_for_selector(".hz-pm-form .hz-ok:text('Permit TEL-1 recorded')")
        row = page.locator(".hz-pm-grid .ag-row[row-id='e1/s1/TEL-1']")
        row.wait_for(timeout=10000)
        text = row.inner_text()
        assert "In force" in text and "Hot work" in text and "Ammonia tanks" in text
        assert "Phone, recorded by insp" in text
        assert page.locator("#permits-form-number").input_value() == ""
        # The crowd is still there, now covered: the alarm service clears the alarm.
        wait_for(lambda: zone_alarm(app)["cleared_at"], 10, what="the alarm to clear")
        assert page.outside_requests == []
    [permit] = app.get("/permits", auth=VIEWER, active="1").json()["permits"]
    assert (permit["permit"], permit["type"], permit["workers"]) == ("TEL-1", "hot_work", 5)
    assert permit["end"] == "2099-01-01T00:00:00.000Z"  # 08:00 in Asia/Shanghai


FORGE = """async () => {
  const deps = await (await fetch('/_dash-dependencies')).json();
  const dep = deps.find(d => d.inputs.some(i => i.id === 'permits-form-submit'));
  const outputs = dep.output.replace(/^\\.\\./, '').replace(/\\.\\.$/, '').split('...')
    .map(o => { const k = o.lastIndexOf('.'); return {id: o.slice(0, k), property: o.slice(k + 1)}; });
  const values = {'permits-form-enterprise': 'e1', 'permits-form-site': 's1',
    'permits-form-zone': 'Z1', 'permits-form-type': 'hot_work', 'permits-form-number': 'FORGED',
    'permits-form-start': '2026-01-01 00:00', 'permits-form-end': '2099-01-01 00:00',
    'permits-form-workers': 9, 'permits-form-status': 'approved', 'permits-bump': 0,
    'shell-lang': 'en'};
  const body = {output: dep.output, outputs: outputs,
    inputs: [{id: 'permits-form-submit', property: 'n_clicks', value: 1}],
    changedPropIds: ['permits-form-submit.n_clicks'],
    state: dep.state.map(s => ({id: s.id, property: s.property, value: values[s.id] ?? null}))};
  const r = await fetch('/_dash-update-component', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  return [r.status, await r.text()];
}"""


def test_a_viewer_has_no_form_and_a_forged_record_is_refused(app) -> None:  # noqa: F811
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        log_in(page, site, *VIEWER)
        page.goto(site + "/permits")
        page.wait_for_selector(".hz-pm-restriction-list")
        page.wait_for_selector(".hz-pm-grid .ag-overlay-no-rows-center, .hz-pm-grid .ag-overlay")
        assert page.locator("#permits-form-submit, #permits-form-enterprise").count() == 0
        status, body = page.evaluate(FORGE)
        assert status == 200 and "Your role may not record permits" in body, body
        assert "FORGED" not in body
    with browser_page() as page:  # the same request from an inspector's session is accepted
        log_in(page, site, *INSPECTOR)
        status, body = page.evaluate(FORGE)
        assert status == 200 and "Permit FORGED recorded" in body, body
    permits = app.get("/permits", auth=VIEWER).json()["permits"]
    assert [p["permit"] for p in permits] == ["FORGED"]
