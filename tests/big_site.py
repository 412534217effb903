"""A big site (issue 11, defect 3): one site of 400 sensors in 8 zones, and a probe of its page.

`write_big_site` writes a registry holding one enterprise with one site: 8 zones (4 major
hazards, 4 general; one camera each) and 50 sensors per zone in five kinds. The abnormal
sensors follow a known plan (`BigSite.alarmed`, `.stale`, `.bad`), so a test can compare what
the page shows with what was seeded:

| group | sensors | latest reading | open alarm |
|---|---|---|---|
| alarmed | 12 | beyond high_high (red, 4) or high (8) | a `limit` alarm, unacknowledged |
| stale | 10 | 30 minutes old | none |
| bad | 6 | quality `bad` | none |
| the others | 372 | inside the limits, fresh | none |

`seed_readings` writes an hour of history (every 15 s) and the people counts through the
store's own `write` (the embedded store or InfluxDB alike: about 100,000 points in a few
seconds); `seed_alarms` raises the plan's alarms through the real alarm book. `LiveReadings`
keeps the non-stale sensors reporting every second while a test runs, so every refresh of
the page has new values to show. `WebApp` runs `app.py web` on them, and `SiteProbe` measures
the page in Chromium: when the sensor table and the trend are shown, the browser's long tasks
(PerformanceObserver `longtask`) and the size of every `_dash-update-component` answer.
Shared by `tests/test_site_big_browser.py` and `bench/web.py big-site`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.services import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "big-site-admin-1"
ENTERPRISE = "big-chem"
SITE = "plant"
SITE_PATH = f"/site?enterprise={ENTERPRISE}&site={SITE}"
ZONES = 8
SENSORS = 400
HISTORY_MIN = 60
HISTORY_STEP_S = 15
STALE_AGE_MS = 30 * 60_000

# kind -> (prefix, unit, limits, normal value)
KINDS: tuple[tuple[str, str, str, dict[str, float], float], ...] = (
    ("gas_nh3", "NH3", "ppm", {"high": 42.0, "high_high": 85.0}, 6.0),
    ("gas_lel", "LEL", "%LEL", {"high": 25.0, "high_high": 50.0}, 2.0),
    ("level", "LT", "%", {"low": 10.0, "high": 85.0, "high_high": 90.0}, 55.0),
    ("pressure", "PT", "MPa", {"high": 2.0, "high_high": 2.5}, 1.2),
    ("temperature", "TT", "°C", {"high": 60.0, "high_high": 80.0}, 24.0),
)
ZONE_NAMES = (
    ("Liquid ammonia tank farm", "液氨罐区"),
    ("Synthesis unit", "合成装置区"),
    ("LPG sphere tanks", "液化气球罐区"),
    ("Chlorine store", "液氯库房"),
    ("Loading bay", "装卸站台"),
    ("Utilities", "公用工程区"),
    ("Warehouse", "仓库区"),
    ("Control building", "中控楼"),
)


@dataclass(frozen=True)
class BigSensor:
    id: str
    zone: str
    kind: str
    unit: str
    limits: dict[str, float]
    normal: float


@dataclass
class BigSite:
    """What was written: the registry file, its sensors and the abnormal plan."""

    registry: Path
    sensors: list[BigSensor]
    zones: list[str]
    alarmed: dict[str, str] = field(default_factory=dict)  # sensor -> severity
    stale: set[str] = field(default_factory=set)
    bad: set[str] = field(default_factory=set)

    @property
    def abnormal(self) -> set[str]:
        """Return every sensor the abnormal filter must show."""
        return set(self.alarmed) | self.stale | self.bad

    def sensor(self, sensor_id: str) -> BigSensor:
        return next(s for s in self.sensors if s.id == sensor_id)


def write_big_site(directory: Path, sensors: int = SENSORS, zones: int = ZONES) -> BigSite:
    """Write the registry of one enterprise with one big site; return what it holds."""
    directory.mkdir(parents=True, exist_ok=True)
    per_zone = -(-sensors // zones)
    zone_ids = [f"Z{z + 1:02d}" for z in range(zones)]
    lines = [
        "timezone: Asia/Shanghai",
        "restrictions: []",
        "enterprises:",
        f"  - id: {ENTERPRISE}",
        "    name: Grand River Chemical Co., Ltd.",
        "    name_zh: 大河化工有限公司",
        "    region: Riverside",
        "    address: 8 River Road",
        "    contacts:",
        '      - {name: Duty Big, role: duty_officer, phone: "+86 139 0000 0400"}',
        "    sites:",
        f"      - id: {SITE}",
        "        name: Main plant",
        "        name_zh: 主厂区",
        "        zones:",
    ]
    for z, zid in enumerate(zone_ids):
        name, name_zh = ZONE_NAMES[z % len(ZONE_NAMES)]
        hazard = "major" if z < zones // 2 else "general"
        lines.append(
            f"          - {{id: {zid}, name: {name}, name_zh: {name_zh}, hazard: {hazard},"
            f" max_people: {4 + z}, dwell_s: 60}}"
        )
    lines.append("        sensors:")
    out: list[BigSensor] = []
    for n in range(sensors):
        zid = zone_ids[n // per_zone]
        kind, prefix, unit, limits, normal = KINDS[n % len(KINDS)]
        sid = f"{prefix}-{zid[1:]}-{n % per_zone + 1:02d}"
        out.append(BigSensor(sid, zid, kind, unit, limits, normal))
        limit_text = ", ".join(f"{k}: {v:g}" for k, v in limits.items())
        lines.append(
            f'          - {{id: {sid}, zone: {zid}, kind: {kind}, unit: "{unit}", {limit_text},'
            " stale_after_s: 120}"
        )
    lines.append("        cameras:")
    lines += [f"          - {{id: CAM-{zid}, zone: {zid}}}" for zid in zone_ids]
    path = directory / "registry.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    big = BigSite(path, out, zone_ids)
    # The plan: spread over the zones, never two groups on one sensor.
    step = len(out) // 28
    picks = [out[i * step + 3] for i in range(28)]
    for i, s in enumerate(picks[:12]):
        big.alarmed[s.id] = (
            "red" if i % 3 == 0 else "orange" if s.kind.startswith("gas") else "yellow"
        )
    big.stale = {s.id for s in picks[12:22]}
    big.bad = {s.id for s in picks[22:28]}
    return big


def latest_value(big: BigSite, s: BigSensor, k: int = 0) -> float:
    """Return the sensor's value at step `k`: beyond its limit if alarmed, else normal."""
    severity = big.alarmed.get(s.id)
    if severity == "red":
        return s.limits["high_high"] + 5
    if severity is not None:
        return s.limits["high"] + 1
    return round(s.normal * (1 + 0.05 * ((k * 7 + len(s.id)) % 11 - 5) / 5), 3)


