"""The embedded SQLite store: InfluxDB's identity and answers, durability, threads."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from monitoring.records import PresenceCount, Reading
from monitoring.storage import embedded
from monitoring.storage.base import (
    LatestPresence,
    LatestReading,
    SeriesPoint,
    StoreRejected,
    StoreUnavailable,
)
from monitoring.storage.embedded import EmbeddedStore, bucket_width_ms

T0 = 1_764_381_600_000
DAY_MS = 86_400_000
LONG_WRITE_ROWS = 150_000  # one transaction that takes a few seconds
READ_PAUSE_S = 0.01


def reading(sensor: str = "NH3-S-01", ts: int = T0, value: float = 1.0, **kw) -> Reading:
    kw.setdefault("zone", "NH3-TANK-S")
    kw.setdefault("kind", "gas_nh3")
    return Reading(kw.pop("enterprise", "ty-fert"), kw.pop("site", "main"), sensor, ts, value, **kw)


def presence(camera: str = "CAM-07", ts: int = T0, people: int = 1, **kw) -> PresenceCount:
    return PresenceCount(
        kw.pop("enterprise", "ty-fert"),
        kw.pop("site", "main"),
        camera,
        kw.pop("zone", "NH3-TANK-S"),
        ts,
        people,
        **kw,
    )


@pytest.fixture
def store(data_dir: Path):
    s = EmbeddedStore(data_dir / "points.db")
    s.start()
    yield s
    s.close()


def test_roundtrip_latest_and_count(store):
    store.write(
        [
            reading("NH3-S-01", T0, 12.5),
            reading("NH3-S-01", T0 + 1000, 13.0),
            reading("LT-101", T0, 63.2, kind="level"),
            reading("X-1", T0, 5.0, site="other"),
        ],
        [presence("CAM-07", T0, 3)],
    )
    assert store.latest_readings("ty-fert", "main") == [
        LatestReading("LT-101", "NH3-TANK-S", "level", T0, 63.2, "good"),
        LatestReading("NH3-S-01", "NH3-TANK-S", "gas_nh3", T0 + 1000, 13.0, "good"),
    ]
    assert store.latest_presence("ty-fert", "main") == [LatestPresence("NH3-TANK-S", T0, 3)]
    assert store.count_readings() == 4
    assert store.count_readings("ty-fert") == 4
    assert store.count_readings("ty-fert", "main") == 3
    assert store.count_readings(site="other") == 1
    assert store.count_readings("nobody") == 0
    assert store.latest_readings("ty-fert", "nowhere") == []
    assert store.ping()


def test_rewriting_a_point_replaces_it_and_is_never_counted_twice(store):
    batch = [reading("NH3-S-01", T0 + i, float(i)) for i in range(100)]
    store.write(batch, [presence("CAM-07", T0, 4)])
    store.write(batch, [presence("CAM-07", T0, 4)])  # a redelivered message
    assert store.count_readings() == 100
    store.write([reading("NH3-S-01", T0 + 99, 42.0, quality="bad")], [presence("CAM-07", T0, 6)])
    assert store.count_readings() == 100
    assert store.latest_readings("ty-fert", "main") == [
        LatestReading("NH3-S-01", "NH3-TANK-S", "gas_nh3", T0 + 99, 42.0, "bad")
    ]
    assert store.latest_presence("ty-fert", "main") == [LatestPresence("NH3-TANK-S", T0, 6)]
    # Other tags at the same time make another point, as in InfluxDB.
    store.write([reading("NH3-S-01", T0 + 99, 1.0, zone="NH3-TANK-N")], [])
    assert store.count_readings() == 101


def test_latest_carries_quality_of_the_newest_point(store):
    store.write(
        [
            reading("LT-101", T0, 60.0),
            reading("LT-101", T0 + 2000, 99.0, quality="uncertain"),
            reading("PT-1", T0 + 5000, 0.0, quality="bad"),
            reading("PT-1", T0, 1.5),
        ],
        [],
    )
    latest = {r.sensor: r for r in store.latest_readings("ty-fert", "main")}
    assert (latest["LT-101"].value, latest["LT-101"].quality) == (99.0, "uncertain")
    assert (latest["PT-1"].ts_ms, latest["PT-1"].quality) == (T0 + 5000, "bad")


def test_sensor_moved_to_another_zone_reports_its_newest_point(store):
    store.write(
        [
            reading("G-1", T0 + 10, 2.0, zone="B"),
            reading("G-1", T0, 1.0, zone="A"),
            reading("G-1", T0 + 10, 3.0, zone="A"),
        ],
        [],
    )
    # Same time in two zones: the greatest (zone, kind) wins, as in the InfluxDB store.
    assert store.latest_readings("ty-fert", "main") == [
        LatestReading("G-1", "B", "gas_nh3", T0 + 10, 2.0, "good")
    ]


def test_reading_series_downsamples_into_averages(store):
    # 10,000 points, one per second; ask for 7 buckets over a span that 7 does not divide.
    store.write([reading("NH3-S-01", T0 + i * 1000, float(i % 97)) for i in range(10_000)], [])
    start, end, max_points = T0 + 500, T0 + 9_000_500, 7
    series = store.reading_series("ty-fert", "main", "NH3-S-01", start, end, max_points)
    width = bucket_width_ms(start, end, max_points)
    assert width == -(-9_000_000 // 7)
    expected: dict[int, list[float]] = {}
    for i in range(10_000):
        ts = T0 + i * 1000
        if start <= ts < end:
            expected.setdefault(start + (ts - start) // width * width, []).append(float(i % 97))
    assert len(series) <= max_points
    assert [p.ts_ms for p in series] == sorted(expected)
    for p in series:
        assert p.value == pytest.approx(sum(expected[p.ts_ms]) / len(expected[p.ts_ms]))


def test_reading_series_keeps_raw_points_when_they_fit_and_respects_the_window(store):
    store.write([reading("LT-101", T0 + i * 10, float(i)) for i in range(10)], [])
    series = store.reading_series("ty-fert", "main", "LT-101", T0 + 10, T0 + 90, 2000)
    assert series == [SeriesPoint(T0 + i * 10, float(i)) for i in range(1, 9)]  # end excluded
    assert store.reading_series("ty-fert", "main", "LT-101", T0 + 90, T0 + 90) == []
    assert store.reading_series("ty-fert", "main", "nothing", T0, T0 + 100) == []
    with pytest.raises(ValueError):
        store.reading_series("ty-fert", "main", "LT-101", T0, T0 + 100, 0)


def test_series_bounds_hold_when_the_caller_passes_floats(store):
    # SQLite divides floats exactly: a float start once made every point its own bucket.
    store.write([reading("LT-101", T0 + i * 1000, float(i)) for i in range(600)], [])
    store.write([], [presence("CAM-07", T0 + i * 1000, i % 5) for i in range(600)])
    series = store.reading_series("ty-fert", "main", "LT-101", float(T0), T0 + 600_000.0, 10.0)
    assert [p.ts_ms for p in series] == [T0 + k * 60_000 for k in range(10)]
    assert all(isinstance(p.ts_ms, int) for p in series)
    assert series[0].value == pytest.approx(sum(range(60)) / 60)
    people = store.presence_series("ty-fert", "main", "NH3-TANK-S", float(T0), T0 + 6e5, 4.0)
    assert [(p.ts_ms, p.value) for p in people] == [(T0 + k * 150_000, 4.0) for k in range(4)]


@pytest.mark.parametrize("seek_buckets", [5000, 0])  # bucket by bucket, or one grouped pass
def test_series_of_a_moved_sensor_average_all_its_rows(store, monkeypatch, seek_buckets):
    monkeypatch.setattr(embedded, "MAX_SEEK_BUCKETS", seek_buckets)
    store.write(
        [reading("S-1", T0 + i * 1000, 10.0, zone="OLD") for i in range(5)]
        + [reading("S-1", T0 + 5000 + i * 1000, 20.0, zone="NEW", kind="level") for i in range(5)]
        + [reading("S-2", T0 + i * 1000, 99.0, zone="NEW") for i in range(10)],
        [presence("CAM-1", T0 + i * 1000, 1 + i % 2) for i in range(10)]
        + [presence("CAM-2", T0 + 3000, 5)],
    )
    series = store.reading_series("ty-fert", "main", "S-1", T0, T0 + 10_000, 2)
    assert series == [SeriesPoint(T0, 10.0), SeriesPoint(T0 + 5000, 20.0)]
    whole = store.reading_series("ty-fert", "main", "S-1", T0 + 3000, T0 + 10_000, 1)
    assert whole == [SeriesPoint(T0 + 3000, pytest.approx((2 * 10 + 5 * 20) / 7))]
    people = store.presence_series("ty-fert", "main", "NH3-TANK-S", T0, T0 + 10_000, 2)
    assert people == [SeriesPoint(T0, 2.0 + 5.0), SeriesPoint(T0 + 5000, 2.0)]
    raw = store.presence_series("ty-fert", "main", "NH3-TANK-S", T0, T0 + 4000, 2000)
    assert [p.value for p in raw] == [1.0, 2.0, 1.0, 2.0 + 5.0]


def test_a_week_of_one_hertz_data_comes_back_in_at_most_max_points(store):
    week = 7 * DAY_MS
    store.write([reading("PT-1", T0 + ts, float(ts % 7)) for ts in range(0, week, 1000)], [])
    started = time.perf_counter()
    series = store.reading_series("ty-fert", "main", "PT-1", T0, T0 + week, 1500)
    elapsed = time.perf_counter() - started
    assert len(series) == 1500
    assert series[0].value == pytest.approx(3.0, abs=0.01)
    # Reading 604,800 rows through the sensor index took ~3-4 s on the 2-core CI machine;
    # through the primary key ~0.2-0.4 s. Generous, so that only the slow path fails.
    assert elapsed < 2.0, elapsed


def test_presence_sums_the_cameras_of_a_zone(store):
    store.write(
        [],
        [
            presence("CAM-07", T0, 2),
            presence("CAM-07", T0 + 5000, 3),
            presence("CAM-08", T0 + 1000, 4),  # older than CAM-07's newest, still counted
            presence("CAM-09", T0 + 2000, 1, zone="GATE"),
            presence("CAM-07", T0 + 9000, 8, site="other"),
        ],
    )
    assert store.latest_presence("ty-fert", "main") == [
        LatestPresence("GATE", T0 + 2000, 1),
        LatestPresence("NH3-TANK-S", T0 + 5000, 7),
    ]
    # Per bucket: each camera's max, summed over the zone's cameras.
    series = store.presence_series("ty-fert", "main", "NH3-TANK-S", T0, T0 + 10_000, 2)
    assert series == [SeriesPoint(T0, 2.0 + 4.0), SeriesPoint(T0 + 5000, 3.0)]


def test_prune_drops_old_points_in_chunks_and_counts_them(store, monkeypatch):
    monkeypatch.setattr(embedded, "PRUNE_CHUNK_ROWS", 7)
    store.write(
        [reading(f"S-{s}", T0 + i, 1.0) for s in range(3) for i in range(50)],
        [presence(f"CAM-{c}", T0 + i, 1) for c in range(2) for i in range(20)],
    )
    assert store.prune(T0 + 30) == 3 * 30 + 2 * 20
    assert store.count_readings() == 3 * 20
    assert store.latest_presence("ty-fert", "main") == []
    assert min(p.ts_ms for p in store.reading_series("ty-fert", "main", "S-1", T0, T0 + 50)) == (
        T0 + 30
    )
    assert store.prune(T0 + 30) == 0


def test_retention_below_the_regulatory_30_days_is_refused(data_dir):
    with pytest.raises(ValueError, match="30"):
        EmbeddedStore(data_dir / "x.db", retention_days=29)
    assert EmbeddedStore(data_dir / "x.db", retention_days=30).retention_days == 30


def test_prune_expired_keeps_the_retention_period(data_dir):
    store = EmbeddedStore(data_dir / "points.db", retention_days=30)
    store.start()
    now = T0 + 100 * DAY_MS
    store.write(
        [reading("A", now - 31 * DAY_MS), reading("A", now - 29 * DAY_MS)],
        [presence("CAM-07", now - 31 * DAY_MS)],
    )
    assert store.prune_expired(now) == 2
    assert [r.ts_ms for r in store.latest_readings("ty-fert", "main")] == [now - 29 * DAY_MS]
    store.close()


def test_survives_reopen(data_dir):
    path = data_dir / "nested" / "points.db"
    first = EmbeddedStore(path)
    first.start()
    first.write([reading("NH3-S-01", T0, 12.5, quality="bad")], [presence("CAM-07", T0, 2)])
    first.close()
    assert not first.ping()
    second = EmbeddedStore(path)
    second.start()
    assert second.latest_readings("ty-fert", "main") == [
        LatestReading("NH3-S-01", "NH3-TANK-S", "gas_nh3", T0, 12.5, "bad")
    ]
    assert second.latest_presence("ty-fert", "main") == [LatestPresence("NH3-TANK-S", T0, 2)]
    mode, sync = (
        sqlite3.connect(path).execute(q).fetchone()[0]
        for q in ("PRAGMA journal_mode", "PRAGMA synchronous")
    )
    assert mode == "wal"
    assert second._writer.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert sync in (1, 2)  # a fresh connection's own default; not the store's
    second.close()


def test_unstarted_closed_or_unusable_store_is_unavailable(data_dir):
    store = EmbeddedStore(data_dir / "points.db")
    assert not store.ping()
    with pytest.raises(StoreUnavailable):
        store.write([reading()], [])
    with pytest.raises(StoreUnavailable):
        store.latest_readings("ty-fert", "main")
    (data_dir / "dir.db").mkdir()
    with pytest.raises(StoreUnavailable):
        EmbeddedStore(data_dir / "dir.db").start()


def test_nan_value_is_rejected_for_good(store):
    with pytest.raises(StoreRejected):
        store.write([reading("A", T0, 1.0), reading("B", T0, float("nan"))], [])
    assert store.count_readings() == 0  # the batch is one transaction


def test_reads_run_while_a_long_write_is_in_progress(store):
    store.write([reading("OLD", T0, 1.0)], [])
    big = [reading(f"S-{i % 500}", T0 + i, float(i)) for i in range(LONG_WRITE_ROWS)]
    writer = threading.Thread(target=store.write, args=(big, []))
    counts_during_write: list[int] = []
    writer.start()
    try:
        while writer.is_alive():
            count = store.count_readings()
            if writer.is_alive():
                counts_during_write.append(count)
            time.sleep(READ_PAUSE_S)  # leave the writer the GIL between reads
    finally:
        writer.join()
    # Reads were answered while the write transaction was open, from the last snapshot.
    assert counts_during_write
    assert set(counts_during_write) <= {1, LONG_WRITE_ROWS + 1}
    assert store.count_readings() == LONG_WRITE_ROWS + 1


def test_concurrent_readers_see_whole_batches_only(store):
    sensors, batches = 50, 60
    errors: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []

    def write_batches() -> None:
        try:
            for b in range(batches):
                store.write(
                    [reading(f"S-{s:02d}", T0 + b * 1000, float(b)) for s in range(sensors)],
                    [presence("CAM-07", T0 + b * 1000, b)],
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def read_until_done() -> None:
        last = 0
        try:
            while not done.is_set():
                count = store.count_readings("ty-fert", "main")
                assert count % sensors == 0 and count >= last
                last = count
                latest = store.latest_readings("ty-fert", "main")
                # One snapshot: every sensor shows the same batch (or none yet).
                assert len({r.ts_ms for r in latest}) <= 1
                assert len(latest) in (0, sensors)
                seen.append(count)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read_until_done) for _ in range(4)]
    threads.append(threading.Thread(target=write_batches))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[0]
    assert seen
    assert store.count_readings() == sensors * batches
    assert store.latest_presence("ty-fert", "main") == [
        LatestPresence("NH3-TANK-S", T0 + (batches - 1) * 1000, batches - 1)
    ]
