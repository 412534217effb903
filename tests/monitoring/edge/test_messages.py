"""Presence, permit and status messages: one record each, or a stable rejection code."""

from __future__ import annotations

import pytest

from monitoring.edge.fast import MAX_FUTURE_MS
from monitoring.records import PERMIT_TYPES, GatewayStatus, Permit, PresenceCount
from tests.monitoring.edge.support import NOW, parse, permit, presence, rejected

# -- presence ------------------------------------------------------------------------------


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


# -- permit --------------------------------------------------------------------------------


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


# -- status --------------------------------------------------------------------------------


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
