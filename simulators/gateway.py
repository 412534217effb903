"""A simulated site gateway: one paho-mqtt client speaking contract section 2.

Messages are built by pure functions from a `SiteFrame`; `SiteGateway` only adds what a
real gateway keeps between messages: its connection, its online/offline state (retained,
with `offline` as Last Will) and which permits it has already reported.

Every gateway keeps its own connection and client id, because the contract's status is per
site: only a connection of its own gives a site a Last Will that says `offline` when that
gateway (not the simulator) vanishes. The connections share one network thread
(simulators.netloop), so a province costs one descriptor per site and no thread per site.
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

from simulators.limits import closed_before_connack, describe_connect_error, refused
from simulators.netloop import GatewayLoop, Timer
from simulators.noise import stable_key, uniform
from simulators.site import SiteFrame

log = logging.getLogger(__name__)

QOS = 1
KEEPALIVE_S = 30
MAX_INFLIGHT = 1000
CONNECT_TIMEOUT_S = 2.0  # a TCP connect blocks the network thread at most this long
RECONNECT_DELAY_S = (1.0, 30.0)  # first and longest wait before trying again
STOP_FLUSH_TIMEOUT_S = 2.5  # then a gateway that has not said goodbye is cut off
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
    """One site's gateway: publishes frames of that site through its own MQTT connection.

    Runs on a shared GatewayLoop (a Simulation's), or on one of its own when none is given.
    `state` is `idle`, `waiting` (for a connection attempt), `connecting` (CONNECT sent),
    `connected`, `closing` or `closed`; `problem` says why the last attempt failed.
    """

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
        loop: GatewayLoop | None = None,
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
        self.state = "idle"
        self.problem: str | None = None
        self.attempts = 0
        self._loop = loop
        self._own_loop = loop is None
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._got_connack = False
        self._attempt_at = 0.0
        self._delay = RECONNECT_DELAY_S[0]
        self._retry: Timer | None = None
        self._permits_sent: dict[str, dict[str, Any]] = {}

    def topic(self, kind: str) -> str:
        """Return this site's topic for one message kind."""
        return topic_for(self.root, self.enterprise, self.site, kind)

    @property
    def connected(self) -> bool:
        """Tell whether the client is connected to the broker now."""
        return self._connected.is_set()

    @property
    def closed(self) -> bool:
        """Tell whether the gateway has stopped and its connection is gone."""
        return self.state in ("idle", "closed")

    def start(self) -> None:
        """Connect in the background; after a loss, try again with a growing delay."""
        if self._loop is None:
            self._loop = GatewayLoop(f"gateway {self.client_id}")
        if self._own_loop:
            self._loop.start()
        self._loop.call(self.begin)

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected; return whether it is."""
        return self._connected.wait(timeout)

    def publish_frame(self, frame: SiteFrame) -> int:
        """Publish one frame as a real gateway would; return the number of messages sent.

        A gateway that is not connected publishes nothing: the frame is lost, not queued,
        so a gateway kept out by a limit cannot fill the memory with frames.
        """
        if self._loop is not None and not self._loop.in_loop() and self._loop.running:
            return self._loop.call(lambda: self.publish_frame(frame))
        if not frame.online:
            if self.online:
                self.online = False
                return self._publish("status", status_payload("offline", frame.t_ms), True)
            return 0
        sent = 0
        if not self.online:
            self.online = True
            sent += self._publish("status", status_payload("online", frame.t_ms), True)
        telemetry = telemetry_payload(frame)
        if telemetry is not None:
            sent += self._publish("telemetry", telemetry)
        for message in presence_payloads(frame, self.cameras):
            sent += self._publish("presence", message)
        for permit in frame.permits:
            if self._permits_sent.get(permit["permit"]) != permit:
                if self._publish("permit", permit):
                    self._permits_sent[permit["permit"]] = dict(permit)
                    sent += 1
        return sent

    def stop(self, timeout: float = STOP_FLUSH_TIMEOUT_S) -> None:
        """Say offline, disconnect cleanly, and cut the connection if that takes too long."""
        loop = self._loop
        if loop is None or not loop.running:
            return
        loop.call(self.begin_stop)
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        loop.call(self.abort)
        if self._own_loop:
            loop.stop()

    # The rest runs in the loop's thread.
    def begin(self) -> None:
        """Make the MQTT client and queue its first connection attempt."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=PROTOCOLS[self.protocol],
        )
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.max_queued_messages_set(0)
        client.connect_timeout = CONNECT_TIMEOUT_S
        if self.username:
            client.username_pw_set(self.username, self.password)
        # The broker announces us offline if we vanish without a clean goodbye.
        client.will_set(self.topic("status"), encode(status_payload("offline")), QOS, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        assert self._loop is not None
        self._loop.attach(client)
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)  # no I/O yet
        self._client = client
        self.state = "waiting"
        self._loop.call_paced(self._attempt)

    def begin_stop(self) -> None:
        """Say offline (retained) and queue a DISCONNECT behind it: the broker reads both."""
        if self._retry is not None:
            self._retry.cancel()
        client = self._client
        if client is None or self.state not in ("connecting", "connected"):
            self.abort()
            return
        if self.connected and self.online:
            self._publish("status", status_payload("offline", int(self.clock() * 1000)), True)
        self.state = "closing"
        client.disconnect()  # written after the offline status; then paho closes the socket

    def abort(self) -> None:
        """Close the connection at once, without DISCONNECT (the Last Will says offline)."""
        if self._retry is not None:
            self._retry.cancel()
        if self._client is not None and self._loop is not None:
            self._loop.abort(self._client)
        self._client = None
        self._connected.clear()
        self.state = "closed"

    def _attempt(self) -> None:
        if self.state != "waiting" or self._client is None:
            return
        self.attempts += 1
        self._got_connack = False
        self._attempt_at = time.monotonic()
        try:
            self._client.reconnect()  # TCP connect (blocking, bounded), then CONNECT queued
        except OSError as exc:
            self._failed(describe_connect_error(exc, self.host, self.port, CONNECT_TIMEOUT_S))
            return
        self.state = "connecting"

    def _failed(self, problem: str) -> None:
        self.problem = problem
        self.state = "waiting"
        self._connected.clear()
        # 0.5 to 1.5 times the delay, so gateways cut off together do not return together.
        delay = self._delay * (0.5 + uniform(stable_key(self.client_id), self.attempts))
        self._delay = min(self._delay * 2.0, RECONNECT_DELAY_S[1])
        loop = self._loop
        assert loop is not None
        self._retry = loop.call_later(delay, lambda: loop.call_paced(self._attempt))

    def _publish(self, kind: str, payload: Mapping[str, Any], retain: bool = False) -> int:
        if self._client is None or not self.connected:
            return 0
        self._client.publish(self.topic(kind), encode(payload), QOS, retain)
        return 1

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._got_connack = True
        if reason_code.is_failure:
            self.problem = refused(reason_code)
            return  # the broker closes the connection; _on_disconnect tries again later
        self.state = "connected"
        self.problem = None
        self._delay = RECONNECT_DELAY_S[0]
        self._connected.set()
        # Retained, so a monitor that subscribes later sees the current state. A gateway
        # in a simulated outage stays silent even if its connection comes back.
        if self.online:
            self._publish("status", status_payload("online", int(self.clock() * 1000)), True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        if self.state in ("closing", "closed"):
            self.state = "closed"
            return
        if self.state not in ("connecting", "connected") or client is not self._client:
            return  # already counted as failed, or an old client
        if self._got_connack:
            problem = self.problem or f"connection lost ({reason_code})"
        elif time.monotonic() - self._attempt_at >= 0.9 * KEEPALIVE_S:
            problem = f"no CONNACK within {KEEPALIVE_S} s (broker overloaded?)"
        else:
            problem = closed_before_connack()
        self._failed(problem)
