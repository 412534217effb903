"""Event factories for the rule tests: the contract's example registry plus a general zone,
and helpers that feed an engine with injected time."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime

from monitoring.records import GatewayStatus, Permit, PresenceCount, Reading, StoredBatch
from monitoring.registry.loader import parse_registry
from monitoring.registry.model import Registry
from monitoring.rules.engine import RuleEngine
from monitoring.signals import AlarmSignal

S = 1000  # one second in ms
MIN = 60 * S
ENT, SITE = "ty-fert", "main"
TANKS, WAREHOUSE = "NH3-TANK-S", "WH-2"
TANKS_NAME = "Liquid ammonia tank farm south"


def ms(iso: str) -> int:
    """Return epoch ms of an ISO time with offset."""
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


T0 = ms("2026-11-29T21:00:00+08:00")  # a night patrol, outside any restriction period
T_RESTRICTED = ms("2026-02-10T21:00:00+08:00")  # inside the Spring Festival restriction

# The contract's example (section 4), with what the tests add marked.
REGISTRY_DATA: dict = {
    "timezone": "Asia/Shanghai",
    "restrictions": [
        {
            "name": "Spring Festival and epidemic period",
            "start": "2026-02-01T00:00:00+08:00",
            "end": "2026-03-01T00:00:00+08:00",
        }
    ],
    "enterprises": [
        {
            "id": ENT,
            "name": "Tianyu Fertilizer Co., Ltd.",
            "name_zh": "天宇化肥有限公司",
            "region": "Jincheng",
            "address": "1 Industrial Road, Gaoping",
            "contacts": [
                {"name": "Zhang Wei", "role": "principal", "phone": "+86 139 0000 0001"},
                {
                    "name": "Wang Qiang",
                    "role": "duty_officer",
                    "phone": "+86 139 0000 0003",
                    "shifts": ["08:00-20:00"],
                },
            ],
            "sites": [
                {
                    "id": SITE,
                    "name": "Main plant",
                    "location": {"lat": 35.79, "lon": 112.92},
                    "zones": [
                        {
                            "id": TANKS,
                            "name": TANKS_NAME,
                            "hazard": "major",
                            "max_people": 2,
                            "dwell_s": 120,
                        },
                        # added: a general zone for the plain people rule
                        {
                            "id": WAREHOUSE,
                            "name": "Warehouse 2",
                            "hazard": "general",
                            "max_people": 2,
                            "dwell_s": 180,
                        },
                    ],
                    "sensors": [
                        {
                            "id": "NH3-S-01",
                            "zone": TANKS,
                            "kind": "gas_nh3",
                            "unit": "ppm",
                            "high": 42,
                            "high_high": 85,
                            "stale_after_s": 60,
                        },
                        {
                            "id": "LT-101",
                            "zone": TANKS,
                            "kind": "level",
                            "unit": "%",
                            "low": 10,
                            "high": 85,
                            "high_high": 90,
                        },
                        # added: a gas detector with on-delay and deadband
                        {
                            "id": "NH3-S-02",
                            "zone": TANKS,
                            "kind": "gas_nh3",
                            "unit": "ppm",
                            "high": 42,
                            "high_high": 85,
                            "deadband": 2,
                            "delay_s": 10,
                            "stale_after_s": 300,
                        },
                        # added: a temperature with deadband only, and a sensor without limits
                        {
                            "id": "TT-301",
                            "zone": WAREHOUSE,
                            "kind": "temperature",
                            "unit": "°C",
                            "high": 80,
                            "deadband": 2,
                        },
                        {"id": "PT-302", "zone": WAREHOUSE, "kind": "pressure", "unit": "MPa"},
                    ],
                    "cameras": [
                        {"id": "CAM-07", "zone": TANKS},
                        {"id": "CAM-08", "zone": TANKS},  # added: a second camera
                        {"id": "CAM-21", "zone": WAREHOUSE},
                    ],
                }
            ],
        }
    ],
}


def registry_data() -> dict:
    """Return a deep copy of the test registry data, to edit for reload tests."""
    return copy.deepcopy(REGISTRY_DATA)


def make_registry() -> Registry:
    """Return the contract's example registry plus a general zone and a few sensors."""
    return parse_registry(registry_data())


def engine_for(registry: Registry, *rules: str) -> RuleEngine:
    """Return an engine running only `rules` (all when none given)."""
    return RuleEngine(registry, enabled=set(rules) if rules else None)


def reading(sensor: str, value: float, ts: int, quality: str = "good") -> Reading:
    """Return a reading of the test site."""
    return Reading(ENT, SITE, sensor, ts, float(value), quality)


def people(count: int, ts: int, zone: str = TANKS, camera: str = "CAM-07") -> PresenceCount:
    """Return a people count of the test site."""
    return PresenceCount(ENT, SITE, camera, zone, ts, count)


def permit(
    start: int,
    end: int,
    *,
    zone: str = TANKS,
    workers: int | None = 4,
    status: str = "approved",
    ident: str = "DH-2026-0042",
    reported: int | None = None,
) -> Permit:
    """Return a hot-work permit of the test site."""
    return Permit(
        ENT,
        SITE,
        ident,
        "hot_work",
        zone,
        start,
        end,
        status,
        start - 3600 * S if reported is None else reported,
        level="1",
        supervisor="Wang Qiang",
        workers=workers,
    )


def status(state: str, ts: int) -> GatewayStatus:
    """Return a gateway status of the test site."""
    return GatewayStatus(ENT, SITE, state, ts)


def batch(
    readings: Iterable[Reading] = (),
    presence: Iterable[PresenceCount] = (),
    permits: Iterable[Permit] = (),
    statuses: Iterable[GatewayStatus] = (),
) -> StoredBatch:
    """Return a stored batch as the intake hands it to listeners."""
    return StoredBatch(list(readings), list(presence), list(permits), list(statuses))


def feed(engine: RuleEngine, now: int, *records: object) -> list[AlarmSignal]:
    """Hand records (readings, counts, permits, statuses) to the engine as one batch."""
    return engine.on_batch(
        batch(
            [r for r in records if isinstance(r, Reading)],
            [r for r in records if isinstance(r, PresenceCount)],
            [r for r in records if isinstance(r, Permit)],
            [r for r in records if isinstance(r, GatewayStatus)],
        ),
        now,
    )


def crowd(
    engine: RuleEngine, start: int, until: int, count: int, **kw: object
) -> list[AlarmSignal]:
    """Report `count` people every minute from `start` to `until`, ticking each second."""
    out: list[AlarmSignal] = []
    for t in range(start, until + 1, S):
        if (t - start) % MIN == 0:
            out += feed(engine, t, people(count, t, **kw))  # type: ignore[arg-type]
        out += engine.on_tick(t)
    return out


def only(
    signals: list[AlarmSignal], rule: str | None = None, source: str | None = None
) -> list[AlarmSignal]:
    """Return the signals of one rule and/or source."""
    return [
        s
        for s in signals
        if (rule is None or s.rule == rule) and (source is None or s.source == source)
    ]
