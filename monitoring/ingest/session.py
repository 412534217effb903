"""The MQTT side of intake: a persistent QoS 1 subscription that acknowledges after writing.

paho-mqtt 2.x with `manual_ack=True`: every message is handed to the IntakePipeline and its
PUBACK is sent only once the pipeline made it durable. MQTT 5 (default) announces a Receive
Maximum so the broker may keep many messages in flight; MQTT 3.1.1 relies on the broker's
`max_inflight_messages` (see deploy/mosquitto.conf).
"""

from __future__ import annotations

import logging
import ssl
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from monitoring.edge.topics import subscription_filter
from monitoring.ingest.mqtt_client import BufferedClient
from monitoring.ingest.pipeline import IntakePipeline

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 86400  # broker keeps our queue this long while we are away
KEEPALIVE_S = 30
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
# CONNACK reason codes after which retrying cannot help (v5 and v3.1.1 numbering).
FATAL_CONNECT_CODES = {
    "Bad user name or password",
    "Not authorized",
    "Client identifier not valid",
    "Banned",
    "Bad authentication method",
}


class IngestService:
    """Own the broker connection: connect, (re)subscribe, hand messages over, acknowledge."""

    def __init__(
        self,
        pipeline: IntakePipeline,
        *,
        host: str,
        port: int,
        tls: bool = False,
        ca_file: str | None = None,
        client_id: str = "hazwatch-ingest",
        protocol: str = "5",
        username: str | None = None,
        password: str | None = None,
        receive_maximum: int = 2000,
        root: str = "hazmon",
    ) -> None:
        self.pipeline = pipeline
        self.host, self.port, self.tls = host, port, tls
        self.ca_file = ca_file  # None: the system's CAs
        self.client_id = client_id
        self.protocol = protocol
        self.username, self.password = username, password
        self.receive_maximum = receive_maximum
        self.root = root
        self.connected = threading.Event()
        self.fatal_error: str | None = None
        self.connects = 0
        self._client: BufferedClient | None = None

    def start(self) -> None:
        """Connect in the background; reconnects and re-subscribes by itself."""
        v5 = self.protocol == "5"
        client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            # The broker's certificate and its host name are always checked; an intranet
            # broker's CA is given with --mqtt-ca-file.
            client.tls_set(ca_certs=self.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.publish_handler = self._on_publish
        client.on_subscribe = self._on_subscribe
        self.pipeline.ack = self._ack
        self.pipeline.status_extra = self.status
        self._client = client
        if v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            props.ReceiveMaximum = self.receive_maximum
            client.connect_async(
                self.host, self.port, keepalive=KEEPALIVE_S, clean_start=False, properties=props
            )
        else:
            client.connect_async(self.host, self.port, keepalive=KEEPALIVE_S)
        client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (the persistent session keeps what we did not acknowledge)."""
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self.connected.clear()

    def status(self) -> dict[str, object]:
        """Return the broker side of this worker's state."""
        return {
            "broker_connected": self.connected.is_set(),
            "broker_connects": self.connects,
            "broker_error": self.fatal_error,
        }

    def _ack(self, tokens: list[tuple[int, int]]) -> None:
        client = self._client
        if client is not None:
            client.ack_many([mid for mid, qos in tokens if qos == 1])

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            text = str(reason)
            if text in FATAL_CONNECT_CODES:
                self.fatal_error = (
                    f"broker {self.host}:{self.port} refused the connection: "
                    f"{text}; check the MQTT user name and password"
                )
                log.error(self.fatal_error, extra={"expected": True})
                # Retrying with the same credentials only gets the client banned: a
                # disconnect() ends paho's reconnect loop.
                client.disconnect()
                return
            log.warning("broker refused the connection: %s; retrying", text)
            return
        self.connects += 1
        session_present = getattr(flags, "session_present", False)
        log.info("connected to %s:%d (session present: %s)", self.host, self.port, session_present)
        # Subscribe on every connect: the broker may have lost the session.
        client.subscribe(subscription_filter(self.root), qos=1)

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        # paho calls this inside its `except OSError` around the connect, so the reason (a
        # refused port, a certificate the CA did not sign) is at hand; paho retries.
        log.warning(
            "cannot connect to the broker %s:%d: %s; retrying",
            self.host,
            self.port,
            sys.exc_info()[1] or "connection failed",
        )

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if any(r.is_failure for r in reasons):
            log.error(
                "subscription to %s refused: %s",
                subscription_filter(self.root),
                reasons,
                extra={"expected": True},
            )
            return
        self.connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected.clear()
        if reason.is_failure:
            log.warning("disconnected from broker: %s; reconnecting", reason)

    def _on_publish(self, topic: bytes, payload: bytes, mid: int, qos: int) -> None:
        # A topic that is not UTF-8 still reaches intake, to be rejected and kept.
        text = topic.decode("utf-8", "replace")
        try:
            self.pipeline.offer(text, payload, (mid, qos))
        except Exception:  # never let one message kill the network loop
            log.exception("intake failed on a message from %r", text[:200])

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = msg._topic.decode("utf-8", "replace")
        try:
            # paho may hand over a bytearray here; bytes() of bytes is the same object.
            self.pipeline.offer(topic, bytes(msg.payload), (msg.mid, msg.qos))
        except Exception:  # never let one message kill the network loop
            log.exception("intake failed on a message from %r", topic[:200])
