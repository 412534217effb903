"""A paho-mqtt Client that reads the socket in large chunks.

paho 2.2 reads every packet with three `recv` calls (command byte, length bytes, body) and
handles one packet per `select` round when no QoS 2 is in flight: four or five system calls
per message, which capped the ingest near 2,000 messages/s here. This subclass serves those
small reads from a buffer filled by one large `recv`, and keeps handling packets while the
buffer holds data. Everything else (protocol, reconnect, acks) is paho's.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.client import time_func
from paho.mqtt.enums import MQTTErrorCode

RECV_CHUNK = 256 * 1024
_PUBACK = 0x40
_PUBACK_HEAD = bytes([_PUBACK, 2])
MAX_PACKETS_PER_ROUND = 20000  # then let paho's loop write PUBACKs and pings


PublishHandler = Callable[[bytes, bytes, int, int], None]


class BufferedClient(mqtt.Client):
    """paho's client with buffered socket reads and an optional lean PUBLISH path."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = bytearray()
        # When set, QoS 0/1 PUBLISH packets go straight to it as (topic, payload, mid, qos),
        # skipping paho's MQTTMessage, MQTT 5 property objects and topic matching, which
        # cost more than the rest of intake per message. We never announce a Topic Alias
        # Maximum, so the broker sends every topic in full.
        self.publish_handler: PublishHandler | None = None

    def _handle_publish(self) -> MQTTErrorCode:
        handler = self.publish_handler
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if handler is None or qos == 2:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        end = len(packet)
        if end < 2:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        pos = 2 + int.from_bytes(packet[0:2], "big")
        topic = bytes(packet[2:pos])
        mid = 0
        if qos:
            mid = int.from_bytes(packet[pos : pos + 2], "big")
            pos += 2
        if self._protocol == mqtt.MQTTv5:
            length, shift = 0, 0
            while True:  # property length, a variable byte integer; the properties are skipped
                if pos >= end or shift > 21:
                    return MQTTErrorCode.MQTT_ERR_PROTOCOL
                byte = packet[pos]
                pos += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            pos += length
        if pos > end:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        handler(topic, bytes(packet[pos:]), mid, qos)
        if qos == 1 and not self._manual_ack:
            return self._send_puback(mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _take_publishes(self) -> int:
        """Hand every complete QoS 0/1 PUBLISH at the front of the buffer to the handler.

        paho's per-packet reader costs more than the rest of intake for small messages; this
        walks the buffer once. It stops at anything else (other packets, QoS 2, a packet
        still arriving, anything malformed), which paho's reader then takes as usual.
        """
        handler = self.publish_handler
        buf = self._rbuf
        if handler is None or self._in_packet["command"] or not buf:
            return 0
        data = bytes(buf)  # slicing bytes gives the handler bytes with one copy
        size = len(data)
        v5 = self._protocol == mqtt.MQTTv5
        pos = 0
        taken = 0
        while pos < size:
            header = data[pos]
            qos = (header >> 1) & 0x03
            if header >> 4 != 3 or qos == 2 or qos == 3:
                break
            length, shift, p = 0, 0, pos + 1
            while p < size and shift <= 21:  # remaining length: a variable byte integer
                byte = data[p]
                p += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            else:
                break  # still arriving, or malformed: paho decides
            end = p + length
            if end > size or length < 2:
                break
            body = p + 2 + int.from_bytes(data[p : p + 2], "big")
            topic = data[p + 2 : body]
            mid = 0
            if qos:
                mid = int.from_bytes(data[body : body + 2], "big")
                body += 2
            if v5:
                props, shift = 0, 0
                while body < end and shift <= 21:
                    byte = data[body]
                    body += 1
                    props |= (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80:
                        break
                else:
                    break
                body += props
            if body > end:
                break
            handler(topic, data[body:end], mid, qos)
            if qos == 1 and not self._manual_ack:
                self._send_puback(mid)
            pos = end
            taken += 1
        if pos:
            del buf[:pos]
            with self._msgtime_mutex:  # keep-alive bookkeeping, as paho's reader does
                self._last_bytes_received = time_func()
        return taken

    def _sock_recv(self, bufsize: int) -> bytes:
        if not self._rbuf:
            if self._sock is None:
                raise ConnectionError("self._sock is None")
            try:
                data = self._sock.recv(max(bufsize, RECV_CHUNK))
            except ssl.SSLWantReadError as err:
                raise BlockingIOError() from err
            except ssl.SSLWantWriteError as err:
                self._call_socket_register_write()
                raise BlockingIOError() from err
            except AttributeError as err:
                raise ConnectionError() from err
            if len(data) <= bufsize:
                return data  # includes b"" for a closed connection
            self._rbuf += data
        chunk = bytes(self._rbuf[:bufsize])
        del self._rbuf[:bufsize]
        return chunk

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        handled = 0
        while (
            rc == MQTTErrorCode.MQTT_ERR_SUCCESS
            and self._rbuf
            and handled < MAX_PACKETS_PER_ROUND
            and self._sock is not None
        ):
            taken = self._take_publishes()
            handled += taken
            if taken and not self._rbuf:
                break
            rc = self._packet_read()  # a packet the lean path leaves to paho, or a partial one
            handled += 1
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return rc

    def ack_many(self, mids: list[int]) -> None:
        """Acknowledge QoS 1 messages with one queued write instead of one per message.

        paho's `ack()` wakes its loop and writes a separate packet per message (two system
        calls each). A PUBACK without reason code or properties is valid in 3.1.1 and 5.
        """
        if mids:
            blob = b"".join([_PUBACK_HEAD + mid.to_bytes(2, "big") for mid in mids])
            self._packet_queue(_PUBACK, blob, 0, 0)

    def _sock_close(self) -> None:
        # Bytes of a dead connection must never be read as the start of the next one.
        self._rbuf.clear()
        super()._sock_close()
