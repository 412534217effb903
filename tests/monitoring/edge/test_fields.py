"""Field checks and reason wording: timestamps, and details that stay short and safe."""

from __future__ import annotations

import pytest

from monitoring.edge.fast import MAX_FUTURE_MS, MIN_TS_MS
from monitoring.edge.fields import (
    MISSING,
    NonFinite,
    bounded_count,
    describe,
    expected,
    field_path,
)
from monitoring.records import MessageRejected
from tests.monitoring.edge.support import NOW, good_and, parse, rejected

# -- timestamps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (NOW, NOW),
        (float(NOW), NOW),
        ("2025-11-29T02:00:00Z", NOW),
        ("2025-11-29T02:00:00z", NOW),
        ("2025-11-29t02:00:00Z", NOW),
        ("2025-11-29 02:00:00Z", NOW),
        ("2025-11-29T10:00:00+08:00", NOW),
        ("2025-11-28T21:00:00-05:00", NOW),
        ("2025-11-29T01:59:59.5Z", NOW - 500),
        ("2025-11-29T01:59:59.123456789+00:00", NOW - 877),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000),
    ],
)
def test_accepted_timestamp_forms(ts, expected):
    assert parse("telemetry", {"ts": ts, "sensor": "A", "value": 1}).records[0].ts_ms == expected


def test_epoch_seconds_are_rejected_with_a_hint():
    error = rejected("telemetry", {"ts": 1_764_381_600, "sensor": "A", "value": 1})
    assert error.code == "bad_timestamp"
    assert "seconds" in error.detail


def test_epoch_microseconds_are_rejected_with_a_hint():
    error = rejected("telemetry", {"ts": NOW * 1000, "sensor": "A", "value": 1})
    assert error.code == "bad_timestamp"
    assert "microseconds" in error.detail


def test_timestamp_before_2000_is_bad_timestamp():
    assert rejected("telemetry", {"ts": MIN_TS_MS - 1, "sensor": "A", "value": 1}).code == (
        "bad_timestamp"
    )


def test_naive_rfc3339_string_is_rejected_asking_for_an_offset():
    error = rejected("telemetry", {"ts": "2025-11-29T10:00:00", "sensor": "A", "value": 1})
    assert error.code == "bad_timestamp"
    assert "offset" in error.detail


@pytest.mark.parametrize(
    "ts",
    [
        True,
        NOW + 0.5,
        "1764381600000",
        "2025-11-29",
        "2025-02-30T10:00:00Z",
        "2025-11-29T10:00:00+24:00",
        "20251129T100000Z",
        "２０２５-11-29T10:00:00Z",
        [NOW],
        {"ms": NOW},
        -1,
    ],
)
def test_malformed_timestamp_is_bad_timestamp(ts):
    assert rejected("telemetry", {"ts": ts, "sensor": "A", "value": 1}).code == "bad_timestamp"


def test_timestamp_more_than_five_minutes_ahead_is_future_timestamp():
    error = rejected("telemetry", {"ts": NOW + MAX_FUTURE_MS + 1, "sensor": "A", "value": 1})
    assert error.code == "future_timestamp"


def test_timestamp_exactly_five_minutes_ahead_is_accepted():
    parsed = parse("telemetry", {"ts": NOW + MAX_FUTURE_MS, "sensor": "A", "value": 1})
    assert parsed.records[0].ts_ms == NOW + MAX_FUTURE_MS


# -- details -------------------------------------------------------------------------------


def test_detail_of_a_huge_value_stays_short():
    parsed = parse("telemetry", good_and({"value": "x" * 100_000}))
    assert len(parsed.partial_rejections[0].detail) < 200


def test_detail_of_a_deeply_nested_value_stays_short():
    nested = b"[" * 900 + b"]" * 900
    payload = (
        b'{"readings": [{"sensor": "A", "value": 1}, {"sensor": "B", "value": ' + nested + b"}]}"
    )
    rejection = parse("telemetry", payload).partial_rejections[0]
    assert rejection.code == "bad_value" and len(rejection.detail) < 200


def test_detail_escapes_control_characters():
    error = rejected("telemetry", {"sensor": "A\nB\x1b[31m", "value": 1})
    assert "\n" not in error.detail and "\x1b" not in error.detail


# -- validators and wording on their own -------------------------------------------------


def test_describe_names_a_json_value_without_echoing_anything_large():
    assert describe(None) == "null"
    assert describe(False) == "false"
    assert describe([1, 2]) == "a list"
    assert describe({"a": 1}) == "an object"
    assert describe(NonFinite("-Infinity")) == "-Infinity"
    assert describe("x" * 100) == repr("x" * 40) + "..."
    assert describe(10**60).endswith("...") and len(describe(10**60)) == 43


def test_bounded_count_takes_integral_floats_and_refuses_others_with_the_given_code():
    assert bounded_count(6.0, "people", "bad_value", 10) == 6
    with pytest.raises(MessageRejected) as info:
        bounded_count(11, "workers", "bad_field", 10)
    assert info.value.code == "bad_field"
    assert info.value.detail == "workers: 11 is not an integer from 0 to 10"


def test_missing_and_null_are_worded_alike():
    assert expected("zone", MISSING, "a valid id") == "zone: missing; expected a valid id"
    assert expected("zone", None, "a valid id") == "zone: missing; expected a valid id"


def test_fields_of_a_shorthand_reading_have_no_prefix():
    assert field_path("reading", "value") == "value"
    assert field_path("readings[2]", "value") == "readings[2].value"
