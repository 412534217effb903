"""Simulated gateways through a real Mosquitto: what they publish is what the contract says."""

from __future__ import annotations

import json
import socket
import time

import pytest

from simulators.cli import start_demo_simulation
from simulators.gateway import SiteGateway
from simulators.province import generate_province, iter_sites
from simulators.scenarios import make_scenario
from simulators.simulation import Simulation
from tests.services import wait_for

pytestmark = pytest.mark.services


def _parse_all(messages, root):
    """Parse every message as the ingest would; fail on any rejection, whole or partial."""
    from monitoring.edge.parse import parse_message

    parsed = []
    now_ms = int(time.time() * 1000)
    for topic, payload, _ in messages:
        result = parse_message(topic, payload, now_ms, root=root)
        assert result.partial_rejections == (), (topic, payload[:300], result.partial_rejections)
        parsed.append(result)
    return parsed


def _by_site(messages):
    out: dict[tuple[str, str, str], list[dict]] = {}
    for topic, payload, _ in messages:
        _, ent, site, kind = topic.split("/")
        out.setdefault((ent, site, kind), []).append(json.loads(payload))
    return out


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_one_tick_publishes_telemetry_presence_and_status_the_protocol_accepts(
    mosquitto, recorder, topic_root, protocol
):
    province = generate_province()
    sites = iter_sites(province)
    cameras = sum(len(s["cameras"]) for _, s in sites)
    rec = recorder()
    sim = Simulation(
        province, host="127.0.0.1", port=mosquitto.port, root=topic_root, protocol=protocol
    )
    try:
        assert sim.connect(10)
        wait_for(lambda: len(rec.of_kind("status")) == len(sites), what="online statuses")
        sent = sim.tick()
        assert sent == len(sites) + cameras  # one telemetry per site, one presence per camera
        wait_for(lambda: len(rec.snapshot()) == sent + len(sites), what="every message")
        messages = rec.snapshot()
    finally:
        sim.stop()
    grouped = _by_site(messages)
    for enterprise, site in sites:
        key = (enterprise["id"], site["id"])
        (status,) = grouped[(*key, "status")]
        assert status["state"] == "online"
        (telemetry,) = grouped[(*key, "telemetry")]
        sensors = {r["sensor"] for r in telemetry["readings"]}
        registered = {s["id"] for s in site["sensors"]}
        # All sensors sampled at one time (a sensor in a dropout is simply absent).
        assert sensors <= registered and len(sensors) >= len(registered) - 2
        assert isinstance(telemetry["ts"], int)
        presence = grouped[(*key, "presence")]
        assert {p["camera"] for p in presence} == {c["id"] for c in site["cameras"]}
        assert all(p["ts"] == telemetry["ts"] for p in presence)
    parsed = _parse_all(messages, topic_root)
    assert {p.kind for p in parsed} == {"telemetry", "presence", "status"}
    readings = sum(len(p.records) for p in parsed if p.kind == "telemetry")
    assert readings >= sum(len(s["sensors"]) for _, s in sites) - 2 * len(sites)
    # stop() says goodbye: offline, retained, from every site; a late monitor sees it.
    wait_for(lambda: len(rec.of_kind("status")) == 2 * len(sites), what="offline statuses")
    offline = [json.loads(p) for _, p, _ in rec.of_kind("status")][len(sites) :]
    assert {s["state"] for s in offline} == {"offline"}
    _parse_all(rec.of_kind("status"), topic_root)
    late = recorder(f"{topic_root}/+/+/status")
    wait_for(lambda: len(late.snapshot()) == len(sites), what="retained statuses")
    assert all(retain and json.loads(p)["state"] == "offline" for _, p, retain in late.snapshot())


