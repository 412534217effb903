"""Duty roster: shift parsing, shift coverage in local time (DST included) and call order."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitoring.registry.loader import load_registry, parse_registry
from monitoring.registry.model import Contact, Enterprise
from monitoring.registry.roster import (
    Shift,
    contacts_in_call_order,
    on_duty_at,
    parse_shift,
    role_title,
)
from tests.monitoring.registry.test_registry import CONTRACT_YAML, EXAMPLE_FILE

WEEKDAYS = frozenset(range(5))
SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"


def at(text: str) -> datetime:
    """Return a naive local wall-clock time, as Shift.covers sees it (2026-11-23 is a Monday)."""
    return datetime.fromisoformat(text)


def ms(text: str) -> int:
    """Return epoch ms of an ISO time with an offset."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def contact(*shifts: str, role: str = "duty_officer", name: str = "A") -> Contact:
    return Contact(name, role, "+86 139 0000 0000", tuple(parse_shift(s) for s in shifts))


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-20:00", Shift(None, 480, 1200)),
        ("20:00-08:00", Shift(None, 1200, 480)),
        ("8:30-17:00", Shift(None, 510, 1020)),
        ("00:00-24:00", Shift(None, 0, 1440)),
        ("08:00-08:00", Shift(None, 480, 480)),
        ("Mon-Fri 08:00-17:00", Shift(WEEKDAYS, 480, 1020)),
        ("Sat,Sun 08:00-20:00", Shift(frozenset({5, 6}), 480, 1200)),
        ("Mon 00:00-24:00", Shift(frozenset({0}), 0, 1440)),
        ("Fri-Mon 22:00-06:00", Shift(frozenset({4, 5, 6, 0}), 1320, 360)),
        ("Mon-Wed,Fri 09:00-12:00", Shift(frozenset({0, 1, 2, 4}), 540, 720)),
        ("  mon - fri  08:00 - 17:00 ", Shift(WEEKDAYS, 480, 1020)),
        ("SAT, SUN 08:00-20:00", Shift(frozenset({5, 6}), 480, 1200)),
    ],
)
def test_parse_shift(text: str, expected: Shift) -> None:
    assert parse_shift(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not of the form"),
        ("08:00", "is not of the form"),
        ("08:00-20:00 daily", "is not of the form"),
        ("0800-2000", "is not of the form"),
        ("25:00-08:00", "time '25:00' is not in 00:00..23:59"),
        ("24:00-08:00", "time '24:00' is not in 00:00..23:59"),
        ("08:00-24:30", "time '24:30' is not in 00:00..24:00"),
        ("08:60-09:00", "time '08:60'"),
        ("Mon-Fry 08:00-17:00", "unknown weekday 'Fry' (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)"),
        ("Monday 08:00-17:00", "unknown weekday 'Monday'"),
        ("Mon-Tue-Wed 08:00-17:00", "weekday range 'Mon-Tue-Wed' is not like Mon-Fri"),
        ("Mon, 08:00-17:00", "unknown weekday ''"),
        (1200, "a shift must be a text"),
    ],
)
def test_parse_shift_refuses(text: object, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_shift(text)  # type: ignore[arg-type]
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "08:00-20:00",
        "Mon-Fri 08:00-17:00",
        "Sat,Sun 20:00-08:00",
        "Mon 00:00-24:00",
        "Mon-Wed,Fri 09:00-12:00",
        "Mon,Fri-Sun 22:00-06:00",
    ],
)
def test_shift_text_round_trips(text: str) -> None:
    assert str(parse_shift(text)) == text
    assert parse_shift(str(parse_shift(text))) == parse_shift(text)


@pytest.mark.parametrize(
    ("weekdays", "start", "end"),
    [
        (None, 1440, 0),
        (None, -1, 60),
        (None, 0, 1441),
        (frozenset(), 0, 60),
        (frozenset({7}), 0, 60),
    ],
)
def test_shift_refuses_impossible_values(
    weekdays: frozenset[int] | None, start: int, end: int
) -> None:
    with pytest.raises(ValueError):
        Shift(weekdays, start, end)


