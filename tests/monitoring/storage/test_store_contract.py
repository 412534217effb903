"""Both RecordStore implementations give the same answers for the same writes.

Each test runs once against InfluxStore (a real influxd) and once against EmbeddedStore, and
asserts the same literal answers; the last test writes the same random data to both and
compares their answers to many queries side by side.
"""

from __future__ import annotations

import random

import pytest

from monitoring.records import PresenceCount, Reading
from monitoring.storage.base import LatestPresence, LatestReading, RecordStore, SeriesPoint
from monitoring.storage.embedded import EmbeddedStore
from monitoring.storage.influx import InfluxStore

T = 1764381600000  # 2025-11-29T02:00:00Z
E, S = "ty-fert", "main"


def reading(sensor: str, ts_ms: int, value: float, **kw) -> Reading:
    fields = dict(enterprise=E, site=S, zone="NH3-TANK-S", kind="gas_nh3")
    fields.update(kw)
    return Reading(sensor=sensor, ts_ms=ts_ms, value=value, **fields)


def presence(camera: str, ts_ms: int, people: int, **kw) -> PresenceCount:
    fields = dict(enterprise=E, site=S, zone="NH3-TANK-S")
    fields.update(kw)
    return PresenceCount(camera=camera, ts_ms=ts_ms, people=people, **fields)


def open_store(kind: str, request: pytest.FixtureRequest, tmp_path) -> RecordStore:
    """Start a fresh store of one kind; InfluxDB is only started when a test needs it."""
    if kind == "influx":
        server = request.getfixturevalue("influxdb")
        store: RecordStore = InfluxStore(server.url, request.getfixturevalue("influx_db_name"))
    else:
        store = EmbeddedStore(tmp_path / f"store-{kind}.sqlite3")
    store.start()
    request.addfinalizer(store.close)
    return store


@pytest.fixture(params=["influx", "embedded"])
def store(request, tmp_path) -> RecordStore:
    return open_store(request.param, request, tmp_path)


def test_latest_readings(store):
    store.write(
        [
            reading("A", T, 1.0, quality="bad"),
            reading("A", T + 1000, 2.0),
            reading("B", T, 3.0),
            reading("B", T + 2000, 4.5, quality="uncertain"),
            reading("C", T + 500, 5.0, zone="OLD-ZONE"),
            reading("C", T + 600, 6.0, zone="NEW-ZONE", kind="level"),
            reading("ESD-1", T, True, kind="sis"),
            reading("D", T, 7.0, site="other"),
            reading("A", T + 9000, 8.0, enterprise="acme"),
        ],
        [],
    )
    assert store.latest_readings(E, S) == [
        LatestReading("A", "NH3-TANK-S", "gas_nh3", T + 1000, 2.0, "good"),
        LatestReading("B", "NH3-TANK-S", "gas_nh3", T + 2000, 4.5, "uncertain"),
        LatestReading("C", "NEW-ZONE", "level", T + 600, 6.0, "good"),
        LatestReading("ESD-1", "NH3-TANK-S", "sis", T, 1.0, "good"),
    ]
    assert store.latest_readings(E, "nowhere") == []


def test_latest_presence_sums_each_cameras_newest_count(store):
    store.write(
        [],
        [
            presence("CAM-1", T, 5),
            presence("CAM-1", T + 1000, 3, confidence=0.8),
            presence("CAM-2", T + 500, 2),
            presence("CAM-3", T + 200, 9, zone="GATE"),
            presence("CAM-9", T, 1, site="other"),
        ],
    )
    assert store.latest_presence(E, S) == [
        LatestPresence("GATE", T + 200, 9),
        LatestPresence("NH3-TANK-S", T + 1000, 5),
    ]
    assert store.latest_presence("acme", S) == []


def test_redelivered_points_are_stored_once(store):
    batch = [reading(f"S-{i % 4}", T + i, float(i)) for i in range(40)]
    counts = [presence("CAM-1", T + i, i) for i in range(5)]
    store.write(batch, counts)
    store.write(batch, counts)
    store.write(batch[5:9], counts[:2])
    assert store.count_readings() == 40
    assert store.count_readings(E, S) == 40
    assert store.presence_series(E, S, "NH3-TANK-S", T, T + 5) == [
        SeriesPoint(T + i, float(i)) for i in range(5)
    ]


def test_count_readings_by_enterprise_and_site(store):
    store.write(
        [reading("A", T + i, 1.0) for i in range(3)]
        + [reading("A", T, 1.0, site="other"), reading("A", T, 1.0, enterprise="acme", site="x")],
        [presence("CAM-1", T, 1)],
    )
    assert store.count_readings() == 5
    assert store.count_readings(E) == 4
    assert store.count_readings(E, S) == 3
    assert store.count_readings(site="other") == 1
    assert store.count_readings("nobody") == 0


