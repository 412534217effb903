"""Parse gateway MQTT messages (contract section 2) into typed records.

The input is untrusted: any topic and any payload may arrive. `parse_message` either returns
a `ParsedMessage` or raises `MessageRejected` with a stable code and a readable detail; it
raises nothing else. It is a pure function on the ingest hot path, so the common case is one
`json.loads` and straight-line checks. An optional field sent as JSON `null` counts as absent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from monitoring.edge.fast import (
    MAX_FUTURE_MS,
    MAX_ID_CHARS,
    MAX_TS_MS,
    MIN_TS_MS,
    fast_telemetry,
)
from monitoring.edge.fast import known_id as _known_id
from monitoring.records import (
    GATEWAY_STATES,
    ID_PATTERN,
    PERMIT_STATUSES,
    PERMIT_TYPES,
    QUALITIES,
    UNKNOWN,
    GatewayStatus,
    MessageRejected,
    ParsedMessage,
    Permit,
    PresenceCount,
    Reading,
    Record,
    Rejection,
)

DEFAULT_ROOT = "hazmon"
MESSAGE_KINDS: frozenset[str] = frozenset({"telemetry", "presence", "permit", "status"})
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_PEOPLE = 1000
MAX_WORKERS = 1000
MAX_SNAPSHOT_CHARS = 2048
MAX_LEVEL_CHARS = 32
MAX_SUPERVISOR_CHARS = 100
MAX_LISTED_FAILURES = 3  # readings named in the detail when a whole message is rejected
TOPIC_CACHE_SIZE = 1024
MAX_CACHED_TOPIC_CHARS = 512  # longer topics are never valid; don't let them fill the cache

_MISSING = object()
_match_id = ID_PATTERN.fullmatch
_isfinite = math.isfinite
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
# C1 controls and lone surrogates (from JSON "\ud800" escapes) cannot be stored or shown safely.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNSAFE_IN_URL = re.compile("[\\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


class _NonFinite:
    """A JSON NaN/Infinity literal, kept as a marker so it can never pass as a float."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# One decoder built once: json.loads(..., parse_constant=...) would build a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_NonFinite)


def subscription_filter(root: str) -> str:
    """Return the MQTT filter that sees every message under `root`, well-shaped or not."""
    return f"{root}/#"


Locations = Callable[[str, str], Mapping[str, tuple[str, str]]]
_NOWHERE: Mapping[str, tuple[str, str]] = MappingProxyType({})
_UNKNOWN_PLACE = (UNKNOWN, UNKNOWN)
_INT_FAST = 2**53  # integers a float holds exactly; larger ones take the checked path


def parse_message(
    topic: str,
    payload: bytes,
    received_ms: int,
    *,
    root: str = DEFAULT_ROOT,
    locations: Locations | None = None,
) -> ParsedMessage:
    """Parse one untrusted gateway message; raise `MessageRejected` if it is unusable.

    `locations(enterprise, site)` may give {sensor: (zone, kind)} from the registry, so
    readings are built with their zone and kind at once instead of being copied later.
    """
    route = (
        _route_cached(root, topic) if len(topic) <= MAX_CACHED_TOPIC_CHARS else _route(root, topic)
    )
    if type(route) is Rejection:
        raise MessageRejected(route.code, route.detail)
    enterprise, site, kind = route
    if kind == "telemetry":
        where = locations(enterprise, site) if locations is not None else _NOWHERE
        if type(payload) is bytes and len(payload) <= MAX_PAYLOAD_BYTES:
            fast = fast_telemetry(payload, enterprise, site, received_ms, where)
            if fast is not None:
                return fast
        return _telemetry(_load_object(_decode(payload)), enterprise, site, received_ms, where)
    text = _decode(payload)
    if kind == "presence":
        return _presence(_load_object(text), enterprise, site, received_ms)
    if kind == "permit":
        return _permit(_load_object(text), enterprise, site, received_ms)
    return _status(text, enterprise, site, received_ms)


# -- topic and payload --------------------------------------------------------------------


def _route(root: str, topic: str) -> tuple[str, str, str] | Rejection:
    """Split a topic into (enterprise, site, kind), or say why it cannot be."""
    shape = f"{root}/{{enterprise}}/{{site}}/{{kind}}"
    prefix = root + "/"
    if not topic.startswith(prefix):
        return Rejection("bad_topic", f"topic {_quote(topic, 200)} is not under {prefix!r}")
    parts = topic[len(prefix) :].split("/")
    if len(parts) != 3:
        return Rejection("bad_topic", f"topic {_quote(topic, 200)} does not match {shape}")
    enterprise, site, kind = parts
    if kind not in MESSAGE_KINDS:
        return Rejection(
            "bad_topic",
            f"topic {_quote(topic, 200)}: unknown kind {_quote(kind)}; "
            "expected telemetry, presence, permit or status",
        )
    if _match_id(enterprise) is None:
        return Rejection("bad_id", f"topic enterprise {_quote(enterprise)} is not a valid id")
    if _match_id(site) is None:
        return Rejection("bad_id", f"topic site {_quote(site)} is not a valid id")
    return enterprise, site, kind


