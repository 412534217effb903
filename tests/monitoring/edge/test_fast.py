"""The telemetry fast path gives the full parser's answer or no answer, never another one."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.edge.envelope import decode_text, load_object
from monitoring.edge.fast import MAX_FUTURE_MS, MIN_TS_MS, fast_telemetry
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
