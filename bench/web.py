"""Web benchmark of the wall display: what its refresh costs with a province-sized registry.

    .venv/bin/python bench/web.py                       # SQLite alarm book
    .venv/bin/python bench/web.py --postgres            # PostgreSQL (the machine's, or a private one)
    .venv/bin/python bench/web.py --server both         # Werkzeug's development server, then waitress
    .venv/bin/python bench/web.py --enterprises 500 --sensors 20000 --alarms 300 --clients 20

Writes a registry of `--enterprises` enterprises (one site each) with `--sensors` sensors in
all, a reading for every sensor into the embedded store, and `--alarms` open alarms (10 % red)
into the real alarm book; starts `app.py web` on them (its own process, on waitress; with
`--server development` on Werkzeug's development server it replaced, `both`: one, then the
other, each on freshly filled stores),
signs in as a viewer and POSTs `/_dash-update-component` exactly as the wall's browser does
(the request is built from the app's own `/_dash-dependencies`), carrying the state a browser
would carry from its previous answer. It prints:

1. the first refresh of a page (everything sent) and steady refreshes: p50/p95 time and size,
   each request made after the read model's 0.5 s cache expired, so each one rebuilds it;
2. `--clients` simulated wall screens polling every 2 s for `--seconds` while an alarm is
   raised every 5 s (so the grid changes now and then): p50/p95/max time and bytes.

Targets: refresh p95 < 150 ms, answer < 200 KB, 20 clients p95 < 300 ms.

    .venv/bin/python bench/web.py --flood               # the wall in an alarm flood

`--flood` (issue 11, defect 1) runs the same measurements on the province of
`tests/province_scale.py` instead: the simulators' 500 enterprises (16,077 sensors, a
reading for each) with 6,075 open alarms in a known mix (5,475 unacknowledged, 30
enterprises holding only the oldest blue ones), where every count on the wall comes from the
alarm book's GROUP BY. Target: refresh p95 < 150 ms.

    .venv/bin/python bench/web.py --big-site            # the site page of a 400-sensor site

`--big-site` (issue 11, defect 3) measures the Site page instead, in Chromium: the site of
`tests/big_site.py` (400 sensors in 8 zones, `--big-site-sensors`), served by `app.py web` on
the embedded store while every sensor but the stale ones reports each second. For each of
`--runs` fresh page loads it prints when the sensor table and the trend were shown (ms since
navigation), how long a click on a row took to show its trend, the longest main-thread task
after the load (PerformanceObserver `longtask`) and the bytes of each live refresh (all
`_dash-update-component` answers of one tick of the page's 5 s interval) over
`--big-site-seconds`. Targets: table < 2 s, trend < 3 s, no task > 200 ms, refresh < 50 KB.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import free_port, wait_for  # noqa: E402

ADMIN = ("admin", "bench-admin-1")
VIEWER_PASSWORD = "bench-viewer-1"
SEVERITY_MIX = ("red",) * 1 + ("orange",) * 3 + ("yellow",) * 5 + ("blue",) * 1
REFRESH_INPUT = ("wall-interval", "n_intervals")
CACHE_WAIT_S = 0.55  # a little over the wall read model's cache
# `--server`: the program that runs `app.py web` on each web server.
SERVERS = {"production": "app.py", "development": "bench/dev_server.py"}


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def write_registry(path: Path, enterprises: int, sensors: int) -> list[tuple[str, str, str]]:
    """Write the registry YAML; return (enterprise, site, sensor) of every sensor."""
    per = max(1, sensors // enterprises)
    lines = ["timezone: Asia/Shanghai", "restrictions: []", "enterprises:"]
    every: list[tuple[str, str, str]] = []
    for e in range(enterprises):
        eid = f"e{e:04d}"
        lines += [
            f"  - id: {eid}",
            f"    name: Bench Chemical Works {e:04d} Co., Ltd.",
            f"    name_zh: 测试化工{e:04d}有限公司",
            "    region: Benchland",
            "    address: 1 Bench Road",
            "    contacts:",
            f'      - {{name: Duty {e}, role: duty_officer, phone: "+86 139 0000 {e:04d}"}}',
            "    sites:",
            "      - id: s1",
            "        name: Main plant",
            "        zones:",
            "          - {id: Z1, name: Tank farm, hazard: major, max_people: 2, dwell_s: 60}",
            "        sensors:",
        ]
        for s in range(per):
            sid = f"S{s:03d}"
            lines.append(
                f"          - {{id: {sid}, zone: Z1, kind: gas_nh3, unit: ppm, high: 42, "
                "high_high: 85, stale_after_s: 86400}"
            )
            every.append((eid, "s1", sid))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return every


def fill_stores(
    data_dir: Path, db_url: str, sensors: list[tuple[str, str, str]], alarms: int
) -> None:
    """Write one fresh reading per sensor and `alarms` open alarms through the real books."""
    from monitoring.alarms.book import AlarmBook
    from monitoring.db.database import Database
    from monitoring.records import Reading
    from monitoring.storage.embedded import EmbeddedStore

    now = int(time.time() * 1000)
    store = EmbeddedStore(data_dir / "readings.sqlite")
    store.start()
    for i in range(0, len(sensors), 5000):
        store.write(
            [
                Reading(e, s, sid, now - 1000, 5.0, zone="Z1", kind="gas_nh3")
                for e, s, sid in sensors[i : i + 5000]
            ],
            [],
        )
    store.close()
    db = Database(db_url)
    db.start()
    book = AlarmBook(db)
    rng = random.Random(7)
    chosen = rng.sample(sensors, alarms)
    signals = [
        alarm_signal(e, s, sid, SEVERITY_MIX[i % len(SEVERITY_MIX)], now - (alarms - i) * 1000)
        for i, (e, s, sid) in enumerate(chosen)
    ]
    book.apply(signals, now)
    db.close()


def fill_flood(workdir: Path, db_url: str) -> tuple[list[tuple[str, str, str]], int]:
    """Write the province of tests/province_scale.py and its flood, a fresh reading for every
    sensor; return (enterprise, site, sensor) of every sensor and how many alarms are open."""
    from monitoring.records import Reading
    from monitoring.storage.embedded import EmbeddedStore
    from tests.province_scale import build_province

    seeded = build_province(workdir, db_url)
    now = int(time.time() * 1000)
    located = [
        (e.id, site.id, sensor) for e, site in seeded.registry.sites() for sensor in site.sensors
    ]
    store = EmbeddedStore(workdir / "readings.sqlite")
    store.start()
    for i in range(0, len(located), 5000):
        store.write(
            [
                Reading(e, s, sensor.id, now - 1000, 1.0, zone=sensor.zone, kind=sensor.kind)
                for e, s, sensor in located[i : i + 5000]
            ],
            [],
        )
    store.close()
    return [(e, s, sensor.id) for e, s, sensor in located], seeded.total.open


def alarm_signal(enterprise: str, site: str, sensor: str, severity: str, ts_ms: int):
    """Return a limit alarm as the rule engine raises it."""
    from monitoring.signals import AlarmSignal

    level = "high_high" if severity == "red" else "high"
    limit = 85.0 if level == "high_high" else 42.0
    return AlarmSignal(
        "raise",
        enterprise,
        site,
        f"sensor:{sensor}",
        "limit",
        ts_ms,
        severity=severity,
        zone="Z1",
        value=limit + 10,
        message=f"{sensor} {level}: {limit + 10:g} ppm (limit {limit:g})",
        message_key=f"limit.gas_{level}",
        params={
            "sensor": sensor,
            "level": level,
            "value": limit + 10,
            "unit": "ppm",
            "limit": limit,
        },
    )


def start_web(
    workdir: Path, registry: Path, db_url: str, server: str = "production"
) -> tuple[subprocess.Popen, str]:
    """Start `app.py web` (on `server`: SERVERS) and wait until it answers."""
    port = free_port()
    env = dict(
        os.environ, HAZMON_ADMIN_PASSWORD=ADMIN[1], PYTHONUNBUFFERED="1", HAZMON_LOG_LEVEL="WARNING"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / SERVERS[server]),
            "web",
            "--registry",
            str(registry),
            "--db-url",
            db_url,
            "--data-dir",
            str(workdir),
            "--no-simulate",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=open(workdir / "web.log", "ab"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise SystemExit(f"app.py web exited: {(workdir / 'web.log').read_text()[-2000:]}")
        try:
            return requests.get(base + "/api/v1/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(up, 120, what="app.py web")
    return proc, base


def viewer_session(base: str, username: str) -> requests.Session:
    """Create a viewer and return a browser-like session signed in as it."""
    r = requests.post(
        f"{base}/api/v1/users",
        auth=ADMIN,
        timeout=10,
        json={"username": username, "password": VIEWER_PASSWORD, "role": "viewer"},
    )
    assert r.status_code == 201, r.text
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = session.post(
        f"{base}/login",
        timeout=10,
        allow_redirects=False,
        data={"username": username, "password": VIEWER_PASSWORD, "csrf_token": token},
    )
    assert r.status_code in (302, 303), r.status_code
    return session


class WallClient:
    """One wall screen: posts the refresh callback and keeps the state its answers give."""

    def __init__(self, base: str, session: requests.Session, dependency: dict) -> None:
        self.url = f"{base}/_dash-update-component"
        self.session = session
        self.dep = dependency
        self.state: dict[tuple[str, str], object] = {}
        self.n = 0

    def refresh(self, lang: str = "en") -> tuple[float, int]:
        """Post one refresh; return (seconds, response bytes)."""
        self.n += 1
        outputs = [split_prop(p) for p in self.dep["output"].strip(".").split("...")]
        values = {REFRESH_INPUT: self.n, ("shell-lang", "data"): lang}
        body = {
            "output": self.dep["output"],
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [
                {
                    "id": d["id"],
                    "property": d["property"],
                    "value": values.get((d["id"], d["property"])),
                }
                for d in self.dep["inputs"]
            ],
            "changedPropIds": [".".join(REFRESH_INPUT)],
            "state": [
                {
                    "id": d["id"],
                    "property": d["property"],
                    "value": self.state.get((d["id"], d["property"])),
                }
                for d in self.dep["state"]
            ],
        }
        start = time.perf_counter()
        r = self.session.post(self.url, json=body, timeout=30)
        elapsed = time.perf_counter() - start
        r.raise_for_status()
        for cid, props in r.json()["response"].items():
            for prop, value in props.items():
                self.state[(cid, prop)] = value
        return elapsed, len(r.content)


def split_prop(text: str) -> tuple[str, str]:
    cid, _, prop = text.rpartition(".")
    return cid, prop


def refresh_dependency(base: str, session: requests.Session) -> dict:
    """Return the wall's refresh callback as the app declares it."""
    deps = session.get(f"{base}/_dash-dependencies", timeout=10).json()
    for dep in deps:
        if any((d["id"], d["property"]) == REFRESH_INPUT for d in dep["inputs"]):
            if not dep.get("clientside_function"):
                return dep
    raise SystemExit("no server callback takes wall-interval.n_intervals")


