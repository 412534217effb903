"""The fast path for the common telemetry message: one C-level decode into typed structs.

Nearly every message on a busy broker is a well-formed telemetry batch, `{"ts": <int>,
"readings": [{"sensor": ..., "value": ...}, ...]}`. msgspec decodes and type-checks such a
payload in one call, several times faster than `json.loads` plus Python checks. The fast path
only ever says yes or "don't know": `fast_telemetry` returns the records exactly as the full
parser (`telemetry.py`) would, or None, and then the full parser does every check and explains
what is wrong. A property test holds the two to the same answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

import msgspec

from monitoring.records import ID_PATTERN, UNKNOWN, ParsedMessage, Reading

MAX_FUTURE_MS = 5 * 60 * 1000
MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z; anything earlier is a clock or unit bug
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z; bounds permit start/end too
MAX_ID_CHARS = 64  # from the id pattern; longer strings never reach the id cache
ID_CACHE_SIZE = 4096

_match_id = ID_PATTERN.fullmatch
_isfinite = math.isfinite
_UNKNOWN_PLACE = (UNKNOWN, UNKNOWN)
# NamedTuple's generated __new__ is a Python call; building the tuple directly is half the cost.
_new_tuple = tuple.__new__


@lru_cache(maxsize=ID_CACHE_SIZE)
def known_id(text: str) -> bool:
    """Tell whether `text` is a valid id (cached: sensor ids repeat in every message)."""
    return _match_id(text) is not None


class _Item(msgspec.Struct, gc=False):
    # A float field takes JSON integers too, as the full parser does; bools, strings, NaN
    # and out-of-range numbers fail the decode and go the full way.
    sensor: str
    value: float
    ts: int | None = None
    quality: Literal["good", "uncertain", "bad"] | None = None


class _Batch(msgspec.Struct, gc=False):
    readings: list[_Item]
    ts: int | None = None


_DECODE = msgspec.json.Decoder(_Batch).decode
_DecodeFailed = (msgspec.ValidationError, msgspec.DecodeError)


def fast_telemetry(
    payload: bytes,
    enterprise: str,
    site: str,
    received_ms: int,
    places: Mapping[str, tuple[str, str]],
    oldest_ms: int = MIN_TS_MS,
) -> ParsedMessage | None:
    """Return a well-formed telemetry batch's readings, or None to let the full parser decide.

    `oldest_ms` (at least MIN_TS_MS) is the oldest time the store keeps: anything older goes
    the full way, which refuses it as `too_old`.
    """
    try:
        batch = _DECODE(payload)
    except _DecodeFailed:
        return None
    latest = received_ms + MAX_FUTURE_MS
    ts = batch.ts
    if ts is None:
        ts = received_ms
    elif not oldest_ms <= ts <= MAX_TS_MS or ts > latest:
        return None
    items = batch.readings
    if not items:
        return None
    records: list[Reading] = []
    append = records.append
    get_place = places.get
    for item in items:
        sensor = item.sensor
        value = item.value
        own_ts = item.ts
        if own_ts is None:
            own_ts = ts
        elif not oldest_ms <= own_ts <= MAX_TS_MS or own_ts > latest:
            return None
        if not _isfinite(value):
            return None
        place = get_place(sensor)
        if place is None:  # the registry's ids are valid already; check only the others
            if len(sensor) > MAX_ID_CHARS or not known_id(sensor):
                return None
            place = _UNKNOWN_PLACE
        zone, kind = place
        quality = item.quality or "good"
        append(_new_tuple(Reading, (enterprise, site, sensor, own_ts, value, quality, zone, kind)))
    return ParsedMessage("telemetry", enterprise, site, tuple(records), ())
