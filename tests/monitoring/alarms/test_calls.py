"""The call log and the contact-lookup audit log, on SQLite (a file) and on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from monitoring.alarms.book import AlarmBook
from monitoring.alarms.calls import CallLog, ContactLookups
from monitoring.alarms.model import AlarmNotFound
from monitoring.db.database import Database
from monitoring.signals import CALL_OUTCOMES, AlarmSignal

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z


@dataclass(frozen=True)
class Contact:
    """What the registry lists for a contact."""

    name: str
    role: str
    phone: str


DUTY = Contact("Wang Qiang", "duty_officer", "+86 139 0000 0003")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """An empty started database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hazwatch.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    database.start()
    yield database
    database.close()


@pytest.fixture
def alarm_id(db) -> int:
    signal = AlarmSignal("raise", "ty-fert", "main", "sensor:NH3-S-01", "limit", T0, "red")
    (change,) = AlarmBook(db).apply([signal], T0)
    return change.alarm.id


def test_record_returns_the_call_with_the_phone(db, alarm_id) -> None:
    record = CallLog(db).record(
        alarm_id, "inspector1", DUTY, "reached", "closing valve", T0 + 60_000
    )
    assert record == {
        "id": record["id"],
        "alarm_id": alarm_id,
        "at": "2025-11-29T02:01:00.000Z",
        "username": "inspector1",
        "contact": "Wang Qiang",
        "contact_role": "duty_officer",
        "outcome": "reached",
        "note": "closing valve",
        "phone": "+86 139 0000 0003",
    }
    assert isinstance(record["id"], int)


def test_for_alarm_lists_calls_oldest_first_without_phones_by_default(db, alarm_id) -> None:
    log = CallLog(db)
    log.record(alarm_id, "inspector1", DUTY, "no_answer", "", T0 + 1)
    backup = {"name": "Zhao Lei", "role": "duty_officer", "phone": "+86 139 0000 0004"}
    log.record(alarm_id, "inspector1", backup, "reached", "on site in 10 min", T0 + 2)
    calls = log.for_alarm(alarm_id)
    assert [(c["contact"], c["outcome"]) for c in calls] == [
        ("Wang Qiang", "no_answer"),
        ("Zhao Lei", "reached"),
    ]
    assert all("phone" not in c for c in calls)
    assert [c["phone"] for c in log.for_alarm(alarm_id, include_phones=True)] == [
        DUTY.phone,
        backup["phone"],
    ]
    assert log.for_alarm(alarm_id + 1) == []


@pytest.mark.parametrize("outcome", CALL_OUTCOMES)
def test_every_outcome_is_accepted(db, alarm_id, outcome) -> None:
    assert CallLog(db).record(alarm_id, "u", DUTY, outcome, "", T0)["outcome"] == outcome


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"outcome": "hung_up"}, "outcome"),
        ({"note": "n" * 2001}, "at most 2000"),
        ({"username": ""}, "username"),
        ({"contact": Contact("", "x", "1")}, "contact name"),
    ],
)
def test_record_validates(db, alarm_id, changes, problem) -> None:
    args = dict(
        alarm_id=alarm_id, username="u", contact=DUTY, outcome="reached", note="", now_ms=T0
    )
    with pytest.raises(ValueError, match=problem):
        CallLog(db).record(**(args | changes))
    assert CallLog(db).for_alarm(alarm_id) == []


def test_a_call_needs_an_existing_alarm(db, alarm_id) -> None:
    with pytest.raises(AlarmNotFound):
        CallLog(db).record(alarm_id + 1, "u", DUTY, "reached", "", T0)


def test_calls_show_in_the_alarm_detail(db, alarm_id) -> None:
    CallLog(db).record(alarm_id, "inspector1", DUTY, "wrong_number", "number changed", T0)
    (call,) = AlarmBook(db).detail(alarm_id)["calls"]
    assert (call["outcome"], call["note"]) == ("wrong_number", "number changed")


def test_contact_lookups_are_kept_newest_first(db, alarm_id) -> None:
    lookups = ContactLookups(db)
    lookups.record("inspector1", "ty-fert", alarm_id, T0)
    lookups.record("inspector2", "other-co", None, T0 + 1000)
    recent = lookups.recent()
    assert [(r["username"], r["enterprise"], r["alarm_id"], r["at"]) for r in recent] == [
        ("inspector2", "other-co", None, "2025-11-29T02:00:01.000Z"),
        ("inspector1", "ty-fert", alarm_id, "2025-11-29T02:00:00.000Z"),
    ]
    assert [r["username"] for r in lookups.recent(limit=1)] == ["inspector2"]
    assert [r["username"] for r in lookups.recent(enterprise="ty-fert")] == ["inspector1"]


def test_contact_lookup_validates(db, alarm_id) -> None:
    lookups = ContactLookups(db)
    with pytest.raises(AlarmNotFound):
        lookups.record("inspector1", "ty-fert", alarm_id + 1, T0)
    with pytest.raises(ValueError, match="username"):
        lookups.record("", "ty-fert", None, T0)
    with pytest.raises(ValueError, match="enterprise"):
        lookups.record("inspector1", "", None, T0)
    assert lookups.recent() == []
