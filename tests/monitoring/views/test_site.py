"""The Site page's read model: zones and sensors now, trend windows, series and permit spans."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitoring.alarms.book import AlarmBook
from monitoring.books.gateways import GatewayBook
from monitoring.books.permits import PermitBook
from monitoring.db.database import Database
from monitoring.records import GatewayStatus, Permit, PresenceCount, Reading
from monitoring.registry.loader import parse_registry
from monitoring.signals import AlarmSignal
from monitoring.storage.embedded import EmbeddedStore
from monitoring.views import site as sv
from tests.e2e_support import REGISTRY_YAML
from tests.factories import Clock

TZ = "Asia/Shanghai"
NOW = int(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
REGISTRY = parse_registry(yaml.safe_load(REGISTRY_YAML.replace("{restrictions}", "[]")))
SITE = REGISTRY.site("e1", "s1")
LIMITS0 = {"low_low": None, "low": None, "high": None, "high_high": None}


@pytest.fixture
def view(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    store = EmbeddedStore(tmp_path / "readings.sqlite")
    store.start()
    yield sv.SiteView(
        store=store,
        alarms=AlarmBook(db),
        permits=PermitBook(db),
        gateways=GatewayBook(db),
        registry=lambda: REGISTRY,
        clock=Clock(NOW),
    )
    store.close()
    db.close()


def reading(sensor: str, ts_ms: int, value: float, **kw) -> Reading:
    zone, kind = REGISTRY.locate_sensor("e1", "s1", sensor)
    return Reading("e1", "s1", sensor, ts_ms, value, zone=zone, kind=kind, **kw)


def permit(number: str, start_ms: int, end_ms: int, status: str = "approved", **kw) -> Permit:
    return Permit(
        enterprise="e1",
        site="s1",
        permit=number,
        type=kw.pop("type", "hot_work"),
        zone=kw.pop("zone", "Z1"),
        start_ms=start_ms,
        end_ms=end_ms,
        status=status,
        reported_ms=start_ms,
        **kw,
    )


def raise_alarm(view, source: str, rule: str, severity: str, **kw) -> None:
    signal = AlarmSignal("raise", "e1", "s1", source, rule, NOW - 5000, severity=severity, **kw)
    view.alarms.apply([signal], NOW - 5000)


def test_snapshot_shows_every_zone_and_sensor_with_value_limits_quality_age_and_alarms(view):
    view.store.write(
        [
            reading("NH3-1", NOW - 2000, 50.0),  # over high (42): orange alarm below
            reading("LT-1", NOW - 10_000, 95.0, quality="uncertain"),  # over high_high (90)
            reading("PT-1", NOW - 4000, 1.0),  # stale_after_s 3: stale after 4 s
            reading("XX-9", NOW - 1000, 7.0),  # not in the registry
        ],
        [PresenceCount("e1", "s1", "CAM-1", "Z1", NOW - 1000, 3)],
    )
    view.gateways.update_many([GatewayStatus("e1", "s1", "offline", NOW - 1000)])
    raise_alarm(view, "sensor:NH3-1", "limit", "orange", zone="Z1")
    raise_alarm(view, "zone:Z1", "special_operation", "orange", zone="Z1")
    raise_alarm(view, "gateway", "lost_comm", "orange")
    snap = view.snapshot("e1", "s1")
    assert (snap.enterprise_name, snap.enterprise_name_zh, snap.site_name) == (
        "Test Fertilizer",
        "测试化肥",
        "Main plant",
    )
    assert snap.gateway_state == "offline" and snap.gateway_alarm.severity == "orange"
    assert snap.open_by_severity == {"red": 0, "orange": 3, "yellow": 0, "blue": 0}
    (zone,) = snap.zones
    assert (zone.name, zone.major, zone.max_people, zone.people, zone.over_max) == (
        "Ammonia tanks",
        True,
        2,
        3,
        True,
    )
    assert zone.alarm.rule == "special_operation" and zone.alarm.unacknowledged
    rows = {s.id: s for s in zone.sensors}
    assert list(rows) == ["NH3-1", "LT-1", "PT-1"]  # registry order
    nh3 = rows["NH3-1"]
    assert (nh3.value, nh3.unit, nh3.limits, nh3.limit_state) == (
        50.0,
        "ppm",
        {"high": 42.0, "high_high": 85.0},
        "high",
    )
    assert (nh3.age_ms, nh3.stale, nh3.quality) == (2000, False, "good")
    assert nh3.alarm == sv.AlarmMark("orange", "limit", True, True, 1)
    level = rows["LT-1"]
    assert level.limits == {"low": 10.0, "high": 85.0, "high_high": 90.0}
    assert (level.limit_state, level.quality, level.stale) == ("high_high", "uncertain", False)
    assert rows["PT-1"].stale and rows["PT-1"].stale_after_s == 3.0
    assert [(s.id, s.registered, s.zone) for s in snap.unregistered] == [("XX-9", False, "unknown")]
    assert view.snapshot("e1", "nowhere") is None
    assert view.snapshot("", "") is None


def test_a_sensor_without_data_is_shown_as_missing_and_stale(view):
    snap = view.snapshot("e1", "s1")
    row = snap.zones[0].sensors[0]
    assert (row.value, row.age_ms, row.stale) == (None, None, True)
    assert snap.zones[0].people is None and snap.zones[0].has_cameras
    assert snap.gateway_state is None


def test_values_older_than_the_expected_interval_or_a_minute_are_stale():
    sensor = SimpleNamespace(zone="Z", kind="level", unit="%", stale_after_s=120.0, **LIMITS0)
    latest = SimpleNamespace(ts_ms=NOW - 61_000, value=1.0, quality="good", zone="Z", kind="k")
    assert sv.sensor_row("A", sensor, latest, NOW, {}).stale  # 61 s > 60 s cap
    fresh = SimpleNamespace(**{**vars(latest), "ts_ms": NOW - 59_000})
    assert not sv.sensor_row("A", sensor, fresh, NOW, {}).stale
    quick = SimpleNamespace(**{**vars(sensor), "stale_after_s": 5.0})
    six_seconds = SimpleNamespace(**{**vars(latest), "ts_ms": NOW - 6000})
    assert sv.sensor_row("A", quick, six_seconds, NOW, {}).stale


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5.0, "low_low"),
        (10.0, "low"),
        (50.0, None),
        (85.0, "high"),
        (95.0, "high_high"),
        (None, None),
    ],
)
def test_limit_state_names_the_most_severe_limit_reached(value, expected):
    limits = {"low_low": 5.0, "low": 10.0, "high": 85.0, "high_high": 90.0}
    assert sv.limit_state(value, limits) == expected


def test_cleared_and_shelved_alarms_mark_less_than_active_ones():
    def alarm(i, source, severity, state="active_unack", cleared=None):
        return SimpleNamespace(
            id=i, source=source, rule="limit", severity=severity, state=state, cleared_ms=cleared
        )

    marks = sv.alarm_marks(
        [
            alarm(1, "sensor:A", "red", "cleared_unack", cleared=NOW),
            alarm(2, "sensor:A", "yellow", "active_ack"),
            alarm(3, "sensor:B", "red", "shelved"),
        ]
    )
    assert marks["sensor:A"] == sv.AlarmMark("yellow", "limit", True, True, 2)
    assert "sensor:B" not in marks


@pytest.mark.parametrize("key", list(sv.WINDOWS))
def test_trend_windows_cover_the_window_in_at_most_max_points_aligned_buckets(key):
    for now in (NOW, NOW + 1, NOW + 999, NOW + 123_456_789):
        w = sv.trend_window(key, now)
        assert w.key == key and w.buckets <= sv.MAX_POINTS
        assert w.start_ms % w.bucket_ms == 0 and w.end_ms % w.bucket_ms == 0
        # [start, end) holds now and the whole window but for less than one bucket.
        assert now < w.end_ms <= now + w.bucket_ms
        assert 0 <= w.end_ms - w.start_ms - sv.WINDOWS[key] < w.bucket_ms
        assert w.bucket_ms % 1000 == 0
    assert sv.trend_window("nonsense", NOW).key == sv.DEFAULT_WINDOW


def test_a_live_refresh_redraws_on_a_new_view_a_new_bucket_or_after_a_minute():
    w = sv.trend_window("7d", NOW)
    stamp = {"revision": "r", "end_ms": w.end_ms, "at_ms": NOW}
    assert not sv.needs_refresh(stamp, "r", w, NOW + 5000)
    assert sv.needs_refresh(stamp, "other", w, NOW + 5000)
    assert sv.needs_refresh(stamp, "r", sv.trend_window("7d", w.end_ms), w.end_ms)
    assert sv.needs_refresh(stamp, "r", w, NOW + sv.FULL_REFRESH_MS)
    assert sv.needs_refresh(None, "r", w, NOW)
    short = sv.trend_window("15m", NOW)  # 1 s buckets: every 5 s tick draws
    assert sv.needs_refresh(
        {"revision": "r", "end_ms": short.end_ms, "at_ms": NOW},
        "r",
        sv.trend_window("15m", NOW + 5000),
        NOW + 5000,
    )


def test_trend_reads_each_sensor_downsampled_by_the_store_with_its_limits(view):
    view.store.write(
        [reading("LT-1", NOW - 7 * 86_400_000 + i * 60_000, 50.0 + i % 3) for i in range(10_080)]
        + [reading("NH3-1", NOW - 30_000, 12.0)],
        [],
    )
    window = sv.trend_window("7d", NOW)
    trend = view.trend("e1", "s1", ["LT-1", "NH3-1", "XX-9"], window)
    lt, nh3, unknown = trend.series
    assert 1000 < len(lt.points) <= window.buckets <= sv.MAX_POINTS
    assert all(window.start_ms <= ts < window.end_ms for ts, _ in lt.points)
    assert lt.limits == {"low": 10.0, "high": 85.0, "high_high": 90.0} and lt.unit == "%"
    assert nh3.points == (((NOW - 30_000) // window.bucket_ms * window.bucket_ms, 12.0),)
    assert (unknown.points, unknown.limits, unknown.kind) == ((), {}, "unknown")
    assert trend.tz == TZ


def test_presence_reads_people_with_max_people_and_the_permits_that_overlap_the_window(view):
    view.store.write(
        [],
        [PresenceCount("e1", "s1", "CAM-1", "Z1", NOW - 600_000 + i * 1000, 3) for i in range(60)],
    )
    hour = 3_600_000
    view.permits.upsert_many(
        [
            permit("P-OLD", NOW - 10 * hour, NOW - 2 * hour),  # before the window
            permit("P-OPEN", NOW - 2 * hour, NOW + 2 * hour, workers=4, supervisor="Wang"),
            permit("P-CANC", NOW - 20 * 60_000, NOW - 10 * 60_000, "cancelled", type="lifting"),
            permit("P-OTHER", NOW - hour, NOW + hour, zone="Z2"),
        ]
    )
    window = sv.trend_window("1h", NOW)
    presence = view.presence("e1", "s1", "Z1", window)
    assert (presence.zone_name, presence.zone_name_zh, presence.max_people) == (
        "Ammonia tanks",
        None,
        2,
    )
    assert presence.points and {v for _, v in presence.points} == {3.0}
    assert len(presence.points) <= window.buckets
    assert [(p.permit, p.status) for p in presence.permits] == [
        ("P-OPEN", "approved"),
        ("P-CANC", "cancelled"),
    ]
    open_span = presence.permits[0]
    assert (open_span.clipped_start_ms, open_span.clipped_end_ms) == (
        window.start_ms,
        window.end_ms,
    )
    assert (open_span.start_ms, open_span.workers, open_span.supervisor) == (
        NOW - 2 * hour,
        4,
        "Wang",
    )


def test_sensors_and_zone_are_picked_from_the_query_or_defaulted():
    assert sv.pick_sensors(SITE, ["PT-1", "nope", "PT-1", "LT-1"]) == ["PT-1", "LT-1"]
    assert sv.pick_sensors(SITE, [""]) == ["NH3-1"]
    assert sv.pick_sensors(SITE, None) == ["NH3-1"]
    assert sv.pick_sensors(None, ["NH3-1"]) == []
    assert sv.pick_zone(SITE, "Z1", []) == "Z1"
    assert sv.pick_zone(SITE, "nope", ["LT-1"]) == "Z1"
    assert sv.pick_zone(SITE, None, []) == "Z1"


def test_choices_list_enterprises_and_sites_with_chinese_names():
    (ent,) = sv.site_choices(REGISTRY)
    assert (ent.id, ent.name, ent.name_zh) == ("e1", "Test Fertilizer", "测试化肥")
    assert [(s.id, s.name) for s in ent.sites] == [("s1", "Main plant")]
    assert sv.site_choices(None) == []


def test_abnormal_sensors_are_ranked_and_the_worst_ones_open_the_trend(view):
    view.store.write(
        [
            reading("NH3-1", NOW - 1000, 12.0),  # normal
            reading("LT-1", NOW - 1000, 95.0),  # beyond high_high, alarm below
            reading("PT-1", NOW - 1000, 1.0, quality="bad"),  # bad quality
        ],
        [],
    )
    raise_alarm(view, "sensor:LT-1", "limit", "red")
    snap = view.snapshot("e1", "s1")
    rows = {s.id: s for z in snap.zones for s in z.sensors}
    assert not rows["NH3-1"].abnormal and rows["NH3-1"].rank == 10
    assert rows["LT-1"].abnormal and rows["LT-1"].rank == 0  # active red alarm
    assert rows["PT-1"].abnormal and rows["PT-1"].rank == 9
    # The worst first, then the next worst sharing its unit (one panel): PT-1 is in MPa.
    assert sv.default_sensors(snap) == ["LT-1"]
    assert sv.default_sensors(None) == []
    z = snap.zones[0]
    rows = {s.id: s for s in z.sensors}
    same_unit = replace(rows["PT-1"], unit="%")
    snap2 = replace(snap, zones=(replace(z, sensors=(rows["NH3-1"], rows["LT-1"], same_unit)),))
    assert sv.default_sensors(snap2) == ["LT-1", "PT-1"]
    assert sv.default_sensors(snap2, 1) == ["LT-1"]
    calm = replace(snap, zones=(replace(z, sensors=(rows["NH3-1"],)),))
    assert sv.default_sensors(calm) == []
    beyond = sv.SensorRow("X", "Z1", "level", "%", {}, True, stale=False, limit_state="high")
    assert beyond.abnormal and beyond.rank == 8
    cleared = sv.SensorRow(
        "X",
        "Z1",
        "level",
        "%",
        {},
        True,
        stale=False,
        alarm=sv.AlarmMark("red", "limit", False, True, 1),
    )
    assert cleared.rank == 4
    assert sv.pick_sensors(SITE, [], ["nope", "PT-1"]) == ["PT-1"]


def test_a_live_tail_reads_only_from_the_bucket_of_the_newest_point_the_browser_has(view):
    window = sv.trend_window("1h", NOW)
    bucket = window.bucket_ms
    view.store.write(
        [reading("NH3-1", window.start_ms + i * bucket, float(i)) for i in range(window.buckets)],
        [],
    )
    full = view.trend("e1", "s1", ["NH3-1"], window)
    assert len(full.series[0].points) == window.buckets
    newest = window.end_ms - 3 * bucket
    tail = view.trend("e1", "s1", ["NH3-1", "LT-1"], window, since={"NH3-1": newest + 1})
    assert [ts for ts, _ in tail.series[0].points] == [newest, newest + bucket, newest + 2 * bucket]
    assert tail.series[1].points == ()  # no point in the browser, none stored: the whole window
    assert sv.tail_start(window, None, True) == window.start_ms
    assert sv.tail_start(window, window.start_ms - 10 * bucket, True) == window.start_ms
    assert sv.tail_start(window, window.end_ms + bucket, True) == window.end_ms - bucket
    assert sv.tail_start(window, newest, False) == window.start_ms
    view.store.write([], [PresenceCount("e1", "s1", "CAM-1", "Z1", window.end_ms - bucket, 3)])
    people = view.presence("e1", "s1", "Z1", window, since=window.end_ms - 2 * bucket, tail=True)
    assert [ts for ts, _ in people.points] == [window.end_ms - bucket]
