"""The `special_operation` rule: crowds in a major-hazard zone against permits and restrictions."""

from __future__ import annotations

import pytest

from monitoring.registry.loader import parse_registry
from tests.monitoring.rules.factories import (
    MIN,
    T0,
    T_RESTRICTED,
    TANKS,
    TANKS_NAME,
    WAREHOUSE,
    S,
    crowd,
    engine_for,
    feed,
    ms,
    people,
    permit,
    registry_data,
)

HOUR = 60 * MIN
SOURCE = f"zone:{TANKS}"


@pytest.fixture
def engine(registry):
    return engine_for(registry, "special_operation", "people")


def test_night_crowd_without_permit_is_orange_with_the_message(engine):
    # The story: six people walking around the ammonia tank farm at night, no permit.
    signals = crowd(engine, T0, T0 + 2 * MIN, 6)
    [signal] = signals
    assert (signal.action, signal.rule, signal.source, signal.severity) == (
        "raise",
        "special_operation",
        SOURCE,
        "orange",
    )
    assert signal.message == f"6 people in {TANKS_NAME} for 2 min, no permit reported"
    assert signal.ts_ms == T0 + 2 * MIN
    assert signal.message_key == "special_operation.no_permit"


def test_before_dwell_nothing_and_within_max_people_nothing(engine):
    assert crowd(engine, T0, T0 + 2 * MIN - S, 6) == []
    assert crowd(engine, T0 + HOUR, T0 + 2 * HOUR, 2) == []  # max_people is 2


def test_counts_of_several_cameras_add_up(engine):
    signals = []
    for t in range(T0, T0 + 2 * MIN + 1, MIN):
        signals += feed(engine, t, people(2, t, camera="CAM-07"), people(2, t, camera="CAM-08"))
    [signal] = signals + engine.on_tick(T0 + 2 * MIN)
    assert signal.message.startswith(f"4 people in {TANKS_NAME}")


def test_covering_approved_permit_raises_nothing_and_shows_the_operation(engine):
    engine.load_permits([permit(T0 - HOUR, T0 + HOUR, workers=6)])
    assert crowd(engine, T0, T0 + 10 * MIN, 6) == []
    [op] = engine.operations_in_progress(T0 + 10 * MIN)
    assert (op.permit.permit, op.people, op.zone_name) == ("DH-2026-0042", 6, TANKS_NAME)


def test_permit_without_workers_allows_any_count(engine):
    engine.load_permits([permit(T0 - HOUR, T0 + HOUR, workers=None)])
    assert crowd(engine, T0, T0 + 10 * MIN, 12) == []


@pytest.mark.parametrize(
    "bad_permit",
    [
        permit(T0 - HOUR, T0 + HOUR, zone=WAREHOUSE),  # another zone
        permit(T0 - HOUR, T0 + HOUR, status="cancelled"),
        permit(T0 - HOUR, T0 + HOUR, status="closed"),
        permit(T0 + HOUR, T0 + 2 * HOUR),  # not started yet
        permit(T0 - 2 * HOUR, T0 - HOUR),  # ended before the crowd came
    ],
    ids=["other-zone", "cancelled", "closed", "before-start", "after-end"],
)
def test_permits_that_do_not_cover_leave_the_alarm_orange(engine, bad_permit):
    engine.load_permits([bad_permit])
    [signal] = crowd(engine, T0, T0 + 2 * MIN, 6, zone=TANKS)
    assert signal.severity == "orange"
    assert signal.message == f"6 people in {TANKS_NAME} for 2 min, no permit reported"
    assert [op.permit.zone for op in engine.operations_in_progress(T0 + 2 * MIN)] in (
        [],
        [WAREHOUSE],  # the other-zone permit is an operation, elsewhere
    )


def test_permit_end_is_excluded(engine):
    engine.load_permits([permit(T0 - HOUR, T0)])
    assert engine.operations_in_progress(T0 - 1) != []
    assert engine.operations_in_progress(T0) == []
    [signal] = crowd(engine, T0, T0 + 2 * MIN, 6, zone=TANKS)
    assert signal.message == "permit DH-2026-0042 expired at 21:00, 6 people still in zone"


def test_permit_starting_at_the_first_count_covers(engine):
    engine.load_permits([permit(T0, T0 + HOUR, workers=6)])
    assert crowd(engine, T0, T0 + 5 * MIN, 6) == []


def test_more_people_than_the_permit_allows_is_orange(engine):
    engine.load_permits([permit(T0 - HOUR, T0 + HOUR, workers=4)])
    [signal] = crowd(engine, T0, T0 + 2 * MIN, 6)
    assert signal.severity == "orange"
    assert signal.message == f"6 people in {TANKS_NAME} for 2 min, permit DH-2026-0042 allows 4"
    assert signal.params["workers"] == 4


