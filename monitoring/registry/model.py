"""The registry: enterprises, their sites, zones, sensors, cameras and contacts (contract section 4).

These are the immutable objects a loaded registry file becomes (`monitoring.registry.loader`
reads and validates the file). The lookups are dict indexes built at construction because
the ingest asks `locate_sensor` for every reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from monitoring.records import UNKNOWN
from monitoring.registry.roster import Shift

HAZARDS: frozenset[str] = frozenset({"major", "general"})
DEFAULT_DWELL_S = 60
DEFAULT_STALE_AFTER_S = 120.0
LIMIT_NAMES: tuple[str, ...] = ("low_low", "low", "high", "high_high")

_UNKNOWN_LOCATION = (UNKNOWN, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Restriction:
    """A period when special operations are suspended in principle."""

    name: str
    start_ms: int
    end_ms: int

    def active_at(self, ts_ms: int) -> bool:
        """Tell whether the period covers `ts_ms` (end excluded)."""
        return self.start_ms <= ts_ms < self.end_ms


@dataclass(frozen=True, slots=True)
class Zone:
    """An area of a site; a major-hazard zone has a people limit and a dwell time."""

    id: str
    name: str
    name_zh: str | None = None
    hazard: str = "general"
    max_people: int | None = None
    dwell_s: int = DEFAULT_DWELL_S

    def display_name(self, lang: str = "en") -> str:
        """Return the zone's name in `lang` ('zh': the Chinese name when there is one)."""
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name


@dataclass(frozen=True, slots=True)
class Sensor:
    """A registered instrument with its alarm limits (None: no such limit)."""

    id: str
    zone: str
    kind: str
    unit: str | None = None
    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = 0.0
    delay_s: float = 0.0
    stale_after_s: float = DEFAULT_STALE_AFTER_S


@dataclass(frozen=True, slots=True)
class Camera:
    """A video-analytics camera counting people in one zone."""

    id: str
    zone: str


@dataclass(frozen=True, slots=True)
class Site:
    """One plant of an enterprise; `location` is (lat, lon)."""

    id: str
    name: str
    location: tuple[float, float] | None = None
    zones: tuple[Zone, ...] = ()
    sensors: tuple[Sensor, ...] = ()
    cameras: tuple[Camera, ...] = ()
    name_zh: str | None = None  # an addition to the contract's registry (README)

    def display_name(self, lang: str = "en") -> str:
        """Return the site's name in `lang` ('zh': the Chinese name when there is one)."""
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name


@dataclass(frozen=True, slots=True)
class Contact:
    """A person an inspector may call; `shifts` are in the registry's timezone."""

    name: str
    role: str
    phone: str
    shifts: tuple[Shift, ...] = ()


@dataclass(frozen=True, slots=True)
class Enterprise:
    """A supervised enterprise with its contacts and sites."""

    id: str
    name: str
    name_zh: str | None = None
    region: str | None = None
    address: str | None = None
    contacts: tuple[Contact, ...] = ()
    sites: tuple[Site, ...] = ()

    def display_name(self, lang: str = "en") -> str:
        """Return the enterprise's name in `lang` ('zh': the Chinese name when there is one)."""
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name


_NO_LOCATIONS: Mapping[str, tuple[str, str]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Registry:
    """The whole registry, with dict indexes for the lookups of the ingest hot path."""

    timezone: str
    restrictions: tuple[Restriction, ...] = ()
    enterprises: tuple[Enterprise, ...] = ()
    _enterprises: dict[str, Enterprise] = field(init=False, repr=False, compare=False)
    _sites: dict[tuple[str, str], Site] = field(init=False, repr=False, compare=False)
    _zones: dict[tuple[str, str, str], Zone] = field(init=False, repr=False, compare=False)
    _sensors: dict[tuple[str, str, str], Sensor] = field(init=False, repr=False, compare=False)
    _locations: dict[tuple[str, str, str], tuple[str, str]] = field(
        init=False, repr=False, compare=False
    )
    _cameras: dict[tuple[str, str, str], Camera] = field(init=False, repr=False, compare=False)
    _site_locations: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        enterprises: dict[str, Enterprise] = {}
        sites: dict[tuple[str, str], Site] = {}
        zones: dict[tuple[str, str, str], Zone] = {}
        sensors: dict[tuple[str, str, str], Sensor] = {}
        cameras: dict[tuple[str, str, str], Camera] = {}
        # setdefault: in a registry built by hand with duplicates, the first entry wins,
        # as it would when reading the file top to bottom.
        for ent in self.enterprises:
            enterprises.setdefault(ent.id, ent)
            for site in ent.sites:
                sites.setdefault((ent.id, site.id), site)
                for zone in site.zones:
                    zones.setdefault((ent.id, site.id, zone.id), zone)
                for sensor in site.sensors:
                    sensors.setdefault((ent.id, site.id, sensor.id), sensor)
                for camera in site.cameras:
                    cameras.setdefault((ent.id, site.id, camera.id), camera)
        locations = {key: (s.zone, s.kind) for key, s in sensors.items()}
        site_locations: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        for (ent_id, site_id, sensor_id), where in locations.items():
            site_locations.setdefault((ent_id, site_id), {})[sensor_id] = where
        object.__setattr__(self, "_enterprises", enterprises)
        object.__setattr__(self, "_sites", sites)
        object.__setattr__(self, "_zones", zones)
        object.__setattr__(self, "_sensors", sensors)
        object.__setattr__(self, "_locations", locations)
        object.__setattr__(self, "_cameras", cameras)
        object.__setattr__(self, "_site_locations", site_locations)

    def enterprise(self, enterprise: str) -> Enterprise | None:
        """Return an enterprise by id, or None."""
        return self._enterprises.get(enterprise)

    def site(self, enterprise: str, site: str) -> Site | None:
        """Return a site by enterprise and site id, or None."""
        return self._sites.get((enterprise, site))

    def zone(self, enterprise: str, site: str, zone: str) -> Zone | None:
        """Return a zone of a site, or None."""
        return self._zones.get((enterprise, site, zone))

    def sensor(self, enterprise: str, site: str, sensor: str) -> Sensor | None:
        """Return a registered sensor, or None."""
        return self._sensors.get((enterprise, site, sensor))

    def locate_sensor(self, enterprise: str, site: str, sensor: str) -> tuple[str, str]:
        """Return (zone, kind) of a sensor, or ('unknown', 'unknown') when unregistered."""
        return self._locations.get((enterprise, site, sensor), _UNKNOWN_LOCATION)

    def sensor_locations(self, enterprise: str, site: str) -> Mapping[str, tuple[str, str]]:
        """Return {sensor id: (zone, kind)} of a site's registered sensors (empty if unknown)."""
        return self._site_locations.get((enterprise, site), _NO_LOCATIONS)

    def camera(self, enterprise: str, site: str, camera: str) -> Camera | None:
        """Return a registered camera, or None."""
        return self._cameras.get((enterprise, site, camera))

    def restrictions_at(self, ts_ms: int) -> list[Restriction]:
        """Return the restriction periods that cover `ts_ms`."""
        return [r for r in self.restrictions if r.active_at(ts_ms)]

    def sites(self) -> Iterator[tuple[Enterprise, Site]]:
        """Iterate over (enterprise, site) pairs in registry order."""
        for ent in self.enterprises:
            for site in ent.sites:
                yield ent, site

    def sensor_count(self) -> int:
        """Return how many sensors are registered."""
        return len(self._sensors)
