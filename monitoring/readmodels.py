"""Read models: what pages and the API show, computed from the stores and the registry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask

CONFIG_KEY = "HAZWATCH_READS"


@dataclass
class ReadModels:
    """Read-only access for the web layer; installed on the Flask app at start-up."""

    store: Any
    registry: Callable[[], Any]
    clock: Callable[[], float] = time.time

    def install(self, server: flask.Flask) -> None:
        """Make these read models reachable from callbacks through `current()`."""
        server.config[CONFIG_KEY] = self

    def latest_table(self, limit_sites: int = 50) -> list[dict]:
        """Return one row per sensor with its newest value, freshness and unit."""
        registry = self.registry()
        if registry is None:
            return []
        now_ms = int(self.clock() * 1000)
        rows: list[dict] = []
        for enterprise, site in list(registry.sites())[:limit_sites]:
            latest = {r.sensor: r for r in self.store.latest_readings(enterprise.id, site.id)}
            for sensor in site.sensors:
                r = latest.get(sensor.id)
                rows.append(
                    {
                        "enterprise": enterprise.name,
                        "site": site.name,
                        "zone": sensor.zone,
                        "sensor": sensor.id,
                        "kind": sensor.kind,
                        "value": None if r is None else round(r.value, 2),
                        "unit": sensor.unit or "",
                        "quality": None if r is None else r.quality,
                        "age_s": None if r is None else max(0, (now_ms - r.ts_ms) // 1000),
                    }
                )
        return rows


def current() -> ReadModels:
    """Return the read models of the running app (for callbacks)."""
    return flask.current_app.config[CONFIG_KEY]
