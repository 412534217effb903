"""The `people` rule of general zones: max_people for dwell_s, clear at once, unknown counts."""

from __future__ import annotations

import pytest

from monitoring.rules.context import PRESENCE_FRESH_S
from tests.monitoring.rules.factories import (
    MIN,
    T0,
    TANKS,
    WAREHOUSE,
    S,
    crowd,
    engine_for,
    feed,
    only,
    people,
)


@pytest.fixture
def engine(registry):
    return engine_for(registry, "people")


def in_warehouse(count, t, camera="CAM-21"):
    return people(count, t, zone=WAREHOUSE, camera=camera)


def test_crowd_for_dwell_s_raises_yellow_with_the_message(engine):
    # Warehouse 2: max_people 2, dwell_s 180
    early = crowd(engine, T0, T0 + 179 * S, 5, zone=WAREHOUSE, camera="CAM-21")
    assert early == []
    [signal] = engine.on_tick(T0 + 180 * S)
    assert (signal.action, signal.rule, signal.source, signal.severity) == (
        "raise",
        "people",
        f"zone:{WAREHOUSE}",
        "yellow",
    )
    assert signal.message == "5 people in Warehouse 2 for 3 min (max 2)"
    assert signal.zone == WAREHOUSE and signal.value == 5


def test_short_visit_raises_nothing(engine):
    signals = feed(engine, T0, in_warehouse(5, T0))
    signals += crowd(engine, T0 + MIN, T0 + 10 * MIN, 1, zone=WAREHOUSE, camera="CAM-21")
    assert signals == []


def test_clears_as_soon_as_the_count_is_back_within_the_limit(engine):
    crowd(engine, T0, T0 + 3 * MIN, 5, zone=WAREHOUSE, camera="CAM-21")
    [cleared] = feed(engine, T0 + 3 * MIN + S, in_warehouse(2, T0 + 3 * MIN + S))
    assert (cleared.action, cleared.source) == ("clear", f"zone:{WAREHOUSE}")


def test_a_new_count_while_raised_updates_the_message_once(engine):
    crowd(engine, T0, T0 + 3 * MIN, 5, zone=WAREHOUSE, camera="CAM-21")
    [update] = feed(engine, T0 + 4 * MIN, in_warehouse(7, T0 + 4 * MIN))
    assert (update.action, update.severity) == ("raise", "yellow")
    assert update.message == "7 people in Warehouse 2 for 4 min (max 2)"
    assert feed(engine, T0 + 5 * MIN, in_warehouse(7, T0 + 5 * MIN)) == []


def test_major_zone_never_raises_the_plain_people_rule(engine):
    signals = crowd(engine, T0, T0 + 10 * MIN, 9, zone=TANKS, camera="CAM-07")
    assert only(signals, rule="people") == []


def test_a_count_gone_stale_neither_clears_nor_raises(engine):
    crowd(engine, T0, T0 + 3 * MIN, 5, zone=WAREHOUSE, camera="CAM-21")
    quiet = [engine.on_tick(t) for t in range(T0 + 3 * MIN, T0 + 30 * MIN, 10 * S)]
    assert [s for batch in quiet for s in batch] == []
    [cleared] = feed(engine, T0 + 30 * MIN, in_warehouse(0, T0 + 30 * MIN))
    assert cleared.action == "clear"


def test_stale_count_restarts_a_pending_dwell(engine):
    feed(engine, T0, in_warehouse(5, T0))
    engine.on_tick(T0 + (PRESENCE_FRESH_S + 1) * S)  # camera silent: count unknown
    t = T0 + 150 * S
    assert crowd(engine, t, t + 179 * S, 5, zone=WAREHOUSE, camera="CAM-21") == []
    [signal] = engine.on_tick(t + 180 * S)  # the dwell started again at t
    assert signal.action == "raise"


def test_after_a_gap_in_counts_a_raised_alarm_is_updated_at_once(engine):
    crowd(engine, T0, T0 + 3 * MIN, 5, zone=WAREHOUSE, camera="CAM-21")
    engine.on_tick(T0 + 10 * MIN)  # camera silent meanwhile: held, not cleared
    [update] = feed(engine, T0 + 10 * MIN, in_warehouse(7, T0 + 10 * MIN))
    assert (update.action, update.message) == (
        "raise",
        "7 people in Warehouse 2 for 10 min (max 2)",
    )