def summary(name: str, times: list[float], sizes: list[int]) -> str:
    ms = [t * 1000 for t in times]
    return (
        f"{name}: n={len(ms)} p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 95):.1f} ms,"
        f" max {max(ms):.1f} ms; bytes p50 {statistics.median(sizes):,.0f},"
        f" max {max(sizes):,}"
    )


def sequential(base: str, dep: dict, samples: int) -> None:
    """Measure first loads (fresh page: everything sent) and steady refreshes, one at a time."""
    session = viewer_session(base, "bench-seq")
    first_t, first_b, steady_t, steady_b = [], [], [], []
    for _ in range(samples):
        client = WallClient(base, session, dep)
        time.sleep(CACHE_WAIT_S)
        t, b = client.refresh()
        first_t.append(t)
        first_b.append(b)
        time.sleep(CACHE_WAIT_S)
        t, b = client.refresh()
        steady_t.append(t)
        steady_b.append(b)
    print(summary("first refresh of a page (full answer)", first_t, first_b))
    print(summary("steady refresh (browser has the grid)", steady_t, steady_b))


def concurrent(
    base: str, dep: dict, clients: int, seconds: float, db_url: str, sensors: list
) -> None:
    """Run `clients` wall screens polling every 2 s while alarms keep arriving."""
    from monitoring.alarms.book import AlarmBook
    from monitoring.db.database import Database

    sessions = [viewer_session(base, f"bench-wall-{i}") for i in range(clients)]
    times: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def screen(i: int) -> None:
        client = WallClient(base, sessions[i], dep)
        next_at = time.monotonic() + 2.0 * i / clients  # screens are not in step
        while True:
            time.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= stop_at:
                return
            t, b = client.refresh("zh" if i % 2 else "en")
            with lock:
                times.append(t)
                sizes.append(b)
            next_at += 2.0

    def churn() -> None:
        db = Database(db_url)
        db.start()
        book = AlarmBook(db)
        rng = random.Random(11)
        while time.monotonic() < stop_at - 1:
            e, s, sid = rng.choice(sensors)
            now = int(time.time() * 1000)
            book.apply([alarm_signal(e, s, sid, rng.choice(SEVERITY_MIX), now)], now)
            time.sleep(5)
        db.close()

    threads = [threading.Thread(target=screen, args=(i,)) for i in range(clients)]
    threads.append(threading.Thread(target=churn))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(summary(f"{clients} clients polling every 2 s for {seconds:.0f} s", times, sizes))


