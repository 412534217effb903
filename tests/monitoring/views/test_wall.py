"""The wall's read model over a real alarm book, embedded store and registry."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
import yaml

from monitoring.alarms.book import AlarmBook
from monitoring.db.database import Database
from monitoring.db.errors import database_unavailable
from monitoring.records import Reading
from monitoring.registry.loader import parse_registry
from monitoring.signals import AlarmSignal
from monitoring.storage.embedded import EmbeddedStore
from monitoring.views.wall import WallView
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock
from tests.services import wait_for

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


def test_snapshot_carries_what_the_wall_needs_for_messages_links_and_the_chime(parts) -> None:
    alarms, store, registry = parts
    params = {"zone": "Z1", "zone_name": "Ammonia tanks", "people": 6}
    alarms.apply(
        [
            signal("sensor:NH3-1", "red", T0, message_key="limit.exposed", params={"x": 1}),
            signal(
                "zone:Z1",
                "orange",
                T0,
                rule="special_operation",
                zone="Z1",
                message_key="special_operation.no_permit",
                params=params,
            ),
            signal("sensor:TT-9", "yellow", T0, enterprise="e2", site="s9"),
        ],
        T0,
    )
    snap = WallView(alarms, store, lambda: registry, clock=Clock(T0)).snapshot()
    red = next(f for f in snap.feed if f.severity == "red")
    zone = next(f for f in snap.feed if f.rule == "special_operation")
    assert snap.red_ids == (red.id,)
    assert snap.tz == "Asia/Shanghai"
    assert (red.message_key, red.sensor) == ("limit.exposed", "NH3-1")
    assert (zone.message_key, zone.params, zone.sensor) == (
        "special_operation.no_permit",
        params,
        None,
    )
    assert zone.zone_name == "Ammonia tanks"
    assert {e.id: e.site for e in snap.enterprises} == {"e1": "s1", "e2": "s9"}


def test_a_calm_enterprise_links_to_its_first_site(parts) -> None:
    alarms, store, registry = parts
    snap = WallView(alarms, store, lambda: registry, clock=Clock(T0)).snapshot()
    assert {e.id: e.site for e in snap.enterprises} == {"e1": "s1", "e2": "s9"}
    assert snap.red_ids == ()


def test_online_sensors_are_recounted_in_the_background(parts) -> None:
    alarms, store, registry = parts
    gate = threading.Event()
    gate.set()

    class GatedStore:
        """The real store, whose latest readings wait while the gate is closed."""

        def latest_readings(self, enterprise: str, site: str) -> list:
            assert gate.wait(10)
            return store.latest_readings(enterprise, site)

    clock = Clock(T0)
    view = WallView(alarms, GatedStore(), lambda: registry, clock=clock)
    assert view.snapshot().sensors_online == 0  # the first count is made at once
    store.write([Reading("e1", "s1", "PT-1", T0 + 100, 1.0, zone="Z1", kind="pressure")], [])
    gate.clear()  # a slow store: the recount waits
    clock.ms += 1000  # past the cache and the recount period of a small registry
    assert view.snapshot().sensors_online == 0  # the answer does not wait for the count
    gate.set()

    def recounted() -> bool:
        clock.ms += 600
        return view.snapshot().sensors_online == 1

    wait_for(recounted, 10, what="the background recount")


# -- the database does not answer: the wall keeps its last alarms and says how old they are ----


class SwitchableBook:
    """The real alarm book, raising what SQLAlchemy raises for a stopped server when `down`."""

    def __init__(self, book: AlarmBook) -> None:
        self.book = book
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    def list(self, **kw) -> list:
        self._check()
        return self.book.list(**kw)

    def counts_by_severity(self, **kw) -> dict:
        self._check()
        return self.book.counts_by_severity(**kw)

    def open_counts(self, **kw) -> list:
        self._check()
        return self.book.open_counts(**kw)

    def open_ids(self, **kw) -> list:
        self._check()
        return self.book.open_ids(**kw)


def test_wall_keeps_its_last_alarms_while_the_database_is_down_and_recovers_alone(parts) -> None:
    alarms, store, registry = parts
    alarms.apply([signal("sensor:NH3-1", "red", T0)], T0)
    book = SwitchableBook(alarms)
    clock = Clock(T0 + 1000)
    health = {"status": "ok", "problems": [], "database": {"reachable": True}}
    view = WallView(
        book,
        store,
        lambda: registry,
        health=lambda: health,
        clock=clock,
        unavailable=database_unavailable,
    )
    first = view.snapshot()
    assert first.outage is None and [f.severity for f in first.feed] == ["red"]

    book.down = True
    health = {"status": "degraded", "problems": ["database unreachable"], "database": {}}
    clock.ms += 2000
    down = view.snapshot()  # answers, instead of raising into the page's callback
    assert down.outage is not None
    assert (down.outage.since_ms, down.outage.data_ms) == (T0 + 3000, T0 + 1000)
    assert "refused" in down.outage.reason
    assert down.now_ms == T0 + 3000 and down.feed == first.feed  # the last alarms read
    assert down.health["database"]["reachable"] is False and down.health["status"] != "ok"

    calls = book.calls
    clock.ms += 1000  # within RETRY_S: the database is not asked again
    assert view.snapshot().outage == down.outage and book.calls == calls

    book.down = False
    alarms.apply([signal("sensor:LT-1", "yellow", T0 + 4000)], T0 + 4000)

    def recovered() -> bool:
        clock.ms += 600
        return view.snapshot().outage is None

    wait_for(recovered, 10, what="the wall reading the database again")
    assert [f.severity for f in view.snapshot().feed] == ["red", "yellow"]


def test_a_wall_started_while_the_database_is_down_says_it_has_no_data(parts) -> None:
    alarms, store, registry = parts
    book = SwitchableBook(alarms)
    book.down = True
    view = WallView(
        book, store, lambda: registry, clock=Clock(T0), unavailable=database_unavailable
    )
    snap = view.snapshot()
    assert snap.outage is not None and snap.outage.data_ms is None
    assert snap.feed == () and snap.enterprises == () and snap.tz == "Asia/Shanghai"


def test_an_error_that_is_not_an_outage_still_fails_the_wall(parts) -> None:
    alarms, store, registry = parts

    class Broken(SwitchableBook):
        def list(self, **kw) -> list:
            raise ValueError("a bug")

    view = WallView(
        Broken(alarms), store, lambda: registry, clock=Clock(T0), unavailable=database_unavailable
    )
    with pytest.raises(ValueError, match="a bug"):
        view.snapshot()
