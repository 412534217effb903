"""Named incidents layered over the steady-state simulation of one site.

Each scenario is a small class behind one interface: built for a province, a start time and
a time scale, it rewrites the frames of its target site while it runs. Everything is a pure
function of the frame's time, so a test can ask "what happens at t" without publishing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from simulators.site import SiteFrame, utc_offset_s

STORY_TARGET = ("ty-fert", "main", "NH3-TANK-S")


class Scenario(ABC):
    """An incident at one site, from `start_ms` for `duration_s / speed` seconds."""

    name: ClassVar[str]
    description: ClassVar[str]
    duration_s: ClassVar[float]

    def __init__(
        self,
        province: dict,
        start_ms: int,
        speed: float = 1.0,
        *,
        enterprise: str | None = None,
        site: str | None = None,
        zone: str | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start_ms = int(start_ms)
        self.speed = float(speed)
        self.enterprise, self.site = self.default_target(province, enterprise, site)
        site_row = _find_site(province, self.enterprise, self.site)
        self.enterprise_row = next(e for e in province["enterprises"] if e["id"] == self.enterprise)
        self.zone = zone or self.default_zone(site_row)
        self.sensors: list[dict] = list(site_row.get("sensors", []))
        self.utc_offset_s = utc_offset_s(province.get("timezone", "Asia/Shanghai"), start_ms)

    @property
    def end_ms(self) -> int:
        """Return when the scenario stops touching frames."""
        return self.start_ms + self.scaled_ms(self.duration_s)

    def scaled_ms(self, seconds: float) -> int:
        """Return `seconds` of scenario time as milliseconds of simulated time."""
        return int(seconds * 1000.0 / self.speed)

    def elapsed_s(self, t_ms: int) -> float:
        """Return scenario seconds since the start (negative before it)."""
        return (t_ms - self.start_ms) * self.speed / 1000.0

    def active(self, t_ms: int) -> bool:
        """Tell whether the scenario runs at `t_ms`."""
        return self.start_ms <= t_ms < self.end_ms

    def apply(self, frame: SiteFrame) -> SiteFrame:
        """Return the frame as this scenario changes it (unchanged when not concerned)."""
        if (frame.enterprise, frame.site) != (self.enterprise, self.site):
            return frame
        if not self.active(frame.t_ms):
            return frame
        return self.overlay(frame, self.elapsed_s(frame.t_ms))

    @abstractmethod
    def overlay(self, frame: SiteFrame, elapsed_s: float) -> SiteFrame:
        """Change a frame of the target site, `elapsed_s` scenario seconds after the start."""

    def default_target(
        self, province: dict, enterprise: str | None, site: str | None
    ) -> tuple[str, str]:
        """Return the (enterprise, site) to play in when none is given."""
        ids = [e["id"] for e in province["enterprises"]]
        if enterprise is not None and enterprise not in ids:
            raise ValueError(f"no enterprise {enterprise!r} in the province")
        ent = enterprise or (STORY_TARGET[0] if STORY_TARGET[0] in ids else ids[0])
        if site is None:
            row = next(e for e in province["enterprises"] if e["id"] == ent)
            ids = [s["id"] for s in row["sites"]]
            site = STORY_TARGET[1] if STORY_TARGET[1] in ids else ids[0]
        return ent, site

    def default_zone(self, site_row: dict) -> str:
        """Return the zone to play in when none is given: the story's, else a major one."""
        zones = site_row.get("zones", [])
        ids = [z["id"] for z in zones]
        if STORY_TARGET[2] in ids:
            return STORY_TARGET[2]
        major = [z["id"] for z in zones if z.get("hazard") == "major"]
        return (major or ids or ["-"])[0]


class AmmoniaNightPatrol(Scenario):
    """Six people walk around the south liquid-ammonia tank farm, no permit reported."""

    name = "ammonia-night-patrol"
    description = "6 people in ty-fert/main NH3-TANK-S for 10 min, no permit reported"
    duration_s = 600.0
    people = 6

    def overlay(self, frame: SiteFrame, elapsed_s: float) -> SiteFrame:
        """Put six people in the zone."""
        return replace(frame, people={**frame.people, self.zone: self.people})


class AmmoniaLeak(Scenario):
    """NH3-S-01 climbs past 42 to ~120 ppm, neighbours rise less; one person at first."""

    name = "ammonia-leak"
    description = "NH3-S-01 ramps to ~120 ppm over 3 min, holds, falls back after ~15 min"
    duration_s = 1200.0
    peak_ppm = 120.0
    ramp_s, hold_until_s = 180.0, 900.0
    operator_leaves_s = 120.0
    neighbour_share = (0.3, 0.15)  # of the source's rise, nearest first

    def overlay(self, frame: SiteFrame, elapsed_s: float) -> SiteFrame:
        """Raise the leaking sensor and its neighbours; the operator leaves after 2 min."""
        rise = self.peak_ppm * self.envelope(elapsed_s)
        readings = dict(frame.readings)
        for sensor, share in zip(self.leak_sensors(), (1.0, *self.neighbour_share), strict=False):
            readings[sensor] = round((readings.get(sensor) or 0.0) + share * rise, 1)
        people = 1 if elapsed_s < self.operator_leaves_s else 0
        return replace(frame, readings=readings, people={**frame.people, self.zone: people})

    def envelope(self, elapsed_s: float) -> float:
        """Return 0..1: smooth ramp up, plateau, smooth fall back."""
        fall_s = self.duration_s - self.hold_until_s
        if elapsed_s < 0 or elapsed_s >= self.duration_s:
            return 0.0
        if elapsed_s < self.ramp_s:
            return _smoothstep(elapsed_s / self.ramp_s)
        if elapsed_s < self.hold_until_s:
            return 1.0
        return 1.0 - _smoothstep((elapsed_s - self.hold_until_s) / fall_s)

    def leak_sensors(self) -> list[str]:
        """Return the zone's ammonia detectors, the leaking one (NH3-S-01 if present) first."""
        ids = [s["id"] for s in self.sensors if s["zone"] == self.zone and s["kind"] == "gas_nh3"]
        if "NH3-S-01" in ids:
            ids.remove("NH3-S-01")
            ids.insert(0, "NH3-S-01")
        return ids


