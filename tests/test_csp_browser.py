"""Every page works in a real browser under the strict Content-Security-Policy, in both languages.

The browser reports each policy violation (`securitypolicyviolation`); none may occur while
an administrator uses every page, and an injected inline script must be refused.
"""

from __future__ import annotations

import uuid

import pytest

from tests.browser import browser_page, log_in, wait_for_wall
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for
from tests.test_alarms_e2e import Crowd, now_ms
from tests.test_wall_browser import browser_ready, gateway  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sample || '')));
"""
LARGEST_BODY_BYTES = 16 * 1024  # far below the server's 1 MiB bound


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
    app.start()
    yield app
    app.stop()


def special_operation(app: HazwatchProcess, gateway) -> int:  # noqa: F811
    """Publish readings and a crowd until the suspected special operation is raised."""
    gateway.publish(
        "hazmon/e1/s1/telemetry",
        {"ts": now_ms(), "readings": [{"sensor": "NH3-1", "value": 12.0}]},
    )
    with Crowd(gateway, 6):

        def raised() -> list[int]:
            alarms = app.get("/alarms", state="open").json()["alarms"]
            return [a["id"] for a in alarms if a["rule"] == "special_operation"]

        wait_for(raised, 20, what="the suspected special operation alarm")
    return raised()[0]


def test_every_page_works_under_the_policy_in_both_languages(app, gateway) -> None:  # noqa: F811
    alarm_id = special_operation(app, gateway)
    site = f"http://127.0.0.1:{app.port}"
    with browser_page() as page:
        page.context.add_init_script(RECORD_VIOLATIONS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        bodies: list[int] = []
        page.on("request", lambda r: bodies.append(len(r.post_data_buffer or b"")))
        violations: list[str] = []

        def collect() -> None:
            violations.extend(page.evaluate("window.__csp || []"))

        first = page.goto(site + "/login")
        policy = first.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in policy and "'unsafe-eval'" not in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        log_in(page, site, *ADMIN)
        for lang, (alarm_text, severity, enterprise) in (
            ("en", ("Suspected special operation", "Orange", "Test Fertilizer")),
            ("zh", ("疑似特殊作业", "橙色（二级）", "测试化肥")),
        ):
            page.goto(site + "/")
            wait_for_wall(page)
            if lang == "zh":
                page.click(".hz-lang")
                page.wait_for_selector(".hz-grid .hz-ent:has-text('测试化肥')")
            collect()

            page.goto(f"{site}/console?alarm={alarm_id}")
            row = page.locator(f".hz-console-grid .ag-row[row-id='{alarm_id}']")
            row.wait_for(timeout=15000)
            assert alarm_text in row.inner_text()  # in the page's language
            assert severity in row.inner_text()  # ag-grid's `{"function": ...}` formatter ran
            row.click()
            page.wait_for_selector(".hz-trend .main-svg", timeout=15000)  # Plotly drew
            page.click("#console-contacts-button")
            page.wait_for_selector("a.hz-contact-phone")
            collect()

            page.goto(site + "/site?enterprise=e1&site=s1&sensor=NH3-1")
            page.wait_for_selector(f".hz-site-ent:text('{enterprise}')", timeout=30000)
            page.wait_for_selector(".hz-site .main-svg", timeout=30000)
            collect()

            page.goto(site + "/enterprises?enterprise=e1")
            page.wait_for_selector(f".hz-dir-name:text('{enterprise}')", timeout=15000)
            page.click("#directory-phones-button")
            page.wait_for_selector("a.hz-contact-phone")
            collect()

            page.goto(site + "/permits")
            page.wait_for_selector(".hz-pm-restriction-list", timeout=15000)
            page.wait_for_selector("#permits-form-submit")
            collect()

            page.goto(site + "/admin")
            page.wait_for_selector(".hz-admin-users-list .ag-row[row-id='admin']", timeout=15000)
            for tab in page.locator(".hz-tab").all():
                tab.click()
                page.wait_for_timeout(300)
            collect()

        page.goto(site + "/password")  # the self-service password page, plain HTML
        page.wait_for_selector("form[action='/password'] button[type=submit]")
        collect()
        page.goto(site + "/logout")  # the sign-out confirmation, plain HTML too
        page.wait_for_selector("form[action='/logout'] button[type=submit]")
        collect()
        assert violations == [] and errors == [], (violations, errors)
        assert max(bodies) < LARGEST_BODY_BYTES, max(bodies)

        # The policy is in force: an inline script someone managed to inject does not run.
        ran = page.evaluate(
            """() => { const s = document.createElement('script');
                       s.textContent = 'window.__injected = true';
                       document.body.appendChild(s); return window.__injected === true; }"""
        )
        assert ran is False
        page.wait_for_function("window.__csp.length > 0")
        assert "script-src" in page.evaluate("window.__csp[0]")
