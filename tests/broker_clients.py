"""Set-up shared by the broker security tests: certificates, users, and a recording client."""

from __future__ import annotations

import csv
import os
import queue
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tests.e2e_support import REGISTRY_YAML, ROOT

NOT_AUTHORIZED = 0x87
# Two enterprises: e1 is tests.e2e_support's; e2 is the one that forges e1's data.
SECOND_ENTERPRISE = """\
  - id: e2
    name: Other Chemicals
    region: Testland
    address: 2 Test Road
    sites:
      - id: s1
        name: Other plant
        zones:
          - {id: Z1, name: Tanks, hazard: general}
        sensors:
          - {id: NH3-1, zone: Z1, kind: gas_nh3, unit: ppm, high: 42, high_high: 85}
      - id: s2
        name: Second plant
"""


def write_two_enterprise_registry(directory: Path) -> Path:
    """Write a registry with e1/s1 (tests.e2e_support's) and e2/s1, e2/s2."""
    path = directory / "registry.yaml"
    text = REGISTRY_YAML.replace("{restrictions}", "[]") + SECOND_ENTERPRISE
    path.write_text(text, encoding="utf-8")
    return path


def generate_credentials(registry: Path, out: Path, *extra: str) -> dict[str, tuple[str, str]]:
    """Run `app.py gateway-credentials`; return {'e1/s1' or 'ingest': (username, password)}."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "gateway-credentials"]
        + ["--registry", str(registry), "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("HAZMON_")},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return read_credentials(out)


def read_credentials(out: Path) -> dict[str, tuple[str, str]]:
    """Read gateways.csv into {'enterprise/site' or 'ingest': (username, password)}."""
    with open(out / "gateways.csv", newline="") as f:
        return {
            (f"{r['enterprise']}/{r['site']}" if r["site"] else r["enterprise"]): (
                r["username"],
                r["password"],
            )
            for r in csv.DictReader(f)
        }


class Probe:
    """A paho client that records what the broker answered (CONNACK, PUBACK, SUBACK, messages)."""

    def __init__(
        self,
        port: int,
        credentials: tuple[str, str] | None = None,
        *,
        ca_file: Path | None = None,
        host: str = "127.0.0.1",
        protocol: mqtt.MQTTProtocolVersion = mqtt.MQTTv5,
    ) -> None:
        self.host, self.port = host, port
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"probe-{uuid.uuid4().hex[:8]}",
            protocol=protocol,
        )
        self.client.reconnect_delay_set(60, 60)  # a refused probe stays refused
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        self.connack: ReasonCode | None = None
        self.answered = threading.Event()  # CONNACK received or connection lost
        self.lost = threading.Event()
        self.pubacks: dict[int, int] = {}
        self.subacks: dict[int, list[int]] = {}
        self.acked = threading.Condition()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload))

    def connect(self, timeout: float = 10) -> ReasonCode | None:
        """Connect; return the CONNACK reason, or None when the broker never sent one."""
        self.client.connect(self.host, self.port, keepalive=30)  # TLS errors raise here
        self.client.loop_start()
        self.answered.wait(timeout)
        return self.connack

    def publish(self, topic: str, payload: bytes | str = b"{}", timeout: float = 10) -> int:
        """Publish with QoS 1 and return the PUBACK reason code (0: accepted)."""
        info = self.client.publish(topic, payload, qos=1)
        with self.acked:
            assert self.acked.wait_for(lambda: info.mid in self.pubacks, timeout), "no PUBACK"
            return self.pubacks[info.mid]

    def subscribe(self, topic: str, timeout: float = 10) -> list[int]:
        """Subscribe with QoS 1 and return the SUBACK reason codes."""
        _, mid = self.client.subscribe(topic, qos=1)
        with self.acked:
            assert self.acked.wait_for(lambda: mid in self.subacks, timeout), "no SUBACK"
            return self.subacks[mid]

    def received_until(self, topic: str, timeout: float = 10) -> list[tuple[str, bytes]]:
        """Return every message received up to and including the first one on `topic`."""
        got: list[tuple[str, bytes]] = []
        while True:
            message = self.messages.get(timeout=timeout)
            got.append(message)
            if message[0] == topic:
                return got

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        self.connack = reason
        self.answered.set()

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        self.lost.set()
        self.answered.set()

    def _on_publish(self, client, userdata, mid, reason, properties) -> None:
        with self.acked:
            self.pubacks[mid] = reason.value
            self.acked.notify_all()

    def _on_subscribe(self, client, userdata, mid, reasons, properties) -> None:
        with self.acked:
            self.subacks[mid] = [r.value for r in reasons]
            self.acked.notify_all()


def refused(reason: ReasonCode | None) -> bool:
    """Tell whether a CONNACK refused the client (0x86 bad credentials, 0x87 not authorized)."""
    return reason is not None and reason.value in (0x86, NOT_AUTHORIZED)
