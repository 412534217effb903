"""The lean PUBLISH path of BufferedClient, fed with hand-built packets (both protocols)."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from monitoring.ingest.mqtt_client import BufferedClient


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


def publish_packet(topic: bytes, payload: bytes, mid: int, qos: int, props: bytes | None) -> bytes:
    """Build a whole PUBLISH packet (props None: MQTT 3.1.1, else MQTT 5 properties)."""
    body = len(topic).to_bytes(2, "big") + topic + (mid.to_bytes(2, "big") if qos else b"")
    if props is not None:
        body += bytes([len(props)]) + props
    body += payload
    length, remaining = b"", len(body)
    while True:  # remaining length as a variable byte integer
        byte, remaining = remaining & 0x7F, remaining >> 7
        length += bytes([byte | (0x80 if remaining else 0)])
        if not remaining:
            return bytes([0x30 | (qos << 1)]) + length + body


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5])
def test_buffered_publishes_are_taken_in_one_walk_up_to_what_paho_must_see(protocol):
    c, got = client(protocol)
    props = None if protocol == mqtt.MQTTv311 else b"\x01\x01"
    big = b"x" * 300  # a two-byte remaining length
    first = publish_packet(b"a/b", b"one", 1, 1, props)
    second = publish_packet(b"a/c", big, 2, 1, props)
    third = publish_packet(b"a/d", b"three", 0, 0, props)
    pingresp = b"\xd0\x00"
    after = publish_packet(b"a/e", b"after", 3, 1, props)
    c._rbuf += first + second + third + pingresp + after[:5]
    assert c._take_publishes() == 3
    assert got == [(b"a/b", b"one", 1, 1), (b"a/c", big, 2, 1), (b"a/d", b"three", 0, 0)]
    assert bytes(c._rbuf) == pingresp + after[:5]  # left for paho's reader, then the rest
    assert all(type(topic) is bytes and type(payload) is bytes for topic, payload, *_ in got)


def test_nothing_is_taken_while_paho_is_inside_a_packet():
    c, got = client(mqtt.MQTTv311)
    c._in_packet["command"] = 0x32  # paho has read a header byte and waits for the rest
    c._rbuf += publish_packet(b"a/b", b"one", 1, 1, None)
    assert c._take_publishes() == 0 and got == []


def test_a_packet_still_arriving_is_left_whole():
    c, got = client(mqtt.MQTTv5)
    packet = publish_packet(b"a/b", b"payload", 9, 1, b"")
    for cut in range(1, len(packet)):
        c._rbuf[:] = packet[:cut]
        assert c._take_publishes() == 0
        assert bytes(c._rbuf) == packet[:cut]
    assert got == []
