"""Helpers for end-to-end tests: run `app.py` as a real process, publish like a gateway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import requests
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent

REGISTRY_YAML = """\
timezone: Asia/Shanghai
restrictions: {restrictions}
enterprises:
  - id: e1
    name: Test Fertilizer
    name_zh: 测试化肥
    region: Testland
    address: 1 Test Road
    contacts:
      - {name: Duty One, role: duty_officer, phone: "+86 139 0000 0003", shifts: ["08:00-20:00"]}
      - {name: Duty Two, role: duty_officer, phone: "+86 139 0000 0004", shifts: ["20:00-08:00"]}
    sites:
      - id: s1
        name: Main plant
        zones:
          - {id: Z1, name: Ammonia tanks, hazard: major, max_people: 2, dwell_s: 2}
        sensors:
          - {id: NH3-1, zone: Z1, kind: gas_nh3, unit: ppm, high: 42, high_high: 85}
          - {id: LT-1, zone: Z1, kind: level, unit: "%", low: 10, high: 85, high_high: 90}
          - {id: PT-1, zone: Z1, kind: pressure, unit: MPa, high: 2.0, stale_after_s: 3}
        cameras:
          - {id: CAM-1, zone: Z1}
"""


def write_registry(directory: Path, restrictions: str = "[]") -> Path:
    """Write the small test registry and return its path."""
    path = directory / "registry.yaml"
    # Literal braces of the YAML flow mappings survive str.replace, not str.format.
    path.write_text(REGISTRY_YAML.replace("{restrictions}", restrictions), encoding="utf-8")
    return path


class HazwatchProcess:
    """`python app.py serve --no-simulate ...` as a child process with its own data folder."""

    def __init__(
        self,
        workdir: Path,
        *,
        mqtt_url: str,
        influx_url: str | None,
        influx_db: str,
        registry: Path,
        extra_env: dict[str, str] | None = None,
        command: str = "serve",
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.args = [
            sys.executable,
            str(ROOT / "app.py"),
            command,
            "--registry",
            str(registry),
            "--mqtt-url",
            mqtt_url,
            "--influx-db",
            influx_db,
            "--db-url",
            f"sqlite:///{workdir / 'hazwatch.db'}",
            "--data-dir",
            str(workdir),
            "--no-simulate",
            "--port",
            str(self.port),
        ]
        if influx_url:
            self.args += ["--influx-url", influx_url]
        self.env = dict(
            os.environ,
            HAZMON_ADMIN_PASSWORD="admin-secret-1",
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> None:
        """Start the process and wait until /health says the broker is connected."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=open(self.workdir / "app.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._connected, 40, what=f"hazwatch to connect (log: {self.workdir}/app.log)")

    def _connected(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"hazwatch exited with {self.proc.returncode}: "
                + (self.workdir / "app.log").read_text()[-3000:]
            )
        try:
            return self.health()["broker"]["connected"]
        except (requests.RequestException, ValueError, KeyError):
            return False

    def health(self) -> dict:
        return requests.get(f"{self.base}/health", timeout=5).json()

    def get(
        self, path: str, auth: tuple[str, str] | None = ("admin", "admin-secret-1"), **params
    ) -> requests.Response:
        return requests.get(f"{self.base}{path}", auth=auth, params=params, timeout=10)

    def add_user(self, username: str, password: str, role: str) -> None:
        """Create a user through the API as the admin (the test fails if it is refused)."""
        r = requests.post(
            f"{self.base}/users",
            auth=("admin", "admin-secret-1"),
            timeout=10,
            json={"username": username, "password": password, "role": role},
        )
        assert r.status_code == 201, r.text

    def kill(self) -> None:
        """SIGKILL: no chance to flush or acknowledge anything."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


class Gateway:
    """A paho publisher that waits for every PUBACK, like a careful site gateway."""

    def __init__(self, mqtt_port: int, client_id: str) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311
        )
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", mqtt_port)
        self.client.loop_start()
        self.infos: list = []

    def publish(self, topic: str, payload: bytes | str | dict, qos: int = 1) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        self.infos.append(self.client.publish(topic, payload, qos=qos))

    def wait_all(self, timeout: float = 60) -> None:
        """Wait until the broker acknowledged everything published so far."""
        deadline = time.monotonic() + timeout
        for info in self.infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            assert info.is_published(), "broker did not acknowledge a publish"
        self.infos.clear()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
