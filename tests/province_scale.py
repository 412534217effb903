"""A province at the scale of issue 11: 500 enterprises and more than 6,000 open alarms.

For tests and benchmarks that must see what an operator sees in a flood. The registry is the
simulators' fictional province (`simulators.province.generate_province`: distinct names in
English and Chinese, real sites, zones and sensors). The alarms follow a known plan
(`PLAN`), raised through the real alarm book in one transaction and moved to their states
in bulk, so seeding takes seconds:

| group | enterprises | each holds | why |
|---|---|---|---|
| `flood` | 110 | 50 alarms, red to yellow, mostly unacknowledged | the flood itself: 5,500 |
| `red_and_yellows` | 10 | 1 red + 12 yellow, unacknowledged | a tile must not read "Red · 13" |
| `yellows_only` | 40 | 3 unacknowledged yellow | coloured though nothing is red |
| `acked_only` | 20 | 2 acknowledged orange | open, but not unacknowledged |
| `special_ops` | 15 | 1 suspected special operation (orange) | the KPI of its own |
| `shelved_only` | 10 | 1 shelved yellow | open, but shelved |
| `cleared_unack` | 10 | 2 red, cleared and unacknowledged | open and unacknowledged |
| `tail` | 30 | 8 unacknowledged blue, the oldest of all | beyond any list of the first 5,000 |
| `calm` | the other 255 | nothing | "Normal" |

The `tail` is what the old pages hid: ordered most severe and newest first, its 240 alarms
come after the first 5,000, so a page that read at most 5,000 (or 500) drew those 30
enterprises as calm. Tests compare what pages show with the database's own counts
(`database_counts`), and the plan with both (`Seeded.expected`).
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa
import yaml

from monitoring.alarms.book import AlarmBook
from monitoring.db.database import Database
from monitoring.db.schema import alarm_table, alarm_transition_table
from monitoring.registry.loader import parse_registry
from monitoring.registry.model import Enterprise, Registry, Sensor, Site
from monitoring.signals import OPEN_STATES, SEVERITIES, AlarmSignal
from simulators.province import generate_province
from tests.e2e_support import ROOT, HazwatchProcess
from tests.services import wait_for

ENTERPRISES = 500
SEED = 7
UNACK_STATES = ("active_unack", "cleared_unack")
SEEDED_BY = "province-seed"  # the user name of the bulk acknowledgements and shelvings

# Alarms each enterprise of a group holds, as (severity, state, rule); rules other than
# special_operation take one of the enterprise's sensors each.
_FLOOD_MIX: tuple[tuple[str, str, str], ...] = tuple(
    (
        ("red", "orange", "yellow", "yellow", "orange")[i % 5],
        "active_ack" if i % 10 == 3 else "cleared_unack" if i % 10 == 7 else "active_unack",
        ("limit", "lost_comm", "bad_data")[i % 3],
    )
    for i in range(50)
)


@dataclass(frozen=True)
class Group:
    """Enterprises that each hold the same alarms."""

    name: str
    enterprises: int
    alarms: tuple[tuple[str, str, str], ...]  # (severity, state, rule) per alarm


PLAN: tuple[Group, ...] = (
    Group("flood", 110, _FLOOD_MIX),
    Group(
        "red_and_yellows",
        10,
        (("red", "active_unack", "limit"),) + (("yellow", "active_unack", "limit"),) * 12,
    ),
    Group("yellows_only", 40, (("yellow", "active_unack", "limit"),) * 3),
    Group("acked_only", 20, (("orange", "active_ack", "limit"),) * 2),
    Group("special_ops", 15, (("orange", "active_unack", "special_operation"),)),
    Group("shelved_only", 10, (("yellow", "shelved", "limit"),)),
    Group("cleared_unack", 10, (("red", "cleared_unack", "limit"),) * 2),
    Group("tail", 30, (("blue", "active_unack", "lost_comm"),) * 8),
)


@dataclass(frozen=True)
class Counts:
    """Open alarms of one enterprise (or of all): by severity, unacknowledged, special ops."""

    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    unacknowledged: int = 0
    special_operations: int = 0

    @property
    def open(self) -> int:
        """Return how many alarms are open."""
        return sum(self.by_severity.values())

    @property
    def worst(self) -> str | None:
        """Return the worst severity of the open alarms, None when there is none."""
        return next((s for s in SEVERITIES if self.by_severity.get(s)), None)


@dataclass(frozen=True)
class Seeded:
    """The province written to disk and its alarm book: what a test reads back."""

    registry_path: Path
    registry: Registry
    db_url: str
    now_ms: int
    groups: dict[str, tuple[str, ...]]  # group name -> enterprise ids
    expected: dict[str, Counts]  # enterprise id -> what the plan put there (calm ones too)

    @property
    def total(self) -> Counts:
        """Return the whole province's expected counts."""
        return merge(self.expected.values())

    def group_of(self, enterprise: str) -> str:
        """Return the plan group an enterprise belongs to ('calm' for none)."""
        return next((g for g, ids in self.groups.items() if enterprise in ids), "calm")


