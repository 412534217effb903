"""Topic routing: which enterprise, site and kind a message is from (no broker needed)."""

from __future__ import annotations

import pytest

from monitoring.edge.envelope import MAX_PAYLOAD_BYTES
from monitoring.edge.parse import parse_message
from monitoring.edge.topics import (
    MAX_CACHED_TOPIC_CHARS,
    route_topic,
    route_topic_cached,
    subscription_filter,
)
from monitoring.records import MessageRejected, Rejection
from tests.monitoring.edge.support import NOW, parse

# -- topics --------------------------------------------------------------------------------


def test_subscription_filter_covers_everything_under_the_root():
    assert subscription_filter("hazmon") == "hazmon/#"
    assert subscription_filter("prov/hazmon") == "prov/hazmon/#"


def test_topic_gives_enterprise_site_and_kind():
    parsed = parse("status", b"online")
    assert (parsed.kind, parsed.enterprise, parsed.site) == ("status", "ty-fert", "main")


def test_root_may_contain_slashes():
    parsed = parse_message("prov/hazmon/ty-fert/main/status", b"online", NOW, root="prov/hazmon")
    assert (parsed.enterprise, parsed.site) == ("ty-fert", "main")


def test_same_topic_under_another_root_is_rejected():
    parse_message("a/e/s/status", b"online", NOW, root="a")
    with pytest.raises(MessageRejected) as info:
        parse_message("a/e/s/status", b"online", NOW, root="b")
    assert info.value.code == "bad_topic"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hazmon",
        "hazmon/ty-fert/main",
        "hazmon/ty-fert/main/telemetry/extra",
        "hazmon/ty-fert/main/telemetry/",
        "hazmon/ty-fert/telemetry",
        "hazmonx/ty-fert/main/telemetry",
        "other/ty-fert/main/telemetry",
        "/hazmon/ty-fert/main/telemetry",
        "hazmon/ty-fert/main/alarm",
        "hazmon/ty-fert/main/Telemetry",
        "hazmon/ty-fert/main/+",
        "hazmon/" + "x/" * 1000 + "status",
    ],
)
def test_wrongly_shaped_topic_is_bad_topic(bad):
    with pytest.raises(MessageRejected) as info:
        parse_message(bad, b"online", NOW)
    assert info.value.code == "bad_topic"


@pytest.mark.parametrize(
    "bad",
    [
        "hazmon/ty fert/main/status",
        "hazmon/-ty/main/status",
        "hazmon//main/status",
        "hazmon/ty-fert/main$/status",
        "hazmon/ty-fert/" + "s" * 65 + "/status",
        "hazmon/ty-fert/#/status",
        "hazmon/天宇/main/status",
    ],
)
def test_bad_enterprise_or_site_in_topic_is_bad_id(bad):
    with pytest.raises(MessageRejected) as info:
        parse_message(bad, b"online", NOW)
    assert info.value.code == "bad_id"


def test_topic_is_checked_before_the_payload():
    with pytest.raises(MessageRejected) as info:
        parse_message("elsewhere/x", b"\xff" * (MAX_PAYLOAD_BYTES + 1), NOW)
    assert info.value.code == "bad_topic"


def test_route_topic_splits_a_topic_or_says_why_not():
    assert route_topic("hazmon", "hazmon/ty-fert/main/permit") == ("ty-fert", "main", "permit")
    refused = route_topic("hazmon", "hazmon/ty-fert/main")
    assert type(refused) is Rejection and refused.code == "bad_topic"


def test_overlong_topics_do_not_fill_the_route_cache():
    before = route_topic_cached.cache_info().currsize
    with pytest.raises(MessageRejected):
        parse_message("hazmon/" + "x" * MAX_CACHED_TOPIC_CHARS + "/main/status", b"online", NOW)
    assert route_topic_cached.cache_info().currsize == before
