"""Check the fields of an untrusted gateway message, and word the reasons it is refused.

Every validator takes a JSON value of any type and returns it in the shape a record needs,
or raises `MessageRejected` with a stable code and a detail that names the field. The
wording helpers (`describe`, `quote`, `expected`, ...) keep every detail short and safe to
show: nothing large, nested or with control characters is echoed back.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from monitoring.edge.fast import MAX_FUTURE_MS, MAX_TS_MS, MIN_TS_MS
from monitoring.records import ID_PATTERN, MessageRejected

MAX_SNAPSHOT_CHARS = 2048

MISSING = object()  # what `doc.get(name, MISSING)` gives for an absent field
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


class NonFinite:
    """A JSON NaN/Infinity literal, kept as a marker so it can never pass as a float."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# -- timestamps ---------------------------------------------------------------------------


def message_ts(doc: dict, received_ms: int, oldest_ms: int = MIN_TS_MS) -> int:
    """Return a message's `ts`, or the receive time when it has none."""
    value = doc.get("ts")
    if value is None:
        return received_ms
    return epoch_ms(value, "ts", received_ms, future_ok=False, oldest_ms=oldest_ms)


def required_ts(doc: dict, name: str, received_ms: int) -> int:
    """Return the timestamp field `name`, which must be present (it may lie in the future)."""
    value = doc.get(name)
    if value is None:
        raise MessageRejected("bad_timestamp", f"{name}: missing; expected a timestamp")
    return epoch_ms(value, name, received_ms, future_ok=True)


def epoch_ms(
    value: object,
    where: str,
    received_ms: int,
    *,
    future_ok: bool = False,
    oldest_ms: int = MIN_TS_MS,
) -> int:
    """Return a timestamp as epoch ms: an int, an integral float or an RFC 3339 string.

    A time before `oldest_ms` (the store's retention) is refused as `too_old`.
    """
    if type(value) is int:
        ms = value
    elif type(value) is str:
        ms = _rfc3339_ms(value, where)
    elif type(value) is float and value.is_integer():
        ms = int(value)
    else:
        hint = _unit_hint(value) if type(value) is float and _isfinite(value) else ""
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {describe(value)} is not integer epoch milliseconds "
            f"or an RFC 3339 string{hint}",
        )
    if ms < MIN_TS_MS or ms > MAX_TS_MS:
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {describe(value)} is outside 2000-01-01..2100-01-01{_unit_hint(ms)}",
        )
    if ms < oldest_ms:
        raise MessageRejected(
            "too_old",
            f"{where}: {describe(value)} is {(received_ms - ms) / 86_400_000:.1f} days before it "
            f"was received, older than the store keeps; check the gateway clock",
        )
    if not future_ok and ms > received_ms + MAX_FUTURE_MS:
        raise MessageRejected(
            "future_timestamp",
            f"{where}: {describe(value)} is {(ms - received_ms) / 1000:.0f} s after it was "
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
            "bad_timestamp", f"{where}: {quote(text)} is not an RFC 3339 timestamp"
        )
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None:
        raise MessageRejected(
            "bad_timestamp",
            f"{where}: {quote(text)} has no UTC offset; add Z or one such as +08:00",
        )
    leap = 0
    if second == "60":  # RFC 3339 allows a leap second; datetime does not
        second, leap = "59", 1000
    if offset in ("Z", "z"):
        offset_ms = 0
    else:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise MessageRejected("bad_timestamp", f"{where}: {quote(text)} has a bad offset")
        offset_ms = (hours * 3600 + minutes * 60) * 1000 * (-1 if offset[0] == "-" else 1)
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except ValueError as exc:
        raise MessageRejected("bad_timestamp", f"{where}: {quote(text)}: {exc}") from None
    millis = int(fraction[:3].ljust(3, "0")) if fraction else 0
    return (moment - _EPOCH) // _ONE_MS + millis + leap - offset_ms


# -- ids, counts and text -----------------------------------------------------------------


def required_id(doc: dict, name: str) -> str:
    """Return the id field `name`, which must be present and match the id pattern."""
    value = doc.get(name)
    if type(value) is not str or _match_id(value) is None:
        raise MessageRejected("bad_id", expected(name, value, "a valid id"))
    return value


def bounded_count(value: object, name: str, code: str, limit: int) -> int:
    """Return a count from 0 to `limit` (an integral float counts); refuse it with `code`."""
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or not 0 <= value <= limit:
        raise MessageRejected(code, expected(name, value, f"an integer from 0 to {limit}"))
    return value


def optional_text(value: object, name: str, limit: int) -> str | None:
    """Return a short, printable text field, or None when it is absent or empty."""
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise MessageRejected("bad_field", f"{name}: {describe(value)} is not a string")
    if len(value) > limit:
        raise MessageRejected("bad_field", f"{name}: {len(value)} characters; at most {limit}")
    if _CONTROL.search(value) is not None:
        raise MessageRejected("bad_field", f"{name}: {quote(value)} contains control characters")
    return value


def http_url(value: object, name: str) -> str:
    """Return an http(s) URL with a host and nothing unsafe in it."""
    if type(value) is not str:
        raise MessageRejected("bad_field", f"{name}: {describe(value)} is not a string")
    if len(value) > MAX_SNAPSHOT_CHARS:
        raise MessageRejected(
            "bad_field", f"{name}: URL is {len(value)} characters; at most {MAX_SNAPSHOT_CHARS}"
        )
    head = value[:8].lower()
    rest = value[8:] if head.startswith("https://") else value[7:]
    if not (head.startswith("https://") or head.startswith("http://")) or rest[:1] in ("", "/"):
        raise MessageRejected("bad_field", f"{name}: {quote(value)} is not an http(s) URL")
    if _UNSAFE_IN_URL.search(value) is not None:
        raise MessageRejected(
            "bad_field", f"{name}: {quote(value)} contains whitespace or control characters"
        )
    return value


# -- reason wording -----------------------------------------------------------------------


def field_path(where: str, name: str) -> str:
    """Return the name of field `name` of the reading at `where`, as details show it."""
    # Shorthand readings are the message itself, so their fields need no prefix.
    return name if where == "reading" else f"{where}.{name}"


def expected(where: str, value: object, expectation: str) -> str:
    """Word a field that is missing or is not what `expectation` says."""
    if value is None or value is MISSING:  # null in a required field is as good as absent
        return f"{where}: missing; expected {expectation}"
    return f"{where}: {describe(value)} is not {expectation}"


def value_problem(where: str, value: object) -> str:
    """Word a reading value that is not a finite number."""
    if type(value) is NonFinite or type(value) is float:
        return f"{where}: {describe(value)} is not a finite number"
    if type(value) is str:
        return f"{where}: {quote(value)} is a string, not a number"
    if value is None:
        return f"{where}: null is not a number"
    return expected(where, value, "a number")


def quote(text: str, limit: int = 40) -> str:
    """Return `text` quoted and escaped, cut at `limit` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def describe(value: object) -> str:
    """Name a JSON value for a detail message without echoing anything large or nested."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is str:
        return quote(value)
    kind = type(value)
    if kind is list:
        return "a list"
    if kind is dict:
        return "an object"
    if type(value) is NonFinite:
        return value.name
    if kind is int or kind is float:
        text = repr(value)
        return text if len(text) <= 40 else text[:40] + "..."
    return f"a {kind.__name__}"