def merge(counts: Iterable[Counts]) -> Counts:
    """Return the sum of several Counts."""
    by_severity = dict.fromkeys(SEVERITIES, 0)
    unack = special = 0
    for c in counts:
        for s, n in c.by_severity.items():
            by_severity[s] += n
        unack += c.unacknowledged
        special += c.special_operations
    return Counts(by_severity, unack, special)


def write_province(
    directory: Path, enterprises: int = ENTERPRISES, seed: int = SEED
) -> tuple[Path, Registry]:
    """Write the simulators' province as `registry.yaml`; return its path and the registry."""
    province = generate_province(enterprises, seed=seed)
    path = directory / "registry.yaml"
    # libyaml's dumper: the pure-Python one (simulators.province.write_registry) takes
    # seconds for 500 enterprises, the same text.
    text = yaml.dump(
        province,
        Dumper=yaml.CSafeDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=120,
    )
    path.write_text(text, encoding="utf-8")
    return path, parse_registry(province, str(path))


def build_province(directory: Path, db_url: str | None = None, now_ms: int | None = None) -> Seeded:
    """Write the 500-enterprise registry and seed its alarm book with `PLAN` (seconds)."""
    directory.mkdir(parents=True, exist_ok=True)
    path, registry = write_province(directory)
    url = db_url or f"sqlite:///{directory / 'hazwatch.db'}"
    return seed_alarms(registry, path, url, now_ms or int(time.time() * 1000))


def seed_alarms(registry: Registry, registry_path: Path, db_url: str, now_ms: int) -> Seeded:
    """Raise `PLAN`'s alarms through the alarm book, then move them to their states in bulk."""
    plan = assign(registry)
    raised = now_ms - 60_000
    signals: list[AlarmSignal] = []
    wanted: dict[tuple[str, str, str, str], str] = {}  # alarm key -> state to end in
    # Newest first in plan order: the tail (last) gets the oldest times of all.
    position = 0
    for enterprise, alarms in plan:
        for signal, state in _signals(enterprise, alarms, raised - position * 1000):
            signals.append(signal)
            wanted[signal.key] = state
        position += len(alarms)
    db = Database(db_url)
    db.start()
    try:
        AlarmBook(db).apply(signals, now_ms - 30_000)
        _set_states(db, wanted, now_ms - 10_000)
    finally:
        db.close()
    groups: dict[str, list[str]] = {}
    expected = {e.id: Counts() for e in registry.enterprises}
    for (enterprise, alarms), group in zip(plan, _group_names(), strict=True):
        groups.setdefault(group, []).append(enterprise.id)
        expected[enterprise.id] = _counts(alarms)
    return Seeded(
        registry_path=registry_path,
        registry=registry,
        db_url=db_url,
        now_ms=now_ms,
        groups={g: tuple(ids) for g, ids in groups.items()},
        expected=expected,
    )


def assign(registry: Registry) -> list[tuple[Enterprise, tuple[tuple[str, str, str], ...]]]:
    """Return (enterprise, its alarms) for every enterprise the plan gives alarms to.

    Groups take enterprises in registry order, every other one, so calm and alarmed
    enterprises alternate on the wall as they would in a real province.
    """
    chosen = [e for e in registry.enterprises if _can_hold(e)]
    needed = sum(g.enterprises for g in PLAN)
    if len(chosen) < needed:
        raise ValueError(f"the registry has {len(chosen)} usable enterprises, the plan {needed}")
    order = chosen[::2] + chosen[1::2]
    out = []
    for enterprise, group in zip(order, _group_iter(), strict=False):
        out.append((enterprise, group.alarms))
    return out


