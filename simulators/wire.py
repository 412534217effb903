"""A minimal MQTT 3.1.1 publisher for load mode: QoS 1 PUBLISH in batches, PUBACKs counted.

paho-mqtt issues one or two system calls per message and builds several objects per
acknowledgement; on a small VM that caps a process at a few thousand QoS 1 messages/s.
Load generation needs more, so this client writes many pre-encoded PUBLISH packets per
`send` and reads many PUBACKs per `recv`. It speaks only what a publishing gateway needs:
CONNECT, PUBLISH (QoS 1), PUBACK, PINGREQ/PINGRESP and DISCONNECT.
"""

from __future__ import annotations

import socket
import struct
import time

CONNECT, CONNACK, PUBLISH_QOS1, PUBACK, PINGREQ, PINGRESP, DISCONNECT = (
    0x10,
    0x20,
    0x32,
    0x40,
    0xC0,
    0xD0,
    0xE0,
)
CONNECT_TIMEOUT_S = 10.0


class WireError(ConnectionError):
    """The broker refused, closed the connection, or sent something unexpected."""


def encode_length(n: int) -> bytes:
    """Return MQTT's variable-length encoding of a remaining length."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("!H", len(raw)) + raw


def connect_packet(
    client_id: str, keepalive_s: int, username: str | None = None, password: str | None = None
) -> bytes:
    """Return a CONNECT packet (MQTT 3.1.1, clean session)."""
    flags = 0x02
    payload = _utf8(client_id)
    if username is not None:
        flags |= 0x80
        payload += _utf8(username)
        if password is not None:
            flags |= 0x40
            payload += _utf8(password)
    body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s) + payload
    return bytes([CONNECT]) + encode_length(len(body)) + body


def publish_packet(topic: bytes, mid: int, payload: bytes) -> bytes:
    """Return a QoS 1 PUBLISH packet."""
    body_len = 2 + len(topic) + 2 + len(payload)
    return b"".join(
        (
            bytes([PUBLISH_QOS1]),
            encode_length(body_len),
            struct.pack("!H", len(topic)),
            topic,
            struct.pack("!H", mid),
            payload,
        )
    )


class WirePublisher:
    """One connection that publishes QoS 1 messages in batches and counts PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str, keepalive_s: int = 60) -> None:
        self.host, self.port = host, port
        self.client_id = client_id
        self.keepalive_s = keepalive_s
        self.acked = 0  # PUBACKs received
        self.sent = 0  # PUBLISH packets written
        self._sock: socket.socket | None = None
        self._inbuf = b""
        self._outbuf: list[bytes] = []
        self._next_mid = 1
        self._last_write = 0.0

    def connect(self, username: str | None = None, password: str | None = None) -> None:
        """Open the connection and wait for a successful CONNACK."""
        sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(connect_packet(self.client_id, self.keepalive_s, username, password))
        data = b""
        while len(data) < 4:
            chunk = sock.recv(4 - len(data))
            if not chunk:
                raise WireError("connection closed before CONNACK")
            data += chunk
        if data[0] != CONNACK or data[3] != 0:
            sock.close()
            raise WireError(f"broker refused the connection (CONNACK {data.hex()})")
        sock.settimeout(None)
        self._sock = sock
        self._last_write = time.monotonic()

    def queue(self, topic: bytes, payload: bytes) -> int:
        """Queue one QoS 1 message for the next flush; return its packet id."""
        mid = self._next_mid
        self._next_mid = mid % 65535 + 1
        self._outbuf.append(publish_packet(topic, mid, payload))
        return mid

    def flush(self) -> None:
        """Write every queued packet in one system call."""
        if not self._outbuf:
            return
        assert self._sock is not None, "connect() first"
        self._sock.sendall(b"".join(self._outbuf))
        self.sent += sum(1 for p in self._outbuf if p[0] == PUBLISH_QOS1)
        self._outbuf.clear()
        self._last_write = time.monotonic()

    def poll(self, timeout: float = 0.0) -> list[int]:
        """Read what the broker sent (waiting up to `timeout`); return the packet ids acked."""
        assert self._sock is not None, "connect() first"
        if time.monotonic() - self._last_write > self.keepalive_s / 2:
            self._outbuf.append(bytes([PINGREQ, 0]))
            self.flush()
        self._sock.settimeout(timeout if timeout > 0 else 0.0)
        try:
            data = self._sock.recv(65536)
        except (BlockingIOError, TimeoutError):
            return []
        finally:
            self._sock.settimeout(None)
        if not data:
            raise WireError("broker closed the connection")
        return self._consume(data)

    def _consume(self, data: bytes) -> list[int]:
        buf = self._inbuf + data
        pos = 0
        mids: list[int] = []
        while len(buf) - pos >= 2:
            kind = buf[pos]
            length, shift, i = 0, 0, pos + 1
            while True:
                if i >= len(buf):
                    self._inbuf = buf[pos:]
                    self.acked += len(mids)
                    return mids
                byte = buf[i]
                length |= (byte & 0x7F) << shift
                shift += 7
                i += 1
                if not byte & 0x80:
                    break
            if len(buf) - i < length:
                break
            if kind == PUBACK:
                mids.append(struct.unpack_from("!H", buf, i)[0])
            elif kind != PINGRESP:
                raise WireError(f"unexpected packet type 0x{kind:02x} from the broker")
            pos = i + length
        self._inbuf = buf[pos:]
        self.acked += len(mids)
        return mids

    def close(self) -> None:
        """Send DISCONNECT and close the socket."""
        if self._sock is None:
            return
        try:
            self._outbuf.append(bytes([DISCONNECT, 0]))
            self.flush()
        except OSError:
            pass  # already gone: nothing left to say goodbye to
        self._sock.close()
        self._sock = None
