"""InfluxStore against a real influxd: data model, idempotence, safety, retries, outage, speed."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
import requests

from monitoring.records import PresenceCount, Reading
from monitoring.storage import influx
from monitoring.storage.base import PointsRefused, StoreRejected, StoreUnavailable
from monitoring.storage.influx import InfluxStore
from tests.services import free_port, wait_for

pytestmark = pytest.mark.services

T = 1764381600000  # 2025-11-29T02:00:00Z


def reading(sensor: str = "NH3-S-01", ts_ms: int = T, value: float = 12.5, **kw) -> Reading:
    fields = dict(enterprise="ty-fert", site="main", zone="NH3-TANK-S", kind="gas_nh3")
    fields.update(kw)
    return Reading(sensor=sensor, ts_ms=ts_ms, value=value, **fields)


def presence(camera: str = "CAM-07", ts_ms: int = T, people: int = 6, **kw) -> PresenceCount:
    fields = dict(enterprise="ty-fert", site="main", zone="NH3-TANK-S")
    fields.update(kw)
    return PresenceCount(camera=camera, ts_ms=ts_ms, people=people, **fields)


@pytest.fixture
def fast_retries(monkeypatch):
    """Shrink the retry timings so failure paths take well under a second or two."""
    monkeypatch.setattr(influx, "WRITE_RETRY_INITIAL_S", 0.02)
    monkeypatch.setattr(influx, "WRITE_RETRY_MAX_S", 0.2)
    monkeypatch.setattr(influx, "WRITE_RETRY_DEADLINE_S", 1.0)


@pytest.fixture
def store(influxdb, influx_db_name):
    s = InfluxStore(influxdb.url, influx_db_name)
    s.start()
    yield s
    s.close()


def rows(server, db: str, q: str, params: dict | None = None) -> list[dict]:
    """Return every row of every series as dicts of column -> value (tags included)."""
    out = []
    for series in server.query(db, q, params):
        for values in series["values"]:
            row = dict(zip(series["columns"], values, strict=True))
            row.update(series.get("tags", {}))
            out.append(row)
    return out


# -- data model (contract section 3) -----------------------------------------------------


def test_points_land_with_the_contract_tags_fields_and_types(store, influxdb, influx_db_name):
    store.write(
        [reading(value=12.5), reading(sensor="LT-101", kind="level", value=63, quality="bad")],
        [presence(confidence=0.93), presence(camera="CAM-08", people=2)],
    )
    db = influx_db_name
    by_sensor = sorted(rows(influxdb, db, 'SELECT * FROM "reading"'), key=lambda r: r["sensor"])
    assert by_sensor == [
        {
            "time": T,
            "enterprise": "ty-fert",
            "site": "main",
            "zone": "NH3-TANK-S",
            "sensor": "LT-101",
            "kind": "level",
            "value": 63,
            "quality": "bad",
        },
        {
            "time": T,
            "enterprise": "ty-fert",
            "site": "main",
            "zone": "NH3-TANK-S",
            "sensor": "NH3-S-01",
            "kind": "gas_nh3",
            "value": 12.5,
            "quality": None,
        },
    ]
    by_camera = sorted(rows(influxdb, db, 'SELECT * FROM "presence"'), key=lambda r: r["camera"])
    assert by_camera == [
        {
            "time": T,
            "camera": "CAM-07",
            "confidence": 0.93,
            "enterprise": "ty-fert",
            "people": 6,
            "site": "main",
            "zone": "NH3-TANK-S",
        },
        {
            "time": T,
            "camera": "CAM-08",
            "confidence": None,
            "enterprise": "ty-fert",
            "people": 2,
            "site": "main",
            "zone": "NH3-TANK-S",
        },
    ]
    field_types = {(r["fieldKey"], r["fieldType"]) for r in rows(influxdb, db, "SHOW FIELD KEYS")}
    assert field_types == {
        ("value", "float"),
        ("quality", "string"),
        ("people", "integer"),
        ("confidence", "float"),
    }
    tag_keys = {
        series["name"]: sorted(v[0] for v in series["values"])
        for series in influxdb.query(db, "SHOW TAG KEYS")
    }
    assert tag_keys == {
        "reading": ["enterprise", "kind", "sensor", "site", "zone"],
        "presence": ["camera", "enterprise", "site", "zone"],
    }


def test_default_retention_policy_takes_the_configured_duration(influxdb, influx_db_name):
    store = InfluxStore(influxdb.url, influx_db_name, retention_days=3)
    store.start()
    store.start()  # a second start (restart of the app) changes nothing
    policies = rows(influxdb, influx_db_name, f'SHOW RETENTION POLICIES ON "{influx_db_name}"')
    assert [(p["name"], p["duration"], p["default"]) for p in policies] == [
        ("autogen", "72h0m0s", True)
    ]
    now = int(time.time() * 1000)
    store.write([reading(ts_ms=now)], [])
    assert store.count_readings() == 1
    store.close()


def test_a_database_named_like_a_keyword_works(influxdb):
    store = InfluxStore(influxdb.url, "limit")
    store.start()
    store.write([reading()], [])
    assert store.latest_readings("ty-fert", "main")[0].value == 12.5
    assert store.count_readings() >= 1
    store.close()


@pytest.mark.parametrize("name", ['x"; DROP DATABASE "y', "a b", "", "-x"])
def test_a_database_name_outside_the_id_pattern_is_refused(name):
    with pytest.raises(ValueError):
        InfluxStore("http://127.0.0.1:1", name)


# -- idempotence and safety ----------------------------------------------------------------


def test_writing_the_same_points_twice_stores_them_once(store, influxdb, influx_db_name):
    batch = [reading(sensor=f"S-{i}", ts_ms=T + i) for i in range(50)]
    counts = [presence(ts_ms=T + i) for i in range(5)]
    store.write(batch, counts)
    store.write(batch, counts)  # a redelivered message
    store.write(batch[:10], [])
    assert store.count_readings() == 50
    counted = influxdb.query(influx_db_name, 'SELECT count("people") FROM "presence"')
    assert counted[0]["values"][0][1] == 5


def test_tag_values_with_comma_space_and_equals_read_back_equal(store):
    odd_sensor, odd_zone = "a,b c=d", "tank farm=south"
    store.write(
        [reading(sensor=odd_sensor, zone=odd_zone, value=3.0)], [presence(zone=odd_zone, people=4)]
    )
    latest = store.latest_readings("ty-fert", "main")
    assert [(r.sensor, r.zone) for r in latest] == [(odd_sensor, odd_zone)]
    series = store.reading_series("ty-fert", "main", odd_sensor, T, T + 1000)
    assert [(p.ts_ms, p.value) for p in series] == [(T, 3.0)]
    assert [(p.zone, p.people) for p in store.latest_presence("ty-fert", "main")] == [(odd_zone, 4)]


def test_newline_injection_is_refused_and_nothing_foreign_is_stored(
    store, influxdb, influx_db_name
):
    evil = "x\nreading,enterprise=evil value=1 0"
    with pytest.raises(ValueError) as caught:
        store.write([reading(sensor="GOOD-1"), reading(sensor=evil)], [])
    assert isinstance(caught.value, StoreRejected)  # the intake books it as a refusal
    with pytest.raises(ValueError):
        store.write([], [presence(camera="C\r1")])
    enterprises = rows(
        influxdb, influx_db_name, 'SHOW TAG VALUES FROM "reading" WITH KEY = "enterprise"'
    )
    assert [r["value"] for r in enterprises] == ["ty-fert"]
    sensors = rows(influxdb, influx_db_name, 'SHOW TAG VALUES FROM "reading" WITH KEY = "sensor"')
    assert [r["value"] for r in sensors] == ["GOOD-1"]  # the good point of the batch is kept
    assert rows(influxdb, influx_db_name, 'SHOW SERIES FROM "presence"') == []


def test_query_text_in_parameters_is_only_ever_a_value(store):
    store.write([reading()], [])
    for hostile in ["ty-fert' OR 'a'='a", 'ty-fert" OR "a"="a', "x\\' OR 1=1 --", "$site"]:
        assert store.latest_readings(hostile, "main") == []
        assert store.count_readings(enterprise=hostile) == 0
    assert store.count_readings(enterprise="ty-fert") == 1


# -- reads -------------------------------------------------------------------------------


def test_latest_readings_give_each_sensor_its_last_value_and_quality(store):
    store.write(
        [
            reading("A", T, 1.0, quality="bad"),
            reading("A", T + 1000, 2.0),  # newest is good although an older one was bad
            reading("B", T, 3.0),
            reading("B", T + 2000, 4.0, quality="uncertain"),
            reading("C", T + 500, 5.0, zone="OLD-ZONE"),
            reading("C", T + 600, 6.0, zone="NEW-ZONE", kind="level"),  # moved in registry
            reading("D", T, 7.0, site="other"),
        ],
        [],
    )
    latest = store.latest_readings("ty-fert", "main")
    assert [(r.sensor, r.zone, r.kind, r.ts_ms, r.value, r.quality) for r in latest] == [
        ("A", "NH3-TANK-S", "gas_nh3", T + 1000, 2.0, "good"),
        ("B", "NH3-TANK-S", "gas_nh3", T + 2000, 4.0, "uncertain"),
        ("C", "NEW-ZONE", "level", T + 600, 6.0, "good"),
    ]
    assert store.latest_readings("ty-fert", "nowhere") == []


def test_latest_presence_sums_the_newest_count_of_each_camera(store):
    store.write(
        [],
        [
            presence("CAM-1", T, 5),
            presence("CAM-1", T + 1000, 3),
            presence("CAM-2", T + 500, 2),
            presence("CAM-3", T + 200, 9, zone="GATE"),
            presence("CAM-9", T, 1, site="other"),
        ],
    )
    latest = store.latest_presence("ty-fert", "main")
    assert [(p.zone, p.ts_ms, p.people) for p in latest] == [
        ("GATE", T + 200, 9),
        ("NH3-TANK-S", T + 1000, 5),
    ]


def test_reading_series_returns_raw_points_when_they_fit(store):
    store.write([reading(ts_ms=T + i * 1000, value=float(i)) for i in range(10)], [])
    series = store.reading_series("ty-fert", "main", "NH3-S-01", T + 2000, T + 5000)
    assert [(p.ts_ms, p.value) for p in series] == [
        (T + 2000, 2.0),
        (T + 3000, 3.0),
        (T + 4000, 4.0),  # end is exclusive
    ]
    assert store.reading_series("ty-fert", "main", "NH3-S-01", T + 5000, T + 5000) == []
    with pytest.raises(ValueError):
        store.reading_series("ty-fert", "main", "NH3-S-01", T, T + 1, max_points=0)


def test_reading_series_is_averaged_server_side_into_at_most_max_points(store):
    store.write([reading(ts_ms=T + i * 1000, value=float(i)) for i in range(10_000)], [])
    start, end = T + 7 * 1000, T + 10_000 * 1000  # not aligned on anything round
    for max_points in (1, 7, 100, 1000):
        series = store.reading_series("ty-fert", "main", "NH3-S-01", start, end, max_points)
        assert 0 < len(series) <= max_points
        assert series[0].ts_ms == start  # buckets are aligned on the start of the range
    series = store.reading_series("ty-fert", "main", "NH3-S-01", start, end, 100)
    width = -(-(end - start) // 100)  # ceil: 99,930 ms, i.e. 100 points per full bucket
    first = [float(i) for i in range(7, 10_000) if T + i * 1000 < start + width]
    assert series[0].value == pytest.approx(sum(first) / len(first))
    assert [p.ts_ms for p in series] == [start + k * width for k in range(len(series))]


def test_presence_series_takes_the_max_per_bucket_summed_over_cameras(store):
    store.write(
        [],
        [presence("CAM-1", T + i * 1000, people) for i, people in enumerate([1, 4, 2, 0, 3, 1])]
        + [presence("CAM-2", T + 1500, 10), presence("CAM-3", T, 50, zone="GATE")],
    )
    series = store.presence_series("ty-fert", "main", "NH3-TANK-S", T, T + 6000, max_points=2)
    assert [(p.ts_ms, p.value) for p in series] == [(T, 4 + 10), (T + 3000, 3)]
    single = store.presence_series("ty-fert", "main", "NH3-TANK-S", T + 3000, T + 6000)
    assert [p.value for p in single] == [0, 3, 1]


def test_count_readings_by_enterprise_and_site(store):
    store.write(
        [reading(ts_ms=T + i) for i in range(3)]
        + [reading(ts_ms=T, site="other"), reading(ts_ms=T, enterprise="acme", site="other")],
        [presence()],
    )
    assert store.count_readings() == 5
    assert store.count_readings("ty-fert") == 4
    assert store.count_readings("ty-fert", "main") == 3
    assert store.count_readings(site="other") == 2
    assert store.count_readings("nobody") == 0


def test_query_helper_returns_series_and_prune_leaves_retention_to_influxdb(store):
    store.write([reading()], [])
    series = store.query(
        'SELECT last("value") FROM "reading" WHERE "sensor" = $s', {"s": "NH3-S-01"}
    )
    assert series[0]["values"] == [[T, 12.5]]
    with pytest.raises(StoreRejected, match="error parsing query"):
        store.query("SELEC nothing")
    assert store.prune(T + 1) == -1
    assert store.count_readings() == 1


# -- failures ----------------------------------------------------------------------------


def test_a_field_type_conflict_is_rejected_with_influxdbs_reason(store, influxdb, influx_db_name):
    # Another writer made `value` an integer in this shard first.
    r = requests.post(
        f"{influxdb.url}/write",
        params={"db": influx_db_name, "precision": "ms"},
        data=b"reading,enterprise=x,kind=k,sensor=s,site=m,zone=z value=1i " + str(T).encode(),
        timeout=5,
    )
    assert r.status_code == 204
    with pytest.raises(StoreRejected, match="field type conflict"):
        store.write([reading()], [])


def test_a_dropped_database_is_created_again_on_write(store, influxdb, influx_db_name):
    store.write([reading(ts_ms=T)], [])
    influxdb.query(influx_db_name, f'DROP DATABASE "{influx_db_name}"')
    store.write([reading(ts_ms=T + 1)], [])
    assert store.count_readings() == 1


class _FlakyProxy(http.server.ThreadingHTTPServer):
    """Answer the first `failures` writes with InfluxDB's 500, forward everything else."""

    def __init__(self, upstream: str, failures: int) -> None:
        super().__init__(("127.0.0.1", free_port()), _ProxyHandler)
        self.upstream = upstream
        self.failures = failures
        self.failed = 0
        self.forwarded_writes = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _FlakyProxy

    def do_GET(self) -> None:
        self._forward(b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/write"):
            with self.server.lock:
                fail = self.server.failed < self.server.failures
                if fail:
                    self.server.failed += 1
                else:
                    self.server.forwarded_writes += 1
            if fail:
                self._answer(500, b'{"error":"engine: error syncing wal"}\n', "application/json")
                return
        self._forward(body)

    def _forward(self, body: bytes) -> None:
        r = requests.request(
            self.command,
            self.server.upstream + self.path,
            data=body,
            headers={"Content-Type": self.headers.get("Content-Type", "")},
            timeout=10,
        )
        self._answer(r.status_code, r.content, r.headers.get("Content-Type", "text/plain"))

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def flaky_proxy(influxdb):
    proxies: list[_FlakyProxy] = []

    def make(failures: int) -> _FlakyProxy:
        proxy = _FlakyProxy(influxdb.url, failures)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


def test_500_error_syncing_wal_is_retried_and_every_point_stored_once(
    flaky_proxy, fast_retries, monkeypatch, influx_db_name
):
    monkeypatch.setattr(influx, "WRITE_BATCH_POINTS", 100)
    proxy = flaky_proxy(failures=3)
    store = InfluxStore(proxy.url, influx_db_name)
    store.start()
    store.write([reading(sensor=f"S-{i % 7}", ts_ms=T + i) for i in range(1000)], [])
    assert proxy.failed == 3
    assert proxy.forwarded_writes == 10  # 1000 points in batches of 100, each sent once
    assert store.count_readings() == 1000
    store.close()


def test_persistent_500s_raise_store_unavailable_within_the_deadline(
    flaky_proxy, fast_retries, influx_db_name
):
    proxy = flaky_proxy(failures=10**6)
    store = InfluxStore(proxy.url, influx_db_name)
    store.start()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="error syncing wal"):
        store.write([reading()], [])
    elapsed = time.monotonic() - started
    assert 0.5 < elapsed < influx.WRITE_RETRY_DEADLINE_S + 1.0
    assert proxy.failed >= 3  # it did retry, with backoff
    store.close()


