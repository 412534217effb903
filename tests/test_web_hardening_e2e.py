"""`app.py serve` over real HTTP: production server, headers, JSON errors, files, simulators.

Issue 10, build items 3, 7 and 10: no versions in `Server`, bodies over 1 MiB refused, a
strict CSP, HSTS with `--secure-cookies`, no-store on phone numbers, JSON 404/400 for every
unknown or invalid /api/v1 request, data files 0600 in a 0700 folder, the generated admin
password's file retired once changed, and no simulators unless `--simulate`.
"""

from __future__ import annotations

import re
import stat
import time
import uuid
from pathlib import Path

import pytest
import requests

from monitoring.books.users import UserBook
from monitoring.db.database import Database
from tests.e2e_support import HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
INSPECTOR = ("insp", "inspector-pass-1")
HUGE = str(2**64)  # beyond the database's 64-bit integers


def hazwatch(workdir: Path, mosquitto, **env: str) -> HazwatchProcess:
    return HazwatchProcess(
        workdir,
        mqtt_url=mosquitto.url,
        influx_url=None,
        influx_db="hazmon",
        registry=write_registry(workdir.parent),
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}", **env},
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory, mosquitto):
    app = hazwatch(tmp_path_factory.mktemp("hardening") / "app", mosquitto)
    app.start()
    app.add_user(*INSPECTOR, "inspector")
    yield app
    app.stop()


def site(app: HazwatchProcess) -> str:
    return f"http://127.0.0.1:{app.port}"


def test_the_server_names_no_version(app) -> None:
    answers = [
        requests.get(site(app) + "/login", timeout=10),
        requests.get(app.base + "/health", timeout=10),
        requests.get(site(app) + "/assets/hazwatch.css", timeout=10),
    ]
    for r in answers:
        assert r.status_code == 200
        assert not re.search(r"\d", r.headers.get("Server", "")), r.headers["Server"]
        assert "werkzeug" not in r.headers.get("Server", "").lower()