class GatewayOutage(Scenario):
    """A site's gateway goes silent: offline, nothing for 10 min, then online again."""

    name = "gateway-outage"
    description = "one site's gateway reports offline, is silent for 10 min, then resumes"
    duration_s = 600.0

    def default_target(
        self, province: dict, enterprise: str | None, site: str | None
    ) -> tuple[str, str]:
        """Pick the second enterprise's first site, so the story's plant keeps reporting."""
        if enterprise is None and len(province["enterprises"]) > 1:
            enterprise = province["enterprises"][1]["id"]
        if enterprise is not None and site is None:
            row = next((e for e in province["enterprises"] if e["id"] == enterprise), None)
            site = row["sites"][0]["id"] if row else None
        return super().default_target(province, enterprise, site)

    def overlay(self, frame: SiteFrame, elapsed_s: float) -> SiteFrame:
        """Take the gateway offline."""
        return replace(frame, online=False)


class PermittedHotWork(Scenario):
    """An approved hot-work permit for a zone, then four workers in it: no alarm expected."""

    name = "permitted-hot-work"
    description = "approved hot_work permit (2 h, 4 workers) reported, then 4 people in the zone"
    duration_s = 7200.0 + 300.0  # the work, then 5 min in which the permit is reported closed
    work_s = 7200.0
    workers = 4
    arrive_s = 60.0

    def default_zone(self, site_row: dict) -> str:
        """Prefer the synthesis unit, so the night-patrol story's zone stays untouched."""
        ids = [z["id"] for z in site_row.get("zones", [])]
        return "SYN-UNIT" if "SYN-UNIT" in ids else super().default_zone(site_row)

    def overlay(self, frame: SiteFrame, elapsed_s: float) -> SiteFrame:
        """Report the permit; put the workers in the zone while the work lasts."""
        working = self.arrive_s <= elapsed_s < self.work_s - self.arrive_s
        people = {**frame.people, self.zone: self.workers} if working else frame.people
        status = "approved" if elapsed_s < self.work_s else "closed"
        return replace(frame, people=people, permits=(*frame.permits, self.permit(status)))

    def permit(self, status: str) -> dict[str, Any]:
        """Return the permit payload as the enterprise reports it (contract section 2)."""
        tz = timezone(timedelta(seconds=self.utc_offset_s))
        start = datetime.fromtimestamp(self.start_ms / 1000.0, tz)
        end = datetime.fromtimestamp((self.start_ms + self.scaled_ms(self.work_s)) / 1000.0, tz)
        supervisor = next(
            (
                c["name"]
                for c in self.enterprise_row.get("contacts", [])
                if c.get("role") == "safety_manager"
            ),
            "Site supervisor",
        )
        return {
            "permit": f"DH-{start.year}-{(self.start_ms // 60_000) % 10_000:04d}",
            "type": "hot_work",
            "zone": self.zone,
            "start": start.isoformat(timespec="seconds"),
            "end": end.isoformat(timespec="seconds"),
            "level": "2",
            "supervisor": supervisor,
            "workers": self.workers,
            "status": status,
        }


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls for cls in (AmmoniaNightPatrol, AmmoniaLeak, GatewayOutage, PermittedHotWork)
}


def list_scenarios() -> list[str]:
    """Return one line per scenario: its name and what it does."""
    return [f"{name}: {cls.description}" for name, cls in SCENARIOS.items()]


def make_scenario(spec: str, province: dict, start_ms: int, speed: float = 1.0) -> Scenario:
    """Build a scenario from `NAME` or `NAME:ENTERPRISE/SITE[/ZONE]`."""
    name, _, target = spec.partition(":")
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    parts = target.split("/") if target else []
    if len(parts) > 3 or (target and len(parts) < 2):
        raise ValueError(f"scenario target must be ENTERPRISE/SITE[/ZONE], got {target!r}")
    enterprise, site, zone = (parts + [None, None, None])[:3]
    return SCENARIOS[name](province, start_ms, speed, enterprise=enterprise, site=site, zone=zone)


def _find_site(province: dict, enterprise: str, site: str) -> dict:
    for e in province["enterprises"]:
        if e["id"] == enterprise:
            for s in e["sites"]:
                if s["id"] == site:
                    return s
    raise ValueError(f"no site {enterprise}/{site} in the province")


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)
