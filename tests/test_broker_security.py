"""The shipped broker configuration with the generated users: who may publish and read what.

Each test runs deploy/mosquitto.conf as it is (only ports and folders made private), the files
`app.py gateway-credentials` wrote, and certificates made by README's openssl commands. Issue
10: from one client, forged permits, readings and statuses under another enterprise's topics
changed its alarms.
"""

from __future__ import annotations

import os
import pwd
import shutil
import ssl
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.broker_clients import (
    NOT_AUTHORIZED,
    Probe,
    generate_credentials,
    read_credentials,
    refused,
    write_two_enterprise_registry,
)
from tests.deployed_broker import DEPLOY_CONF, SecuredMosquitto, make_certificates
from tests.services import wait_for

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def users(tmp_path):
    registry = write_two_enterprise_registry(tmp_path)
    out = tmp_path / "hazwatch.d"
    return registry, out, generate_credentials(registry, out)


@pytest.fixture
def broker(tmp_path, mosquitto_binary, certs, users):
    server = SecuredMosquitto(tmp_path / "mosquitto", mosquitto_binary, certs, users[1])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def probes():
    made: list[Probe] = []

    def make(*args, **kwargs) -> Probe:
        probe = Probe(*args, **kwargs)
        made.append(probe)
        return probe

    yield make
    for probe in made:
        probe.close()


def connected(probe: Probe) -> Probe:
    reason = probe.connect()
    assert reason is not None and not reason.is_failure, f"CONNACK {reason}"
    return probe


def test_shipped_config_starts_with_the_generated_files(broker, users):
    # Before: the shipped file named /etc/mosquitto/passwd and /etc/mosquitto/acl, which
    # nothing made, and Mosquitto exited with 13 instead of listening.
    config = broker.config()
    shipped = [line for line in DEPLOY_CONF.read_text().splitlines() if line[:1].isalpha()]
    ran = [line for line in config.splitlines() if not line.startswith("user ")]
    assert [line.split()[0] for line in ran] == [line.split()[0] for line in shipped]
    assert f"include_dir {users[1]}" in ran and "allow_anonymous false" in ran
    assert "allow_anonymous true" not in config
    log = (broker.workdir / "mosquitto.log").read_text()
    assert f"Loading config file {users[1].resolve()}/hazwatch-auth.conf" in log


def test_a_gateway_cannot_publish_under_another_enterprises_topics(broker, users, probes):
    creds = users[2]
    ingest = connected(probes(broker.port, creds["ingest"]))
    assert ingest.subscribe("hazmon/#") == [1]
    forged = [f"hazmon/e1/s1/{kind}" for kind in ("telemetry", "permit", "status", "presence")]
    # Another site of its own enterprise, and topics outside any site, are refused too.
    forged += ["hazmon/e2/s2/telemetry", "hazmon/e2/telemetry"]
    for topic in forged:
        # Mosquitto 2.0.11 also disconnects a client after refusing its publish.
        forger = connected(probes(broker.port, creds["e2/s1"]))
        assert forger.publish(topic, b'{"forged": true}') == NOT_AUTHORIZED
    # MQTT 3.1.1 cannot refuse a publish: the PUBACK is ordinary, the message is dropped.
    old_forger = connected(probes(broker.port, creds["e2/s1"], protocol=mqtt.MQTTv311))
    assert old_forger.publish("hazmon/e1/s1/telemetry", b'{"forged": "3.1.1"}') == 0
    forger = connected(probes(broker.port, creds["e2/s1"]))
    assert forger.publish("hazmon/e2/s1/telemetry", b'{"own": true}') == 0
    owner = connected(probes(broker.port, creds["e1/s1"]))
    assert owner.publish("hazmon/e1/s1/telemetry", b'{"real": true}') == 0

    got = ingest.received_until("hazmon/e1/s1/telemetry")
    assert got == [
        ("hazmon/e2/s1/telemetry", b'{"own": true}'),
        ("hazmon/e1/s1/telemetry", b'{"real": true}'),
    ]
    assert ingest.messages.empty()


def test_the_ingest_reads_everything_and_publishes_nothing(broker, users, probes):
    creds = users[2]
    publisher = connected(probes(broker.port, creds["ingest"]))
    assert publisher.publish("hazmon/e1/s1/telemetry") == NOT_AUTHORIZED
    ingest = connected(probes(broker.port, creds["ingest"]))
    assert ingest.subscribe("hazmon/#") == [1]
    # A gateway reads nothing, not even its own site. Mosquitto 2.0 grants the subscription
    # and checks read access on every message it would deliver.
    reader = connected(probes(broker.port, creds["e2/s1"]))
    reader.subscribe("hazmon/#")
    gateway = connected(probes(broker.port, creds["e1/s1"]))
    gateway.subscribe("hazmon/e1/s1/#")
    assert gateway.publish("hazmon/e1/s1/status", b"online") == 0
    assert ingest.received_until("hazmon/e1/s1/status") == [("hazmon/e1/s1/status", b"online")]
    time.sleep(0.5)  # the broker delivers to every subscriber in one pass; give it time anyway
    assert reader.messages.empty() and gateway.messages.empty()


def test_anonymous_unknown_and_wrong_passwords_are_refused(broker, users, probes):
    username, password = users[2]["e1/s1"]
    assert refused(probes(broker.port).connect())
    assert refused(probes(broker.port, (username, password + "x")).connect())
    assert refused(probes(broker.port, ("gw/e9/s1", password)).connect())
    assert refused(probes(broker.port, (users[2]["e2/s1"][0], password)).connect())
    assert refused(probes(broker.port, ("gw/e1/s1", None), protocol=mqtt.MQTTv311).connect())


