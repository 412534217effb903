"""Open a message's payload: size, UTF-8 and JSON checks shared by every message kind.

JSON `NaN` and `Infinity` literals decode to a `NonFinite` marker rather than a float, so
they can never pass as a value; the validators in `fields.py` then name them in the reason.
"""

from __future__ import annotations

import json

from monitoring.edge.fields import NonFinite, describe
from monitoring.records import MessageRejected

MAX_PAYLOAD_BYTES = 256 * 1024

# One decoder built once: json.loads(..., parse_constant=...) would build a new one per call.
_DECODER = json.JSONDecoder(parse_constant=NonFinite)


def decode_text(payload: bytes | bytearray | memoryview) -> str:
    """Return the payload as text; refuse it if it is too large, empty or not UTF-8."""
    if type(payload) is not bytes:
        if not isinstance(payload, bytearray | memoryview):
            raise MessageRejected("bad_encoding", f"payload is a {type(payload).__name__}")
        payload = bytes(payload)
    size = len(payload)
    if size > MAX_PAYLOAD_BYTES:
        raise MessageRejected(
            "too_large", f"payload is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}"
        )
    if size == 0:
        raise MessageRejected("no_content", "payload is empty")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageRejected(
            "bad_encoding", f"payload is not UTF-8: invalid byte at offset {exc.start}"
        ) from None
    # Some Windows gateway stacks prefix a byte-order mark; it carries no meaning.
    return text[1:] if text[:1] == "\ufeff" else text


def load_json(text: str) -> object:
    """Return the JSON value of a payload; refuse text that is blank or not JSON."""
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise MessageRejected("bad_json", "payload is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and ints over the digit limit
        if not text.strip():
            raise MessageRejected("no_content", "payload is blank") from None
        raise MessageRejected("bad_json", f"payload is not valid JSON: {exc}") from None


def load_object(text: str) -> dict:
    """Return the JSON object of a payload; refuse any other JSON value."""
    doc = load_json(text)
    if type(doc) is not dict:
        raise MessageRejected("not_object", f"payload is {describe(doc)}, not a JSON object")
    return doc