def test_bodies_over_one_mib_are_refused_before_the_app(app) -> None:
    # 900 KiB reaches the app (and is refused there for what it says) ...
    near = {"username": "x" * (900 * 1024), "password": "p", "role": "viewer"}
    r = requests.post(app.base + "/users", json=near, auth=ADMIN, timeout=30)
    assert r.status_code == 400 and r.json()["error"].startswith("username")
    # ... 1 MiB and more never does.
    big = {"username": "x" * (1024 * 1024), "password": "p", "role": "viewer"}
    r = requests.post(app.base + "/users", json=big, auth=ADMIN, timeout=30)
    assert r.status_code == 413
    callback = requests.post(
        site(app) + "/_dash-update-component",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert callback.status_code == 413


def test_pages_and_the_api_send_a_strict_policy_and_no_store(app) -> None:
    alarm = requests.get(app.base + "/alarms", auth=INSPECTOR, timeout=10)
    contacts = requests.get(app.base + "/enterprises/e1/contacts", auth=INSPECTOR, timeout=10)
    assert "+86 139" in contacts.text
    page = requests.get(site(app) + "/login", timeout=10)
    for r in (page, alarm, contacts):
        policy = r.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        script = directives["script-src"].split()
        assert script[0] == "'self'" and all(s.startswith("'sha256-") for s in script[1:])
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert r.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in r.headers  # plain HTTP here
    static = requests.get(site(app) + "/assets/hazwatch.css", timeout=10)
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_unknown_and_invalid_api_requests_are_json_404_and_400(app) -> None:
    for path, auth in (
        ("/nope", None),
        ("/nope", ADMIN),
        ("/alarms/1/nope", None),
        ("", None),
        ("/", None),
        (f"/alarms/{HUGE}", INSPECTOR),
        ("/alarms/424242", INSPECTOR),
        ("/enterprises/e1/contacts?alarm_id=424242", INSPECTOR),
    ):
        r = requests.get(app.base + path, auth=auth, timeout=10)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert r.headers["Content-Type"] == "application/json" and r.json()["error"], path
    for path in (
        f"/alarms?since={HUGE}",
        f"/enterprises/e1/contacts?alarm_id={HUGE}",
        "/enterprises/e1/contacts?alarm_id=abc",
    ):
        r = requests.get(app.base + path, auth=INSPECTOR, timeout=10)
        assert r.status_code == 400 and r.json()["error"], (path, r.status_code, r.text[:200])
    for path, body in (
        (f"/alarms/{HUGE}/ack", {"comment": "checked"}),
        ("/calls", {"alarm_id": 2**64, "contact": "Duty One", "outcome": "reached"}),
    ):
        r = requests.post(app.base + path, json=body, auth=INSPECTOR, timeout=10)
        assert r.status_code in (400, 404) and r.json()["error"], (path, r.text[:200])
    for method in ("POST", "DELETE"):  # the pages' catch-all answers them 405 "GET only"
        r = requests.request(method, app.base + "/nope", timeout=10)
        assert r.status_code == 404 and r.json()["error"], (method, r.status_code)
    assert requests.get(app.base + "/health", timeout=10).status_code == 200
    assert "json" not in requests.get(site(app) + "/nope", timeout=10).headers["Content-Type"]


def test_hsts_is_sent_only_with_secure_cookies(tmp_path, mosquitto) -> None:
    app = hazwatch(tmp_path / "app", mosquitto)
    app.args.append("--secure-cookies")
    app.start()
    try:
        for url in (site(app) + "/login", app.base + "/health"):
            hsts = requests.get(url, timeout=10).headers["Strict-Transport-Security"]
            assert int(hsts.removeprefix("max-age=")) >= 180 * 24 * 3600
    finally:
        app.stop()


def modes(folder: Path) -> dict[str, int]:
    """Return {path relative to folder: permission bits} of everything in it, itself as '.'."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        if path.name != "app.log":  # the test's own file
            found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_data_files_are_private_even_as_an_earlier_version_left_them(tmp_path, mosquitto) -> None:
    workdir = tmp_path / "app"
    app = hazwatch(workdir, mosquitto)
    del app.env["HAZMON_ADMIN_PASSWORD"]  # the first start generates one
    app.start()
    try:
        found = modes(workdir)
        for name in ("hazwatch.db", "readings.sqlite", "web-secret-key", "initial-admin-password"):
            assert found[name] == 0o600, (name, oct(found[name]))
        assert found["."] == 0o700 and found["journal"] == 0o700
        loose = {k: oct(v) for k, v in found.items() if v & 0o077}
        assert loose == {}, loose
    finally:
        app.stop()

    # As an earlier version left them: readable by everyone. The next start tightens them.
    for path in [workdir, *workdir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    app.start()
    try:
        loose = {k: oct(v) for k, v in modes(workdir).items() if v & 0o077}
        assert loose == {}, loose
        assert "readable by others, now 600/700" in (workdir / "app.log").read_text()
    finally:
        app.stop()


def test_the_initial_password_file_goes_once_the_password_changed(tmp_path, mosquitto) -> None:
    workdir = tmp_path / "app"
    app = hazwatch(workdir, mosquitto)
    del app.env["HAZMON_ADMIN_PASSWORD"]  # the first start generates one
    app.start()
    try:
        password_file = workdir / "initial-admin-password"
        generated = password_file.read_text().strip()
        assert app.get("/rejected", auth=("admin", generated)).status_code == 200
        app.stop()
        app.start()
        assert password_file.exists()  # still the administrator's password

        # The administrator changes it (here straight in the user book, as any page would).
        db = Database(f"sqlite:///{workdir / 'hazwatch.db'}")
        db.start()
        try:
            UserBook(db).set_password("admin", "a-new-admin-password-1")
        finally:
            db.close()
    finally:
        app.stop()
    app.start()  # checked at start (and every 30 s while running)
    try:
        wait_for(lambda: not password_file.exists(), 10, what="the file to be deleted")
        ok = app.get("/rejected", auth=("admin", "a-new-admin-password-1"))
        assert ok.status_code == 200
    finally:
        app.stop()


def test_serve_runs_the_simulators_only_when_asked(tmp_path, mosquitto) -> None:
    root = f"t{uuid.uuid4().hex[:8]}"  # a topic root no other test publishes under
    quiet = hazwatch(tmp_path / "quiet", mosquitto, HAZMON_TOPIC_ROOT=root)
    quiet.args.remove("--no-simulate")  # serve as an operator would start it
    quiet.start()
    try:
        time.sleep(4)  # the simulators publish within a second when they run
        assert quiet.health()["ingest"]["received"] == 0
        assert not (tmp_path / "quiet" / "registry.yaml").exists()
    finally:
        quiet.stop()

    asked = hazwatch(tmp_path / "asked", mosquitto, HAZMON_TOPIC_ROOT=root)
    asked.args[asked.args.index("--no-simulate")] = "--simulate"
    asked.start()
    try:
        wait_for(lambda: asked.health()["ingest"]["received"] > 0, 30, what="simulated data")
    finally:
        asked.stop()