def big_site_case(sensors: int, runs: int, seconds: float, influx: bool) -> int:
    """Measure the Site page of one big site in Chromium (issue 11, defect 3); print it."""
    from tests.services import InfluxServer, find_binary

    with tempfile.TemporaryDirectory(prefix="hazwatch-bench-site-") as tmp:
        server = None
        if influx:
            binary = find_binary("influxd")
            if binary is None:
                raise SystemExit("--big-site-influx needs influxd (Debian package 'influxdb')")
            server = InfluxServer(Path(tmp) / "influx", binary)
            server.start()
        try:
            big_site_runs(Path(tmp), sensors, runs, seconds, server.url if server else None)
        finally:
            if server is not None:
                server.stop()
    return 0


def big_site_runs(
    workdir: Path, sensors: int, runs: int, seconds: float, influx_url: str | None
) -> None:
    """Seed the big site, serve it, and measure `runs` loads of its page in one browser."""
    from tests.big_site import SITE_PATH, LiveReadings, big_site_app, cached_browser, sign_in

    with big_site_app(workdir / "app", sensors, influx_url) as (app, site, store):
        with LiveReadings(store, site):
            app.add_user("bench-site", VIEWER_PASSWORD)
            print(
                f"big site: {len(site.sensors)} sensors in {len(site.zones)} zones, "
                f"{len(site.abnormal)} abnormal, store "
                f"{'InfluxDB 1.x' if influx_url else 'embedded (SQLite)'};"
                f" {seconds:.0f} s of live refreshes per run"
            )
            with cached_browser() as first:
                sign_in(first, app.base, "bench-site", VIEWER_PASSWORD)
                first.goto("about:blank")  # no wall refreshing in the background
                for run in range(1, runs + 1):
                    # One browser, as an operator's: run 1 fetches and compiles Plotly (4.6 MB)
                    # and ag-grid, the later runs find them in the browser's cache.
                    page = first.context.new_page()
                    measure_site_load(page, app.base + SITE_PATH, run, seconds)
                    page.close()


