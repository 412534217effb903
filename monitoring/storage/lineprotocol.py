"""Encode readings and people counts as InfluxDB line protocol (contract section 3).

Input is treated as untrusted even though ids were validated at the edge: a newline cannot
be escaped anywhere in line protocol (influxdb issue #9966), so a tag value or string field
holding one, or any other control character, is refused with ValueError rather than
escaped. Tag values that already match the contract's id pattern (the normal case) are
used as they are; the per-call tag-set cache keeps the check to once per series.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import msgspec

from monitoring.records import PresenceCount, Reading

READING_MEASUREMENT = "reading"
PRESENCE_MEASUREMENT = "presence"

# A tag value needing no escape: the contract's id pattern (section 1) and nothing else.
_PLAIN_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Plain tag values joined by NUL: one regex call checks a whole tag set.
_PLAIN_5_TAGS = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]*\x00){4}[A-Za-z0-9][A-Za-z0-9_.-]*")
_PLAIN_4_TAGS = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]*\x00){3}[A-Za-z0-9][A-Za-z0-9_.-]*")
# C0 and C1 controls, DEL and the Unicode line/paragraph separators: none can be escaped.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TAG_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\="})
_FIELD_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})
# Quality values the edge accepts, already encoded; anything else goes the slow way.
_json_encode = msgspec.json.Encoder().encode
_QUALITY_FIELDS = {"uncertain": ',quality="uncertain"', "bad": ',quality="bad"'}


def tag_value(value: object) -> str:
    """Return a tag value escaped for line protocol; refuse what cannot be written safely."""
    if isinstance(value, str) and _PLAIN_TAG.fullmatch(value):
        return value
    if not isinstance(value, str):
        raise ValueError(f"tag value must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError("empty tag value")
    if _CONTROL.search(value):
        raise ValueError(f"control character in tag value {value!r}")
    if "\\" in value:
        # InfluxDB 1.x cannot unescape a backslash in a tag: "a\" before "," swallows it.
        raise ValueError(f"backslash in tag value {value!r}")
    return value.translate(_TAG_ESCAPES)


def string_field(value: object) -> str:
    """Return a string field value quoted and escaped for line protocol."""
    if not isinstance(value, str):
        raise ValueError(f"string field must be a string, not {type(value).__name__}")
    if _CONTROL.search(value):
        raise ValueError(f"control character in string field {value!r}")
    return '"' + value.translate(_FIELD_ESCAPES) + '"'


def float_field(value: object) -> str:
    """Return a finite number as a float literal (never an integer, so the type stays float)."""
    number = float(value)  # type: ignore[arg-type]  # bool and int become floats on purpose
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return repr(number)


def encode_readings(readings: Iterable[Reading]) -> list[str]:
    """Return one line of protocol per reading (measurement `reading`, ms timestamps)."""
    readings = readings if isinstance(readings, list | tuple) else list(readings)
    # Float to text is most of the cost of a line: msgspec writes all of a batch's values in
    # one C call; every float round-trips exactly (the notation may differ from repr). A
    # non-finite value comes out as null; the check below names its sensor.
    values = _json_encode(list(map(float, [r[4] for r in readings])))[1:-1].decode().split(",")
    times = _json_encode([_int_ts(r[3]) for r in readings])[1:-1].decode().split(",")
    prefixes: dict[tuple[str, str, str, str, str], str] = {}
    lines: list[str] = []
    append = lines.append
    for (enterprise, site, sensor, _ts, value, quality, zone, kind), text, ts in zip(
        readings, values, times, strict=False
    ):
        key = (enterprise, kind, sensor, site, zone)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _reading_prefix(key)
        if text == "null":
            raise ValueError(f"sensor {sensor!r}: not a finite value: {value!r}")
        if quality == "good":
            append(f"{prefix}{text} {ts}")
        else:
            extra = _QUALITY_FIELDS.get(quality) or ",quality=" + string_field(quality)
            append(f"{prefix}{text}{extra} {ts}")
    return lines


def _int_ts(ts: object) -> int:
    """Return a timestamp that is an int (bool is not); anything else is a programming error."""
    if type(ts) is not int:
        raise ValueError(f"timestamp must be integer milliseconds, not {ts!r}")
    return ts


def encode_presence(presences: Iterable[PresenceCount]) -> list[str]:
    """Return one line of protocol per people count (measurement `presence`, ms timestamps)."""
    prefixes: dict[tuple[str, str, str, str], str] = {}
    lines: list[str] = []
    append = lines.append
    for p in presences:
        key = (p.camera, p.enterprise, p.site, p.zone)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = _presence_prefix(key)
        if type(p.people) is not int:  # a float would silently become a second field type
            raise ValueError(f"camera {p.camera!r}: people must be an integer: {p.people!r}")
        if p.confidence is None:
            append(f"{prefix}{p.people:d}i {p.ts_ms:d}")
        else:
            append(f"{prefix}{p.people:d}i,confidence={float_field(p.confidence)} {p.ts_ms:d}")
    return lines


def _tag_values(key: tuple[str, ...], plain: re.Pattern[str]) -> tuple[str, ...]:
    try:
        if plain.fullmatch("\x00".join(key)):
            return key
    except TypeError:  # not all strings: let tag_value() say which
        pass
    return tuple(tag_value(v) for v in key)


def _reading_prefix(key: tuple[str, str, str, str, str]) -> str:
    enterprise, kind, sensor, site, zone = _tag_values(key, _PLAIN_5_TAGS)
    # Tag keys sorted, as InfluxDB stores them: it then has nothing to sort on write.
    return (
        f"{READING_MEASUREMENT},enterprise={enterprise},kind={kind},sensor={sensor},"
        f"site={site},zone={zone} value="
    )


def _presence_prefix(key: tuple[str, str, str, str]) -> str:
    camera, enterprise, site, zone = _tag_values(key, _PLAIN_4_TAGS)
    return (
        f"{PRESENCE_MEASUREMENT},camera={camera},enterprise={enterprise},site={site},"
        f"zone={zone} people="
    )
