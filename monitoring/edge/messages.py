"""Parse the presence, permit and status messages, one record each.

- presence: one camera's people count in a zone (`PresenceCount`);
- permit: a special-operation permit as the enterprise's system issued it (`Permit`);
- status: the gateway's online/offline state, often its MQTT Last Will (`GatewayStatus`).
Telemetry, the busy kind, has its own module (`telemetry.py`).
"""

from __future__ import annotations

from monitoring.edge.envelope import load_json
from monitoring.edge.fields import (
    MISSING,
    bounded_count,
    describe,
    expected,
    http_url,
    message_ts,
    optional_text,
    required_id,
    required_ts,
)
from monitoring.records import (
    GATEWAY_STATES,
    PERMIT_STATUSES,
    PERMIT_TYPES,
    GatewayStatus,
    MessageRejected,
    ParsedMessage,
    Permit,
    PresenceCount,
)

MAX_PEOPLE = 1000
MAX_WORKERS = 1000
MAX_LEVEL_CHARS = 32
MAX_SUPERVISOR_CHARS = 100


def parse_presence(doc: dict, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    """Return the people count of a presence object."""
    ts = message_ts(doc, received_ms)
    camera = required_id(doc, "camera")
    zone = required_id(doc, "zone")
    people = bounded_count(doc.get("people", MISSING), "people", "bad_value", MAX_PEOPLE)
    confidence = doc.get("confidence")
    if confidence is not None:
        kind = type(confidence)
        if (kind is not int and kind is not float) or not 0 <= confidence <= 1:
            raise MessageRejected(
                "bad_field", expected("confidence", confidence, "a number from 0 to 1")
            )
        confidence = float(confidence)
    snapshot = doc.get("snapshot")
    if snapshot is not None:
        snapshot = http_url(snapshot, "snapshot")
    record = PresenceCount(enterprise, site, camera, zone, ts, people, confidence, snapshot)
    return ParsedMessage("presence", enterprise, site, (record,))


def parse_permit(doc: dict, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    """Return the permit of a permit object, reported at the time it was received."""
    permit = required_id(doc, "permit")
    permit_type = doc.get("type")
    if type(permit_type) is not str or permit_type not in PERMIT_TYPES:
        raise MessageRejected(
            "bad_field", expected("type", permit_type, f"one of {', '.join(sorted(PERMIT_TYPES))}")
        )
    zone = required_id(doc, "zone")
    start_ms = required_ts(doc, "start", received_ms)
    end_ms = required_ts(doc, "end", received_ms)
    if end_ms <= start_ms:
        raise MessageRejected(
            "bad_timestamp", f"end ({end_ms} ms) is not after start ({start_ms} ms)"
        )
    status = doc.get("status")
    if type(status) is not str or status not in PERMIT_STATUSES:
        raise MessageRejected(
            "bad_field", expected("status", status, "approved, cancelled or closed")
        )
    level = doc.get("level")
    if type(level) is int:  # enterprises send the permit level as "1" or as 1
        level = str(level)
    level = optional_text(level, "level", MAX_LEVEL_CHARS)
    supervisor = optional_text(doc.get("supervisor"), "supervisor", MAX_SUPERVISOR_CHARS)
    workers = doc.get("workers")
    if workers is not None:
        workers = bounded_count(workers, "workers", "bad_field", MAX_WORKERS)
    record = Permit(
        enterprise, site, permit, permit_type, zone, start_ms, end_ms, status, received_ms,
        level, supervisor, workers,
    )  # fmt: skip
    return ParsedMessage("permit", enterprise, site, (record,))


def parse_status(text: str, enterprise: str, site: str, received_ms: int) -> ParsedMessage:
    """Return the gateway state of a status payload: a bare word, a JSON string or an object."""
    # A Last Will is often the bare word, not JSON.
    if len(text) <= 32:
        bare = text.strip().lower()
        if bare in GATEWAY_STATES:
            record = GatewayStatus(enterprise, site, bare, received_ms)
            return ParsedMessage("status", enterprise, site, (record,))
    doc = load_json(text)
    ts = received_ms
    if type(doc) is dict:
        state = doc.get("state")
        if state is None:
            state = doc.get("status")
        ts = message_ts(doc, received_ms)
    elif type(doc) is str:
        state = doc
    else:
        raise MessageRejected(
            "bad_field",
            f'status payload is {describe(doc)}; expected online, offline or {{"state": ...}}',
        )
    if type(state) is not str or state.lower() not in GATEWAY_STATES:
        raise MessageRejected("bad_field", expected("state", state, "online or offline"))
    record = GatewayStatus(enterprise, site, state.lower(), ts)
    return ParsedMessage("status", enterprise, site, (record,))
