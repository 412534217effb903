"""Fixtures for the simulator tests: a recording MQTT subscriber on the private broker."""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as mqtt
import paho.mqtt.publish as publish
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import wait_for


class Recorder:
    """A QoS 1 subscriber that keeps every message it receives under one topic filter."""

    def __init__(self, port: int, topic_filter: str) -> None:
        self.port = port
        self.messages: list[tuple[str, bytes, bool]] = []  # (topic, payload, retain)
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"rec-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        wait_for(self._subscribed.is_set, 10, what="the recorder to subscribe")

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def snapshot(self) -> list[tuple[str, bytes, bool]]:
        """Return the messages received so far."""
        with self._lock:
            return list(self.messages)

    def of_kind(self, kind: str) -> list[tuple[str, bytes, bool]]:
        """Return the messages whose topic ends with `/kind`."""
        return [m for m in self.snapshot() if m[0].endswith("/" + kind)]

    def fence(self, topic: str) -> None:
        """Wait until everything the broker had accepted before now has reached us.

        The broker queues messages to a subscriber in the order it accepted them, so once a
        marker published after them arrives, nothing published earlier is still on its way.
        """
        marker = uuid.uuid4().hex.encode()
        publish.single(
            topic, marker, qos=1, hostname="127.0.0.1", port=self.port, protocol=mqtt.MQTTv311
        )
        wait_for(
            lambda: any(p == marker for _, p, _ in self.snapshot()), 10, what="the fence marker"
        )

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def topic_root() -> str:
    """A topic root of its own per test, so tests sharing the broker never see each other."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def recorder(mosquitto, topic_root):
    """Record everything published under this test's topic root."""
    made: list[Recorder] = []

    def make(topic_filter: str | None = None) -> Recorder:
        rec = Recorder(mosquitto.port, topic_filter or f"{topic_root}/#")
        made.append(rec)
        return rec

    yield make
    for rec in made:
        rec.close()