def seed_readings(store: Any, big: BigSite, now_ms: int) -> int:
    """Write an hour of every sensor's values and of every zone's people; return points."""
    from monitoring.records import PresenceCount, Reading

    steps = HISTORY_MIN * 60 // HISTORY_STEP_S
    readings: list[Reading] = []
    for s in big.sensors:
        newest = now_ms - (STALE_AGE_MS if s.id in big.stale else 1000)
        quality = "bad" if s.id in big.bad else "good"
        for k in range(steps, -1, -1):
            ts = newest - k * HISTORY_STEP_S * 1000
            readings.append(
                Reading(
                    ENTERPRISE, SITE, s.id, ts, latest_value(big, s, k), quality, s.zone, s.kind
                )
            )
    presence = [
        PresenceCount(ENTERPRISE, SITE, f"CAM-{zid}", zid, now_ms - k * 60_000, (k + z) % 4)
        for z, zid in enumerate(big.zones)
        for k in range(HISTORY_MIN, -1, -1)
    ]
    for i in range(0, len(readings), 5000):
        store.write(readings[i : i + 5000], presence if i == 0 else [])
    return len(readings) + len(presence)


def seed_alarms(db_url: str, big: BigSite, now_ms: int) -> None:
    """Raise the plan's limit alarms through the real alarm book (unacknowledged)."""
    from monitoring.alarms.book import AlarmBook
    from monitoring.db.database import Database
    from monitoring.signals import AlarmSignal

    db = Database(db_url)
    db.start()
    try:
        signals = []
        for i, (sid, severity) in enumerate(sorted(big.alarmed.items())):
            s = big.sensor(sid)
            level = "high_high" if severity == "red" else "high"
            value = latest_value(big, s)
            limit = s.limits[level]
            gas = "gas_" if s.kind.startswith("gas") else ""
            signals.append(
                AlarmSignal(
                    "raise",
                    ENTERPRISE,
                    SITE,
                    f"sensor:{sid}",
                    "limit",
                    now_ms - (60 - i) * 1000,
                    severity=severity,
                    zone=s.zone,
                    value=value,
                    message=f"{sid} {level}: {value:g} {s.unit} (limit {limit:g})",
                    message_key=f"limit.{gas}{level}",
                    params={
                        "sensor": sid,
                        "level": level,
                        "value": value,
                        "unit": s.unit,
                        "limit": limit,
                    },
                )
            )
        AlarmBook(db).apply(signals, now_ms)
    finally:
        db.close()