def _group_iter() -> Iterator[Group]:
    for group in PLAN:
        for _ in range(group.enterprises):
            yield group


def _group_names() -> Iterator[str]:
    return (g.name for g in _group_iter())


def _can_hold(enterprise: Enterprise) -> bool:
    """Tell whether an enterprise has the sensors and a major zone every group needs."""
    sensors = sum(len(s.sensors) for s in enterprise.sites)
    majors = [z for s in enterprise.sites for z in s.zones if z.hazard == "major"]
    return sensors * 3 >= len(_FLOOD_MIX) and bool(majors)


def _signals(
    enterprise: Enterprise, alarms: tuple[tuple[str, str, str], ...], newest_ms: int
) -> Iterator[tuple[AlarmSignal, str]]:
    """Yield one raise signal per planned alarm, each on its own (source, rule)."""
    sensors: list[tuple[Site, Sensor]] = [
        (site, s) for site in enterprise.sites for s in site.sensors
    ]
    used: Counter[str] = Counter()
    for i, (severity, state, rule) in enumerate(alarms):
        ts = newest_ms - i * 1000
        if rule == "special_operation":
            site, zone = next(
                (site, z) for site in enterprise.sites for z in site.zones if z.hazard == "major"
            )
            yield (
                AlarmSignal(
                    "raise",
                    enterprise.id,
                    site.id,
                    f"zone:{zone.id}",
                    rule,
                    ts,
                    severity=severity,
                    zone=zone.id,
                    message=f"{(zone.max_people or 1) + 3} people in {zone.name}, "
                    "no permit reported",
                    message_key="special_operation.no_permit",
                    params={"zone": zone.id, "people": (zone.max_people or 1) + 3},
                ),
                state,
            )
            continue
        site, sensor = sensors[used[rule] % len(sensors)]
        used[rule] += 1
        yield _sensor_signal(enterprise.id, site.id, sensor, severity, rule, ts), state


def _sensor_signal(
    enterprise: str, site: str, sensor: Sensor, severity: str, rule: str, ts_ms: int
) -> AlarmSignal:
    """Return a sensor alarm as the rule engine words it."""
    if rule == "lost_comm":
        key, params = "lost_comm.sensor", {"sensor": sensor.id, "silent_s": 600}
        message = f"No data from {sensor.id} for 10 min"
    elif rule == "bad_data":
        key, params = "bad_data.bad_quality", {"sensor": sensor.id, "bad_s": 300}
        message = f"{sensor.id} reports bad quality for 5 min"
    else:
        level = "high_high" if severity == "red" else "high"
        limit = float(getattr(sensor, level) or sensor.high or 1.0)
        value = round(limit * 1.2, 2)
        prefix = "gas_" if sensor.kind.startswith("gas_") else ""
        key = f"limit.{prefix}{level}"
        params = {
            "sensor": sensor.id,
            "level": level,
            "value": value,
            "unit": sensor.unit,
            "limit": limit,
        }
        message = f"{sensor.id} {level}: {value:g} {sensor.unit or ''} (limit {limit:g})"
    return AlarmSignal(
        "raise",
        enterprise,
        site,
        f"sensor:{sensor.id}",
        rule,
        ts_ms,
        severity=severity,
        zone=sensor.zone,
        value=params.get("value"),  # type: ignore[arg-type]
        message=message,
        message_key=key,
        params=params,
    )