def test_close_stops_a_write_that_waits_to_retry(flaky_proxy, monkeypatch, influx_db_name):
    monkeypatch.setattr(influx, "WRITE_RETRY_INITIAL_S", 5.0)
    monkeypatch.setattr(influx, "WRITE_RETRY_MAX_S", 5.0)
    proxy = flaky_proxy(failures=10**6)
    store = InfluxStore(proxy.url, influx_db_name)
    store.start()
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            store.write([reading()], [])
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    writer = threading.Thread(target=write)
    started = time.monotonic()
    writer.start()
    wait_for(lambda: proxy.failed >= 1, what="the first failed write")
    store.close()
    writer.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable)
    assert time.monotonic() - started < 2.0


def test_outage_raises_store_unavailable_then_writes_resume(
    influx_factory, fast_retries, influx_db_name
):
    server = influx_factory()
    server.start()
    store = InfluxStore(server.url, influx_db_name)
    store.start()
    store.write([reading(ts_ms=T)], [])
    server.stop()
    assert store.ping() is False
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.write([reading(ts_ms=T + 1)], [])
    assert time.monotonic() - started < influx.WRITE_RETRY_DEADLINE_S + 1.0
    server.start()
    assert store.ping() is True
    store.write([reading(ts_ms=T + 1)], [])
    assert store.count_readings() == 2
    store.close()