class LiveReadings:
    """Every `period_s`, a new value for every sensor that is not meant to be stale."""

    def __init__(self, store: Any, big: BigSite, period_s: float = 1.0) -> None:
        self.store, self.big, self.period_s = store, big, period_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="big-site-live", daemon=True)
        self.written = 0

    def _run(self) -> None:
        import time

        from monitoring.records import Reading

        k = 0
        while not self.stop_event.wait(self.period_s):
            k += 1
            now = int(time.time() * 1000)
            batch = [
                Reading(
                    ENTERPRISE,
                    SITE,
                    s.id,
                    now,
                    latest_value(self.big, s, k),
                    "bad" if s.id in self.big.bad else "good",
                    s.zone,
                    s.kind,
                )
                for s in self.big.sensors
                if s.id not in self.big.stale
            ]
            self.store.write(batch, [])
            self.written += len(batch)

    def __enter__(self) -> LiveReadings:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join(10)


class WebApp:
    """`app.py web` (Dash + Flask, its own process) on a registry, a database and a store."""

    def __init__(
        self, workdir: Path, registry: Path, db_url: str, influx: tuple[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable,
            str(ROOT / "app.py"),
            "web",
            "--registry",
            str(registry),
            "--db-url",
            db_url,
            "--data-dir",
            str(workdir),
            "--no-simulate",
            "--port",
            str(self.port),
        ]
        if influx is not None:
            self.args += ["--influx-url", influx[0], "--influx-db", influx[1]]
        self.proc: subprocess.Popen | None = None

    def start(self) -> WebApp:
        env = dict(
            os.environ,
            HAZMON_ADMIN_PASSWORD=ADMIN_PASSWORD,
            PYTHONUNBUFFERED="1",
            HAZMON_LOG_LEVEL="WARNING",
        )
        log = open(self.workdir / "web.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(self._up, 120, what=f"app.py web (log: {self.workdir / 'web.log'})")
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"app.py web exited: {(self.workdir / 'web.log').read_text()}")
        try:
            return requests.get(self.base + "/api/v1/health", timeout=2).status_code in (200, 503)
        except requests.RequestException:
            return False

    def add_user(self, username: str, password: str, role: str = "viewer") -> None:
        r = requests.post(
            f"{self.base}/api/v1/users",
            auth=("admin", ADMIN_PASSWORD),
            timeout=10,
            json={"username": username, "password": password, "role": role},
        )
        assert r.status_code == 201, r.text

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@contextmanager
def big_site_app(
    workdir: Path, sensors: int = SENSORS, influx_url: str | None = None
) -> Iterator[tuple[WebApp, BigSite, Any]]:
    """Seed a big site into a store and a SQLite alarm book; run the web on them.

    The store is the embedded one in `workdir`, or with `influx_url` a fresh database on that
    InfluxDB. Yields (app, site, store): the store is open for writing (`LiveReadings`).
    """
    import time
    import uuid

    from monitoring.storage.embedded import EmbeddedStore
    from monitoring.storage.influx import InfluxStore

    workdir.mkdir(parents=True, exist_ok=True)
    big = write_big_site(workdir, sensors)
    db_url = f"sqlite:///{workdir / 'hazwatch.db'}"
    now = int(time.time() * 1000)
    influx_db = f"bigsite_{uuid.uuid4().hex[:8]}"
    store = (
        InfluxStore(influx_url, influx_db)
        if influx_url
        else EmbeddedStore(workdir / "readings.sqlite")
    )
    store.start()
    try:
        seed_readings(store, big, now)
        seed_alarms(db_url, big, now)
        influx = (influx_url, influx_db) if influx_url else None
        app = WebApp(workdir, big.registry, db_url, influx).start()
        try:
            yield app, big, store
        finally:
            app.stop()
    finally:
        store.close()


# -- measuring the page in Chromium ---------------------------------------------------------

# Installed before any script of the page: long tasks, and when the sensor table and the
# trend (a sensor trace with points) first appear, in ms since navigation start. The table
# is either layout's rows: the grid's (`.ag-row`) or an HTML table's (`.hz-site-sensor`).
PROBE_SCRIPT = """
(() => {
  const hz = window.__hzProbe = {longtasks: [], table_ms: null, trend_ms: null};
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) hz.longtasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) { hz.error = String(e); }
  const check = () => {
    if (hz.table_ms === null) {
      const rows = document.querySelectorAll(
        '.hz-site-sensor, .hz-site-grid .ag-center-cols-container .ag-row');
      if (rows.length && /\\d/.test(rows[0].textContent)) hz.table_ms = performance.now();
    }
    if (hz.trend_ms === null) {
      const gd = document.querySelector('#site-trend .js-plotly-plot');
      if (gd && gd.data && gd.data.some(t => t.name && t.y && t.y.length > 0)) {
        hz.trend_ms = performance.now();
      }
    }
    return hz.table_ms !== null && hz.trend_ms !== null;
  };
  const start = () => {
    const mo = new MutationObserver(() => { if (check()) mo.disconnect(); });
    mo.observe(document.documentElement, {childList: true, subtree: true});
  };
  if (document.documentElement) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
"""


@dataclass
class Answer:
    """One `_dash-update-component` answer: what triggered it and its size."""

    changed: list[str]
    outputs: str
    n_intervals: int | None
    bytes: int
    at_ms: float


class SiteProbe:
    """Record every Dash callback answer of a page, and read the page's probe."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self._responses: list[tuple[Any, float]] = []
        self.lost: list[str] = []  # answers whose body the browser no longer had
        page.add_init_script(PROBE_SCRIPT)
        page.on("response", self._on_response)

    def _on_response(self, response: Any) -> None:
        if "/_dash-update-component" in response.url:
            import time

            self._responses.append((response, time.monotonic()))

    def answers(self) -> list[Answer]:
        """Return every answer so far, with its size (the decoded body)."""
        out = []
        for response, at in self._responses:
            try:
                body = json.loads(response.request.post_data or "{}")
                size = len(response.body())
            except Exception as exc:  # noqa: BLE001 (a navigation can discard a body)
                self.lost.append(repr(exc))
                continue
            changed = body.get("changedPropIds") or []
            n = next(
                (
                    i.get("value")
                    for i in body.get("inputs", [])
                    if isinstance(i, dict)
                    and i.get("id") == "site-interval"
                    and i.get("property") == "n_intervals"
                ),
                None,
            )
            out.append(Answer(changed, body.get("output", ""), n, size, at))
        return out

    def refresh_bytes(self, after_tick: int = 1) -> dict[int, int]:
        """Return the bytes of every live refresh (answers triggered by the site's interval),
        summed per tick, for ticks from `after_tick` on."""
        ticks: dict[int, int] = {}
        for a in self.answers():
            if "site-interval.n_intervals" in a.changed and (a.n_intervals or 0) >= after_tick:
                ticks[a.n_intervals or 0] = ticks.get(a.n_intervals or 0, 0) + a.bytes
        return ticks

    def state(self) -> dict:
        """Return the page's probe: table_ms, trend_ms and the long tasks [start, duration]."""
        return self.page.evaluate("() => window.__hzProbe")

    def wait_loaded(self, timeout_ms: int = 300_000) -> dict:
        """Wait until the table and the trend are shown; return the probe."""
        self.page.wait_for_function(
            "() => window.__hzProbe && window.__hzProbe.table_ms !== null"
            " && window.__hzProbe.trend_ms !== null",
            timeout=timeout_ms,
            polling=100,
        )
        return self.state()

    def longest_task_after(self, after_ms: float) -> float:
        """Return the longest main-thread task that started after `after_ms` (0: none)."""
        return max((d for start, d in self.state()["longtasks"] if start >= after_ms), default=0.0)


# Only this machine answers: every other host name fails to resolve. `tests/browser.py`
# aborts outside requests with a route instead, and Playwright turns the browser's HTTP cache
# off while a route is set, so every page load there fetches and compiles Plotly (4.6 MB)
# and ag-grid again. An operator's browser keeps them: measure with the cache on.
NO_OUTSIDE_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


@contextmanager
def cached_browser(width: int = 1920, height: int = 1080) -> Iterator[Any]:
    """Yield a Chromium context (1920x1080, HTTP cache on, no host but this one) with a page."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), args=[*CHROMIUM_ARGS, NO_OUTSIDE_HOSTS]
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            outside: list[str] = []
            context.on(
                "request",
                lambda r: (
                    outside.append(r.url)
                    if not r.url.startswith(("http://127.0.0.1", "data:", "about:", "blob:"))
                    else None
                ),
            )
            page = context.new_page()
            page.outside_requests = outside
            yield page
        finally:
            browser.close()


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Sign in through the form (the probe's own timings start at the site page's load)."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".hz-header .hz-user-name")


SENSOR_ID = re.compile(r"^[A-Z0-9]+-\d\d-\d\d$")
