"""Alarm scenarios end to end: gateway -> real Mosquitto -> `app.py serve` -> alarms API."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services

ADMIN = ("admin", "admin-secret-1")
INSPECTOR = ("insp", "inspector-pass-1")
VIEWER = ("wall", "viewer-pass-1")


def now_ms() -> int:
    return int(time.time() * 1000)


class Crowd:
    """Keep publishing a people count for a zone, as a camera does, until stopped."""

    def __init__(self, gw: Gateway, people: int, zone: str = "Z1", camera: str = "CAM-1"):
        self.gw, self.people, self.zone, self.camera = gw, people, zone, camera
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.gw.publish(
                "hazmon/e1/s1/presence",
                {"ts": now_ms(), "camera": self.camera, "zone": self.zone, "people": self.people},
            )
            self._stop.wait(0.5)

    def __enter__(self) -> Crowd:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def open_alarms(app: HazwatchProcess, **filters) -> list[dict]:
    r = app.get("/alarms", auth=VIEWER, state="open", **filters)
    assert r.status_code == 200, r.text
    return r.json()["alarms"]


def sentinel(app: HazwatchProcess, gw: Gateway) -> None:
    """Publish a level reading over its limit and wait for its alarm.

    Batches are evaluated in order, so once this alarm exists everything published before
    it has been through the rules: a test can then assert that something did NOT happen.
    """
    gw.publish("hazmon/e1/s1/telemetry", {"ts": now_ms(), "sensor": "LT-1", "value": 99.0})
    wait_for(
        lambda: any(a["source"] == "sensor:LT-1" for a in open_alarms(app)),
        15,
        what="sentinel level alarm",
    )


def start_app(
    tmp_path, mosquitto, influxdb, influx_db_name, restrictions="[]", client_id=None
) -> HazwatchProcess:
    registry = write_registry(tmp_path, restrictions)
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=registry,
        extra_env={"HAZMON_MQTT_CLIENT_ID": client_id or f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    for user, role in ((INSPECTOR, "inspector"), (VIEWER, "viewer")):
        app.add_user(user[0], user[1], role)
    return app


@pytest.fixture
def gateway(mosquitto):
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield gw
    gw.close()


@pytest.fixture
def app(tmp_path, mosquitto, influxdb, influx_db_name):
    app = start_app(tmp_path, mosquitto, influxdb, influx_db_name)
    yield app
    app.stop()


def test_night_patrol_raises_exactly_one_orange_suspected_special_operation(app, gateway):
    with Crowd(gateway, 6):
        wait_for(
            lambda: any(a["rule"] == "special_operation" for a in open_alarms(app)),
            20,
            what="suspected special operation alarm",
        )
        sentinel(app, gateway)
    alarms = [a for a in open_alarms(app) if a["rule"] in ("special_operation", "people")]
    assert len(alarms) == 1, alarms
    alarm = alarms[0]
    assert (alarm["enterprise"], alarm["site"], alarm["zone"]) == ("e1", "s1", "Z1")
    assert alarm["severity"] == "orange" and alarm["state"] == "active_unack"
    assert alarm["source"] == "zone:Z1" and alarm["count"] == 1
    assert "6 people in Ammonia tanks" in alarm["message"] and "no permit" in alarm["message"]


@pytest.mark.parametrize("reported_by", ["gateway", "inspector"])
def test_covering_approved_permit_prevents_the_alarm(app, gateway, reported_by):
    start = datetime.now(UTC) - timedelta(hours=1)
    permit = {
        "permit": "DH-1",
        "type": "hot_work",
        "zone": "Z1",
        "status": "approved",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=4)).isoformat(),
        "workers": 6,
        "supervisor": "Wang Qiang",
    }
    if reported_by == "gateway":
        gateway.publish("hazmon/e1/s1/permit", permit)
        gateway.wait_all()
    else:  # reported by phone and recorded by an inspector
        body = {"enterprise": "e1", "site": "s1", **permit}
        refused = requests.post(f"{app.base}/permits", json=body, auth=VIEWER, timeout=10)
        assert refused.status_code == 403
        bad = requests.post(
            f"{app.base}/permits", json={**body, "type": "dancing"}, auth=INSPECTOR, timeout=10
        )
        assert bad.status_code == 400 and "type" in bad.json()["error"]
        r = requests.post(f"{app.base}/permits", json=body, auth=INSPECTOR, timeout=10)
        assert r.status_code == 201 and r.json()["permit"] == "DH-1"
    wait_for(lambda: app.get("/permits", auth=VIEWER).json()["permits"], 10, what="permit stored")
    with Crowd(gateway, 6):
        # Longer than the zone's dwell (2 s) plus a rule tick.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            assert not [a for a in open_alarms(app) if a["source"] == "zone:Z1"]
            time.sleep(0.5)
        sentinel(app, gateway)
    assert not [a for a in open_alarms(app) if a["source"] == "zone:Z1"]


def test_restriction_period_turns_a_permitted_operation_into_a_yellow_reminder(
    tmp_path, mosquitto, influxdb, influx_db_name, gateway
):
    now = datetime.now(UTC)
    restriction = (
        f"[{{name: Winter inspection, start: '{(now - timedelta(days=1)).isoformat()}'"
        f", end: '{(now + timedelta(days=1)).isoformat()}'}}]"
    )
    app = start_app(tmp_path, mosquitto, influxdb, influx_db_name, restrictions=restriction)
    try:
        gateway.publish(
            "hazmon/e1/s1/permit",
            {
                "permit": "DH-2",
                "type": "confined_space",
                "zone": "Z1",
                "status": "approved",
                "start": (now - timedelta(hours=1)).isoformat(),
                "end": (now + timedelta(hours=3)).isoformat(),
                "workers": 6,
            },
        )
        gateway.wait_all()
        wait_for(
            lambda: app.get("/permits", auth=VIEWER).json()["permits"], 10, what="permit stored"
        )
        with Crowd(gateway, 4):
            wait_for(
                lambda: [a for a in open_alarms(app) if a["source"] == "zone:Z1"],
                20,
                what="restricted-period reminder",
            )
        alarm = next(a for a in open_alarms(app) if a["source"] == "zone:Z1")
        assert alarm["rule"] == "special_operation" and alarm["severity"] == "yellow"
        assert "restricted period" in alarm["message"]
    finally:
        app.stop()


def test_ammonia_over_high_with_a_person_in_the_zone_escalates_to_red(app, gateway):
    with Crowd(gateway, 1):
        gateway.publish(
            "hazmon/e1/s1/telemetry", {"ts": now_ms(), "sensor": "NH3-1", "value": 55.0}
        )
        wait_for(
            lambda: any(
                a["source"] == "sensor:NH3-1" and a["severity"] == "red" for a in open_alarms(app)
            ),
            20,
            what="red exposure alarm",
        )
    gas = [a for a in open_alarms(app) if a["source"] == "sensor:NH3-1"]
    assert len(gas) == 1 and gas[0]["rule"] == "limit"  # escalated, not a twin
    assert "exposed" in gas[0]["message"]


def test_a_silent_sensor_raises_lost_communication_and_clears_on_data(app, gateway):
    gateway.publish("hazmon/e1/s1/telemetry", {"ts": now_ms(), "sensor": "PT-1", "value": 1.0})
    wait_for(
        lambda: any(
            a["source"] == "sensor:PT-1" and a["rule"] == "lost_comm" for a in open_alarms(app)
        ),
        20,
        what="lost communication alarm",
    )
    gateway.publish("hazmon/e1/s1/telemetry", {"ts": now_ms(), "sensor": "PT-1", "value": 1.1})

    def cleared() -> bool:
        r = app.get("/alarms", auth=VIEWER, state="all").json()["alarms"]
        return any(a["source"] == "sensor:PT-1" and a["cleared_at"] for a in r)

    wait_for(cleared, 15, what="lost communication cleared")


def test_inspector_flow_contacts_call_and_acknowledge(app, gateway):
    with Crowd(gateway, 6):
        wait_for(lambda: open_alarms(app, severity="orange"), 20, what="orange alarm")
    alarm = open_alarms(app, severity="orange")[0]
    contacts = app.get("/enterprises/e1/contacts", auth=INSPECTOR, alarm_id=alarm["id"])
    assert contacts.status_code == 200
    people = contacts.json()["contacts"]
    assert people[0]["role"] == "duty_officer" and people[0]["on_duty"] is True
    assert people[0]["phone"].startswith("+86")
    call = requests.post(
        f"{app.base}/calls",
        auth=INSPECTOR,
        timeout=10,
        json={
            "alarm_id": alarm["id"],
            "contact": people[0]["name"],
            "outcome": "reached",
            "note": "Special operations should not be organised now.",
        },
    )
    assert call.status_code == 201, call.text
    ack = requests.post(
        f"{app.base}/alarms/{alarm['id']}/ack",
        auth=INSPECTOR,
        timeout=10,
        json={"comment": "Duty officer called", "disposition": "real_event"},
    )
    assert ack.status_code == 200 and ack.json()["state"] == "active_ack"
    detail = app.get(f"/alarms/{alarm['id']}", auth=INSPECTOR).json()
    assert [c["outcome"] for c in detail["calls"]] == ["reached"]
    assert any(
        t["actor"] == "insp" and t["to_state"] == "active_ack" for t in detail["transitions"]
    )


def test_roles_are_enforced_and_refusals_change_nothing(app, gateway):
    with Crowd(gateway, 6):
        wait_for(lambda: open_alarms(app, severity="orange"), 20, what="orange alarm")
    alarm = open_alarms(app, severity="orange")[0]
    base = app.base
    for method, path, body in (
        ("get", "/alarms", None),
        ("get", "/enterprises/e1/contacts", None),
        ("post", "/calls", {"alarm_id": alarm["id"], "contact": "Duty One", "outcome": "reached"}),
        ("post", f"/alarms/{alarm['id']}/ack", {"comment": "x"}),
        ("post", "/users", {"username": "evil", "password": "evil-pass-1", "role": "admin"}),
    ):
        r = requests.request(method, base + path, json=body, timeout=10)
        assert r.status_code == 401, (path, r.status_code)
    for method, path, body in (
        ("get", "/enterprises/e1/contacts", None),
        ("post", "/calls", {"alarm_id": alarm["id"], "contact": "Duty One", "outcome": "reached"}),
        ("post", f"/alarms/{alarm['id']}/ack", {"comment": "x"}),
        ("post", "/users", {"username": "evil", "password": "evil-pass-1", "role": "admin"}),
        ("get", "/rejected", None),
    ):
        r = requests.request(method, base + path, json=body, auth=VIEWER, timeout=10)
        assert r.status_code == 403, (path, r.status_code)
    detail = app.get(f"/alarms/{alarm['id']}", auth=VIEWER).json()
    assert detail["state"] == "active_unack" and detail["calls"] == []
    assert "phone" not in str(detail["calls"])  # and a viewer never gets phone numbers
    assert app.get("/enterprises/e1/contacts", auth=ADMIN).status_code == 200


def test_ingest_restart_neither_duplicates_nor_loses_open_alarms(
    tmp_path, mosquitto, influxdb, influx_db_name, gateway
):
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    app = start_app(tmp_path, mosquitto, influxdb, influx_db_name, client_id=client_id)
    try:
        with Crowd(gateway, 6):
            wait_for(lambda: open_alarms(app, severity="orange"), 20, what="orange alarm")
            first = open_alarms(app, severity="orange")
            app.kill()
            app.start()
            # The zone is still crowded after the restart, well past its dwell time.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.5)
            sentinel(app, gateway)
            after = [a for a in open_alarms(app) if a["source"] == "zone:Z1"]
        assert [a["id"] for a in after] == [a["id"] for a in first]
        assert after[0]["count"] == 1 and after[0]["state"] == "active_unack"
    finally:
        app.stop()
