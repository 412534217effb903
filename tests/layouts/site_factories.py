"""Site read-model values and component-tree readers shared by the Site page's layout tests."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from monitoring.registry.loader import parse_registry
from monitoring.views import site as sv
from monitoring.views.site import (
    AlarmMark,
    PermitSpan,
    Presence,
    SensorRow,
    SensorSeries,
    SiteSnapshot,
    ZoneRow,
)
from tests.e2e_support import REGISTRY_YAML

TZ = "Asia/Shanghai"
NOW = int(datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
REGISTRY = parse_registry(yaml.safe_load(REGISTRY_YAML.replace("{restrictions}", "[]")))
ENT, SITE = REGISTRY.enterprise("e1"), REGISTRY.site("e1", "s1")
PHONE = re.compile(r"\+86|1[3-9]\d[ -]?\d{4}[ -]?\d{4}")


def walk(component):
    """Yield a component and everything inside it."""
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def text(component) -> str:
    """Return all the text of a component tree."""
    parts = []
    for c in walk(component):
        children = getattr(c, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if isinstance(child, str | int | float):
                parts.append(str(child))
    return " ".join(parts)


def by_class(component, name: str) -> list:
    return [c for c in walk(component) if name in (getattr(c, "className", "") or "").split()]


def series(sensor: str, unit: str, limits: dict, n: int, start: int, step: int) -> SensorSeries:
    points = tuple((start + i * step, 10.0 + i % 5) for i in range(n))
    return SensorSeries(sensor, "gas_nh3", unit, limits, points)


def window(key: str = "1h", now: int = NOW) -> sv.TrendWindow:
    return sv.trend_window(key, now)


def span(number: str, start: int, end: int, w, status: str = "approved", **kw) -> PermitSpan:
    return PermitSpan(
        permit=number,
        type=kw.get("type", "hot_work"),
        status=status,
        start_ms=start,
        end_ms=end,
        workers=kw.get("workers"),
        supervisor=kw.get("supervisor"),
        clipped_start_ms=max(start, w.start_ms),
        clipped_end_ms=min(end, w.end_ms),
    )


def presence(w, points, permits=(), max_people=2) -> Presence:
    return Presence(w, TZ, "Z1", "Ammonia tanks", "氨罐区", max_people, points, tuple(permits))


def sensor(id_: str, **kw) -> SensorRow:
    base = dict(
        id=id_,
        zone="Z1",
        kind="gas_nh3",
        unit="ppm",
        limits={"high": 42.0, "high_high": 85.0},
        registered=True,
        value=12.5,
        ts_ms=NOW - 2000,
        age_ms=2000,
        quality="good",
        stale=False,
    )
    return SensorRow(**(base | kw))


def snapshot(**kw) -> SiteSnapshot:
    zone = ZoneRow(
        id="Z1",
        name="Ammonia tanks",
        name_zh="氨罐区",
        hazard="major",
        max_people=2,
        people=kw.pop("people", 1),
        people_ts_ms=NOW - 1000,
        has_cameras=True,
        sensors=kw.pop(
            "sensors",
            (
                sensor("NH3-1"),
                sensor(
                    "NH3-2",
                    value=90.0,
                    limit_state="high_high",
                    alarm=AlarmMark("red", "limit", True, True, 1),
                ),
                sensor(
                    "PT-1",
                    value=1.0,
                    unit="MPa",
                    limits={},
                    age_ms=400_000,
                    stale=True,
                    quality="bad",
                ),
                sensor("LT-1", value=None, ts_ms=None, age_ms=None, quality=None, stale=True),
            ),
        ),
        alarm=kw.pop("zone_alarm", None),
    )
    base = dict(
        enterprise="e1",
        enterprise_name="Test Fertilizer",
        enterprise_name_zh="测试化肥",
        region="Testland",
        site="s1",
        site_name="Main plant",
        site_name_zh=None,
        zones=(zone,),
        unregistered=(),
        gateway_state="online",
        gateway_alarm=None,
        open_by_severity={"red": 1, "orange": 0, "yellow": 0, "blue": 0},
        now_ms=NOW,
        tz=TZ,
    )
    return SiteSnapshot(**(base | kw))