# --- coverage in local time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "local", "covered"),
    [
        # a day shift: start included, end excluded
        ("08:00-20:00", "2026-11-23T08:00:00", True),
        ("08:00-20:00", "2026-11-23T19:59:59", True),
        ("08:00-20:00", "2026-11-23T20:00:00", False),
        ("08:00-20:00", "2026-11-23T07:59:59", False),
        # across midnight
        ("20:00-08:00", "2026-11-23T23:00:00", True),
        ("20:00-08:00", "2026-11-24T03:00:00", True),
        ("20:00-08:00", "2026-11-24T08:00:00", False),
        ("20:00-08:00", "2026-11-24T12:00:00", False),
        # weekday prefixes (2026-11-23 is a Monday, 11-28 a Saturday)
        ("Mon-Fri 08:00-17:00", "2026-11-27T09:00:00", True),
        ("Mon-Fri 08:00-17:00", "2026-11-28T09:00:00", False),
        ("Sat,Sun 08:00-20:00", "2026-11-29T19:00:00", True),
        ("Sat,Sun 08:00-20:00", "2026-11-23T19:00:00", False),
        # a night shift belongs to the day it starts
        ("Fri 20:00-08:00", "2026-11-28T03:00:00", True),  # Saturday early morning
        ("Fri 20:00-08:00", "2026-11-27T21:00:00", True),  # Friday evening
        ("Fri 20:00-08:00", "2026-11-27T03:00:00", False),  # Friday early: Thursday's night
        ("Fri 20:00-08:00", "2026-11-28T21:00:00", False),  # Saturday evening
        ("Sun-Thu 22:00-06:00", "2026-11-23T05:00:00", True),  # Monday early: Sunday's night
        ("Sun-Thu 22:00-06:00", "2026-11-28T05:00:00", False),  # Saturday early: Friday's
        # 24:00 as an end
        ("Mon 00:00-24:00", "2026-11-23T00:00:00", True),
        ("Mon 00:00-24:00", "2026-11-23T23:59:59", True),
        ("Mon 00:00-24:00", "2026-11-24T00:00:00", False),
        ("Mon 00:00-24:00", "2026-11-22T23:59:00", False),
        ("Fri 20:00-24:00", "2026-11-28T00:00:00", False),
        # equal start and end: a whole day
        ("08:00-08:00", "2026-11-23T07:59:00", True),
        ("08:00-08:00", "2026-11-23T08:00:00", True),
        ("Mon 08:00-08:00", "2026-11-24T07:59:00", True),
        ("Mon 08:00-08:00", "2026-11-24T08:00:00", False),
        ("Mon 08:00-08:00", "2026-11-23T07:59:00", False),
    ],
)
def test_shift_covers(text: str, local: str, covered: bool) -> None:
    assert parse_shift(text).covers(at(local)) is covered


def test_shift_covers_uses_the_wall_clock_of_an_aware_time() -> None:
    shift = parse_shift("Mon 08:00-17:00")
    local = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo(SHANGHAI))
    assert shift.covers(local)
    assert not shift.covers(local.astimezone(ZoneInfo("America/New_York")))  # Sunday 20:00


# --- on duty at an instant, in the registry's timezone ------------------------------------


def test_on_duty_follows_the_registry_timezone() -> None:
    day = contact("08:00-20:00")
    instant = ms("2026-11-23T02:00:00+00:00")
    assert on_duty_at(day, instant, SHANGHAI)  # 10:00 in Shanghai
    assert not on_duty_at(day, instant, BERLIN)  # 03:00 in Berlin
    assert on_duty_at(day, instant, "America/Los_Angeles") is True  # 18:00 the day before


def test_weekday_is_the_local_weekday() -> None:
    # Monday 01:00 in Shanghai is still Sunday in UTC.
    monday = contact("Mon 00:00-08:00")
    instant = ms("2026-11-23T01:00:00+08:00")
    assert on_duty_at(monday, instant, SHANGHAI)
    assert not on_duty_at(monday, instant, "UTC")


def test_without_shifts_nobody_is_on_duty() -> None:
    now = ms("2026-11-23T10:00:00+08:00")
    assert not on_duty_at(contact(), now, SHANGHAI)
    assert not on_duty_at(contact(role="principal"), now, SHANGHAI)


def test_other_roles_with_a_shift_are_on_duty_during_it() -> None:
    manager = contact("Mon-Fri 08:00-17:30", role="safety_manager")
    assert on_duty_at(manager, ms("2026-11-23T10:00:00+08:00"), SHANGHAI)
    assert not on_duty_at(manager, ms("2026-11-28T10:00:00+08:00"), SHANGHAI)


@pytest.mark.parametrize(
    ("utc", "on_duty"),
    [
        # 2026-03-29: Berlin springs forward at 01:00 UTC (02:00 CET -> 03:00 CEST).
        ("2026-03-28T06:30:00", False),  # 07:30 CET, the day before
        ("2026-03-28T07:30:00", True),  # 08:30 CET
        ("2026-03-29T06:30:00", True),  # 08:30 CEST: the shift starts an hour earlier in UTC
        ("2026-03-29T17:59:00", True),  # 19:59 CEST
        ("2026-03-29T18:30:00", False),  # 20:30 CEST
        # 2026-10-25: back to CET at 01:00 UTC.
        ("2026-10-25T06:30:00", False),  # 07:30 CET
        ("2026-10-25T07:30:00", True),  # 08:30 CET
        ("2026-10-25T18:30:00", True),  # 19:30 CET
    ],
)
def test_day_shift_on_dst_days_in_berlin(utc: str, on_duty: bool) -> None:
    assert on_duty_at(contact("08:00-20:00"), ms(utc + "+00:00"), BERLIN) is on_duty


