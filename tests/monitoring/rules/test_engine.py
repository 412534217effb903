"""The engine: enabled rules, sites, restoring open alarms after a restart, hot reload, speed."""

from __future__ import annotations

import time

import pytest

from monitoring.alarms.book import AlarmBook
from monitoring.db.database import Database
from monitoring.records import Reading
from monitoring.registry.loader import parse_registry
from monitoring.rules.engine import RuleEngine
from monitoring.signals import AlarmSignal
from tests.monitoring.rules.factories import (
    ENT,
    MIN,
    SITE,
    T0,
    TANKS,
    S,
    batch,
    crowd,
    engine_for,
    feed,
    only,
    people,
    reading,
    registry_data,
    status,
)

ZONE_SOURCE = f"zone:{TANKS}"
READINGS_PER_SECOND_FLOOR = 50_000  # the ingest needs 10,000/s; measured well above this


def open_keys(signals: list[AlarmSignal]) -> dict[tuple[str, str, str, str], str]:
    """Return what an alarm book would hold as active after these signals (worst severity)."""
    rank = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    keys: dict[tuple[str, str, str, str], str] = {}
    for s in signals:
        if s.action == "clear":
            keys.pop(s.key, None)
        elif s.key not in keys or rank[s.severity] < rank[keys[s.key]]:
            keys[s.key] = s.severity
    return keys


def test_unknown_rule_name_is_refused(registry):
    with pytest.raises(ValueError, match="unknown rules nope"):
        RuleEngine(registry, enabled={"limit", "nope"})


def test_only_enabled_rules_run(registry):
    engine = engine_for(registry, "limit")
    signals = feed(engine, T0, reading("NH3-S-01", 50, T0)) + engine.on_tick(T0 + 10 * MIN)
    assert {s.rule for s in signals} == {"limit"}
    assert {type(r).name for r in engine.site_rules(ENT, SITE)} == {"limit"}


def test_data_of_unregistered_sites_is_ignored(registry):
    engine = RuleEngine(registry)
    stranger = Reading("other-ent", "x", "NH3-S-01", T0, 1e6)
    assert engine.on_batch(batch([stranger]), T0) == []
    assert engine.site_rules("other-ent", "x") == ()


def test_state_is_per_site():
    data = registry_data()
    twin = registry_data()["enterprises"][0]
    twin["id"] = "twin-chem"
    data["enterprises"].append(twin)
    engine = RuleEngine(parse_registry(data), enabled={"limit"})
    other = Reading("twin-chem", SITE, "NH3-S-01", T0, 50)
    signals = engine.on_batch(batch([reading("NH3-S-01", 50, T0), other]), T0)
    assert sorted(s.enterprise for s in signals) == ["twin-chem", ENT]
    [cleared] = engine.on_batch(batch([Reading("twin-chem", SITE, "NH3-S-01", T0 + S, 1)]), T0)
    assert cleared.enterprise == "twin-chem"


# -- restart: alarms restored from the book ---------------------------------------------------


def test_restored_crowded_zone_is_not_raised_again(registry):
    first = RuleEngine(registry)
    raised = crowd(first, T0, T0 + 2 * MIN, 6)
    assert [s.source for s in only(raised, rule="special_operation")] == [ZONE_SOURCE]
    keys = open_keys(raised)

    # The ingest restarts: a new engine learns what the book holds.
    restarted = RuleEngine(registry)
    restarted.restore_active(keys, keys)
    later = crowd(restarted, T0 + 5 * MIN, T0 + 15 * MIN, 6)
    assert only(later, rule="special_operation") == []
    assert ZONE_SOURCE in {key[2] for key in keys}
    # Nothing the book holds is raised twice (silent sensors included).
    assert [s for s in later if s.key in keys] == []
    [cleared] = only(feed(restarted, T0 + 16 * MIN, people(0, T0 + 16 * MIN)), source=ZONE_SOURCE)
    assert cleared.action == "clear"


def test_without_restore_the_crowd_would_be_raised_again(registry):
    crowd(RuleEngine(registry), T0, T0 + 2 * MIN, 6)
    again = crowd(RuleEngine(registry), T0 + 5 * MIN, T0 + 15 * MIN, 6)
    assert len(only(again, source=ZONE_SOURCE)) == 1  # what restore_active prevents


def test_restored_zone_waits_for_the_cameras(registry):
    engine = engine_for(registry, "special_operation")
    engine.restore_active([(ENT, SITE, ZONE_SOURCE, "special_operation")], {})
    ticks = [s for t in range(T0, T0 + 10 * MIN, 10 * S) for s in engine.on_tick(t)]
    assert ticks == []  # no count yet: neither raise nor clear


