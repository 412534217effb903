"""Parse one gateway MQTT message (contract section 2) into typed records: the entry point.

The input is untrusted: any topic and any payload may arrive. `parse_message` either returns
a `ParsedMessage` or raises `MessageRejected` with a stable code and a readable detail; it
raises nothing else. It is a pure function on the ingest hot path, so the common case is one
decode and straight-line checks. An optional field sent as JSON `null` counts as absent.

Where each step lives: the topic in `topics.py`, the payload's size, UTF-8 and JSON in
`envelope.py`, telemetry in `fast.py` (the common batch) and `telemetry.py` (the rest), the
other kinds in `messages.py`, and the field checks and reason wording in `fields.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from monitoring.edge.envelope import MAX_PAYLOAD_BYTES, decode_text, load_object
from monitoring.edge.fast import MIN_TS_MS, fast_telemetry
from monitoring.edge.messages import parse_permit, parse_presence, parse_status
from monitoring.edge.telemetry import NOWHERE, parse_telemetry
from monitoring.edge.topics import (
    DEFAULT_ROOT,
    MAX_CACHED_TOPIC_CHARS,
    route_topic,
    route_topic_cached,
)
from monitoring.records import MessageRejected, ParsedMessage, Rejection

Locations = Callable[[str, str], Mapping[str, tuple[str, str]]]


def parse_message(
    topic: str,
    payload: bytes,
    received_ms: int,
    *,
    root: str = DEFAULT_ROOT,
    locations: Locations | None = None,
    max_age_ms: int | None = None,
) -> ParsedMessage:
    """Parse one untrusted gateway message; raise `MessageRejected` if it is unusable.

    `locations(enterprise, site)` may give {sensor: (zone, kind)} from the registry, so
    readings are built with their zone and kind at once instead of being copied later.
    A reading older than `max_age_ms` (the store's retention) is refused as `too_old`.
    """
    route = (
        route_topic_cached(root, topic)
        if len(topic) <= MAX_CACHED_TOPIC_CHARS
        else route_topic(root, topic)
    )
    if type(route) is Rejection:
        raise MessageRejected(route.code, route.detail)
    # mypy cannot narrow `type(x) is C` away unless C is final; isinstance would cost more.
    enterprise, site, kind = route  # type: ignore[misc]
    if kind == "telemetry":
        where = locations(enterprise, site) if locations is not None else NOWHERE
        oldest = MIN_TS_MS if max_age_ms is None else max(MIN_TS_MS, received_ms - max_age_ms)
        if type(payload) is bytes and len(payload) <= MAX_PAYLOAD_BYTES:
            fast = fast_telemetry(payload, enterprise, site, received_ms, where, oldest)
            if fast is not None:
                return fast
        return parse_telemetry(
            load_object(decode_text(payload)), enterprise, site, received_ms, where, oldest
        )
    text = decode_text(payload)
    if kind == "presence":
        return parse_presence(load_object(text), enterprise, site, received_ms)
    if kind == "permit":
        return parse_permit(load_object(text), enterprise, site, received_ms)
    return parse_status(text, enterprise, site, received_ms)
