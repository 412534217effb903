"""One site's simulated state at a time: every sensor's value and every zone's head count."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from simulators.people import PeopleModel, model_for_zone
from simulators.province import iter_sites
from simulators.signals import SignalModel, model_for_sensor


@dataclass(frozen=True, slots=True)
class SiteFrame:
    """What a site's gateway would report at `t_ms`, before it is turned into messages."""

    enterprise: str
    site: str
    t_ms: int
    readings: Mapping[str, float | None]  # sensor id -> value; None while silent
    people: Mapping[str, int]  # zone id -> people counted
    permits: tuple[dict[str, Any], ...] = field(default=())  # permit payloads to report
    online: bool = True


class SiteModel:
    """The steady-state simulation of one site: signal models per sensor, people per zone."""

    def __init__(
        self, enterprise: dict, site: dict, *, seed: int = 7, utc_offset_s: int = 8 * 3600
    ) -> None:
        self.enterprise_id: str = enterprise["id"]
        self.site_id: str = site["id"]
        self.utc_offset_s = utc_offset_s
        scope = f"{self.enterprise_id}/{self.site_id}"
        self.sensors: dict[str, dict] = {s["id"]: s for s in site.get("sensors", [])}
        self.zones: dict[str, dict] = {z["id"]: z for z in site.get("zones", [])}
        # camera id -> zone id; a zone's count is reported by its cameras.
        self.cameras: dict[str, str] = {c["id"]: c["zone"] for c in site.get("cameras", [])}
        self.signals: dict[str, SignalModel] = {
            sid: model_for_sensor(s, seed=seed, scope=scope, utc_offset_s=utc_offset_s)
            for sid, s in self.sensors.items()
        }
        self.people: dict[str, PeopleModel] = {
            zid: model_for_zone(z, seed=seed, scope=scope, utc_offset_s=utc_offset_s)
            for zid, z in self.zones.items()
        }

    @property
    def key(self) -> tuple[str, str]:
        """Return (enterprise id, site id)."""
        return self.enterprise_id, self.site_id

    def frame(self, t_ms: int) -> SiteFrame:
        """Return the site's steady-state frame at `t_ms`."""
        return SiteFrame(
            enterprise=self.enterprise_id,
            site=self.site_id,
            t_ms=t_ms,
            readings={sid: m.sample(t_ms) for sid, m in self.signals.items()},
            people={zid: m.count(t_ms) for zid, m in self.people.items()},
        )


def utc_offset_s(timezone: str, t_ms: int) -> int:
    """Return the UTC offset of `timezone` at `t_ms`, in seconds."""
    offset = datetime.fromtimestamp(t_ms / 1000.0, UTC).astimezone(ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def build_site_models(province: dict, *, seed: int = 7, t_ms: int = 0) -> list[SiteModel]:
    """Return one SiteModel per site of a registry dict (offset of its timezone at `t_ms`)."""
    offset = utc_offset_s(province.get("timezone", "Asia/Shanghai"), t_ms)
    return [SiteModel(e, s, seed=seed, utc_offset_s=offset) for e, s in iter_sites(province)]
