"""Route a gateway's MQTT topic, `<root>/<enterprise>/<site>/<kind>`, to who sent what.

The topic is as untrusted as the payload, so it is checked first: a message on a topic that
names no valid enterprise, site and kind is refused before its payload is read.
"""

from __future__ import annotations

from functools import lru_cache

from monitoring.edge.fields import quote
from monitoring.records import ID_PATTERN, Rejection

DEFAULT_ROOT = "hazmon"
MESSAGE_KINDS: frozenset[str] = frozenset({"telemetry", "presence", "permit", "status"})
TOPIC_CACHE_SIZE = 1024
MAX_CACHED_TOPIC_CHARS = 512  # longer topics are never valid; don't let them fill the cache

_match_id = ID_PATTERN.fullmatch


def subscription_filter(root: str) -> str:
    """Return the MQTT filter that sees every message under `root`, well-shaped or not."""
    return f"{root}/#"


def route_topic(root: str, topic: str) -> tuple[str, str, str] | Rejection:
    """Split a topic into (enterprise, site, kind), or say why it cannot be."""
    shape = f"{root}/{{enterprise}}/{{site}}/{{kind}}"
    prefix = root + "/"
    if not topic.startswith(prefix):
        return Rejection("bad_topic", f"topic {quote(topic, 200)} is not under {prefix!r}")
    parts = topic[len(prefix) :].split("/")
    if len(parts) != 3:
        return Rejection("bad_topic", f"topic {quote(topic, 200)} does not match {shape}")
    enterprise, site, kind = parts
    if kind not in MESSAGE_KINDS:
        return Rejection(
            "bad_topic",
            f"topic {quote(topic, 200)}: unknown kind {quote(kind)}; "
            "expected telemetry, presence, permit or status",
        )
    if _match_id(enterprise) is None:
        return Rejection("bad_id", f"topic enterprise {quote(enterprise)} is not a valid id")
    if _match_id(site) is None:
        return Rejection("bad_id", f"topic site {quote(site)} is not a valid id")
    return enterprise, site, kind


# Topics repeat a lot (one per site and kind), so the split is worth remembering; only
# topics up to MAX_CACHED_TOPIC_CHARS may go through it.
route_topic_cached = lru_cache(maxsize=TOPIC_CACHE_SIZE)(route_topic)
