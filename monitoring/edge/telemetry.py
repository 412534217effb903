"""Parse a telemetry message into `Reading`s, keeping the good readings of a mixed batch.

A telemetry payload is a batch, `{"ts": ..., "readings": [{"sensor", "value", ...}, ...]}`,
or the shorthand of one reading, `{"ts": ..., "sensor": ..., "value": ...}`. A bad reading
is rejected on its own with a reason, and its neighbours are kept; only when no reading is
usable is the whole message refused. `fast.py` takes the common well-formed batch first;
this module is the full parser, which does every check and explains every failure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from monitoring.edge.fast import MAX_FUTURE_MS, MAX_ID_CHARS, MIN_TS_MS
from monitoring.edge.fast import known_id as _known_id
from monitoring.edge.fields import (
    MISSING,
    describe,
    epoch_ms,
    expected,
    field_path,
    message_ts,
    value_problem,
)
from monitoring.records import (
    QUALITIES,
    UNKNOWN,
    MessageRejected,
    ParsedMessage,
    Reading,
    Record,
    Rejection,
)

MAX_LISTED_FAILURES = 3  # readings named in the detail when a whole message is rejected

Places = Mapping[str, tuple[str, str]]  # {sensor: (zone, kind)} of one site, from the registry
NOWHERE: Places = MappingProxyType({})
_UNKNOWN_PLACE = (UNKNOWN, UNKNOWN)
_INT_FAST = 2**53  # integers a float holds exactly; larger ones take the checked path
_isfinite = math.isfinite


def parse_telemetry(
    doc: dict,
    enterprise: str,
    site: str,
    received_ms: int,
    where: Places = NOWHERE,
    oldest_ms: int = MIN_TS_MS,
) -> ParsedMessage:
    """Return the readings of a telemetry object; refuse it if none is usable.

    A reading older than `oldest_ms` (the store's retention) is refused alone as `too_old`.
    """
    ts = message_ts(doc, received_ms, oldest_ms)
    items = doc.get("readings", MISSING)
    shorthand = items is MISSING
    if shorthand:
        if "sensor" not in doc and "value" not in doc:
            raise MessageRejected("no_content", "telemetry has neither readings nor sensor/value")
        items = (doc,)  # the message is its one reading; its ts was checked above
    elif type(items) is not list:
        raise MessageRejected("no_content", f"readings is {describe(items)}, not a list")
    elif not items:
        raise MessageRejected("no_content", "readings is an empty list")
    records: list[Record] = []
    rejections: list[Rejection] = []
    for i, item in enumerate(items):
        # Fast path for the common shape, inlined because it runs for every reading; anything
        # else goes through `_reading`, which does every check and explains the failures.
        if type(item) is dict and (size := len(item)) <= 3:
            sensor = item.get("sensor")
            value = item.get("value")
            own_ts = ts if size == 2 else item.get("ts")
            if type(value) is int and -_INT_FAST <= value <= _INT_FAST:
                value = float(value)
            if (
                type(value) is float
                and _isfinite(value)
                and type(sensor) is str
                and len(sensor) <= MAX_ID_CHARS
                and _known_id(sensor)
                and type(own_ts) is int
                and oldest_ms <= own_ts <= received_ms + MAX_FUTURE_MS
            ):
                zone, kind = where.get(sensor, _UNKNOWN_PLACE)
                records.append(Reading(enterprise, site, sensor, own_ts, value, "good", zone, kind))
                continue
        try:
            records.append(
                _reading(
                    item,
                    None if shorthand else i,
                    (enterprise, site),
                    ts,
                    (received_ms, oldest_ms),
                    where,
                )
            )
        except MessageRejected as exc:
            rejections.append(exc.rejection)
    if not records:
        if len(rejections) == 1:
            raise MessageRejected(rejections[0].code, rejections[0].detail)
        listed = "; ".join(r.detail for r in rejections[:MAX_LISTED_FAILURES])
        more = len(rejections) - MAX_LISTED_FAILURES
        tail = f"; and {more} more" if more > 0 else ""
        raise MessageRejected(
            "no_content", f"all {len(rejections)} readings rejected: {listed}{tail}"
        )
    return ParsedMessage("telemetry", enterprise, site, tuple(records), tuple(rejections))


def _reading(
    item: object,
    index: int | None,
    source: tuple[str, str],
    ts: int,
    window: tuple[int, int],
    places: Places = NOWHERE,
) -> Reading:
    """Check one reading; `index` None means the shorthand form, whose ts is already checked.

    `source` is (enterprise, site); `window` is (received_ms, oldest_ms).
    """
    enterprise, site = source
    received_ms, oldest_ms = window
    where = "reading" if index is None else f"readings[{index}]"
    if type(item) is not dict:
        raise MessageRejected("bad_field", f"{where}: {describe(item)} is not an object")
    sensor = item.get("sensor")
    if type(sensor) is not str or len(sensor) > MAX_ID_CHARS or not _known_id(sensor):
        raise MessageRejected("bad_id", expected(field_path(where, "sensor"), sensor, "a valid id"))
    value = item.get("value", MISSING)
    value_type = type(value)
    if value_type is bool:
        value = 1.0 if value else 0.0
    elif value_type is int:
        try:
            value = float(value)
        except OverflowError:
            raise MessageRejected(
                "bad_value", f"{field_path(where, 'value')}: {describe(value)} is out of range"
            ) from None
    elif value_type is not float or not _isfinite(value):
        raise MessageRejected("bad_value", value_problem(field_path(where, "value"), value))
    quality = item.get("quality")
    if quality is None:
        quality = "good"
    elif type(quality) is not str or quality not in QUALITIES:
        raise MessageRejected(
            "bad_field",
            f"{field_path(where, 'quality')}: {describe(quality)} is not good, uncertain or bad",
        )
    own_ts = None if index is None else item.get("ts")
    if own_ts is not None:
        ts = epoch_ms(own_ts, field_path(where, "ts"), received_ms, oldest_ms=oldest_ms)
    zone, kind = places.get(sensor, _UNKNOWN_PLACE)
    return Reading(enterprise, site, sensor, ts, value, quality, zone, kind)
