"""The payload envelope: size, UTF-8 and JSON checks shared by every message kind."""

from __future__ import annotations

import pytest

from monitoring.edge.envelope import MAX_PAYLOAD_BYTES
from tests.monitoring.edge.support import KINDS, parse, rejected

# -- payload envelope ----------------------------------------------------------------------


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