def test_tls_listener_with_the_generated_ca(broker, users, certs, probes):
    creds, ca = users[2], certs / "ca.crt"
    ingest = connected(probes(broker.tls_port, creds["ingest"], ca_file=ca, host="localhost"))
    assert ingest.subscribe("hazmon/#") == [1]
    gateway = connected(probes(broker.tls_port, creds["e1/s1"], ca_file=ca, host="localhost"))
    assert gateway.publish("hazmon/e1/s1/telemetry", b'{"over": "tls"}') == 0
    assert gateway.publish("hazmon/e2/s1/telemetry") == NOT_AUTHORIZED  # same rules
    assert ingest.received_until("hazmon/e1/s1/telemetry") == [
        ("hazmon/e1/s1/telemetry", b'{"over": "tls"}')
    ]

    # Plain MQTT on the TLS port: the broker never answers the CONNECT.
    plain = probes(broker.tls_port, creds["e1/s1"])
    assert plain.connect(timeout=5) is None
    # The broker's certificate is checked: without the centre's CA, or for another name,
    # the client refuses the broker.
    with pytest.raises(ssl.SSLCertVerificationError):
        probes(broker.tls_port, creds["e1/s1"], ca_file=certs / "server.crt").connect()
    with pytest.raises(ssl.SSLCertVerificationError):
        probes(broker.tls_port, creds["e1/s1"], ca_file=ca, host="127.0.0.1").connect()
    # TLS on the plain port does not get through either.
    with pytest.raises((ssl.SSLError, OSError)):
        probes(broker.port, creds["e1/s1"], ca_file=ca, host="localhost").connect()


def test_rotation_and_removal_apply_at_a_reload_and_touch_nobody_else(broker, users, probes):
    registry, out, creds = users
    old = connected(probes(broker.port, creds["e1/s1"]))
    other = connected(probes(broker.port, creds["e2/s1"]))
    removed = connected(probes(broker.port, creds["e2/s2"]))
    site_s2 = registry.read_text().index("      - id: s2\n")
    registry.write_text(registry.read_text()[:site_s2])  # e2/s2 leaves the registry
    assert generate_credentials(registry, out, "--rotate", "e1/s1") != creds
    rotated = read_credentials(out)
    assert rotated["e2/s1"] == creds["e2/s1"] and rotated["ingest"] == creds["ingest"]
    assert rotated["e1/s1"][0] == creds["e1/s1"][0] and "e2/s2" not in rotated
    broker.reload()
    # Mosquitto re-checks connected clients at a reload: the old password is cut off, and so
    # is the removed site's user.
    wait_for(old.lost.is_set, 10, what="the rotated gateway to be disconnected")
    wait_for(removed.lost.is_set, 10, what="the removed site's gateway to be disconnected")
    assert not other.lost.is_set()
    assert refused(probes(broker.port, creds["e1/s1"]).connect())
    assert refused(probes(broker.port, creds["e2/s2"]).connect())
    # 0x10 "no matching subscribers": accepted, and nobody subscribed in this test
    assert connected(probes(broker.port, rotated["e1/s1"])).publish("hazmon/e1/s1/x") == 0x10
    assert other.publish("hazmon/e2/s1/status") == 0x10


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to the user mosquitto needs root")
def test_readme_install_works_when_mosquitto_drops_to_its_own_user(
    mosquitto_binary, certs, tmp_path, probes
):
    # Mosquitto 2.0 started as root reads the password file, the ACL and the TLS key after
    # it became the user `mosquitto`; README's ownership steps must let it.
    try:
        broker_user = pwd.getpwnam("mosquitto")
    except KeyError:
        pytest.skip("no user 'mosquitto' (Debian package 'mosquitto' makes it)")
    uid, gid = broker_user.pw_uid, broker_user.pw_gid
    base = Path(tempfile.mkdtemp(prefix="hz-broker-users-", dir="/tmp"))
    server = None
    try:
        os.chmod(base, 0o755)  # pytest's own temp folders are closed to other users
        users_dir, certs_dir, data = base / "hazwatch.d", base / "certs", base / "data"
        # install -d -m 700 -o mosquitto -g mosquitto .../hazwatch.d
        users_dir.mkdir(mode=0o700)
        os.chown(users_dir, uid, gid)
        registry = write_two_enterprise_registry(tmp_path)
        creds = generate_credentials(registry, users_dir)
        assert (users_dir / "passwd").stat().st_uid == uid
        assert (users_dir / "gateways.csv").stat().st_uid == 0
        # install -m 644 ca.crt server.crt; install -m 640 -g mosquitto server.key
        certs_dir.mkdir(mode=0o755)
        for name, mode in (("ca.crt", 0o644), ("server.crt", 0o644), ("server.key", 0o640)):
            shutil.copy(certs / name, certs_dir / name)
            os.chmod(certs_dir / name, mode)
        os.chown(certs_dir / "server.key", 0, gid)
        data.mkdir()
        os.chown(data, uid, gid)
        server = SecuredMosquitto(data, mosquitto_binary, certs_dir, users_dir, run_as="mosquitto")
        server.start()
        gateway = connected(
            probes(server.tls_port, creds["e1/s1"], ca_file=certs / "ca.crt", host="localhost")
        )
        assert gateway.publish("hazmon/e1/s1/telemetry") == 0x10  # accepted, no subscriber
        assert gateway.publish("hazmon/e2/s1/telemetry") == NOT_AUTHORIZED
        assert refused(probes(server.port).connect())
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