def test_start_without_a_server_raises_store_unavailable(fast_retries):
    store = InfluxStore(f"http://127.0.0.1:{free_port()}", "hazmon")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.start()
    assert time.monotonic() - started < influx.WRITE_RETRY_DEADLINE_S + 1.0
    assert store.ping() is False


# -- throughput --------------------------------------------------------------------------


def test_write_throughput_of_100k_readings_in_one_call(store):
    batch = [
        reading(sensor=f"S-{i % 1000:04d}", ts_ms=T + i, value=i * 0.25) for i in range(100_000)
    ]
    started = time.perf_counter()
    store.write(batch, [])
    elapsed = time.perf_counter() - started
    rate = len(batch) / elapsed
    print(f"InfluxStore.write: 100,000 readings in {elapsed:.2f}s = {rate:,.0f} points/s")
    assert store.count_readings() == 100_000
    assert rate > 10_000  # a sanity floor, not the benchmark


# -- points beyond the retention policy (issue 9, case 1) ----------------------------------

DAY_MS = 86_400_000


def stored_reading_values(server, db: str) -> dict[int, int]:
    """Return {value: time} of every stored reading (each test reading has its own value)."""
    found: dict[int, int] = {}
    for row in rows(server, db, 'SELECT "value" FROM "reading"'):
        assert int(row["value"]) not in found, f"value {row['value']} stored twice"
        found[int(row["value"])] = row["time"]
    return found


