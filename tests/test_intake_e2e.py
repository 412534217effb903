"""End to end: gateway -> real Mosquitto -> `app.py serve` -> real InfluxDB, and /api/v1."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e_support import Gateway, HazwatchProcess, write_registry
from tests.services import wait_for

pytestmark = pytest.mark.services


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def stack(tmp_path, mosquitto, influxdb, influx_db_name):
    registry = write_registry(tmp_path)
    app = HazwatchProcess(
        tmp_path / "app",
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_db=influx_db_name,
        registry=registry,
        extra_env={"HAZMON_MQTT_CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}"},
    )
    app.start()
    gw = Gateway(mosquitto.port, f"gw-{uuid.uuid4().hex[:8]}")
    yield app, gw, influxdb, influx_db_name
    gw.close()
    app.stop()


def count_points(influxdb, db: str, measurement: str = "reading", **where: str) -> int:
    clause = " AND ".join(f'"{k}" = ${k}' for k in where) or "time > 0"
    series = influxdb.query(db, f'SELECT count(*) FROM "{measurement}" WHERE {clause}', where)  # noqa: S608 (constant keys; values bound)
    if not series:
        return 0
    return max(v for v in series[0]["values"][0][1:] if v is not None)


def test_valid_readings_are_stored_with_registry_tags(stack):
    app, gw, influxdb, db = stack
    ts = now_ms() - 10_000
    gw.publish(
        "hazmon/e1/s1/telemetry",
        {
            "ts": ts,
            "readings": [
                {"sensor": "NH3-1", "value": 12.5},
                {"sensor": "LT-1", "value": 63.2, "quality": "uncertain", "ts": ts - 1000},
                {"sensor": "NEW-9", "value": True},
            ],
        },
    )
    gw.publish(
        "hazmon/e1/s1/presence",
        {"ts": ts, "camera": "CAM-1", "zone": "Z1", "people": 6, "confidence": 0.93},
    )
    gw.wait_all()
    wait_for(lambda: count_points(influxdb, db) == 3, 15, what="3 readings in InfluxDB")
    wait_for(lambda: count_points(influxdb, db, "presence") == 1, 15, what="presence point")

    rows = influxdb.query(db, 'SELECT * FROM "reading" GROUP BY *')
    by_sensor = {s["tags"]["sensor"]: s for s in rows}
    assert by_sensor["NH3-1"]["tags"] == {
        "enterprise": "e1",
        "site": "s1",
        "zone": "Z1",
        "sensor": "NH3-1",
        "kind": "gas_nh3",
    }
    cols = by_sensor["NH3-1"]["columns"]
    assert dict(zip(cols, by_sensor["NH3-1"]["values"][0], strict=True))["value"] == 12.5
    lt = dict(zip(by_sensor["LT-1"]["columns"], by_sensor["LT-1"]["values"][0], strict=True))
    assert lt["time"] == ts - 1000 and lt["quality"] == "uncertain"
    assert by_sensor["NEW-9"]["tags"]["zone"] == "unknown"
    assert by_sensor["NEW-9"]["tags"]["kind"] == "unknown"
    presence = influxdb.query(db, 'SELECT * FROM "presence" GROUP BY *')[0]
    assert presence["tags"] == {"enterprise": "e1", "site": "s1", "zone": "Z1", "camera": "CAM-1"}
    point = dict(zip(presence["columns"], presence["values"][0], strict=True))
    assert point["people"] == 6 and point["confidence"] == 0.93

    health = app.health()
    assert health["status"] == "ok", health
    assert health["ingest"]["received"] == 2 and health["ingest"]["stored"] == 4
    assert health["broker"]["connected"] and health["store"]["reachable"]


BAD_INPUTS = [
    ("hazmon/e1/s1/telemetry", b"{not json", "bad_json"),
    ("hazmon/e1/s1/telemetry", b"\xff\xfe\x00garbage", "bad_encoding"),
    ("hazmon/e1/s1/telemetry", b"[1, 2, 3]", "not_object"),
    ("hazmon/e1/s1/telemetry", b'{"ts": 1, "sensor": "NH3-1", "value": 1}', "bad_timestamp"),
    ("hazmon/e1/s1/telemetry", b"x" * (256 * 1024 + 1), "too_large"),
    ("hazmon/e1/s1/weather", b'{"sensor": "NH3-1", "value": 1}', "bad_topic"),
    ("hazmon/e1/s1/extra/telemetry", b'{"sensor": "NH3-1", "value": 1}', "bad_topic"),
    ("hazmon/e1/bad site/telemetry", b'{"sensor": "NH3-1", "value": 1}', "bad_id"),
    (
        "hazmon/e1/s1/telemetry",
        b'{"sensor": "x\\nreading,enterprise=evil value=1 0", "value": 1}',
        "bad_id",
    ),
    ("hazmon/e1/s1/telemetry", b'{"sensor": "NH3-1", "value": "12"}', "bad_value"),
    ("hazmon/e1/s1/telemetry", b'{"readings": []}', "no_content"),
    ("hazmon/e1/s1/presence", b'{"camera": "CAM-1", "zone": "Z1", "people": -3}', "bad_value"),
    ("hazmon/e1/s1/permit", b'{"permit": "P1", "type": "dancing", "zone": "Z1"}', "bad_field"),
]


def test_each_bad_input_is_rejected_kept_and_counted_while_neighbours_are_stored(stack):
    app, gw, influxdb, db = stack
    base = now_ms() - 60_000
    for i, (topic, payload, _code) in enumerate(BAD_INPUTS):
        gw.publish("hazmon/e1/s1/telemetry", {"ts": base + i, "sensor": "NH3-1", "value": i})
        gw.publish(topic, payload)
    # One message with a NaN reading among good ones: the good ones are kept.
    gw.publish(
        "hazmon/e1/s1/telemetry",
        b'{"ts": %d, "readings": [{"sensor": "LT-1", '
        b'"value": 50}, {"sensor": "NH3-1", "value": NaN}, {"sensor": "LT-1", '
        b'"value": 51, "ts": %d}]}' % (base, base + 1),
    )
    gw.wait_all()
    expected_good = len(BAD_INPUTS) + 2
    wait_for(
        lambda: count_points(influxdb, db) == expected_good,
        20,
        what=f"{expected_good} good readings stored",
    )
    wait_for(
        lambda: app.health()["ingest"]["rejected"] == len(BAD_INPUTS),
        10,
        what="rejections counted in /health",
    )

    answer = app.get("/rejected", limit=100).json()
    codes = [r["code"] for r in answer["rejected"]]
    for topic, _payload, code in BAD_INPUTS:
        assert any(r["code"] == code and r["topic"] == topic for r in answer["rejected"]), (
            topic,
            code,
            codes,
        )
    assert "bad_value" in codes  # the NaN reading, kept with its message
    assert all(len(r["payload"].encode("utf-8", "replace")) <= 4 * 4096 for r in answer["rejected"])
    big = next(r for r in answer["rejected"] if r["code"] == "too_large")
    assert big["size"] == 256 * 1024 + 1 and big["payload_truncated"]
    assert answer["counts"]["bad_id"] == 2
    # Nothing of the injection attempt reached InfluxDB.
    assert influxdb.query(db, 'SHOW TAG VALUES FROM "reading" WITH KEY = "enterprise"')[0][
        "values"
    ] == [["enterprise", "e1"]]
    assert app.health()["ingest"]["rejected_readings"] == 1


def test_redelivered_message_is_stored_once(stack):
    app, gw, influxdb, db = stack
    msg = {
        "ts": now_ms() - 5000,
        "readings": [{"sensor": "NH3-1", "value": 3.0}, {"sensor": "LT-1", "value": 40.0}],
    }
    for _ in range(3):
        gw.publish("hazmon/e1/s1/telemetry", msg)
    gw.wait_all()
    wait_for(lambda: app.health()["ingest"]["received"] == 3, 15, what="3 messages received")
    wait_for(lambda: app.health()["ingest"]["pending"] == 0, 15, what="nothing pending")
    assert count_points(influxdb, db) == 2


def test_rejected_needs_admin_and_health_is_public(stack):
    app, _gw, _influxdb, _db = stack
    assert app.get("/rejected", auth=None).status_code == 401
    assert app.get("/rejected", auth=("admin", "wrong-password")).status_code == 401
    created = __import__("requests").post(
        f"{app.base}/users",
        auth=("admin", "admin-secret-1"),
        json={"username": "wall", "password": "wall-display-1", "role": "viewer"},
        timeout=10,
    )
    assert created.status_code == 201 and "password" not in created.json()
    assert app.get("/rejected", auth=("wall", "wall-display-1")).status_code == 403
    assert app.get("/health", auth=None).status_code == 200
