"""The spool's frame codec on its own: round trips, and fuzzed truncation and corruption.

`read_frame` stands between the disk and replay: whatever a crash or a bad disk left, it
must give back the frame exactly as written or say None (torn or damaged), never raise and
never hand over altered data.
"""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from monitoring.records import PresenceCount, Reading
from monitoring.storage.spool.frames import (
    HEADER,
    MAGIC,
    decode_payload,
    encode_frame,
    read_frame,
)

T0 = 1_764_381_600_000

ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=12)
texts = st.text(max_size=20)  # any unicode: the payload is JSON, not line protocol
readings = st.builds(
    Reading,
    enterprise=ids,
    site=ids,
    sensor=ids,
    ts_ms=st.integers(T0, T0 + 10**9),
    value=st.floats(allow_nan=False, allow_infinity=False),
    quality=st.sampled_from(["good", "uncertain", "bad"]),
    zone=texts,
    kind=texts,
)
presence = st.builds(
    PresenceCount,
    enterprise=ids,
    site=ids,
    camera=ids,
    zone=ids,
    ts_ms=st.integers(T0, T0 + 10**9),
    people=st.integers(0, 1000),
    confidence=st.none() | st.floats(0, 1),
    snapshot=st.none() | texts,
)
batches = st.tuples(st.lists(readings, max_size=8), st.lists(presence, max_size=4)).filter(
    lambda batch: len(batch[0]) + len(batch[1]) > 0
)


def rebuilt(payload: bytes) -> tuple[list[Reading], list[PresenceCount]]:
    """Return the records a frame's payload decodes to, as replay rebuilds them."""
    reading_rows, presence_rows = decode_payload(payload)
    return [Reading(*row) for row in reading_rows], [PresenceCount(*row) for row in presence_rows]


def read(data: bytes, offset: int = 0, limit: int | None = None):
    """Return what `read_frame` finds in `data`, as if it were a segment file."""
    return read_frame(io.BytesIO(data), offset, len(data) if limit is None else limit)


@given(batch=batches, before=st.binary(max_size=64), after=st.binary(max_size=64))
def test_an_intact_frame_reads_back_exactly_wherever_it_sits(batch, before, after):
    frame = encode_frame(*batch)
    found = read(before + frame + after, offset=len(before))
    assert found is not None
    assert (found.offset, found.end) == (len(before), len(before) + len(frame))
    assert found.points == len(batch[0]) + len(batch[1])
    assert rebuilt(found.payload) == (batch[0], batch[1])


@given(batch=batches, data=st.data())
def test_a_truncated_frame_is_reported_torn(batch, data):
    frame = encode_frame(*batch)
    cut = data.draw(st.integers(0, len(frame) - 1), label="cut")
    # The file ends early (a crash mid-append), and the bound alone stops short of the end.
    assert read(frame[:cut]) is None
    assert read(frame[:cut], limit=len(frame)) is None
    assert read(frame, limit=cut) is None


@given(batch=batches, data=st.data())
def test_a_corrupted_frame_is_reported_damaged_or_read_intact(batch, data):
    frame = encode_frame(*batch)
    damaged = bytearray(frame)
    positions = data.draw(
        st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=8, unique=True),
        label="positions",
    )
    for position in positions:
        damaged[position] ^= data.draw(st.integers(1, 255), label="flip")
    if data.draw(st.booleans(), label="truncate too"):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)), label="cut")]
    found = read(bytes(damaged))
    # CRC32 catches every change of up to 32 bits in a row, and all but 1 in 2**32 others.
    assert found is None
    assert read(frame) is not None  # the same frame undamaged still reads


@given(junk=st.binary(max_size=200), data=st.data())
def test_arbitrary_bytes_never_raise_and_only_a_checksummed_frame_passes(junk, data):
    if data.draw(st.booleans(), label="starts like a frame"):
        junk = MAGIC + junk
    found = read(junk)
    if found is not None:  # only possible when the bytes happen to carry a valid CRC
        magic, length, points, _crc = HEADER.unpack(junk[: HEADER.size])
        assert magic == MAGIC and found.end == HEADER.size + length and found.points == points
        assert found.payload == junk[HEADER.size : found.end]