def test_reading_series_raw_when_it_fits_averaged_into_buckets_otherwise(store):
    store.write([reading("LT-101", T + i * 1000, float(i)) for i in range(1000)], [])
    assert store.reading_series(E, S, "LT-101", T + 2000, T + 5000) == [
        SeriesPoint(T + 2000, 2.0),
        SeriesPoint(T + 3000, 3.0),
        SeriesPoint(T + 4000, 4.0),
    ]
    # 993 s in 10 buckets of 99,300 ms starting at the range's start, each averaged.
    start, end = T + 7000, T + 1_000_000
    series = store.reading_series(E, S, "LT-101", start, end, max_points=10)
    assert [p.ts_ms for p in series] == [start + k * 99_300 for k in range(10)]
    first = [float(i) for i in range(7, 1000) if T + i * 1000 < start + 99_300]
    assert series[0].value == pytest.approx(sum(first) / len(first))
    assert store.reading_series(E, S, "LT-101", end, end) == []
    assert store.reading_series(E, S, "nothing", start, end) == []
    with pytest.raises(ValueError):
        store.reading_series(E, S, "LT-101", start, end, max_points=0)


def test_presence_series_max_per_bucket_summed_over_cameras(store):
    store.write(
        [],
        [presence("CAM-1", T + i * 1000, n) for i, n in enumerate([1, 4, 2, 0, 3, 1])]
        + [presence("CAM-2", T + 1500, 10), presence("CAM-3", T, 50, zone="GATE")],
    )
    assert store.presence_series(E, S, "NH3-TANK-S", T, T + 6000, max_points=2) == [
        SeriesPoint(T, 14.0),
        SeriesPoint(T + 3000, 3.0),
    ]
    assert store.presence_series(E, S, "GATE", T, T + 6000) == [SeriesPoint(T, 50.0)]


def test_ids_with_comma_space_and_equals_read_back_equal(store):
    sensor, zone = "a,b c=d", "tank farm=south"
    store.write([reading(sensor, T, 3.0, zone=zone)], [presence("CAM 1", T, 4, zone=zone)])
    assert store.latest_readings(E, S) == [LatestReading(sensor, zone, "gas_nh3", T, 3.0, "good")]
    assert store.latest_presence(E, S) == [LatestPresence(zone, T, 4)]
    assert store.reading_series(E, S, sensor, T, T + 1) == [SeriesPoint(T, 3.0)]


def test_random_writes_give_the_same_answers_in_both_stores(request, tmp_path):
    influx, embedded = (
        open_store("influx", request, tmp_path),
        open_store("embedded", request, tmp_path),
    )
    rng = random.Random(20261129)
    sensors = [f"S-{i}" for i in range(6)]
    # Distinct times: two different points with one identity are a different matter (InfluxDB
    # merges their fields, SQLite replaces the row), which redelivery never produces.
    readings = [
        reading(
            rng.choice(sensors),
            T + ts,
            rng.uniform(-50, 150),
            quality=rng.choice(["good", "good", "good", "bad", "uncertain"]),
            site=rng.choice([S, "north"]),
        )
        for ts in rng.sample(range(3_600_000), 5000)
    ]
    counts = [
        presence(
            rng.choice(["CAM-1", "CAM-2", "CAM-3"]),
            T + ts,
            rng.randrange(0, 12),
            zone=rng.choice(["Z1", "Z2"]),
        )
        for ts in rng.sample(range(3_600_000), 2000)
    ]
    for store in (influx, embedded):
        store.write(readings[:2500], counts[:1000])
        store.write(readings[2000:], counts[800:])  # overlapping redelivery
    assert influx.count_readings() == embedded.count_readings() == 5000
    assert influx.count_readings(E, "north") == embedded.count_readings(E, "north")
    for site in (S, "north"):
        latest = influx.latest_readings(E, site)
        assert len(latest) == len(sensors)
        assert latest == embedded.latest_readings(E, site)
    assert len(influx.latest_presence(E, S)) == 2
    assert influx.latest_presence(E, S) == embedded.latest_presence(E, S)
    compared = 0
    for _ in range(40):
        start = T + rng.randrange(-60_000, 3_600_000)
        end = start + rng.randrange(1, 4_000_000)
        max_points = rng.choice([1, 3, 50, 2000])
        sensor, zone = rng.choice(sensors), rng.choice(["Z1", "Z2"])
        a = influx.reading_series(E, S, sensor, start, end, max_points)
        b = embedded.reading_series(E, S, sensor, start, end, max_points)
        assert [p.ts_ms for p in a] == [p.ts_ms for p in b]
        assert [p.value for p in a] == pytest.approx([p.value for p in b], rel=1e-9)
        compared += len(a)
        assert influx.presence_series(E, S, zone, start, end, max_points) == (
            embedded.presence_series(E, S, zone, start, end, max_points)
        )
    assert compared > 1000  # the windows did hit data, not only empty ranges
