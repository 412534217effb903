"""Telemetry parsing: readings kept one by one, bad ones rejected with their reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring.edge.fast import MAX_FUTURE_MS, MIN_TS_MS
from monitoring.records import UNKNOWN, MessageRejected, Reading
from tests.monitoring.edge.support import NOW, good_and, parse, rejected

# -- telemetry -----------------------------------------------------------------------------


def test_telemetry_readings_become_reading_records():
    parsed = parse(
        "telemetry",
        {
            "ts": NOW,
            "readings": [
                {"sensor": "NH3-S-01", "value": 12.5},
                {"sensor": "LT-101", "value": 63.2, "quality": "good", "ts": NOW - 1000},
            ],
        },
    )
    assert parsed.kind == "telemetry"
    assert parsed.records == (
        Reading("ty-fert", "main", "NH3-S-01", NOW, 12.5, "good", UNKNOWN, UNKNOWN),
        Reading("ty-fert", "main", "LT-101", NOW - 1000, 63.2, "good", UNKNOWN, UNKNOWN),
    )
    assert parsed.partial_rejections == ()


def test_telemetry_shorthand_is_one_reading():
    parsed = parse("telemetry", {"ts": NOW, "sensor": "NH3-S-01", "value": 12.5})
    assert parsed.records == (Reading("ty-fert", "main", "NH3-S-01", NOW, 12.5),)


def test_message_without_ts_takes_the_receive_time():
    parsed = parse("telemetry", {"readings": [{"sensor": "A", "value": 1}]}, received_ms=NOW + 7)
    assert parsed.records[0].ts_ms == NOW + 7


def test_integer_value_becomes_a_float():
    value = parse("telemetry", {"sensor": "A", "value": 3}).records[0].value
    assert type(value) is float and value == 3.0


@pytest.mark.parametrize(("raw", "expected"), [(True, 1.0), (False, 0.0)])
def test_boolean_value_counts_as_one_or_zero(raw, expected):
    value = parse("telemetry", {"sensor": "ESD-1", "value": raw}).records[0].value
    assert type(value) is float and value == expected


@pytest.mark.parametrize(
    ("bad_json_value", "in_detail"),
    [
        (b"NaN", "NaN is not a finite number"),
        (b"Infinity", "Infinity is not a finite number"),
        (b"-Infinity", "-Infinity is not a finite number"),
        (b"1e999", "inf is not a finite number"),
        (b'"12.5"', "is a string"),
        (b"null", "null"),
        (b"[1]", "a list"),
        (b'{"v": 1}', "an object"),
        (b"9" * 400, "out of range"),
    ],
)
def test_bad_value_rejects_that_reading_and_keeps_its_neighbours(bad_json_value, in_detail):
    payload = (
        b'{"ts": 1764381600000, "readings": [{"sensor": "A", "value": 1.5}, '
        b'{"sensor": "B", "value": ' + bad_json_value + b'}, {"sensor": "C", "value": 2}]}'
    )
    parsed = parse("telemetry", payload)
    assert [r.sensor for r in parsed.records] == ["A", "C"]
    [rejection] = parsed.partial_rejections
    assert rejection.code == "bad_value"
    assert rejection.detail.startswith("readings[1].value: ")
    assert in_detail in rejection.detail


def test_missing_value_rejects_that_reading():
    parsed = parse("telemetry", good_and({}))
    assert [r.sensor for r in parsed.records] == ["A", "C"]
    assert parsed.partial_rejections[0].code == "bad_value"
    assert "missing" in parsed.partial_rejections[0].detail


@pytest.mark.parametrize("sensor", ["", "-x", "a b", "x" * 65, 7, None, "NH3;DROP"])
def test_bad_sensor_id_rejects_that_reading_as_bad_id(sensor):
    message = {"readings": [{"sensor": "A", "value": 1}, {"sensor": sensor, "value": 2}]}
    parsed = parse("telemetry", message)
    assert [r.sensor for r in parsed.records] == ["A"]
    assert parsed.partial_rejections[0].code == "bad_id"
    assert parsed.partial_rejections[0].detail.startswith("readings[1].sensor: ")


def test_reading_that_is_not_an_object_is_bad_field():
    parsed = parse("telemetry", {"readings": [{"sensor": "A", "value": 1}, 5]})
    assert parsed.partial_rejections[0].code == "bad_field"
    assert parsed.partial_rejections[0].detail.startswith("readings[1]")


@pytest.mark.parametrize("quality", ["good", "uncertain", "bad"])
def test_known_quality_is_kept(quality):
    reading = parse("telemetry", {"sensor": "A", "value": 1, "quality": quality}).records[0]
    assert reading.quality == quality


@pytest.mark.parametrize("quality", ["excellent", "GOOD", 1, ["good"]])
def test_unknown_quality_rejects_that_reading_as_bad_field(quality):
    parsed = parse("telemetry", good_and({"value": 1, "quality": quality}))
    assert [r.sensor for r in parsed.records] == ["A", "C"]
    assert parsed.partial_rejections[0].code == "bad_field"


def test_reading_ts_overrides_the_message_ts():
    parsed = parse("telemetry", good_and({"value": 1, "ts": "2025-11-29T01:59:00Z"}))
    assert [r.ts_ms for r in parsed.records] == [NOW, NOW - 60_000, NOW]


@pytest.mark.parametrize(
    ("ts", "code"),
    [
        ("yesterday", "bad_timestamp"),
        (1_764_381_600, "bad_timestamp"),
        (NOW + MAX_FUTURE_MS + 1, "future_timestamp"),
    ],
)
def test_bad_reading_ts_rejects_only_that_reading(ts, code):
    parsed = parse("telemetry", good_and({"value": 1, "ts": ts}))
    assert [r.sensor for r in parsed.records] == ["A", "C"]
    assert parsed.partial_rejections[0].code == code
    assert parsed.partial_rejections[0].detail.startswith("readings[1].ts: ")


def test_bad_message_ts_rejects_the_whole_message():
    assert rejected("telemetry", good_and({"value": 1}) | {"ts": "soon"}).code == "bad_timestamp"


def test_unknown_fields_are_ignored():
    message = {"ts": NOW, "gateway": "gw-1", "readings": [{"sensor": "A", "value": 1, "unit": "%"}]}
    assert parse("telemetry", message).records[0].value == 1.0


@pytest.mark.parametrize(
    "message",
    [{"ts": NOW}, {"readings": []}, {"readings": {"sensor": "A", "value": 1}}, {"readings": None}],
)
def test_telemetry_without_readings_is_no_content(message):
    assert rejected("telemetry", message).code == "no_content"


def test_single_rejected_reading_rejects_the_message_with_its_code():
    error = rejected("telemetry", b'{"readings": [{"sensor": "A", "value": NaN}]}')
    assert error.code == "bad_value"
    assert error.detail == "readings[0].value: NaN is not a finite number"


def test_shorthand_with_bad_value_rejects_the_message_with_its_code():
    error = rejected("telemetry", b'{"sensor": "A", "value": Infinity}')
    assert error.code == "bad_value"
    assert error.detail == "value: Infinity is not a finite number"


def test_all_readings_rejected_is_no_content_naming_the_first_few():
    readings = [{"sensor": f"S{i}", "value": "x"} for i in range(6)]
    error = rejected("telemetry", {"readings": readings})
    assert error.code == "no_content"
    assert "readings[0].value" in error.detail and "readings[2].value" in error.detail
    assert "readings[3]" not in error.detail
    assert "and 3 more" in error.detail


def test_every_reading_is_accounted_for_in_a_large_mixed_message():
    readings = [{"sensor": f"S{i}", "value": i if i % 3 else "bad"} for i in range(300)]
    parsed = parse("telemetry", {"readings": readings})
    assert len(parsed.records) == 200
    assert len(parsed.partial_rejections) == 100


# -- readings older than the store keeps (issue 9, case 2) ---------------------------------

DAY_MS = 86_400_000
MAX_AGE_MS = 7 * DAY_MS  # the store's retention
OLDEST = NOW - MAX_AGE_MS


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


@pytest.mark.parametrize(
    "old",
    [
        pytest.param({"value": 1, "ts": OLDEST - 1}, id="int-ts"),
        pytest.param({"value": 1, "ts": iso(OLDEST - 1)}, id="rfc3339-ts"),
        pytest.param({"value": 1, "ts": OLDEST - DAY_MS, "quality": "bad"}, id="with-quality"),
    ],
)
def test_a_reading_older_than_retention_is_refused_alone_as_too_old(old):
    parsed = parse("telemetry", good_and(old), max_age_ms=MAX_AGE_MS)
    assert [(r.sensor, r.ts_ms) for r in parsed.records] == [("A", NOW), ("C", NOW)]
    [rejection] = parsed.partial_rejections
    assert rejection.code == "too_old"
    assert rejection.detail.startswith("readings[1].ts: ")
    assert "older than the store keeps" in rejection.detail


def test_a_too_old_shorthand_reading_refuses_the_message_as_too_old():
    with pytest.raises(MessageRejected) as caught:
        parse("telemetry", {"ts": OLDEST - 1, "sensor": "A", "value": 1}, max_age_ms=MAX_AGE_MS)
    assert caught.value.code == "too_old"
    assert caught.value.detail.startswith("ts: ")


@pytest.mark.parametrize("ts", [OLDEST, iso(OLDEST)], ids=["int", "rfc3339"])
def test_a_reading_exactly_at_the_retention_boundary_is_kept(ts):
    parsed = parse("telemetry", good_and({"value": 1, "ts": ts}), max_age_ms=MAX_AGE_MS)
    assert [(r.sensor, r.ts_ms) for r in parsed.records] == [("A", NOW), ("B", OLDEST), ("C", NOW)]
    assert parsed.partial_rejections == ()
    shorthand = parse("telemetry", {"ts": ts, "sensor": "A", "value": 1}, max_age_ms=MAX_AGE_MS)
    assert [r.ts_ms for r in shorthand.records] == [OLDEST]


def test_without_a_retention_window_old_readings_are_kept():
    two_years = NOW - 730 * DAY_MS
    message = good_and({"value": 1, "ts": two_years})
    for parsed in (parse("telemetry", message), parse("telemetry", message, max_age_ms=None)):
        assert [(r.sensor, r.ts_ms) for r in parsed.records] == [
            ("A", NOW),
            ("B", two_years),
            ("C", NOW),
        ]
        assert parsed.partial_rejections == ()


def test_a_window_reaching_before_2000_still_refuses_what_is_before_2000_as_bad_timestamp():
    parsed = parse(
        "telemetry", good_and({"value": 1, "ts": MIN_TS_MS - 1}), max_age_ms=100 * 365 * DAY_MS
    )
    assert [r.sensor for r in parsed.records] == ["A", "C"]
    assert parsed.partial_rejections[0].code == "bad_timestamp"
