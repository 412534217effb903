"""A simulated site gateway: one paho-mqtt client speaking contract section 2.

Messages are built by pure functions from a `SiteFrame`; `SiteGateway` only adds what a
real gateway keeps between messages: its connection, its online/offline state (retained,
with `offline` as Last Will) and which permits it has already reported.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulators.noise import stable_key, uniform
from simulators.site import SiteFrame

log = logging.getLogger(__name__)

QOS = 1
KEEPALIVE_S = 30
MAX_INFLIGHT = 1000
STOP_FLUSH_TIMEOUT_S = 5.0
PROTOCOLS = {"3.1.1": mqtt.MQTTv311, "5": mqtt.MQTTv5}


def topic_for(root: str, enterprise: str, site: str, kind: str) -> str:
    """Return the topic of one message kind of a site: `{root}/{ent}/{site}/{kind}`."""
    return f"{root}/{enterprise}/{site}/{kind}"


def telemetry_payload(frame: SiteFrame) -> dict[str, Any] | None:
    """Return the telemetry message of a frame (silent sensors left out), or None if empty."""
    readings = [
        {"sensor": sensor, "value": value}
        for sensor, value in frame.readings.items()
        if value is not None
    ]
    return {"ts": frame.t_ms, "readings": readings} if readings else None


def presence_payloads(frame: SiteFrame, cameras: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return one presence message per camera (camera id -> zone id) of a frame."""
    messages = []
    for camera, zone in cameras.items():
        people = int(frame.people.get(zone, 0))
        key = stable_key(frame.enterprise, frame.site, camera)
        message: dict[str, Any] = {
            "ts": frame.t_ms,
            "camera": camera,
            "zone": zone,
            "people": people,
            "confidence": round(0.86 + 0.12 * uniform(key, frame.t_ms // 1000), 2),
        }
        if people:
            message["snapshot"] = (
                f"https://nvr.{frame.enterprise}.example.cn/snap/{camera}/{frame.t_ms}.jpg"
            )
        messages.append(message)
    return messages


def status_payload(state: str, ts_ms: int | None = None) -> dict[str, Any]:
    """Return a gateway status message (`online` / `offline`)."""
    return {"state": state} if ts_ms is None else {"state": state, "ts": ts_ms}


def encode(payload: Mapping[str, Any]) -> bytes:
    """Return a payload as compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SiteGateway:
    """One site's gateway: publishes frames of that site through its own MQTT client."""

    def __init__(
        self,
        enterprise: str,
        site: str,
        cameras: Mapping[str, str],
        *,
        host: str,
        port: int,
        root: str = "hazmon",
        protocol: str = "3.1.1",
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enterprise = enterprise
        self.site = site
        self.cameras = dict(cameras)
        self.host, self.port, self.root = host, port, root
        self.protocol = protocol
        self.username, self.password = username, password
        self.client_id = client_id or f"gw-{enterprise}-{site}"
        self.clock = clock  # stamps the online message sent on (re)connect
        self.online = True  # what the gateway reports; a scenario may take it offline
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._last_info: mqtt.MQTTMessageInfo | None = None
        self._permits_sent: dict[str, dict[str, Any]] = {}

    def topic(self, kind: str) -> str:
        """Return this site's topic for one message kind."""
        return topic_for(self.root, self.enterprise, self.site, kind)

    @property
    def connected(self) -> bool:
        """Tell whether the client is connected to the broker now."""
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (paho reconnects by itself after a loss)."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=PROTOCOLS[self.protocol],
        )
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 30)
        if self.username:
            client.username_pw_set(self.username, self.password)
        # The broker announces us offline if we vanish without a clean goodbye.
        client.will_set(self.topic("status"), encode(status_payload("offline")), QOS, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected; return whether it is."""
        return self._connected.wait(timeout)

    def publish_frame(self, frame: SiteFrame) -> int:
        """Publish one frame as a real gateway would; return the number of messages sent."""
        with self._lock:
            if not frame.online:
                if self.online:
                    self.online = False
                    self._publish("status", status_payload("offline", frame.t_ms), retain=True)
                    return 1
                return 0
            sent = 0
            if not self.online:
                self.online = True
                self._publish("status", status_payload("online", frame.t_ms), retain=True)
                sent += 1
            telemetry = telemetry_payload(frame)
            if telemetry is not None:
                self._publish("telemetry", telemetry)
                sent += 1
            for message in presence_payloads(frame, self.cameras):
                self._publish("presence", message)
                sent += 1
            for permit in frame.permits:
                if self._permits_sent.get(permit["permit"]) != permit:
                    self._publish("permit", permit)
                    self._permits_sent[permit["permit"]] = dict(permit)
                    sent += 1
            return sent

    def stop(self, timeout: float = STOP_FLUSH_TIMEOUT_S) -> None:
        """Say offline, let queued messages reach the broker, and disconnect cleanly."""
        client = self._client
        if client is None:
            return
        with self._lock:
            if self.connected and self.online:
                now_ms = int(self.clock() * 1000)
                self._publish("status", status_payload("offline", now_ms), retain=True)
            info = self._last_info
        if info is not None and self.connected:
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass  # connection lost meanwhile: the Last Will says offline for us
        client.disconnect()
        client.loop_stop()
        self._client = None
        self._connected.clear()

    def _publish(self, kind: str, payload: Mapping[str, Any], retain: bool = False) -> None:
        assert self._client is not None, "start() the gateway before publishing"
        self._last_info = self._client.publish(self.topic(kind), encode(payload), QOS, retain)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("gateway %s: broker refused connection: %s", self.client_id, reason_code)
            return
        self._connected.set()
        with self._lock:
            # Retained, so a monitor that subscribes later sees the current state. A gateway
            # in a simulated outage stays silent even if its connection comes back.
            if self.online:
                now_ms = int(self.clock() * 1000)
                self._publish("status", status_payload("online", now_ms), retain=True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
