"""The wall's read model over a real alarm book, embedded store and registry."""

from __future__ import annotations

import pytest
import yaml

from monitoring.alarm_model import AlarmSignal
from monitoring.alarms import AlarmBook
from monitoring.database import Database
from monitoring.records import Reading
from monitoring.registry import parse_registry
from monitoring.storage.embedded import EmbeddedStore
from monitoring.wall_view import WallView
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock

T0 = 1_790_000_000_000

TWO_ENTERPRISES = (
    REGISTRY_YAML.replace("{restrictions}", "[]")
    + """\
  - id: e2
    name: Second Chemicals
    sites:
      - id: s9
        name: Riverside works
        sensors:
          - {id: TT-9, zone: Z9, kind: temperature, unit: C, high: 80}
        zones:
          - {id: Z9, name: Reactors}
"""
)


@pytest.fixture
def parts(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    store.start()
    yield AlarmBook(db), store, parse_registry(yaml.safe_load(TWO_ENTERPRISES))
    store.close()
    db.close()


def signal(source: str, severity: str, ts_ms: int, rule: str = "limit", **kw) -> AlarmSignal:
    return AlarmSignal(
        "raise",
        kw.pop("enterprise", "e1"),
        kw.pop("site", "s1"),
        source,
        rule,
        ts_ms,
        severity=severity,
        message="test",
        **kw,
    )


def test_snapshot_counts_colours_and_orders_the_feed(parts) -> None:
    alarms, store, registry = parts
    alarms.apply([signal("sensor:LT-1", "yellow", T0)], T0)
    alarms.apply([signal("sensor:NH3-1", "red", T0 + 1000)], T0 + 1000)
    alarms.apply(
        [signal("zone:Z1", "orange", T0 + 2000, rule="special_operation", zone="Z1")], T0 + 2000
    )
    yellow = alarms.list()[-1]
    alarms.acknowledge(yellow.id, "inspector", "seen", None, now_ms=T0 + 3000)
    store.write(
        [
            Reading("e1", "s1", "NH3-1", T0 + 4000, 3.0, zone="Z1", kind="gas_nh3"),
            Reading("e1", "s1", "LT-1", T0 - 600_000, 40.0, zone="Z1", kind="level"),
        ],
        [],
    )
    clock = Clock(T0 + 5000)
    view = WallView(alarms, store, lambda: registry, health=lambda: {"status": "ok"}, clock=clock)

    snap = view.snapshot()

    assert snap.open_by_severity == {"red": 1, "orange": 1, "yellow": 1, "blue": 0}
    assert snap.unacknowledged == 2
    assert snap.special_operations == 1
    assert (snap.sensors_total, snap.sensors_online) == (4, 1)  # LT-1 stale, PT-1 and TT-9 silent
    assert snap.newest_reading_ms == T0 + 4000
    assert [(e.id, e.worst, e.open_alarms) for e in snap.enterprises] == [
        ("e1", "red", 3),
        ("e2", None, 0),
    ]
    assert [f.severity for f in snap.feed] == ["red", "orange", "yellow"]
    assert [f.unacknowledged for f in snap.feed] == [True, True, False]
    assert snap.feed[0].enterprise_name_zh == "测试化肥"
    assert snap.feed[0].site_name == "Main plant"


def test_snapshot_is_cached_briefly(parts) -> None:
    alarms, store, registry = parts
    clock = Clock(T0)
    view = WallView(alarms, store, lambda: registry, clock=clock)
    first = view.snapshot()
    alarms.apply([signal("sensor:NH3-1", "red", T0)], T0)
    clock.ms += 400
    assert view.snapshot() is first
    clock.ms += 100
    assert view.snapshot().open_by_severity["red"] == 1


def test_feed_never_carries_contact_phones(parts) -> None:
    alarms, store, registry = parts
    alarms.apply([signal("sensor:NH3-1", "red", T0)], T0)
    snap = WallView(alarms, store, lambda: registry, clock=Clock(T0)).snapshot()
    assert "139" not in repr(snap)