def test_outage_then_recovery_and_a_permit_reported_once(mosquitto, recorder, topic_root):
    province = generate_province(2)
    t0 = int(time.time() * 1000)
    outage = make_scenario("gateway-outage", province, t0 + 10_000, speed=10.0)  # 60 s
    hot_work = make_scenario("permitted-hot-work", province, t0 + 10_000, speed=100.0)  # 72 s
    rec = recorder()
    sim = Simulation(
        province,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
        scenarios=[outage, hot_work],
    )
    down = (outage.enterprise, outage.site)
    ticks = [t0, t0 + 15_000, t0 + 30_000, t0 + 45_000, t0 + 75_000, t0 + 83_000]
    try:
        assert sim.connect(10)
        wait_for(lambda: len(rec.of_kind("status")) == 2, what="online statuses")
        for t in ticks:
            sim.tick(t)
        # ty-fert every tick; the other site before and after its outage only.
        wait_for(
            lambda: len(rec.of_kind("telemetry")) == len(ticks) + 3, what="telemetry of both sites"
        )
        wait_for(lambda: len(rec.of_kind("permit")) == 2, what="permit approved then closed")
        wait_for(lambda: len(rec.of_kind("status")) == 4, what="offline and online again")
    finally:
        sim.stop()
    grouped = _by_site(rec.snapshot())
    down_ts = [m["ts"] for m in grouped[(*down, "telemetry")]]
    assert down_ts == [t0, t0 + 75_000, t0 + 83_000], "silent during the outage, then resumes"
    states = [m["state"] for m in grouped[(*down, "status")]]
    assert states[:3] == ["online", "offline", "online"]
    assert [m.get("ts") for m in grouped[(*down, "status")][1:3]] == [t0 + 15_000, t0 + 75_000]
    story_ts = [m["ts"] for m in grouped[("ty-fert", "main", "telemetry")]]
    assert story_ts == ticks
    permits = grouped[("ty-fert", "main", "permit")]
    assert [p["status"] for p in permits] == ["approved", "closed"]
    assert permits[0]["permit"] == permits[1]["permit"]
    hot_zone = [
        p
        for p in grouped[("ty-fert", "main", "presence")]
        if p["zone"] == hot_work.zone and p["ts"] == t0 + 15_000
    ]
    assert hot_zone[0]["people"] == 4
    _parse_all(rec.snapshot(), topic_root)


def test_last_will_says_offline_when_the_gateway_vanishes(mosquitto, recorder, topic_root):
    province = generate_province(1)
    enterprise, site = iter_sites(province)[0]
    cameras = {c["id"]: c["zone"] for c in site["cameras"]}
    rec = recorder()
    gateway = SiteGateway(
        enterprise["id"],
        site["id"],
        cameras,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
    )
    gateway.start()
    try:
        assert gateway.wait_connected(10)
        assert gateway.client_id == "gw-ty-fert-main"
        wait_for(lambda: len(rec.of_kind("status")) == 1, what="online")
        # The connection dies without a DISCONNECT: the broker publishes the Last Will.
        gateway._client.socket().shutdown(socket.SHUT_RDWR)
        wait_for(
            lambda: any(json.loads(p)["state"] == "offline" for _, p, _ in rec.of_kind("status")),
            what="the Last Will",
        )
        # paho reconnects by itself, and the gateway says online again.
        wait_for(
            lambda: [json.loads(p)["state"] for _, p, _ in rec.of_kind("status")][-1] == "online",
            timeout=15,
            what="online after reconnecting",
        )
    finally:
        gateway.stop()
    will = next(
        json.loads(p) for _, p, _ in rec.of_kind("status") if json.loads(p)["state"] == "offline"
    )
    assert will == {"state": "offline"}
    # A monitor that subscribes later sees the retained last state.
    late = recorder(f"{topic_root}/+/+/status")
    wait_for(lambda: late.snapshot(), what="the retained status")
    assert json.loads(late.snapshot()[-1][1])["state"] == "offline"
    assert late.snapshot()[-1][2] is True


def test_demo_simulation_runs_in_the_background_with_its_schedule(mosquitto, recorder, topic_root):
    province = generate_province(2)
    rec = recorder()
    sim = start_demo_simulation(
        "127.0.0.1",
        mosquitto.port,
        topic_root,
        province,
        ["ammonia-night-patrol", ("ammonia-leak", 0.0)],
    )
    try:
        assert [s.name for s in sim.scenarios] == ["ammonia-night-patrol", "ammonia-leak"]
        assert sim.scenarios[1].start_ms < sim.scenarios[0].start_ms
        wait_for(
            lambda: len(rec.of_kind("telemetry")) >= 2,
            timeout=15,
            what="telemetry of both sites from the background thread",
        )
    finally:
        sim.stop()
    leak = [
        r
        for _, p, _ in rec.of_kind("telemetry")
        for r in json.loads(p)["readings"]
        if r["sensor"] == "NH3-S-01"
    ]
    assert leak, "the story's plant reports"
    _parse_all(rec.snapshot(), topic_root)
