"""Loading the registry file: read the YAML, validate every entry, build the `Registry`.

The registry file is written by administrators, so it is validated as a whole when loaded:
every problem is reported at once, each naming the file, the entry and the field
(`monitoring.registry.fields` reads one field and says where it is). The result is the
immutable `monitoring.registry.model.Registry`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import tzinfo
from pathlib import Path

import yaml

from monitoring.records import is_valid_id
from monitoring.registry.fields import (
    MAX_ERRORS,
    FieldReader,
    Problems,
    check_unique,
    got,
    read_instant,
    read_timezone,
)
from monitoring.registry.model import (
    DEFAULT_DWELL_S,
    DEFAULT_STALE_AFTER_S,
    HAZARDS,
    LIMIT_NAMES,
    Camera,
    Contact,
    Enterprise,
    Registry,
    Restriction,
    Sensor,
    Site,
    Zone,
)
from monitoring.registry.roster import ROLES, Shift, parse_shift

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


class RegistryError(ValueError):
    """A registry that cannot be used; `errors` lists every problem found (at most 50)."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors[:MAX_ERRORS]
        self.total = max(total or 0, len(errors))
        if self.total == 1:
            message = self.errors[0]
        else:
            lines = [f"{self.total} problems in the registry:"]
            lines += [f"  - {error}" for error in self.errors]
            if self.total > len(self.errors):
                lines.append(f"  ... and {self.total - len(self.errors)} more")
            message = "\n".join(lines)
        super().__init__(message)


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry YAML file; raise RegistryError listing every problem."""
    path = Path(path)
    return parse_registry(_load_yaml(path), str(path))


def parse_registry(data: object, source: str = "<registry>") -> Registry:
    """Validate registry data (as YAML loads it) and build a Registry; raise RegistryError."""
    problems = Problems(source)
    if not isinstance(data, Mapping):
        problems.add("", None, f"must be a mapping with {', '.join(_TOP_FIELDS)}, got {got(data)}")
        raise _reported(problems)
    top = FieldReader(problems, "", "", data, _TOP_FIELDS)
    timezone, tz = read_timezone(top)
    restrictions = tuple(
        _restriction(entry, tz) for entry in top.children("restrictions", _RESTRICTION_FIELDS)
    )
    ent_entries = top.children("enterprises", _ENTERPRISE_FIELDS, required=True)
    enterprises = tuple(_enterprise(entry) for entry in ent_entries)
    check_unique(ent_entries, "id", "enterprise id")
    if problems.count:
        raise _reported(problems)
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
    zone_ids = {
        z_id for z in zones if isinstance(z_id := z.raw.get("id"), str) and is_valid_id(z_id)
    }
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


def _reported(problems: Problems) -> RegistryError:
    return RegistryError(problems.messages, problems.count)


def _load_yaml(path: Path) -> object:
    """Read a YAML file as plain data; raise RegistryError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError([f"{path}: cannot read the registry: {exc}"]) from exc
    try:
        return yaml.load(text, Loader=RegistryLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        raise RegistryError([f"{path}: not valid YAML: {_yaml_problem(exc)}"]) from exc


class RegistryLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the key {key_node.value!r} twice",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return str(exc)