def measure_site_load(page, url: str, run: int, seconds: float) -> None:
    """Open the site page in `page`, measure its load, a click and `seconds` of refreshes."""
    from tests.big_site import SiteProbe

    probe = SiteProbe(page)
    page.goto(url)
    loaded = probe.wait_loaded()
    after = max(loaded["table_ms"], loaded["trend_ms"])
    print(
        f"run {run} ({'cold' if run == 1 else 'warm'} cache): table {loaded['table_ms']:,.0f} ms,"
        f" trend {loaded['trend_ms']:,.0f} ms",
        end="",
        flush=True,
    )
    page.wait_for_timeout(1000)
    click_ms = click_a_row(page)
    page.wait_for_timeout(seconds * 1000)
    ticks = probe.refresh_bytes()
    sizes = sorted(ticks.values()) or [0]
    first = sum(
        a.bytes
        for a in probe.answers()
        if "site-interval.n_intervals" not in a.changed or not a.n_intervals
    )
    print(
        ", click to trend "
        + (f"{click_ms:,.0f} ms" if click_ms is not None else "n/a (> 1 min)")
        + f", longest task after load {probe.longest_task_after(after):,.0f} ms"
        f" (overall {probe.longest_task_after(0):,.0f} ms),"
        f" refresh bytes per tick p50 {statistics.median(sizes):,.0f}"
        f" max {max(sizes):,} over {len(ticks)} ticks; load and clicks {first:,} B"
    )


