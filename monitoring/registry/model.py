"""The registry: enterprises, their sites, zones, sensors, cameras and contacts (contract section 4).

The registry file is written by administrators, so it is validated as a whole when loaded:
every problem is reported at once, each naming the file, the entry and the field. Once
loaded it is immutable, and its lookups are dict indexes built at construction because the
ingest asks `locate_sensor` for every reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType

from monitoring.records import UNKNOWN, is_valid_id
from monitoring.registry.fields import (  # RegistryError is part of this module's API
    FieldReader,
    Problems,
    RegistryError,
    check_unique,
    got,
    load_yaml,
    read_instant,
    read_timezone,
)
from monitoring.registry.roster import ROLES, Shift, parse_shift

HAZARDS: frozenset[str] = frozenset({"major", "general"})
DEFAULT_DWELL_S = 60
DEFAULT_STALE_AFTER_S = 120.0
LIMIT_NAMES: tuple[str, ...] = ("low_low", "low", "high", "high_high")

_UNKNOWN_LOCATION = (UNKNOWN, UNKNOWN)

__all__ = [
    "Camera",
    "Contact",
    "Enterprise",
    "Registry",
    "RegistryError",
    "Restriction",
    "Sensor",
    "Shift",
    "Site",
    "Zone",
    "load_registry",
    "parse_registry",
]
_TOP_FIELDS = ("timezone", "restrictions", "enterprises")
_RESTRICTION_FIELDS = ("name", "start", "end")
_ENTERPRISE_FIELDS = ("id", "name", "name_zh", "region", "address", "contacts", "sites")
_CONTACT_FIELDS = ("name", "role", "phone", "shifts")
_SITE_FIELDS = ("id", "name", "name_zh", "location", "zones", "sensors", "cameras")
_ZONE_FIELDS = ("id", "name", "name_zh", "hazard", "max_people", "dwell_s")
_SENSOR_FIELDS = (
    "id",
    "zone",
    "kind",
    "unit",
    *LIMIT_NAMES,
    "deadband",
    "delay_s",
    "stale_after_s",
)
_CAMERA_FIELDS = ("id", "zone")


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


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry YAML file; raise RegistryError listing every problem."""
    path = Path(path)
    return parse_registry(load_yaml(path), str(path))


def parse_registry(data: object, source: str = "<registry>") -> Registry:
    """Validate registry data (as YAML loads it) and build a Registry; raise RegistryError."""
    problems = Problems(source)
    if not isinstance(data, Mapping):
        problems.add("", None, f"must be a mapping with {', '.join(_TOP_FIELDS)}, got {got(data)}")
        raise problems.error()
    top = FieldReader(problems, "", "", data, _TOP_FIELDS)
    timezone, tz = read_timezone(top)
    restrictions = tuple(
        _restriction(entry, tz) for entry in top.children("restrictions", _RESTRICTION_FIELDS)
    )
    ent_entries = top.children("enterprises", _ENTERPRISE_FIELDS, required=True)
    enterprises = tuple(_enterprise(entry) for entry in ent_entries)
    check_unique(ent_entries, "id", "enterprise id")
    if problems.count:
        raise problems.error()
    return Registry(timezone, restrictions, enterprises)


def _restriction(entry: FieldReader, tz: tzinfo) -> Restriction:
    name = entry.text("name") or ""
    start = read_instant(entry, "start", tz)
    end = read_instant(entry, "end", tz)
    if start is not None and end is not None and end <= start:
        entry.error("end", "must be after start")
    return Restriction(name, start or 0, end or 0)


def _enterprise(entry: FieldReader) -> Enterprise:
    ident = entry.ident("id") or ""
    name = entry.text("name") or ""
    name_zh = entry.text("name_zh", required=False)
    region = entry.text("region", required=False)
    address = entry.text("address", required=False)
    contacts = entry.children("contacts", _CONTACT_FIELDS)
    check_unique(contacts, "name", "contact name")  # /calls names a contact by its name
    sites = entry.children("sites", _SITE_FIELDS)
    check_unique(sites, "id", "site id")
    return Enterprise(
        ident,
        name,
        name_zh,
        region,
        address,
        tuple(_contact(c) for c in contacts),
        tuple(_site(s) for s in sites),
    )


def _contact(entry: FieldReader) -> Contact:
    name = entry.text("name") or ""
    role = entry.value("role", True)
    if role is not None and (not isinstance(role, str) or role not in ROLES):
        entry.error("role", f"must be one of {', '.join(ROLES)}, got {got(role)}")
    phone = entry.text("phone")
    if phone is not None and not any(ch.isdigit() for ch in phone):
        entry.error("phone", f"must contain a phone number, got {got(phone)}")
    raw_shifts = entry.raw.get("shifts")
    if isinstance(raw_shifts, str):  # one shift written without a list
        raw_shifts = [raw_shifts]
    shifts: list[Shift] = []
    if raw_shifts is not None and not isinstance(raw_shifts, list):
        entry.error("shifts", f"must be a list of shifts like '08:00-20:00', got {got(raw_shifts)}")
        raw_shifts = None
    for index, text in enumerate(raw_shifts or ()):
        try:
            shifts.append(parse_shift(text))
        except ValueError as exc:
            hint = " (put it in quotes)" if not isinstance(text, str) else ""
            entry.error(f"shifts[{index}]", f"{exc}{hint}")
    return Contact(name, role if isinstance(role, str) else "", phone or "", tuple(shifts))


