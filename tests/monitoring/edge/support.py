"""Shared builders for the edge tests: topics, payloads and the usual messages."""

from __future__ import annotations

import json

import pytest

from monitoring.edge.parse import parse_message
from monitoring.records import MessageRejected, ParsedMessage

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
