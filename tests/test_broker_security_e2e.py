"""End to end with the shipped broker configuration: gateways and `app.py serve` as their users.

The broker runs deploy/mosquitto.conf (only ports and folders private) with the files of
`app.py gateway-credentials`; the ingest signs in as `hazwatch-ingest`, over plain MQTT or
over TLS with the centre's CA. Issue 10: a forged permit hid an alarm, forged readings closed
a real alarm and forged statuses toggled alarms, all published from another enterprise's client.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
import requests

from tests.broker_clients import (
    NOT_AUTHORIZED,
    Probe,
    generate_credentials,
    write_two_enterprise_registry,
)
from tests.deployed_broker import SecuredMosquitto, make_certificates
from tests.e2e_support import ROOT, HazwatchProcess
from tests.services import wait_for

pytestmark = pytest.mark.services

PERMIT = {
    "permit": "FORGED-1",
    "type": "hot_work",
    "zone": "Z1",
    "start": "2026-01-01T00:00:00+08:00",
    "end": "2099-01-01T00:00:00+08:00",
    "level": "1",
    "supervisor": "Nobody",
    "workers": 9,
    "status": "approved",
}


@pytest.fixture
def secured(tmp_path, mosquitto_binary, influx_factory, influx_db_name):
    certs = make_certificates(tmp_path / "certs")
    registry = write_two_enterprise_registry(tmp_path)
    creds = generate_credentials(registry, tmp_path / "hazwatch.d")
    broker = SecuredMosquitto(
        tmp_path / "mosquitto", mosquitto_binary, certs, tmp_path / "hazwatch.d"
    )
    influx = influx_factory()
    broker.start()
    influx.start()
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(creds["ingest"][1] + "\n")
    password_file.chmod(0o600)
    made: list[HazwatchProcess | Probe] = []

    def serve(mqtt_url: str, **env: str) -> HazwatchProcess:
        app = HazwatchProcess(
            tmp_path / f"app-{len(made)}",
            mqtt_url=mqtt_url,
            influx_url=influx.url,
            influx_db=influx_db_name,
            registry=registry,
            extra_env={
                "HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}",
                "HAZMON_MQTT_USERNAME": creds["ingest"][0],
                "HAZMON_MQTT_PASSWORD_FILE": str(password_file),
                **env,
            },
        )
        made.append(app)
        return app

    def gateway(site: str, tls: bool = False) -> Probe:
        if tls:
            probe = Probe(broker.tls_port, creds[site], ca_file=certs / "ca.crt", host="localhost")
        else:
            probe = Probe(broker.port, creds[site])
        made.append(probe)
        reason = probe.connect()
        assert reason is not None and not reason.is_failure, f"CONNACK {reason}"
        return probe

    yield broker, influx, influx_db_name, certs, serve, gateway
    for thing in reversed(made):
        if isinstance(thing, Probe):
            thing.close()
        else:
            thing.stop()
    broker.stop()


def readings(influx, db: str, enterprise: str) -> list[tuple[int, float]]:
    """Return (time ms, value) of every stored reading of an enterprise, oldest first."""
    series = influx.query(
        db, 'SELECT "value" FROM "reading" WHERE "enterprise" = $e', {"e": enterprise}
    )
    return [(row[0], row[1]) for s in series for row in s["values"]]


def telemetry(ts: int, value: float) -> bytes:
    return json.dumps({"ts": ts, "sensor": "NH3-1", "value": value}).encode()


def test_ingest_stores_a_gateways_own_readings_and_nothing_it_forged(secured):
    broker, influx, db, _certs, serve, gateway = secured
    app = serve(broker.url)
    app.start()  # waits until the ingest is connected and subscribed as hazwatch-ingest
    ts = int(time.time() * 1000) - 60_000
    assert gateway("e1/s1").publish("hazmon/e1/s1/telemetry", telemetry(ts, 1.0)) == 0

    # e2's gateway forges what issue 10 found: a reading over e1's high_high (85 ppm),
    # a permit and an offline status, each refused with 0x87 (and the client cut off).
    forged = [
        ("hazmon/e1/s1/telemetry", telemetry(ts + 1, 99.0)),
        ("hazmon/e1/s1/permit", json.dumps(PERMIT).encode()),
        ("hazmon/e1/s1/status", b"offline"),
    ]
    for topic, payload in forged:
        assert gateway("e2/s1").publish(topic, payload) == NOT_AUTHORIZED
    # Its own site's reading goes through and marks the end of the test's traffic.
    assert gateway("e2/s1").publish("hazmon/e2/s1/telemetry", telemetry(ts + 2, 2.0)) == 0

    wait_for(lambda: readings(influx, db, "e2") == [(ts + 2, 2.0)], 20, what="e2's reading")
    assert readings(influx, db, "e1") == [(ts, 1.0)]
    health = app.health()
    assert health["ingest"]["received"] == 2, health["ingest"]  # the forged never arrived
    assert app.get("/rejected").json()["total"] == 0
    assert app.get("/permits").json()["permits"] == []
    # Neither the forged 99 ppm nor the forged offline status raised anything. (PT-1 of the
    # test registry may go stale meanwhile: that lost-comm alarm is real.)
    alarms = app.get("/alarms").json()["alarms"]
    assert [a for a in alarms if a["source"] in ("sensor:NH3-1", "gateway")] == [], alarms


def test_ingest_and_gateways_over_tls_with_the_centres_ca(secured):
    broker, influx, db, certs, serve, gateway = secured
    app = serve(broker.tls_url, HAZMON_MQTT_CA_FILE=str(certs / "ca.crt"))
    app.start()
    assert app.health()["broker"]["connected"]
    ts = int(time.time() * 1000) - 60_000
    gw = gateway("e1/s1", tls=True)
    assert gw.publish("hazmon/e1/s1/telemetry", telemetry(ts, 3.0)) == 0
    assert gateway("e2/s1", tls=True).publish(
        "hazmon/e1/s1/telemetry", telemetry(ts + 1, 99.0)
    ) == (NOT_AUTHORIZED)
    assert gw.publish("hazmon/e1/s1/telemetry", telemetry(ts + 2, 4.0)) == 0
    wait_for(lambda: len(readings(influx, db, "e1")) >= 2, 20, what="e1's readings over TLS")
    assert readings(influx, db, "e1") == [(ts, 3.0), (ts + 2, 4.0)]


def test_ingest_refuses_a_broker_its_ca_did_not_sign(secured):
    broker, _influx, _db, _certs, serve, _gateway = secured
    # Without --mqtt-ca-file only the system's CAs count: the centre's broker is refused,
    # and the ingest says why.
    app = serve(broker.tls_url)
    app.workdir.mkdir(parents=True)
    log = app.workdir / "app.log"
    app.proc = subprocess.Popen(
        app.args, cwd=ROOT, env=app.env, stdout=open(log, "ab"), stderr=subprocess.STDOUT
    )
    wait_for(lambda: "certificate verify failed" in log.read_text(), 30, what="the TLS refusal")
    wait_for(lambda: answers(app), 30, what="the web app to answer")
    assert not app.health()["broker"]["connected"]


def answers(app: HazwatchProcess) -> bool:
    try:
        app.health()
    except requests.RequestException:
        return False
    return True
