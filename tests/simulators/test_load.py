"""Load mode through a real Mosquitto: exactly --count readings, none overwriting another."""

from __future__ import annotations

import argparse
import json
import time

import pytest

from simulators.cli import add_arguments, run
from simulators.load import plan_slots, run_load
from simulators.province import generate_province, iter_sites
from tests.services import free_port, wait_for

pytestmark = pytest.mark.services


def _readings(rec):
    """Return (enterprise, site, sensor, ts, value) of every reading received."""
    out = []
    for topic, payload, _ in rec.of_kind("telemetry"):
        _, enterprise, site, _ = topic.split("/")
        message = json.loads(payload)
        for r in message["readings"]:
            out.append((enterprise, site, r["sensor"], r.get("ts", message["ts"]), r["value"]))
    return out


def _limits(province):
    return {(e["id"], s["id"], x["id"]): x for e, s in iter_sites(province) for x in s["sensors"]}


@pytest.mark.parametrize(
    ("engine", "publishers", "per_message", "count"),
    [
        ("wire", 1, 10, 2_345),
        ("wire", 2, 10, 4_001),
        ("paho", 2, 7, 1_000),
    ],
)
def test_load_publishes_exactly_count_unique_realistic_readings(
    mosquitto, recorder, topic_root, engine, publishers, per_message, count
):
    province = generate_province()
    rec = recorder()
    result = run_load(
        province,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
        rate=0,
        per_message=per_message,
        count=count,
        publishers=publishers,
        engine=engine,
    )
    assert result.readings == count
    assert result.publishers == publishers
    wait_for(lambda: len(_readings(rec)) >= count, timeout=30, what=f"{count} readings")
    rec.fence(f"{topic_root}/fence")  # any reading beyond the count would be here by now
    readings = _readings(rec)
    assert len(readings) == count
    assert result.messages == len(rec.of_kind("telemetry"))
    # InfluxDB keys a point by its tags and time: no (sensor, ts) twice.
    assert len({r[:4] for r in readings}) == count
    assert all(
        len(json.loads(p)["readings"]) <= per_message for _, p, _ in rec.of_kind("telemetry")
    )
    limits = _limits(province)
    assert {r[:3] for r in readings} == set(limits), "every sensor of the province, round-robin"
    for enterprise, site, sensor, _, value in readings:
        spec = limits[(enterprise, site, sensor)]
        assert value < spec.get("high", float("inf")) and value > spec.get("low", -1), spec


def test_load_rate_is_paced(mosquitto, recorder, topic_root):
    province = generate_province(2)
    result = run_load(
        province,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
        rate=2_000,
        per_message=5,
        count=1_000,
        publishers=1,
    )
    assert result.readings == 1_000
    assert 0.4 <= result.elapsed_s < 5, result.elapsed_s
    assert result.readings_per_s <= 2_300


def test_load_messages_are_accepted_by_the_protocol(mosquitto, recorder, topic_root):
    from monitoring.edge.parse import parse_message

    province = generate_province(3)
    rec = recorder()
    run_load(
        province,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
        rate=0,
        per_message=10,
        count=300,
        publishers=1,
    )
    wait_for(lambda: len(_readings(rec)) == 300, what="300 readings")
    now_ms = int(time.time() * 1000)
    stored = 0
    for topic, payload, _ in rec.of_kind("telemetry"):
        parsed = parse_message(topic, payload, now_ms, root=topic_root)
        assert parsed.partial_rejections == ()
        stored += len(parsed.records)
    assert stored == 300


def test_slots_cover_each_sensor_once_and_keep_to_one_site():
    province = generate_province()
    slots = plan_slots(province, root="hazmon", per_message=10)
    sensors = [json.loads(f)["sensor"] for s in slots for f in s.fragments[0]]
    assert len(sensors) == sum(len(s["sensors"]) for _, s in iter_sites(province))
    assert all(1 <= s.readings <= 10 for s in slots)
    assert all(s.topic.endswith(b"/telemetry") for s in slots)


def test_cli_load_mode_prints_count_and_rate(mosquitto, recorder, topic_root, capsys):
    rec = recorder()
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--mqtt-url",
            mosquitto.url,
            "--topic-root",
            topic_root,
            "--enterprises",
            "2",
            "--rate",
            "0",
            "--count",
            "500",
            "--readings-per-message",
            "1",
        ]
    )
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "published 500 readings in 500 messages" in out
    assert "readings/s" in out and "messages/s" in out
    wait_for(lambda: len(_readings(rec)) == 500, what="500 readings")


def test_cli_lists_scenarios_and_writes_the_registry(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--list-scenarios"])) == 0
    listed = capsys.readouterr().out
    assert "ammonia-night-patrol:" in listed and "gateway-outage:" in listed
    path = tmp_path / "registry.yaml"
    assert run(parser.parse_args(["--write-registry", str(path), "--enterprises", "3"])) == 0
    assert "ty-fert" in path.read_text(encoding="utf-8")
    assert "3 enterprises" in capsys.readouterr().out
    assert (
        run(parser.parse_args(["--scenario", "no-such-thing", "--mqtt-url", "mqtt://127.0.0.1:1"]))
        == 2
    )
    assert run(parser.parse_args(["--mqtt-url", "http://x", "--duration", "1"])) == 2
    # No broker there: a clear failure, not a traceback.
    nobody = f"mqtt://127.0.0.1:{free_port()}"
    for engine in ("wire", "paho"):
        args = [
            "--mqtt-url",
            nobody,
            "--rate",
            "0",
            "--count",
            "10",
            "--publishers",
            "1",
            "--engine",
            engine,
        ]
        assert run(parser.parse_args(args)) == 1
    assert "load mode failed" in capsys.readouterr().err