def click_a_row(page) -> float | None:
    """Click the 6th sensor row; return ms until the trend shows that sensor (None: the page
    did not let it happen within a minute or two)."""
    cell = page.locator(
        "#site-grid .ag-row[row-index='5'] [col-id='id'],"
        " .hz-site-sensor:nth-of-type(6) .hz-site-id"
    ).first
    try:
        sensor = cell.inner_text(timeout=60_000).strip()
        started = page.evaluate("() => performance.now()")
        cell.click(timeout=60_000)
        page.wait_for_function(
            """id => { const gd = document.querySelector('#site-trend .js-plotly-plot');
                       return gd && gd.data && gd.data.length && gd.data[0].name
                              && gd.data[0].name.split(' ')[0] === id; }""",
            arg=sensor,
            timeout=120_000,
            polling="raf",
        )
    except Exception:  # noqa: BLE001 (reported as n/a)
        return None
    return page.evaluate("() => performance.now()") - started


def main() -> int:
    """Build the province, start the web app, measure, print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=500)
    parser.add_argument("--sensors", type=int, default=20_000)
    parser.add_argument("--alarms", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--samples", type=int, default=30, help="sequential refreshes")
    parser.add_argument("--postgres", action="store_true", help="alarm book on PostgreSQL")
    parser.add_argument(
        "--server",
        choices=[*SERVERS, "both"],
        default="production",
        help="web server: production (waitress), development (Werkzeug's, as before issue 10)"
        " or both, one after the other on identical stores",
    )
    parser.add_argument(
        "--flood",
        action="store_true",
        help="the wall on the 500-enterprise province of tests/province_scale.py with 6,075 open"
        " alarms (instead of --enterprises/--sensors/--alarms)",
    )
    parser.add_argument("--big-site", action="store_true", help="the Site page of a big site")
    parser.add_argument("--big-site-sensors", type=int, default=400)
    parser.add_argument("--big-site-seconds", type=float, default=20.0)
    parser.add_argument("--big-site-influx", action="store_true", help="on a private InfluxDB")
    parser.add_argument("--runs", type=int, default=4, help="page loads of --big-site")
    args = parser.parse_args()
    if args.big_site:
        return big_site_case(
            args.big_site_sensors, args.runs, args.big_site_seconds, args.big_site_influx
        )
    for server in SERVERS if args.server == "both" else [args.server]:
        print(f"--- {server} server ({SERVERS[server]} web)")
        wall_case(args, server)
    return 0


def wall_case(args: argparse.Namespace, server: str) -> None:
    """Fill fresh stores, start the web app on `server`, measure the wall's refresh, print."""
    with tempfile.TemporaryDirectory(prefix="hazwatch-bench-web-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite:///{workdir / 'hazwatch.db'}"
        drop: tuple[str, str] | None = None
        if args.postgres:
            from tests.pg import create_database, find_or_start_postgres

            (workdir / "pg").mkdir()
            admin_url, why = find_or_start_postgres(workdir / "pg")
            if admin_url is None:
                raise SystemExit(why)
            name = f"bench_{uuid.uuid4().hex[:8]}"
            create_database(admin_url, name)
            drop = (admin_url, name)
            db_url = admin_url.rsplit("/", 1)[0] + "/" + name
        if args.flood:
            sensors, alarms = fill_flood(workdir, db_url)
            enterprises = len({e for e, _s, _sensor in sensors})
        else:
            sensors = write_registry(workdir / "registry.yaml", args.enterprises, args.sensors)
            fill_stores(workdir, db_url, sensors, args.alarms)
            enterprises, alarms = args.enterprises, args.alarms
        proc, base = start_web(workdir, workdir / "registry.yaml", db_url, server)
        try:
            print(
                f"registry: {enterprises} enterprises, {len(sensors)} sensors; "
                f"{alarms:,} open alarms; alarm book {db_url.split(':')[0]}"
            )
            dep = refresh_dependency(base, viewer_session(base, "bench-deps"))
            sequential(base, dep, args.samples)
            concurrent(base, dep, args.clients, args.seconds, db_url, sensors)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
            if drop is not None:
                from tests.pg import drop_database

                drop_database(*drop)


if __name__ == "__main__":
    sys.exit(main())
