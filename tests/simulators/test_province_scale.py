"""A whole province in one process through a real Mosquitto: every gateway connects and
publishes, the simulation stops within 5 s, and a limit that keeps gateways out is named."""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from simulators.province import generate_province, iter_sites
from simulators.simulation import Simulation
from tests.services import free_port, wait_for

pytestmark = pytest.mark.services

ROOT_DIR = Path(__file__).resolve().parents[2]
STOP_LIMIT_S = 5.0
# Descriptors held open before the gateways connect, so that theirs get numbers above
# 1,023, where select() (paho's own loop) fails.
BALLAST_FILES = 1100


def _retained_states(recorder, topic_root: str, expected: int) -> dict[str, str]:
    """Ask the broker for every site's retained status: {enterprise/site: state}."""
    late = recorder(f"{topic_root}/+/+/status")
    wait_for(lambda: len(late.snapshot()) >= expected, timeout=30, what="retained statuses")
    states = {}
    for topic, payload, retained in late.snapshot():
        assert retained, topic
        states[_site_of(topic)] = json.loads(payload)["state"]
    return states


def _site_of(topic: str) -> str:
    """Return `enterprise/site` of a `{root}/{enterprise}/{site}/{kind}` topic."""
    return "/".join(topic.split("/")[1:3])


def _hold_files(stack: ExitStack) -> None:
    """Open BALLAST_FILES descriptors until `stack` closes (raising the soft limit to fit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = BALLAST_FILES + 2_000
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below {need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        stack.callback(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
    for _ in range(BALLAST_FILES):
        stack.enter_context(open(os.devnull, "rb"))


def test_500_enterprises_connect_publish_and_stop_within_5_s(mosquitto, recorder, topic_root):
    province = generate_province(500)
    sites = {f"{e['id']}/{s['id']}" for e, s in iter_sites(province)}
    assert len(sites) >= 625
    telemetry = recorder(f"{topic_root}/+/+/telemetry")
    statuses = recorder(f"{topic_root}/+/+/status")
    threads_before = threading.active_count()
    sim = Simulation(
        province,
        host="127.0.0.1",
        port=mosquitto.port,
        root=topic_root,
        client_id_prefix=f"gw-{topic_root}",
    )
    try:
        with ExitStack() as ballast:
            _hold_files(ballast)  # the recorders (paho's select() loop) connected before
            assert sim.connect(30), f"{sim.unconnected} of {len(sites)} gateways not connected"
        fds = [g._client.socket().fileno() for g in sim.gateways.values()]
        assert min(fds) > 1023, "every gateway's socket is past select()'s reach"
        # One network thread for the whole province, not one per gateway.
        assert threading.active_count() - threads_before <= 2
        # The broker holds every site's retained `online` status.
        states = _retained_states(recorder, topic_root, len(sites))
        assert set(states) == sites and set(states.values()) == {"online"}
        sent = sim.tick()
        assert sent >= 2 * len(sites)  # telemetry and presence from every site
        wait_for(
            lambda: {_site_of(topic) for topic, _, _ in telemetry.snapshot()} == sites,
            timeout=30,
            what="telemetry from every site",
        )
    finally:
        started = time.monotonic()
        sim.stop()
        stop_s = time.monotonic() - started
    assert stop_s < STOP_LIMIT_S, f"stop took {stop_s:.1f} s"
    # Every site said goodbye, and the broker keeps `offline` as its retained status.
    wait_for(
        lambda: {_site_of(t) for t, p, _ in statuses.snapshot() if b"offline" in p} == sites,
        timeout=10,
        what="every site offline",
    )
    states = _retained_states(recorder, topic_root, len(sites))
    assert set(states) == sites and set(states.values()) == {"offline"}


def test_an_open_file_limit_is_named_in_one_error(mosquitto, topic_root):
    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "app.py", "simulate", "--enterprises", "500", "--duration", "6"]
        + ["--mqtt-url", mosquitto.url, "--topic-root", topic_root],
        cwd=ROOT_DIR,
        preexec_fn=limit_files,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - started < 30, "it stops promptly even when gateways are missing"
    errors = [line for line in done.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, done.stderr[-3000:]
    assert "RLIMIT_NOFILE 256" in errors[0], errors[0]
    kept_out = int(errors[0].split(" of 625 gateways could not connect")[0].rsplit(" ", 1)[1])
    assert 300 < kept_out < 625, errors[0]  # 256 files: some 250 gateways fit, not more
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert f"{kept_out} of 625 gateways not connected" in done.stderr


def test_a_broker_connection_limit_is_named(mosquitto_binary, tmp_path, caplog):
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_connections 40\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    broker = subprocess.Popen(
        [mosquitto_binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    province = generate_province(50)
    total = len(iter_sites(province))
    sim = Simulation(province, host="127.0.0.1", port=port, client_id_prefix="gw-maxconn")
    caplog.set_level(logging.INFO, logger="simulators")
    try:
        wait_for(lambda: _listening(port), what="mosquitto to listen")
        sim.start()
        wait_for(
            lambda: any(r.levelno == logging.ERROR for r in caplog.records),
            timeout=20,
            what="the connection report",
        )
        kept_out = sim.unconnected
        assert abs((total - kept_out) - 40) <= 1  # Mosquitto 2.0.11 may let one more in
    finally:
        sim.stop()
        broker.terminate()
        broker.wait(10)
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"{kept_out} of {total} gateways could not connect" in error
    assert "max_connections" in error


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
