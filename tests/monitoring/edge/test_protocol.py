"""The gateway message parser (contract section 2): pure, so no broker is needed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.edge.protocol import (
    MAX_FUTURE_MS,
    MAX_PAYLOAD_BYTES,
    MIN_TS_MS,
    parse_message,
    subscription_filter,
)
from monitoring.records import (
    ID_PATTERN,
    PERMIT_TYPES,
    REJECTION_CODES,
    UNKNOWN,
    GatewayStatus,
    MessageRejected,
    ParsedMessage,
    Permit,
    PresenceCount,
    Reading,
)

NOW = 1_764_381_600_000  # 2025-11-29T02:00:00Z, the time every test message is received
KINDS = ("telemetry", "presence", "permit", "status")


def topic(kind: str, root: str = "hazmon", enterprise: str = "ty-fert", site: str = "main") -> str:
    return f"{root}/{enterprise}/{site}/{kind}"


def encode(payload: object) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")


def parse(kind: str, payload: object, received_ms: int = NOW, **kw) -> ParsedMessage:
    return parse_message(topic(kind), encode(payload), received_ms, **kw)


def rejected(kind: str, payload: object, received_ms: int = NOW) -> MessageRejected:
    with pytest.raises(MessageRejected) as info:
        parse(kind, payload, received_ms)
    return info.value


def permit(**changes: object) -> dict:
    message = {
        "permit": "DH-2026-0042",
        "type": "hot_work",
        "zone": "NH3-TANK-S",
        "start": "2026-11-29T09:00:00+08:00",
        "end": "2026-11-29T17:00:00+08:00",
        "level": "1",
        "supervisor": "Wang Qiang",
        "workers": 4,
        "status": "approved",
    }
    message.update(changes)
    return {k: v for k, v in message.items() if v is not ...}


def presence(**changes: object) -> dict:
    message = {
        "ts": NOW,
        "camera": "CAM-07",
        "zone": "NH3-TANK-S",
        "people": 6,
        "confidence": 0.93,
        "snapshot": "https://nvr.example.cn/snap/123.jpg",
    }
    message.update(changes)
    return {k: v for k, v in message.items() if v is not ...}


def good_and(bad: dict) -> dict:
    """Return a telemetry message with a good reading, `bad`, and another good reading."""
    return {
        "ts": NOW,
        "readings": [
            {"sensor": "A", "value": 1.5},
            {"sensor": "B", **bad},
            {"sensor": "C", "value": 2},
        ],
    }


# -- topics -------------------------------------------------------------------------------


def test_subscription_filter_covers_everything_under_the_root():
    assert subscription_filter("hazmon") == "hazmon/#"
    assert subscription_filter("prov/hazmon") == "prov/hazmon/#"


def test_topic_gives_enterprise_site_and_kind():
    parsed = parse("status", b"online")
    assert (parsed.kind, parsed.enterprise, parsed.site) == ("status", "ty-fert", "main")


def test_root_may_contain_slashes():
    parsed = parse_message("prov/hazmon/ty-fert/main/status", b"online", NOW, root="prov/hazmon")
    assert (parsed.enterprise, parsed.site) == ("ty-fert", "main")


def test_same_topic_under_another_root_is_rejected():
    parse_message("a/e/s/status", b"online", NOW, root="a")
    with pytest.raises(MessageRejected) as info:
        parse_message("a/e/s/status", b"online", NOW, root="b")
    assert info.value.code == "bad_topic"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hazmon",
        "hazmon/ty-fert/main",
        "hazmon/ty-fert/main/telemetry/extra",
        "hazmon/ty-fert/main/telemetry/",
        "hazmon/ty-fert/telemetry",
        "hazmonx/ty-fert/main/telemetry",
        "other/ty-fert/main/telemetry",
        "/hazmon/ty-fert/main/telemetry",
        "hazmon/ty-fert/main/alarm",
        "hazmon/ty-fert/main/Telemetry",
        "hazmon/ty-fert/main/+",
        "hazmon/" + "x/" * 1000 + "status",
    ],
)
def test_wrongly_shaped_topic_is_bad_topic(bad):
    with pytest.raises(MessageRejected) as info:
        parse_message(bad, b"online", NOW)
    assert info.value.code == "bad_topic"


@pytest.mark.parametrize(
    "bad",
    [
        "hazmon/ty fert/main/status",
        "hazmon/-ty/main/status",
        "hazmon//main/status",
        "hazmon/ty-fert/main$/status",
        "hazmon/ty-fert/" + "s" * 65 + "/status",
        "hazmon/ty-fert/#/status",
        "hazmon/天宇/main/status",
    ],
)
def test_bad_enterprise_or_site_in_topic_is_bad_id(bad):
    with pytest.raises(MessageRejected) as info:
        parse_message(bad, b"online", NOW)
    assert info.value.code == "bad_id"


def test_topic_is_checked_before_the_payload():
    with pytest.raises(MessageRejected) as info:
        parse_message("elsewhere/x", b"\xff" * (MAX_PAYLOAD_BYTES + 1), NOW)
    assert info.value.code == "bad_topic"


# -- payload envelope ---------------------------------------------------------------------


def test_payload_over_256_kib_is_too_large():
    payload = b'{"sensor": "A", "value": 1, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    assert rejected("telemetry", payload).code == "too_large"


def test_payload_of_exactly_256_kib_is_accepted():
    head = b'{"sensor": "A", "value": 1, "pad": "'
    payload = head + b"x" * (MAX_PAYLOAD_BYTES - len(head) - 2) + b'"}'
    assert len(payload) == MAX_PAYLOAD_BYTES
    assert parse("telemetry", payload).records[0].sensor == "A"


def test_payload_that_is_not_utf8_is_bad_encoding():
    assert rejected("telemetry", b'{"sensor": "A", "value": 1, "x": "\xff\xfe"}').code == (
        "bad_encoding"
    )


def test_utf8_byte_order_mark_is_ignored():
    assert parse("telemetry", b'\xef\xbb\xbf{"sensor": "A", "value": 1}').records[0].value == 1.0


@pytest.mark.parametrize("payload", [b"{", b"{'sensor': 'A'}", b'{"a": 1} x', b"nul", b"\x00"])
def test_payload_that_is_not_json_is_bad_json(payload):
    assert rejected("telemetry", payload).code == "bad_json"


@pytest.mark.parametrize("kind", KINDS)
def test_deeply_nested_json_is_bad_json_not_a_crash(kind):
    error = rejected(kind, b"[" * 100_000)
    assert error.code == "bad_json"
    assert "nested too deeply" in error.detail


def test_deep_nesting_inside_an_object_is_bad_json():
    payload = b'{"readings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert rejected("telemetry", payload).code == "bad_json"


def test_integer_with_too_many_digits_is_bad_json():
    assert rejected("telemetry", b'{"sensor": "A", "value": ' + b"9" * 5000 + b"}").code == (
        "bad_json"
    )


@pytest.mark.parametrize("payload", [b"[1, 2]", b"42", b'"hello"', b"null", b"true", b"NaN"])
@pytest.mark.parametrize("kind", ["telemetry", "presence", "permit"])
def test_payload_that_is_not_an_object_is_not_object(kind, payload):
    assert rejected(kind, payload).code == "not_object"


@pytest.mark.parametrize("kind", KINDS)
def test_empty_payload_is_no_content(kind):
    assert rejected(kind, b"").code == "no_content"


def test_blank_payload_is_no_content():
    assert rejected("telemetry", b"  \n").code == "no_content"


# -- telemetry ----------------------------------------------------------------------------


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


# -- timestamps ---------------------------------------------------------------------------


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


# -- presence -----------------------------------------------------------------------------


def test_presence_becomes_a_presence_count():
    parsed = parse("presence", presence())
    assert parsed.records == (
        PresenceCount(
            "ty-fert", "main", "CAM-07", "NH3-TANK-S", NOW, 6, 0.93,
            "https://nvr.example.cn/snap/123.jpg",
        ),
    )  # fmt: skip


def test_presence_optional_fields_may_be_absent_or_null():
    record = parse("presence", presence(ts=..., confidence=None, snapshot=...)).records[0]
    assert (record.ts_ms, record.confidence, record.snapshot) == (NOW, None, None)


@pytest.mark.parametrize("field", ["camera", "zone"])
@pytest.mark.parametrize("bad", ["", "a b", 7, None, ...])
def test_presence_with_bad_camera_or_zone_is_bad_id(field, bad):
    assert rejected("presence", presence(**{field: bad})).code == "bad_id"


@pytest.mark.parametrize(("people", "expected"), [(0, 0), (1000, 1000), (6.0, 6)])
def test_people_count_bounds_and_integral_floats(people, expected):
    record = parse("presence", presence(people=people)).records[0]
    assert record.people == expected and type(record.people) is int


@pytest.mark.parametrize("people", [-1, 1001, 2.5, True, "6", None, ..., [6]])
def test_bad_people_count_is_bad_value(people):
    assert rejected("presence", presence(people=people)).code == "bad_value"


def test_nan_people_count_is_bad_value():
    payload = b'{"camera": "CAM-07", "zone": "Z", "people": NaN}'
    assert rejected("presence", payload).code == "bad_value"


@pytest.mark.parametrize("confidence", [-0.01, 1.01, "0.9", True, [0.9]])
def test_bad_confidence_is_bad_field(confidence):
    assert rejected("presence", presence(confidence=confidence)).code == "bad_field"


def test_integer_confidence_is_a_float():
    assert parse("presence", presence(confidence=1)).records[0].confidence == 1.0


@pytest.mark.parametrize(
    "snapshot",
    [
        "ftp://nvr/x.jpg",
        "javascript:alert(1)",
        "https://",
        "http:///path",
        "https://nvr/a b.jpg",
        "https://nvr/a\tb.jpg",
        "https://nvr/\x00.jpg",
        "https://nvr/" + "x" * 2048,
        "//nvr/x.jpg",
        42,
    ],
)
def test_bad_snapshot_is_bad_field(snapshot):
    assert rejected("presence", presence(snapshot=snapshot)).code == "bad_field"


def test_http_snapshot_url_is_kept():
    record = parse("presence", presence(snapshot="HTTP://nvr:8080/s?id=1")).records[0]
    assert record.snapshot == "HTTP://nvr:8080/s?id=1"


# -- permit -------------------------------------------------------------------------------


def test_permit_becomes_a_permit_record_reported_when_received():
    [record] = parse("permit", permit()).records
    assert record == Permit(
        "ty-fert", "main", "DH-2026-0042", "hot_work", "NH3-TANK-S",
        1_795_914_000_000, 1_795_942_800_000, "approved", NOW, "1", "Wang Qiang", 4,
    )  # fmt: skip


def test_permit_far_in_the_future_is_accepted():
    record = parse("permit", permit(start=NOW + 86_400_000, end=NOW + 2 * 86_400_000)).records[0]
    assert record.start_ms == NOW + 86_400_000


def test_permit_optional_fields_may_be_absent():
    record = parse("permit", permit(level=..., supervisor=..., workers=...)).records[0]
    assert (record.level, record.supervisor, record.workers) == (None, None, None)


def test_integer_permit_level_becomes_a_string():
    assert parse("permit", permit(level=2)).records[0].level == "2"


@pytest.mark.parametrize("end", ["2026-11-29T09:00:00+08:00", "2026-11-29T08:00:00+08:00"])
def test_permit_ending_at_or_before_its_start_is_bad_timestamp(end):
    assert rejected("permit", permit(end=end)).code == "bad_timestamp"


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("bad", [..., None, "tomorrow", "2026-11-29T09:00:00", 1_795_914_000])
def test_permit_with_bad_or_missing_start_or_end_is_bad_timestamp(field, bad):
    assert rejected("permit", permit(**{field: bad})).code == "bad_timestamp"


@pytest.mark.parametrize("field", ["permit", "zone"])
def test_permit_with_bad_id_is_bad_id(field):
    assert rejected("permit", permit(**{field: "no spaces"})).code == "bad_id"


@pytest.mark.parametrize(
    "changes",
    [
        {"type": "welding"},
        {"type": ...},
        {"status": "pending"},
        {"status": ...},
        {"level": "x" * 33},
        {"level": True},
        {"supervisor": "x" * 101},
        {"supervisor": "Wang\nQiang"},
        {"supervisor": "Wang\x7f"},
        {"supervisor": "Wang\ud800"},
        {"supervisor": 5},
        {"level": "1\x00"},
        {"workers": 1001},
        {"workers": -1},
        {"workers": "4"},
        {"workers": False},
    ],
)
def test_permit_with_bad_field_is_bad_field(changes):
    assert rejected("permit", permit(**changes)).code == "bad_field"


def test_permit_accepts_every_special_operation_type():
    types = {parse("permit", permit(type=t)).records[0].type for t in PERMIT_TYPES}
    assert types == PERMIT_TYPES


def test_permit_keeps_non_ascii_text():
    assert parse("permit", permit(supervisor="王强")).records[0].supervisor == "王强"


# -- status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "state"),
    [
        (b"online", "online"),
        (b"offline", "offline"),
        (b"offline\n", "offline"),
        (b"OFFLINE", "offline"),
        (b'"offline"', "offline"),
        (b'{"state": "online"}', "online"),
        (b'{"status": "offline"}', "offline"),
    ],
)
def test_status_forms_give_the_gateway_state(payload, state):
    assert parse("status", payload).records == (GatewayStatus("ty-fert", "main", state, NOW),)


def test_status_object_ts_is_used():
    parsed = parse("status", {"state": "online", "ts": NOW - 5000})
    assert parsed.records[0].ts_ms == NOW - 5000


@pytest.mark.parametrize(
    "payload", [b'"rebooting"', b'{"state": "up"}', b"{}", b'{"state": 1}', b"[1]", b"1", b"null"]
)
def test_unknown_status_is_bad_field(payload):
    assert rejected("status", payload).code == "bad_field"


def test_status_text_that_is_neither_a_state_nor_json_is_bad_json():
    assert rejected("status", b"rebooting").code == "bad_json"


def test_status_from_the_future_is_future_timestamp():
    payload = {"state": "online", "ts": NOW + MAX_FUTURE_MS + 1}
    assert rejected("status", payload).code == "future_timestamp"


# -- details ------------------------------------------------------------------------------


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


# -- properties ---------------------------------------------------------------------------

ids = st.from_regex(ID_PATTERN, fullmatch=True)
some_ids = st.sampled_from(["A", "NH3-S-01", "CAM-07", "x" * 64, "a_b.c-d", "bad id", ""])
json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | some_ids
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
timestamps = st.integers(MIN_TS_MS, NOW + MAX_FUTURE_MS)
plausible = (
    json_values
    | timestamps
    | st.sampled_from(["online", "approved", "hot_work", "good", "https://a/b", "Z"])
    | st.sampled_from(["2025-11-29T02:00:00Z", "2025-11-29T02:00:00", "2025-13-01T00:00:00Z"])
)
FIELDS = [
    "ts", "sensor", "value", "quality", "camera", "zone", "people", "confidence", "snapshot",
    "permit", "type", "start", "end", "status", "level", "supervisor", "workers", "state",
]  # fmt: skip
message_like = json_values | st.fixed_dictionaries(
    {},
    optional={name: plausible for name in FIELDS}
    | {"readings": st.lists(st.dictionaries(st.sampled_from(FIELDS), plausible), max_size=5)},
)


def assert_parsed_or_known_rejection(kind: str, topic_text: str, payload: bytes) -> None:
    try:
        parsed = parse_message(topic_text, payload, NOW)
    except MessageRejected as exc:
        assert exc.code in REJECTION_CODES
        assert exc.detail
        return
    assert isinstance(parsed, ParsedMessage)
    assert parsed.records
    assert all(r.code in REJECTION_CODES for r in parsed.partial_rejections)
    if kind == "telemetry":
        assert all(type(r) is Reading and type(r.value) is float for r in parsed.records)


@settings(max_examples=400, deadline=None)
@given(
    topic_text=st.text(max_size=60) | st.sampled_from([topic(k) for k in KINDS]),
    payload=st.binary(max_size=200),
)
def test_any_bytes_on_any_topic_parse_or_are_rejected_with_a_known_code(topic_text, payload):
    assert_parsed_or_known_rejection("", topic_text, payload)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(KINDS), message=message_like)
def test_any_json_value_parses_or_is_rejected_with_a_known_code(kind, message):
    payload = json.dumps(message).encode("utf-8")  # floats may become NaN/Infinity literals
    assert_parsed_or_known_rejection(kind, topic(kind), payload)


@settings(max_examples=100, deadline=None)
@given(readings=st.lists(st.dictionaries(st.sampled_from(FIELDS), plausible), max_size=6))
def test_every_reading_is_either_kept_or_explained(readings):
    try:
        parsed = parse("telemetry", {"readings": readings})
    except MessageRejected as exc:
        assert exc.code in REJECTION_CODES
        return
    assert len(parsed.records) + len(parsed.partial_rejections) == len(readings)


values = (
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53) | st.booleans()
)
readings_strategy = st.lists(
    st.fixed_dictionaries({"sensor": ids, "value": values}, optional={"ts": timestamps}),
    min_size=1,
    max_size=10,
)


@settings(max_examples=100, deadline=None)
@given(readings=readings_strategy, message_ts=st.none() | timestamps)
def test_valid_telemetry_round_trips(readings, message_ts):
    message = (
        {"readings": readings} if message_ts is None else {"ts": message_ts, "readings": readings}
    )
    parsed = parse("telemetry", message)
    assert parsed.partial_rejections == ()
    default_ts = NOW if message_ts is None else message_ts
    assert [(r.sensor, r.value, r.ts_ms) for r in parsed.records] == [
        (sent["sensor"], float(sent["value"]), sent.get("ts", default_ts)) for sent in readings
    ]