def _site(entry: FieldReader) -> Site:
    ident = entry.ident("id") or ""
    name = entry.text("name") or ""
    location = _location(entry)
    zones = entry.children("zones", _ZONE_FIELDS)
    sensors = entry.children("sensors", _SENSOR_FIELDS)
    cameras = entry.children("cameras", _CAMERA_FIELDS)
    for entries, what in ((zones, "zone id"), (sensors, "sensor id"), (cameras, "camera id")):
        check_unique(entries, "id", what)
    zone_ids = {z.raw["id"] for z in zones if is_valid_id(z.raw.get("id"))}
    return Site(
        ident,
        name,
        location,
        tuple(_zone(z) for z in zones),
        tuple(_sensor(s, zone_ids) for s in sensors),
        tuple(Camera(c.ident("id") or "", _zone_ref(c, zone_ids)) for c in cameras),
        entry.text("name_zh", required=False),
    )


def _location(entry: FieldReader) -> tuple[float, float] | None:
    raw = entry.raw.get("location")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        entry.error(
            "location", f"must be a mapping like {{lat: 35.79, lon: 112.92}}, got {got(raw)}"
        )
        return None
    point = FieldReader(entry.problems, entry.where, entry.label, raw, ("lat", "lon"), "location.")
    coords = []
    for name, bound in (("lat", 90.0), ("lon", 180.0)):
        value = point.number(name)
        if raw.get(name) is None:
            point.error(name, "required")
        elif value is not None and not -bound <= value <= bound:
            point.error(name, f"must be in -{bound:g}..{bound:g}, got {value:g}")
        coords.append(value)
    lat, lon = coords
    return None if lat is None or lon is None else (lat, lon)


def _zone(entry: FieldReader) -> Zone:
    ident = entry.ident("id") or ""
    name = entry.text("name") or ""
    name_zh = entry.text("name_zh", required=False)
    hazard = entry.value("hazard", False) or "general"
    if not isinstance(hazard, str) or hazard not in HAZARDS:
        entry.error("hazard", f"must be major or general, got {got(hazard)}")
    max_people = entry.integer("max_people")
    if max_people is not None and max_people < 0:
        entry.error("max_people", f"must be 0 or more, got {max_people}")
    dwell_s = entry.integer("dwell_s", DEFAULT_DWELL_S)
    if dwell_s is not None and dwell_s < 0:
        entry.error("dwell_s", f"must be 0 or more, got {dwell_s}")
    return Zone(
        ident,
        name,
        name_zh,
        str(hazard),
        max_people,
        DEFAULT_DWELL_S if dwell_s is None else dwell_s,
    )


def _sensor(entry: FieldReader, zone_ids: set[str]) -> Sensor:
    ident = entry.ident("id") or ""
    zone = _zone_ref(entry, zone_ids)
    kind = entry.ident("kind") or ""  # kind becomes an InfluxDB tag, like the ids
    unit = entry.text("unit", required=False)
    limits = {name: entry.number(name) for name in LIMIT_NAMES}
    _check_limit_order(entry, limits)
    deadband = entry.number("deadband", 0.0)
    delay_s = entry.number("delay_s", 0.0)
    stale_after_s = entry.number("stale_after_s", DEFAULT_STALE_AFTER_S)
    for name, value in (("deadband", deadband), ("delay_s", delay_s)):
        if value is not None and value < 0:
            entry.error(name, f"must be 0 or more, got {value:g}")
    if stale_after_s is not None and stale_after_s <= 0:
        entry.error("stale_after_s", f"must be more than 0, got {stale_after_s:g}")
    return Sensor(
        id=ident,
        zone=zone,
        kind=kind,
        unit=unit,
        deadband=deadband or 0.0,
        delay_s=delay_s or 0.0,
        stale_after_s=stale_after_s or DEFAULT_STALE_AFTER_S,
        **limits,
    )


def _check_limit_order(entry: FieldReader, limits: dict[str, float | None]) -> None:
    # Checking neighbours among the limits given is enough: the order is transitive.
    given = [(name, value) for name, value in limits.items() if value is not None]
    for (low_name, low), (name, value) in zip(given, given[1:], strict=False):
        crosses = low_name.startswith("low") and name.startswith("high")
        if value < low or (crosses and value == low):
            relation = "more than" if crosses else "at least"
            entry.error(name, f"must be {relation} {low_name} ({low:g}), got {value:g}")


def _zone_ref(entry: FieldReader, zone_ids: set[str]) -> str:
    zone = entry.ident("zone")
    if zone is not None and zone not in zone_ids:
        known = ", ".join(sorted(zone_ids)[:10]) or "none"
        entry.error("zone", f"no zone {zone!r} in this site (zones: {known})")
    return zone or ""