def test_night_shift_across_spring_forward_ends_at_local_six() -> None:
    night = contact("Sat 22:00-06:00")
    # Saturday 2026-03-28 22:00 CET to Sunday 06:00 CEST lasts seven hours, not eight.
    assert on_duty_at(night, ms("2026-03-28T21:00:00+00:00"), BERLIN)  # 22:00 CET
    assert on_duty_at(night, ms("2026-03-29T03:59:00+00:00"), BERLIN)  # 05:59 CEST
    assert not on_duty_at(night, ms("2026-03-29T04:00:00+00:00"), BERLIN)  # 06:00 CEST
    # A week earlier, without the change, 04:00 UTC is 05:00 CET: still on shift.
    assert on_duty_at(night, ms("2026-03-22T04:00:00+00:00"), BERLIN)


def test_repeated_hour_on_fall_back_is_covered_twice() -> None:
    shift = contact("Sun 02:00-03:00")
    assert on_duty_at(shift, ms("2026-10-25T00:30:00+00:00"), BERLIN)  # 02:30 CEST
    assert on_duty_at(shift, ms("2026-10-25T01:30:00+00:00"), BERLIN)  # 02:30 CET
    assert not on_duty_at(shift, ms("2026-10-25T02:30:00+00:00"), BERLIN)  # 03:30 CET


def test_shanghai_has_no_dst() -> None:
    day = contact("08:00-20:00")
    for date in ("2026-01-15", "2026-03-29", "2026-07-15", "2026-10-25"):
        assert on_duty_at(day, ms(f"{date}T00:00:00+00:00"), SHANGHAI)  # 08:00 local
        assert not on_duty_at(day, ms(f"{date}T12:00:00+00:00"), SHANGHAI)  # 20:00 local


# --- call order -----------------------------------------------------------------------------


def names(pairs: list[tuple[Contact, bool]]) -> list[tuple[str, bool]]:
    return [(c.name, on_duty) for c, on_duty in pairs]


def test_contract_example_call_order_by_day_and_night() -> None:
    registry = parse_registry(yaml.safe_load(CONTRACT_YAML))
    ent = registry.enterprise("ty-fert")
    by_day = contacts_in_call_order(ent, ms("2026-11-29T10:00:00+08:00"), registry.timezone)
    assert names(by_day) == [
        ("Wang Qiang", True),
        ("Li Na", False),
        ("Zhang Wei", False),
        ("Zhao Lei", False),
    ]
    by_night = contacts_in_call_order(ent, ms("2026-11-29T23:00:00+08:00"), registry.timezone)
    assert names(by_night) == [
        ("Zhao Lei", True),
        ("Li Na", False),
        ("Zhang Wei", False),
        ("Wang Qiang", False),
    ]


def test_call_order_by_role_and_stable_within_a_role() -> None:
    ent = Enterprise(
        "e1",
        "Ent",
        contacts=(
            contact(role="principal", name="P"),
            contact("20:00-08:00", name="Night"),
            contact(role="safety_manager", name="S"),
            contact(role="hazard_owner", name="H"),
            contact(role="leader_in_charge", name="L1"),
            contact("08:00-20:00", name="Day1"),
            contact(role="leader_in_charge", name="L2"),
            contact(name="Unscheduled"),
            contact("08:00-20:00", name="Day2"),
        ),
    )
    order = contacts_in_call_order(ent, ms("2026-11-23T10:00:00+08:00"), SHANGHAI)
    assert names(order) == [
        ("Day1", True),
        ("Day2", True),
        ("L1", False),
        ("L2", False),
        ("H", False),
        ("S", False),
        ("P", False),
        ("Night", False),
        ("Unscheduled", False),
    ]


def test_call_order_of_an_enterprise_without_contacts() -> None:
    assert contacts_in_call_order(Enterprise("e1", "Ent"), 0, SHANGHAI) == []


def test_example_file_has_exactly_one_duty_officer_at_any_time() -> None:
    registry = load_registry(EXAMPLE_FILE)
    ent = registry.enterprise("jh-chlor")
    officers = [c for c in ent.contacts if c.role == "duty_officer"]
    start = datetime(2026, 11, 23, tzinfo=ZoneInfo(registry.timezone))  # a Monday
    for half_hours in range(7 * 48):
        instant = int((start + timedelta(minutes=30 * half_hours)).timestamp() * 1000)
        on_duty = [c.name for c in officers if on_duty_at(c, instant, registry.timezone)]
        assert len(on_duty) == 1, (start + timedelta(minutes=30 * half_hours), on_duty)


def test_role_title() -> None:
    assert role_title("hazard_owner", "zh") == "重大危险源包保责任人"
    assert role_title("leader_in_charge") == "leader in charge"
