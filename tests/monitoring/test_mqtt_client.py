"""The lean PUBLISH path of BufferedClient, fed with hand-built packets (both protocols)."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from monitoring.mqtt_client import BufferedClient


def client(protocol: int) -> tuple[BufferedClient, list]:
    c = BufferedClient(
        CallbackAPIVersion.VERSION2, client_id="t", protocol=protocol, manual_ack=True
    )
    got: list = []
    c.publish_handler = lambda topic, payload, mid, qos: got.append((topic, payload, mid, qos))
    return c, got


def feed(c: BufferedClient, qos: int, body: bytes) -> MQTTErrorCode:
    c._in_packet["command"] = 0x30 | (qos << 1)
    c._in_packet["packet"] = body
    return c._handle_publish()


@pytest.mark.parametrize("qos", [0, 1])
def test_v311_publish_reaches_the_handler(qos):
    c, got = client(mqtt.MQTTv311)
    body = b"\x00\x16hazmon/e1/s1/telemetry" + (b"\x01\x2c" if qos else b"") + b'{"v":1}'
    assert feed(c, qos, body) == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert got == [(b"hazmon/e1/s1/telemetry", b'{"v":1}', 300 if qos else 0, qos)]


def test_v5_properties_are_skipped():
    c, got = client(mqtt.MQTTv5)
    props = b"\x01\x01" + b"\x03\x00\x10application/json"  # payload format, content type
    body = b"\x00\x03a/b" + b"\x00\x07" + bytes([len(props)]) + props + b"payload"
    assert feed(c, 1, body) == MQTTErrorCode.MQTT_ERR_SUCCESS
    assert got == [(b"a/b", b"payload", 7, 1)]


@pytest.mark.parametrize(
    "body", [b"\x00", b"\x00\x09short", b"\x00\x03a/b\x00\x07\xff\xff\xff\xff\xff"]
)
def test_malformed_packets_are_protocol_errors_not_exceptions(body):
    c, got = client(mqtt.MQTTv5)
    assert feed(c, 1, body) == MQTTErrorCode.MQTT_ERR_PROTOCOL
    assert got == []