def test_workers_of_covering_permits_add_up(engine):
    engine.load_permits(
        [
            permit(T0 - HOUR, T0 + HOUR, workers=3, ident="DH-1"),
            permit(T0 - HOUR, T0 + HOUR, workers=2, ident="DL-7"),
        ]
    )
    assert crowd(engine, T0, T0 + 5 * MIN, 5) == []
    [signal] = crowd(engine, T0 + 6 * MIN, T0 + 9 * MIN, 6)
    assert signal.message.endswith("permits DH-1, DL-7 allow 5")


def test_permitted_operation_during_a_restriction_period_is_yellow(engine):
    engine.load_permits([permit(T_RESTRICTED - HOUR, T_RESTRICTED + HOUR, workers=6)])
    [signal] = crowd(engine, T_RESTRICTED, T_RESTRICTED + 2 * MIN, 6)
    assert signal.severity == "yellow"
    assert signal.message == (
        "special operation during restricted period (Spring Festival and epidemic period): "
        "confirm safety measures"
    )


def test_unpermitted_crowd_during_a_restriction_period_stays_orange(engine):
    [signal] = crowd(engine, T_RESTRICTED, T_RESTRICTED + 2 * MIN, 6)
    assert signal.severity == "orange" and signal.message.endswith("no permit reported")


def test_people_still_there_after_the_permit_ends_is_orange(engine):
    start, end = ms("2026-11-29T09:00:00+08:00"), ms("2026-11-29T17:00:00+08:00")
    engine.load_permits([permit(start, end, workers=4)])
    assert crowd(engine, end - 30 * MIN, end + 2 * MIN - S, 4) == []  # a grace of dwell_s
    [signal] = engine.on_tick(end + 2 * MIN)
    assert signal.severity == "orange"
    assert signal.message == "permit DH-2026-0042 expired at 17:00, 4 people still in zone"
    assert signal.message_key == "special_operation.permit_expired"


def test_reporting_a_permit_clears_the_alarm(engine):
    crowd(engine, T0, T0 + 2 * MIN, 6)
    late = permit(T0 - HOUR, T0 + HOUR, workers=6, reported=T0 + 3 * MIN)
    [cleared] = feed(engine, T0 + 3 * MIN, late)
    assert (cleared.action, cleared.source) == ("clear", SOURCE)


def test_a_cancelled_report_of_the_same_permit_raises_after_dwell(engine):
    engine.load_permits([permit(T0 - HOUR, T0 + HOUR, workers=6)])
    assert crowd(engine, T0, T0 + 5 * MIN, 6) == []
    cancelled = permit(T0 - HOUR, T0 + HOUR, status="cancelled", reported=T0 + 5 * MIN + S)
    assert feed(engine, T0 + 5 * MIN + S, cancelled) == []
    [signal] = crowd(engine, T0 + 6 * MIN, T0 + 8 * MIN, 6)
    assert signal.message.endswith("no permit reported")


def test_zone_without_max_people_alarms_on_anybody():
    data = registry_data()
    del data["enterprises"][0]["sites"][0]["zones"][0]["max_people"]
    engine = engine_for(parse_registry(data), "special_operation")
    [signal] = crowd(engine, T0, T0 + 2 * MIN, 1)
    assert signal.message == f"1 people in {TANKS_NAME} for 2 min, no permit reported"


def test_too_many_workers_during_a_restriction_period_stays_orange(engine):
    engine.load_permits([permit(T_RESTRICTED - HOUR, T_RESTRICTED + HOUR, workers=4)])
    [signal] = crowd(engine, T_RESTRICTED, T_RESTRICTED + 2 * MIN, 6)
    assert signal.severity == "orange" and signal.message.endswith("permit DH-2026-0042 allows 4")


def test_restricted_period_flags_a_permitted_operation_even_within_max_people(engine):
    engine.load_permits([permit(T_RESTRICTED - HOUR, T_RESTRICTED + HOUR, workers=2)])
    [signal] = crowd(engine, T_RESTRICTED, T_RESTRICTED + 2 * MIN, 1)
    assert signal.severity == "yellow"
    assert crowd(engine, T_RESTRICTED + 3 * MIN, T_RESTRICTED + 4 * MIN, 0)[0].action == "clear"


def test_more_people_than_workers_but_within_max_people_is_no_alarm(engine):
    # Two operators on their round next to a one-man job: the zone's own limit holds.
    engine.load_permits([permit(T0 - HOUR, T0 + HOUR, workers=1)])
    assert crowd(engine, T0, T0 + 10 * MIN, 2) == []


def test_old_permits_are_forgotten(engine):
    engine.load_permits([permit(T0 - 50 * HOUR, T0 - 49 * HOUR, ident="OLD-1")])
    feed(engine, T0, permit(T0, T0 + HOUR, ident="NEW-1", reported=T0))
    site = engine.site_rules("ty-fert", "main")[0].ctx
    assert set(site.permits[TANKS]) == {"NEW-1"}