def test_restored_limit_alarm_is_kept_quiet_then_cleared(registry):
    engine = engine_for(registry, "limit")
    key = (ENT, SITE, "sensor:NH3-S-01", "limit")
    engine.restore_active([key], {key: "orange"})
    assert feed(engine, T0, reading("NH3-S-01", 50, T0)) == []
    assert feed(engine, T0 + S, reading("NH3-S-01", 55, T0 + S)) == []
    [cleared] = feed(engine, T0 + 2 * S, reading("NH3-S-01", 41, T0 + 2 * S))
    assert cleared.action == "clear"


def test_restored_limit_alarm_clears_when_the_value_is_back(registry):
    engine = engine_for(registry, "limit")
    key = (ENT, SITE, "sensor:NH3-S-01", "limit")
    engine.restore_active([key], {key: "orange"})
    [cleared] = feed(engine, T0, reading("NH3-S-01", 10, T0))
    assert (cleared.action, cleared.source) == ("clear", "sensor:NH3-S-01")


def test_restored_alarm_that_got_worse_is_raised(registry):
    engine = engine_for(registry, "limit")
    key = (ENT, SITE, "sensor:NH3-S-01", "limit")
    engine.restore_active([key], {key: "orange"})
    [raised] = feed(engine, T0, reading("NH3-S-01", 90, T0))
    assert (raised.action, raised.severity) == ("raise", "red")


def test_restored_lost_comm_and_bad_data_clear_on_data_only(registry):
    engine = engine_for(registry, "lost_comm", "bad_data")
    keys = [
        (ENT, SITE, "sensor:NH3-S-01", "lost_comm"),
        (ENT, SITE, "sensor:NH3-S-02", "bad_data"),
    ]
    engine.restore_active(keys, dict.fromkeys(keys, "yellow"))
    signals = [s for t in range(T0, T0 + 59 * S, S) for s in engine.on_tick(t)]
    signals += feed(engine, T0 + MIN, reading("NH3-S-02", 0, T0 + MIN, "bad"))
    assert only(signals, source="sensor:NH3-S-01") == []
    assert only(signals, source="sensor:NH3-S-02") == []
    back = feed(engine, T0 + MIN, reading("NH3-S-01", 1, T0), reading("NH3-S-02", 1, T0 + MIN))
    assert sorted((s.rule, s.action) for s in back) == [
        ("bad_data", "clear"),
        ("lost_comm", "clear"),
    ]


def test_restored_gateway_alarm_clears_when_the_gateway_says_online(registry):
    engine = engine_for(registry, "lost_comm")
    engine.restore_active([(ENT, SITE, "gateway", "lost_comm")], {})
    assert feed(engine, T0, status("offline", T0)) == []
    [cleared] = feed(engine, T0 + MIN, status("online", T0 + MIN))
    assert (cleared.action, cleared.source) == ("clear", "gateway")


def test_restored_keys_without_source_are_cleared_at_the_next_tick(registry):
    engine = engine_for(registry, "limit", "people")
    gone = (ENT, SITE, "sensor:REMOVED-1", "limit")
    elsewhere = ("other-ent", "x", "sensor:A", "limit")
    not_run = (ENT, SITE, "sensor:NH3-S-01", "lost_comm")
    major_people = (ENT, SITE, ZONE_SOURCE, "people")  # major zones never run `people`
    engine.restore_active([gone, elsewhere, not_run, major_people], {gone: "red"})
    signals = engine.on_tick(T0)
    assert sorted((s.key, s.action) for s in signals) == [
        (gone, "clear"),
        (major_people, "clear"),
    ]
    assert only(signals, source="sensor:REMOVED-1")[0].message == "source no longer in the registry"
    assert engine.on_tick(T0 + S) == []


def test_restart_through_a_real_alarm_book(tmp_path, registry):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    try:
        book = AlarmBook(db)
        first = RuleEngine(registry, enabled={"special_operation", "limit"})
        book.apply(crowd(first, T0, T0 + 2 * MIN, 6), T0 + 2 * MIN)
        book.apply(feed(first, T0 + 3 * MIN, reading("NH3-S-01", 50, T0 + 3 * MIN)), T0 + 3 * MIN)
        held = book.open_keys()
        assert held[(ENT, SITE, "sensor:NH3-S-01", "limit")] == "red"  # exposed

        restarted = RuleEngine(registry, enabled={"special_operation", "limit"})
        restarted.restore_active(held.keys(), held)
        signals = crowd(restarted, T0 + 5 * MIN, T0 + 10 * MIN, 6)
        signals += feed(restarted, T0 + 10 * MIN, reading("NH3-S-01", 50, T0 + 10 * MIN))
        assert signals == []
        book.apply(feed(restarted, T0 + 11 * MIN, people(0, T0 + 11 * MIN)), T0 + 11 * MIN)
        alarms = {a.source: a for a in book.list(state="all")}
        assert alarms[ZONE_SOURCE].count == 1 and alarms[ZONE_SOURCE].state == "cleared_unack"
        # People left the gas alarm's zone: the rule says orange, the book keeps red.
        assert alarms["sensor:NH3-S-01"].severity == "red"
    finally:
        db.close()