# Topics repeat a lot (one per site and kind), so the split is worth remembering.
_route_cached = lru_cache(maxsize=TOPIC_CACHE_SIZE)(_route)


def _decode(payload: bytes) -> str:
    if type(payload) is not bytes:
        if not isinstance(payload, bytearray | memoryview):
            raise MessageRejected("bad_encoding", f"payload is a {type(payload).__name__}")
        payload = bytes(payload)
    size = len(payload)
    if size > MAX_PAYLOAD_BYTES:
        raise MessageRejected(
            "too_large", f"payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    if size == 0:
        raise MessageRejected("no_content", "payload is empty")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageRejected(
            "bad_encoding", f"payload is not UTF-8: invalid byte at offset {exc.start}"
        ) from None
    # Some Windows gateway stacks prefix a byte-order mark; it carries no meaning.
    return text[1:] if text[:1] == "\ufeff" else text


def _load(text: str) -> object:
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise MessageRejected("bad_json", "payload is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and ints over the digit limit
        if not text.strip():
            raise MessageRejected("no_content", "payload is blank") from None
        raise MessageRejected("bad_json", f"payload is not valid JSON: {exc}") from None


def _load_object(text: str) -> dict:
    doc = _load(text)
    if type(doc) is not dict:
        raise MessageRejected("not_object", f"payload is {_describe(doc)}, not a JSON object")
    return doc


# -- message kinds ------------------------------------------------------------------------


def _telemetry(
    doc: dict,
    enterprise: str,
    site: str,
    received_ms: int,
    where: Mapping[str, tuple[str, str]] = _NOWHERE,
) -> ParsedMessage:
    ts = _message_ts(doc, received_ms)
    items = doc.get("readings", _MISSING)
    shorthand = items is _MISSING
    if shorthand:
        if "sensor" not in doc and "value" not in doc:
            raise MessageRejected("no_content", "telemetry has neither readings nor sensor/value")
        items = (doc,)  # the message is its one reading; its ts was checked above
    elif type(items) is not list:
        raise MessageRejected("no_content", f"readings is {_describe(items)}, not a list")
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
                and MIN_TS_MS <= own_ts <= received_ms + MAX_FUTURE_MS
            ):
                zone, kind = where.get(sensor, _UNKNOWN_PLACE)
                records.append(Reading(enterprise, site, sensor, own_ts, value, "good", zone, kind))
                continue
        try:
            records.append(
                _reading(item, None if shorthand else i, enterprise, site, ts, received_ms, where)
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
    enterprise: str,
    site: str,
    ts: int,
    received_ms: int,
    places: Mapping[str, tuple[str, str]] = _NOWHERE,
) -> Reading:
    """Check one reading; `index` None means the shorthand form, whose ts is already checked."""
    where = "reading" if index is None else f"readings[{index}]"
    if type(item) is not dict:
        raise MessageRejected("bad_field", f"{where}: {_describe(item)} is not an object")
    sensor = item.get("sensor")
    if type(sensor) is not str or len(sensor) > MAX_ID_CHARS or not _known_id(sensor):
        raise MessageRejected("bad_id", _expected(_field(where, "sensor"), sensor, "a valid id"))
    value = item.get("value", _MISSING)
    kind = type(value)
    if kind is bool:
        value = 1.0 if value else 0.0
    elif kind is int:
        try:
            value = float(value)
        except OverflowError:
            raise MessageRejected(
                "bad_value", f"{_field(where, 'value')}: {_describe(value)} is out of range"
            ) from None
    elif kind is not float or not _isfinite(value):
        raise MessageRejected("bad_value", _value_problem(_field(where, "value"), value))
    quality = item.get("quality")
    if quality is None:
        quality = "good"
    elif type(quality) is not str or quality not in QUALITIES:
        raise MessageRejected(
            "bad_field",
            f"{_field(where, 'quality')}: {_describe(quality)} is not good, uncertain or bad",
        )
    own_ts = None if index is None else item.get("ts")
    if own_ts is not None:
        ts = _epoch_ms(own_ts, _field(where, "ts"), received_ms)
    zone, kind = places.get(sensor, _UNKNOWN_PLACE)
    return Reading(enterprise, site, sensor, ts, value, quality, zone, kind)


def _presence(doc: dict, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    ts = _message_ts(doc, received_ms)
    camera = _required_id(doc, "camera")
    zone = _required_id(doc, "zone")
    people = _count(doc.get("people", _MISSING), "people", "bad_value", MAX_PEOPLE)
    confidence = doc.get("confidence")
    if confidence is not None:
        kind = type(confidence)
        if (kind is not int and kind is not float) or not 0 <= confidence <= 1:
            raise MessageRejected(
                "bad_field", _expected("confidence", confidence, "a number from 0 to 1")
            )
        confidence = float(confidence)
    snapshot = doc.get("snapshot")
    if snapshot is not None:
        snapshot = _url(snapshot, "snapshot")
    record = PresenceCount(enterprise, site, camera, zone, ts, people, confidence, snapshot)
    return ParsedMessage("presence", enterprise, site, (record,))


def _permit(doc: dict, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    permit = _required_id(doc, "permit")
    permit_type = doc.get("type")
    if type(permit_type) is not str or permit_type not in PERMIT_TYPES:
        raise MessageRejected(
            "bad_field", _expected("type", permit_type, f"one of {', '.join(sorted(PERMIT_TYPES))}")
        )
    zone = _required_id(doc, "zone")
    start_ms = _required_ts(doc, "start", received_ms)
    end_ms = _required_ts(doc, "end", received_ms)
    if end_ms <= start_ms:
        raise MessageRejected(
            "bad_timestamp", f"end ({end_ms} ms) is not after start ({start_ms} ms)"
        )
    status = doc.get("status")
    if type(status) is not str or status not in PERMIT_STATUSES:
        raise MessageRejected(
            "bad_field", _expected("status", status, "approved, cancelled or closed")
        )
    level = doc.get("level")
    if type(level) is int:  # enterprises send the permit level as "1" or as 1
        level = str(level)
    level = _optional_text(level, "level", MAX_LEVEL_CHARS)
    supervisor = _optional_text(doc.get("supervisor"), "supervisor", MAX_SUPERVISOR_CHARS)
    workers = doc.get("workers")
    if workers is not None:
        workers = _count(workers, "workers", "bad_field", MAX_WORKERS)
    record = Permit(
        enterprise, site, permit, permit_type, zone, start_ms, end_ms, status, received_ms,
        level, supervisor, workers,
    )  # fmt: skip
    return ParsedMessage("permit", enterprise, site, (record,))


def _status(text: str, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    # A Last Will is often the bare word, not JSON.
    if len(text) <= 32:
        bare = text.strip().lower()
        if bare in GATEWAY_STATES:
            record = GatewayStatus(enterprise, site, bare, received_ms)
            return ParsedMessage("status", enterprise, site, (record,))
    doc = _load(text)
    ts = received_ms
    if type(doc) is dict:
        state = doc.get("state")
        if state is None:
            state = doc.get("status")
        ts = _message_ts(doc, received_ms)
    elif type(doc) is str:
        state = doc
    else:
        raise MessageRejected(
            "bad_field",
            f'status payload is {_describe(doc)}; expected online, offline or {{"state": ...}}',
        )
    if type(state) is not str or state.lower() not in GATEWAY_STATES:
        raise MessageRejected("bad_field", _expected("state", state, "online or offline"))
    record = GatewayStatus(enterprise, site, state.lower(), ts)
    return ParsedMessage("status", enterprise, site, (record,))


# -- fields -------------------------------------------------------------------------------


def _message_ts(doc: dict, received_ms: int) -> int:
    value = doc.get("ts")
    if value is None:
        return received_ms
    return _epoch_ms(value, "ts", received_ms, future_ok=False)


def _required_ts(doc: dict, name: str, received_ms: int) -> int:
    value = doc.get(name)
    if value is None:
        raise MessageRejected("bad_timestamp", f"{name}: missing; expected a timestamp")
    return _epoch_ms(value, name, received_ms, future_ok=True)


def _epoch_ms(value: object, where: str, received_ms: int, *, future_ok: bool = False) -> int:
    """Return a timestamp as epoch ms: an int, an integral float or an RFC 3339 string."""
    kind = type(value)
    if kind is int:
        ms = value
    elif kind is str:
        ms = _rfc3339_ms(value, where)
    elif kind is float and value.is_integer():
        ms = int(value)
    else:
        hint = _unit_hint(value) if kind is float and _isfinite(value) else ""
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {_describe(value)} is not integer epoch milliseconds "
            f"or an RFC 3339 string{hint}",
        )
    if ms < MIN_TS_MS or ms > MAX_TS_MS:
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {_describe(value)} is outside 2000-01-01..2100-01-01{_unit_hint(ms)}",
        )
    if not future_ok and ms > received_ms + MAX_FUTURE_MS:
        raise MessageRejected(
            "future_timestamp",
            f"{where}: {_describe(value)} is {(ms - received_ms) / 1000:.0f} s after it was "
            f"received (limit {MAX_FUTURE_MS // 1000} s); check the gateway clock",
        )
    return ms


def _unit_hint(number: float) -> str:
    size = abs(number)
    if 1e9 <= size < 1e10:
        return " (looks like epoch seconds; send milliseconds)"
    if 1e15 <= size < 1e17:
        return " (looks like epoch microseconds; send milliseconds)"
    if 1e18 <= size < 1e20:
        return " (looks like epoch nanoseconds; send milliseconds)"
    return ""


def _rfc3339_ms(text: str, where: str) -> int:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise MessageRejected(
            "bad_timestamp", f"{where}: {_quote(text)} is not an RFC 3339 timestamp"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None:
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {_quote(text)} has no UTC offset; add Z or one such as +08:00",
        )
    leap = 0
    if second == "60":  # RFC 3339 allows a leap second; datetime does not
        second, leap = "59", 1000
    if offset in ("Z", "z"):
        offset_ms = 0
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise MessageRejected("bad_timestamp", f"{where}: {_quote(text)} has a bad offset")
        offset_ms = (hours * 3600 + minutes * 60) * 1000 * (-1 if offset[0] == "-" else 1)
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError as exc:
        raise MessageRejected("bad_timestamp", f"{where}: {_quote(text)}: {exc}") from None
    millis = int(fraction[:3].ljust(3, "0")) if fraction else 0
    return (moment - _EPOCH) // _ONE_MS + millis + leap - offset_ms


def _required_id(doc: dict, name: str) -> str:
    value = doc.get(name)
    if type(value) is not str or _match_id(value) is None:
        raise MessageRejected("bad_id", _expected(name, value, "a valid id"))
    return value


def _count(value: object, name: str, code: str, limit: int) -> int:
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not 0 <= value <= limit:
        raise MessageRejected(code, _expected(name, value, f"an integer from 0 to {limit}"))
    return value


def _optional_text(value: object, name: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise MessageRejected("bad_field", f"{name}: {_describe(value)} is not a string")
    if len(value) > limit:
        raise MessageRejected("bad_field", f"{name}: {len(value)} characters; at most {limit}")
    if _CONTROL.search(value) is not None:
        raise MessageRejected("bad_field", f"{name}: {_quote(value)} contains control characters")
    return value


def _url(value: object, name: str) -> str:
    if type(value) is not str:
        raise MessageRejected("bad_field", f"{name}: {_describe(value)} is not a string")
    if len(value) > MAX_SNAPSHOT_CHARS:
        raise MessageRejected(
            "bad_field", f"{name}: URL is {len(value)} characters; at most {MAX_SNAPSHOT_CHARS}"
        )
    head = value[:8].lower()
    rest = value[8:] if head.startswith("https://") else value[7:]
    if not (head.startswith("https://") or head.startswith("http://")) or rest[:1] in ("", "/"):
        raise MessageRejected("bad_field", f"{name}: {_quote(value)} is not an http(s) URL")
    if _UNSAFE_IN_URL.search(value) is not None:
        raise MessageRejected(
            "bad_field", f"{name}: {_quote(value)} contains whitespace or control characters"
        )
    return value


# -- details ------------------------------------------------------------------------------


def _field(where: str, name: str) -> str:
    # Shorthand readings are the message itself, so their fields need no prefix.
    return name if where == "reading" else f"{where}.{name}"


def _expected(where: str, value: object, expectation: str) -> str:
    if value is None or value is _MISSING:  # null in a required field is as good as absent
        return f"{where}: missing; expected {expectation}"
    return f"{where}: {_describe(value)} is not {expectation}"


def _value_problem(where: str, value: object) -> str:
    if type(value) is _NonFinite or type(value) is float:
        return f"{where}: {_describe(value)} is not a finite number"
    if type(value) is str:
        return f"{where}: {_quote(value)} is a string, not a number"
    if value is None:
        return f"{where}: null is not a number"
    return _expected(where, value, "a number")


def _quote(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _describe(value: object) -> str:
    """Name a JSON value for a detail message without echoing anything large or nested."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is list:
        return "a list"
    if kind is dict:
        return "an object"
    if kind is _NonFinite:
        return value.name
    if kind is int or kind is float:
        text = repr(value)
        return text if len(text) <= 40 else text[:40] + "..."
    return f"a {kind.__name__}"
