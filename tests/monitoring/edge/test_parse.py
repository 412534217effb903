"""The parser as a whole (contract section 2): any input parses or is rejected with a known code."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.edge.fast import MAX_FUTURE_MS, MIN_TS_MS
from monitoring.edge.parse import parse_message
from monitoring.records import ID_PATTERN, REJECTION_CODES, MessageRejected, ParsedMessage, Reading
from tests.monitoring.edge.support import KINDS, NOW, parse, topic

# -- properties ----------------------------------------------------------------------------

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