# -- hot reload -------------------------------------------------------------------------------


def test_hot_reload_keeps_state_of_sources_that_remain(registry):
    engine = RuleEngine(registry, enabled={"limit", "lost_comm", "special_operation"})
    engine.on_tick(T0)
    signals = feed(
        engine,
        T0,
        reading("NH3-S-01", 50, T0),
        reading("LT-101", 86, T0),
        reading("NH3-S-02", 50, T0),  # on-delay of 10 s pending
        people(6, T0),  # special-operation dwell pending
    )
    assert {s.source for s in signals} == {"sensor:NH3-S-01", "sensor:LT-101"}

    data = registry_data()
    site = data["enterprises"][0]["sites"][0]
    site["sensors"] = [s for s in site["sensors"] if s["id"] != "NH3-S-01"]
    next(s for s in site["sensors"] if s["id"] == "LT-101")["high"] = 87.5
    site["sensors"].append({"id": "FT-401", "zone": TANKS, "kind": "flow", "stale_after_s": 30})
    engine.set_registry(parse_registry(data))
    assert engine.registry.sensor(ENT, SITE, "FT-401") is not None

    reloaded = engine.on_tick(T0 + 5 * S)
    assert [(s.source, s.rule, s.action) for s in reloaded] == [
        ("sensor:NH3-S-01", "limit", "clear")
    ]
    # Kept: the pending on-delay (raised at T0 + 10 s, not 10 s after the reload) ...
    [delayed] = feed(engine, T0 + 10 * S, reading("NH3-S-02", 50, T0 + 10 * S))
    assert delayed.source == "sensor:NH3-S-02" and delayed.action == "raise"
    # ... the active alarm, now judged against its new limit ...
    assert feed(engine, T0 + 11 * S, reading("LT-101", 88, T0 + 11 * S)) == []
    [cleared] = feed(engine, T0 + 12 * S, reading("LT-101", 87, T0 + 12 * S))  # < 87.5
    assert cleared.action == "clear"
    # The added sensor is silent from the reload on, not from the engine's start.
    assert only(engine.on_tick(T0 + 34 * S), source="sensor:FT-401") == []
    [silent] = only(engine.on_tick(T0 + 35 * S), source="sensor:FT-401")
    assert silent.action == "raise"
    # ... and the dwell of the crowd goes on.
    feed(engine, T0 + MIN, people(6, T0 + MIN))
    assert only(engine.on_tick(T0 + 2 * MIN - S), rule="special_operation") == []
    [crowd_alarm] = only(engine.on_tick(T0 + 2 * MIN), rule="special_operation")
    assert crowd_alarm.action == "raise"


def test_removed_site_has_its_alarms_cleared(registry):
    engine = engine_for(registry, "limit")
    feed(engine, T0, reading("NH3-S-01", 50, T0))
    data = registry_data()
    data["enterprises"][0]["sites"][0]["id"] = "renamed"
    engine.set_registry(parse_registry(data))
    [cleared] = engine.on_tick(T0 + S)
    assert (cleared.site, cleared.action, cleared.message) == (
        SITE,
        "clear",
        "site removed from registry",
    )


# -- speed --------------------------------------------------------------------------------------


def test_readings_are_cheap(registry):
    """The ingest runs the rules inline: 100,000 readings must take well under a second."""
    engine = RuleEngine(registry)
    sensors = ["NH3-S-01", "LT-101", "NH3-S-02", "TT-301", "PT-302", "UNREGISTERED"]
    values = [10.0, 50.0, 20.0, 60.0, 1.0, 5.0]
    readings = [reading(sensors[i % 6], values[i % 6], T0 + i // 6) for i in range(100_000)]
    batches = [batch(readings[i : i + 5000]) for i in range(0, len(readings), 5000)]
    started = time.perf_counter()
    for i, b in enumerate(batches):
        assert engine.on_batch(b, T0 + i * 100) == []
    elapsed = time.perf_counter() - started
    assert len(readings) / elapsed > READINGS_PER_SECOND_FLOOR, f"{elapsed:.3f} s"