def _set_states(db: Database, wanted: dict[tuple[str, str, str, str], str], now_ms: int) -> None:
    """Move raised alarms to their planned states with bulk UPDATEs, recording transitions."""
    t = alarm_table
    with db.engine.begin() as conn:
        rows = conn.execute(
            sa.select(t.c.id, t.c.enterprise, t.c.site, t.c.source, t.c.rule, t.c.severity).where(
                t.c.open_key.is_not(None)
            )
        ).all()
        by_state: dict[str, list[tuple[int, str]]] = {}
        for alarm_id, e, s, src, rule, severity in rows:
            state = wanted.get((e, s, src, rule), "active_unack")
            if state != "active_unack":
                by_state.setdefault(state, []).append((alarm_id, severity))
        changes = {
            "active_ack": {"acked_ms": now_ms, "acked_by": SEEDED_BY},
            "cleared_unack": {"cleared_ms": now_ms},
            "shelved": {
                "shelved_until_ms": now_ms + 24 * 3_600_000,
                "shelve_reason": "seeded: maintenance",
            },
        }
        events = {"active_ack": "acknowledged", "cleared_unack": "cleared", "shelved": "shelved"}
        for state, found in by_state.items():
            ids = [i for i, _sev in found]
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                conn.execute(
                    t.update()
                    .where(t.c.id.in_(part))
                    .values(state=state, updated_ms=now_ms, **changes[state])
                )
            conn.execute(
                alarm_transition_table.insert(),
                [
                    {
                        "alarm_id": alarm_id,
                        "ts_ms": now_ms,
                        "event": events[state],
                        "from_state": "active_unack",
                        "to_state": state,
                        "severity": severity,
                        "actor": SEEDED_BY,
                        "reason": "seeded",
                        "comment": None,
                    }
                    for alarm_id, severity in found
                ],
            )


def _counts(alarms: tuple[tuple[str, str, str], ...]) -> Counts:
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for severity, _state, _rule in alarms:
        by_severity[severity] += 1
    return Counts(
        by_severity,
        sum(1 for _sev, state, _rule in alarms if state in UNACK_STATES),
        sum(1 for _sev, _state, rule in alarms if rule == "special_operation"),
    )


class ProvinceWeb(HazwatchProcess):
    """`app.py web` on a seeded province: no broker, no ingest, so nothing changes the alarms.

    Loading a 500-enterprise registry takes the web process 15-70 s on this kind of machine
    (PyYAML's pure-Python loader), so it is given `START_S`.
    """

    START_S = 240

    def __init__(self, seeded: Seeded, workdir: Path) -> None:
        super().__init__(
            workdir,
            mqtt_url="mqtt://127.0.0.1:9",  # never connected: `web` reads, it does not ingest
            influx_url=None,
            influx_db="hazmon",
            registry=seeded.registry_path,
            command="web",
        )
        self.args[self.args.index("--db-url") + 1] = seeded.db_url

    @property
    def site(self) -> str:
        """Return the address of the pages."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process and wait until it answers /health."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=open(self.workdir / "app.log", "ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, self.START_S, what=f"app.py web (log: {self.workdir}/app.log)")

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"app.py web exited with {self.proc.returncode}: "
                + (self.workdir / "app.log").read_text()[-3000:]
            )
        try:
            return requests.get(f"{self.base}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def database_counts(db_url: str) -> dict[str, Counts]:
    """Return every enterprise's open alarms as the database itself counts them (GROUP BY)."""
    t = alarm_table
    db = Database(db_url)
    db.start()
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.enterprise, t.c.severity, t.c.state, t.c.rule, sa.func.count())
                .where(t.c.state.in_(sorted(OPEN_STATES)))
                .group_by(t.c.enterprise, t.c.severity, t.c.state, t.c.rule)
            ).all()
    finally:
        db.close()
    out: dict[str, Counts] = {}
    for enterprise, severity, state, rule, n in rows:
        c = out.setdefault(enterprise, Counts())
        c.by_severity[severity] += n
        out[enterprise] = Counts(
            c.by_severity,
            c.unacknowledged + (n if state in UNACK_STATES else 0),
            c.special_operations + (n if rule == "special_operation" else 0),
        )
    return out


def open_alarm_ids(db_url: str) -> set[int]:
    """Return the id of every open alarm, as the database has them."""
    db = Database(db_url)
    db.start()
    try:
        with db.engine.connect() as conn:
            t = alarm_table
            return set(conn.scalars(sa.select(t.c.id).where(t.c.state.in_(sorted(OPEN_STATES)))))
    finally:
        db.close()
