"""The spool's frame codec: one appended batch as checksummed bytes, and back.

A frame is a header (magic, payload length, point count, CRC32 of those two and the
payload) followed by a zlib-compressed JSON payload `[[reading fields...], [presence
fields...]]`. The codec is pure: `read_frame` only reads the file object it is given, and
says None for anything that is not a complete, intact frame, so the segment log can tell a
torn or damaged tail from data.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import BinaryIO

from monitoring.records import PresenceCount, Reading

MAGIC = b"HZS1"  # format 1: zlib-compressed JSON
HEADER = struct.Struct("<4sIII")  # magic, payload length, point count, crc32
COUNTS = struct.Struct("<II")  # the part of the header the CRC covers
COMPRESS_LEVEL = 1  # ~8x smaller than plain JSON for typical readings, at ~2 ms per 5,000
MAX_FRAME_BYTES = 256 * 1024 * 1024  # a longer length field is damage, not data

# Records travel as tuples of their fields in declaration order; Reading(*row) rebuilds them.
_reading_row = attrgetter(*Reading._fields)
_presence_row = attrgetter(*PresenceCount._fields)


@dataclass(frozen=True)
class Frame:
    """A complete, intact frame found in a segment file."""

    offset: int  # where its header starts
    end: int  # where the next frame starts
    points: int
    payload: bytes


def encode_frame(readings: Sequence[Reading], presence: Sequence[PresenceCount]) -> bytes:
    """Return one framed, checksummed batch."""
    body = json.dumps(
        [[_reading_row(r) for r in readings], [_presence_row(p) for p in presence]],
        separators=(",", ":"),
    ).encode()
    payload = zlib.compress(body, COMPRESS_LEVEL)
    counts = COUNTS.pack(len(payload), len(readings) + len(presence))
    crc = zlib.crc32(payload, zlib.crc32(counts))
    return HEADER.pack(MAGIC, len(payload), len(readings) + len(presence), crc) + payload


def decode_payload(payload: bytes) -> tuple[list[list], list[list]]:
    """Return the reading rows and presence rows of a frame's payload."""
    reading_rows, presence_rows = json.loads(zlib.decompress(payload))
    return reading_rows, presence_rows


def read_frame(f: BinaryIO, offset: int, limit: int) -> Frame | None:
    """Return the complete, intact frame at `offset`, or None if there is none before `limit`."""
    if offset + HEADER.size > limit:
        return None
    f.seek(offset)
    header = f.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    magic, length, points, crc = HEADER.unpack(header)
    end = offset + HEADER.size + length
    if magic != MAGIC or length > MAX_FRAME_BYTES or end > limit:
        return None
    payload = f.read(length)
    if len(payload) < length or zlib.crc32(payload, zlib.crc32(COUNTS.pack(length, points))) != crc:
        return None
    return Frame(offset, end, points, payload)
