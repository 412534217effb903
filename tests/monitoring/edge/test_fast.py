"""The telemetry fast path gives the full parser's answer or no answer, never another one."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.edge.envelope import decode_text, load_object
from monitoring.edge.fast import MAX_FUTURE_MS, MIN_TS_MS, fast_telemetry
from monitoring.edge.parse import parse_message
from monitoring.edge.telemetry import parse_telemetry
from monitoring.records import MessageRejected, Reading

NOW = 1_764_400_000_000
PLACES = {"NH3-01": ("Z1", "nh3"), "PT-1": ("Z2", "pressure")}


def full_parse(payload: bytes):
    """Parse with the full parser only (the fast path switched off)."""
    doc = load_object(decode_text(payload))
    return parse_telemetry(doc, "e1", "s1", NOW, PLACES)


def fast(payload: bytes):
    return fast_telemetry(payload, "e1", "s1", NOW, PLACES)


def test_common_batch_is_taken_by_the_fast_path_with_zone_and_kind():
    payload = json.dumps(
        {
            "ts": NOW - 1000,
            "readings": [
                {"sensor": "NH3-01", "value": 12},
                {"sensor": "UNREG-9", "value": 1.5, "ts": NOW - 2000, "quality": "uncertain"},
            ],
        }
    ).encode()
    parsed = fast(payload)
    assert parsed is not None
    assert parsed.records == (
        Reading("e1", "s1", "NH3-01", NOW - 1000, 12.0, "good", "Z1", "nh3"),
        Reading("e1", "s1", "UNREG-9", NOW - 2000, 1.5, "uncertain", "unknown", "unknown"),
    )
    assert all(type(r) is Reading and type(r.value) is float for r in parsed.records)
    assert parsed == full_parse(payload)


def test_anything_unusual_is_left_to_the_full_parser():
    for doc in (
        {"ts": NOW, "readings": [{"sensor": "NH3-01", "value": True}]},  # bool counts as 1.0
        {"ts": NOW, "readings": [{"sensor": "bad id", "value": 1}]},
        {"ts": NOW, "readings": []},
        {"ts": "2025-11-29T02:00:00Z", "readings": [{"sensor": "NH3-01", "value": 1}]},
        {"ts": NOW + MAX_FUTURE_MS + 1, "readings": [{"sensor": "NH3-01", "value": 1}]},
        {"ts": MIN_TS_MS - 1, "readings": [{"sensor": "NH3-01", "value": 1}]},
        {"sensor": "NH3-01", "value": 1},  # the shorthand form
    ):
        assert fast(json.dumps(doc).encode()) is None, doc
    assert fast(b'{"readings": [{"sensor": "NH3-01", "value": NaN}]}') is None
    assert fast(b'\xef\xbb\xbf{"readings": [{"sensor": "NH3-01", "value": 1}]}') is None
    assert fast(b'{"readings": [{"sensor": "NH3-01", "value": 1e400}]}') is None


ids = st.sampled_from(["NH3-01", "PT-1", "X9", "bad id", "", "x" * 65, "a_b.c-d"])
numbers = (
    st.floats()
    | st.integers(-(2**70), 2**70)
    | st.booleans()
    | st.none()
    | st.text(max_size=4)
    | st.sampled_from(["nan", "1e400"])
)
times = (
    st.integers(MIN_TS_MS - 10, NOW + MAX_FUTURE_MS + 10)
    | st.floats(MIN_TS_MS, NOW)
    | st.none()
    | st.sampled_from(["2025-11-29T02:00:00Z", -1, 2**64])
)
qualities = st.sampled_from([None, "good", "uncertain", "bad", "great", 1])
item = st.fixed_dictionaries(
    {},
    optional={"sensor": ids, "value": numbers, "ts": times, "quality": qualities, "x": numbers},
)
batch = st.fixed_dictionaries(
    {}, optional={"ts": times, "readings": st.lists(item, max_size=6) | numbers}
)


@settings(max_examples=600, deadline=None)
@given(doc=batch)
def test_fast_path_agrees_with_the_full_parser(doc):
    payload = json.dumps(doc).encode()  # floats may become NaN/Infinity literals
    answer = fast(payload)
    if answer is None:
        return
    try:
        expected = full_parse(payload)
    except MessageRejected as exc:
        raise AssertionError(f"fast path accepted what the full parser rejects: {exc}") from None
    assert answer == expected
    assert [type(r.value) for r in answer.records] == [float] * len(answer.records)


# -- readings older than the store keeps (issue 9, case 2) ---------------------------------

MAX_AGE_MS = 30 * 86_400_000  # the store's retention
OLDEST = NOW - MAX_AGE_MS
TOPIC = "hazmon/e1/s1/telemetry"


def both_ways(payload: bytes):
    """Return (fast path, full parser, parse_message) answers under the retention window."""
    doc = load_object(decode_text(payload))
    return (
        fast_telemetry(payload, "e1", "s1", NOW, PLACES, OLDEST),
        parse_telemetry(doc, "e1", "s1", NOW, PLACES, OLDEST),
        parse_message(TOPIC, payload, NOW, locations=lambda e, s: PLACES, max_age_ms=MAX_AGE_MS),
    )


def test_a_too_old_reading_in_a_common_batch_is_refused_alone_as_too_old():
    payload = json.dumps(
        {
            "ts": NOW - 1000,
            "readings": [
                {"sensor": "NH3-01", "value": 1},
                {"sensor": "PT-1", "value": 2, "ts": OLDEST - 1},  # one ms too old
                {"sensor": "X9", "value": 3, "ts": NOW - 2000},
            ],
        }
    ).encode()
    assert fast(payload) is not None  # without a window the fast path would keep all three
    quick, full, parsed = both_ways(payload)
    assert quick is None  # the fast path never keeps it: the full parser explains the refusal
    assert full == parsed
    assert parsed.records == (
        Reading("e1", "s1", "NH3-01", NOW - 1000, 1.0, "good", "Z1", "nh3"),
        Reading("e1", "s1", "X9", NOW - 2000, 3.0, "good", "unknown", "unknown"),
    )
    [rejection] = parsed.partial_rejections
    assert rejection.code == "too_old"
    assert rejection.detail.startswith("readings[1].ts: ")
    assert "30.0 days" in rejection.detail


def test_a_too_old_message_ts_refuses_the_message_as_too_old_both_ways():
    payload = json.dumps(
        {"ts": OLDEST - 1, "readings": [{"sensor": "NH3-01", "value": 1}]}
    ).encode()
    assert fast_telemetry(payload, "e1", "s1", NOW, PLACES, OLDEST) is None
    for parse_it in (
        lambda: parse_telemetry(load_object(decode_text(payload)), "e1", "s1", NOW, PLACES, OLDEST),
        lambda: parse_message(TOPIC, payload, NOW, max_age_ms=MAX_AGE_MS),
    ):
        with pytest.raises(MessageRejected) as caught:
            parse_it()
        assert caught.value.code == "too_old"


def test_a_reading_exactly_at_the_retention_boundary_is_kept_by_the_fast_path():
    payload = json.dumps(
        {
            "ts": OLDEST,
            "readings": [
                {"sensor": "NH3-01", "value": 1},
                {"sensor": "PT-1", "value": 2, "ts": OLDEST},
            ],
        }
    ).encode()
    quick, full, parsed = both_ways(payload)
    assert quick is not None
    assert quick == full == parsed
    assert [r.ts_ms for r in parsed.records] == [OLDEST, OLDEST]
    assert parsed.partial_rejections == ()


@settings(max_examples=400, deadline=None)
@given(doc=batch, max_age_ms=st.integers(0, 2 * (NOW - MIN_TS_MS)))
def test_fast_path_agrees_with_the_full_parser_under_a_retention_window(doc, max_age_ms):
    payload = json.dumps(doc).encode()
    oldest = max(MIN_TS_MS, NOW - max_age_ms)
    answer = fast_telemetry(payload, "e1", "s1", NOW, PLACES, oldest)
    if answer is None:
        return
    try:
        expected = parse_telemetry(
            load_object(decode_text(payload)), "e1", "s1", NOW, PLACES, oldest
        )
    except MessageRejected as exc:
        raise AssertionError(f"fast path accepted what the full parser rejects: {exc}") from None
    assert answer == expected
    assert all(r.ts_ms >= oldest for r in answer.records)