def stored_presence_people(server, db: str) -> dict[int, int]:
    """Return {people: time} of every stored presence count (each has its own people)."""
    return {row["people"]: row["time"] for row in rows(server, db, 'SELECT * FROM "presence"')}


@pytest.mark.parametrize(
    ("total", "old_slots", "old_cameras"),
    [
        pytest.param(6_000, (0, 1_234, 4_999), (), id="three-old-in-the-first-chunk"),
        pytest.param(12_000, (0, 4_999, 5_000, 11_999), (3,), id="old-in-every-chunk"),
    ],
)
def test_points_beyond_retention_cost_only_themselves_in_a_multi_chunk_write(
    influxdb, influx_db_name, total, old_slots, old_cameras
):
    store = InfluxStore(influxdb.url, influx_db_name, retention_days=1)
    store.start()
    now = int(time.time() * 1000)
    fresh0, old0 = now - 10 * 60_000, now - 2 * DAY_MS  # InfluxDB keeps 24 h, refuses 48 h
    batch = [
        reading(ts_ms=(old0 if i in old_slots else fresh0) + i, value=float(i))
        for i in range(total)
    ]
    counts = [
        presence(camera=f"CAM-{k}", ts_ms=(old0 if k in old_cameras else fresh0) + k, people=k)
        for k in range(10)
    ]
    assert total > influx.WRITE_BATCH_POINTS  # more than one chunk
    with pytest.raises(PointsRefused) as caught:
        store.write(batch, counts)
    store.close()
    refused = caught.value.refused
    expected = [batch[i] for i in old_slots] + [counts[k] for k in old_cameras]
    assert sorted(map(repr, (point for point, _ in refused))) == sorted(map(repr, expected))
    assert len(refused) == len(expected)  # each named once
    assert all("beyond retention policy" in reason for _, reason in refused), refused
    stored = stored_reading_values(influxdb, influx_db_name)
    assert len(stored) == total - len(old_slots)
    assert stored == {i: fresh0 + i for i in range(total) if i not in old_slots}
    assert stored_presence_people(influxdb, influx_db_name) == {
        k: fresh0 + k for k in range(10) if k not in old_cameras
    }
