"""Registry file (contract section 4): loading, validation messages and hot-path lookups."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring.registry.loader import RegistryError, load_registry, parse_registry
from monitoring.registry.model import (
    Camera,
    Enterprise,
    Registry,
    Restriction,
    Sensor,
    Site,
    Zone,
)
from monitoring.registry.roster import Shift

EXAMPLE_FILE = Path(__file__).resolve().parents[3] / "deploy" / "registry.example.yaml"

# The contract's example, verbatim (section 4).
CONTRACT_YAML = """\
timezone: Asia/Shanghai
restrictions:                      # periods when special operations are suspended in principle
  - name: Spring Festival and epidemic period
    start: 2026-02-01T00:00:00+08:00
    end: 2026-03-01T00:00:00+08:00
enterprises:
  - id: ty-fert
    name: Tianyu Fertilizer Co., Ltd.
    name_zh: 天宇化肥有限公司
    region: Jincheng
    address: 1 Industrial Road, Gaoping
    contacts:
      - {name: Zhang Wei, role: principal, phone: "+86 139 0000 0001"}
      - {name: Li Na, role: leader_in_charge, phone: "+86 139 0000 0002"}
      - {name: Wang Qiang, role: duty_officer, phone: "+86 139 0000 0003", shifts: ["08:00-20:00"]}
      - {name: Zhao Lei, role: duty_officer, phone: "+86 139 0000 0004", shifts: ["20:00-08:00"]}
    sites:
      - id: main
        name: Main plant
        location: {lat: 35.79, lon: 112.92}
        zones:
          - {id: NH3-TANK-S, name: Liquid ammonia tank farm south, hazard: major, max_people: 2, dwell_s: 120}
        sensors:
          - {id: NH3-S-01, zone: NH3-TANK-S, kind: gas_nh3, unit: ppm, high: 42, high_high: 85, stale_after_s: 60}
          - {id: LT-101, zone: NH3-TANK-S, kind: level, unit: "%", low: 10, high: 85, high_high: 90}
        cameras:
          - {id: CAM-07, zone: NH3-TANK-S}
"""

SOURCE = "registry.yaml"
E = "enterprises[0] (ty-fert)"
SITE = f"{E} > sites[0] (main)"
ZONE = f"{SITE} > zones[0] (NH3-TANK-S)"
GAS = f"{SITE} > sensors[0] (NH3-S-01)"
LEVEL = f"{SITE} > sensors[1] (LT-101)"
CAMERA = f"{SITE} > cameras[0] (CAM-07)"
RESTRICTION = "restrictions[0] (Spring Festival and epidemic period)"


def contact_at(index: int, name: str) -> str:
    return f"{E} > contacts[{index}] ({name})"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


CONTRACT_DATA: dict[str, Any] = yaml.safe_load(CONTRACT_YAML)


def contract_data() -> dict[str, Any]:
    return copy.deepcopy(CONTRACT_DATA)


def errors_after(change: Callable[[dict[str, Any]], object]) -> list[str]:
    """Return the errors parse_registry reports for the contract example after `change`."""
    data = contract_data()
    change(data)
    with pytest.raises(RegistryError) as caught:
        parse_registry(data, SOURCE)
    return caught.value.errors


def site_of(data: dict[str, Any]) -> dict[str, Any]:
    return data["enterprises"][0]["sites"][0]


def sensor_of(data: dict[str, Any], index: int) -> dict[str, Any]:
    return site_of(data)["sensors"][index]


def contact_of(data: dict[str, Any], index: int) -> dict[str, Any]:
    return data["enterprises"][0]["contacts"][index]


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    path = tmp_path / "registry.yaml"
    path.write_text(CONTRACT_YAML, encoding="utf-8")
    return load_registry(path)


# --- the contract's example ---------------------------------------------------------------


def test_contract_example_loads_with_every_field(registry: Registry) -> None:
    assert registry.timezone == "Asia/Shanghai"
    assert registry.restrictions == (
        Restriction(
            "Spring Festival and epidemic period",
            ms("2026-02-01T00:00:00+08:00"),
            ms("2026-03-01T00:00:00+08:00"),
        ),
    )
    (ent,) = registry.enterprises
    assert (ent.id, ent.name, ent.name_zh) == (
        "ty-fert",
        "Tianyu Fertilizer Co., Ltd.",
        "天宇化肥有限公司",
    )
    assert (ent.region, ent.address) == ("Jincheng", "1 Industrial Road, Gaoping")
    assert [(c.name, c.role, c.phone, c.shifts) for c in ent.contacts] == [
        ("Zhang Wei", "principal", "+86 139 0000 0001", ()),
        ("Li Na", "leader_in_charge", "+86 139 0000 0002", ()),
        ("Wang Qiang", "duty_officer", "+86 139 0000 0003", (Shift(None, 8 * 60, 20 * 60),)),
        ("Zhao Lei", "duty_officer", "+86 139 0000 0004", (Shift(None, 20 * 60, 8 * 60),)),
    ]
    (site,) = ent.sites
    assert (site.id, site.name, site.location) == ("main", "Main plant", (35.79, 112.92))
    assert site.zones == (
        Zone("NH3-TANK-S", "Liquid ammonia tank farm south", None, "major", 2, 120),
    )
    assert site.sensors == (
        Sensor("NH3-S-01", "NH3-TANK-S", "gas_nh3", "ppm", None, None, 42.0, 85.0, 0.0, 0.0, 60.0),
        Sensor("LT-101", "NH3-TANK-S", "level", "%", None, 10.0, 85.0, 90.0, 0.0, 0.0, 120.0),
    )
    assert site.cameras == (Camera("CAM-07", "NH3-TANK-S"),)


def test_example_file_in_deploy_loads() -> None:
    registry = load_registry(EXAMPLE_FILE)
    assert [e.id for e in registry.enterprises] == ["ty-fert", "jh-chlor"]
    assert len(registry.restrictions) == 2
    assert registry.sensor_count() == 7
    # The second enterprise's two sites may both use CAM-01: camera ids are per site.
    assert registry.camera("jh-chlor", "plant", "CAM-01").zone == "CL2-STORE"
    assert registry.camera("jh-chlor", "wharf", "CAM-01").zone == "HCL-TANK"
    assert registry.sensor("jh-chlor", "plant", "PT-101") == Sensor(
        "PT-101", "CL2-STORE", "pressure", "MPa", 0.05, 0.1, 0.8, 1.0, 0.02, 10.0, 120.0
    )
    assert registry.sensor("jh-chlor", "plant", "ESD-1").unit is None
    assert registry.zone("jh-chlor", "plant", "CTRL-RM") == Zone(
        "CTRL-RM", "Central control room", "中控室", "general", None, 60
    )


def test_example_file_matches_the_contract_example() -> None:
    example = load_registry(EXAMPLE_FILE)
    contract = parse_registry(yaml.safe_load(CONTRACT_YAML))
    assert example.enterprises[0] == contract.enterprises[0]
    assert example.restrictions[0] == contract.restrictions[0]


# --- lookups --------------------------------------------------------------------------------


def test_lookups_find_registered_entries(registry: Registry) -> None:
    ent = registry.enterprises[0]
    site = ent.sites[0]
    assert registry.enterprise("ty-fert") is ent
    assert registry.site("ty-fert", "main") is site
    assert registry.zone("ty-fert", "main", "NH3-TANK-S") is site.zones[0]
    assert registry.sensor("ty-fert", "main", "LT-101") is site.sensors[1]
    assert registry.camera("ty-fert", "main", "CAM-07") is site.cameras[0]
    assert registry.locate_sensor("ty-fert", "main", "LT-101") == ("NH3-TANK-S", "level")
    assert registry.locate_sensor("ty-fert", "main", "NH3-S-01") == ("NH3-TANK-S", "gas_nh3")


@pytest.mark.parametrize(
    ("enterprise", "site", "entry"),
    [
        ("ty-fert", "main", "LT-999"),
        ("ty-fert", "other", "LT-101"),
        ("nobody", "main", "LT-101"),
        ("TY-FERT", "main", "LT-101"),  # ids are case-sensitive, as in InfluxDB tags
    ],
)
def test_lookups_of_unknown_entries(
    registry: Registry, enterprise: str, site: str, entry: str
) -> None:
    assert registry.locate_sensor(enterprise, site, entry) == ("unknown", "unknown")
    assert registry.sensor(enterprise, site, entry) is None
    assert registry.zone(enterprise, site, entry) is None
    assert registry.camera(enterprise, site, entry) is None


def test_unknown_enterprise_and_site_are_none(registry: Registry) -> None:
    assert registry.enterprise("nobody") is None
    assert registry.site("ty-fert", "nowhere") is None
    assert registry.site("nobody", "main") is None


def test_same_sensor_id_in_two_sites_is_located_per_site() -> None:
    data = contract_data()
    second = copy.deepcopy(site_of(data))
    second["id"] = "north"
    second["zones"][0]["id"] = "NH3-TANK-N"
    for entry in second["sensors"] + second["cameras"]:
        entry["zone"] = "NH3-TANK-N"
    data["enterprises"][0]["sites"].append(second)
    registry = parse_registry(data)
    assert registry.locate_sensor("ty-fert", "main", "LT-101") == ("NH3-TANK-S", "level")
    assert registry.locate_sensor("ty-fert", "north", "LT-101") == ("NH3-TANK-N", "level")
    assert registry.sensor_count() == 4
    assert [(e.id, s.id) for e, s in registry.sites()] == [
        ("ty-fert", "main"),
        ("ty-fert", "north"),
    ]


def test_restrictions_at_covers_start_but_not_end(registry: Registry) -> None:
    (period,) = registry.restrictions
    assert registry.restrictions_at(ms("2026-02-14T12:00:00+08:00")) == [period]
    assert registry.restrictions_at(period.start_ms) == [period]
    assert registry.restrictions_at(period.start_ms - 1) == []
    assert registry.restrictions_at(period.end_ms) == []
    assert period.active_at(period.end_ms - 1)


def test_sites_and_sensor_count(registry: Registry) -> None:
    assert [(e.id, s.id) for e, s in registry.sites()] == [("ty-fert", "main")]
    assert registry.sensor_count() == 2


def test_display_names_follow_the_language() -> None:
    ent = Enterprise("ty-fert", "Tianyu Fertilizer", name_zh="天宇化肥")
    assert ent.display_name("zh") == "天宇化肥"
    assert ent.display_name("zh-CN") == "天宇化肥"
    assert ent.display_name("en") == "Tianyu Fertilizer"
    assert Enterprise("x", "Plain").display_name("zh") == "Plain"
    assert Zone("Z1", "Tank farm", name_zh="罐区").display_name("zh") == "罐区"
    assert Site("main", "Main plant", name_zh="主厂区").display_name("zh") == "主厂区"
    assert Site("main", "Main plant").display_name("zh") == "Main plant"


def test_a_site_may_have_a_chinese_name() -> None:
    named = CONTRACT_YAML.replace(
        "        name: Main plant\n", "        name: Main plant\n        name_zh: 主厂区\n"
    )
    site = parse_registry(yaml.safe_load(named)).site("ty-fert", "main")
    assert (site.name, site.name_zh) == ("Main plant", "主厂区")
    assert parse_registry(yaml.safe_load(CONTRACT_YAML)).site("ty-fert", "main").name_zh is None


def test_registry_built_in_code_has_its_indexes() -> None:
    site = Site("s1", "Site", zones=(Zone("Z1", "Zone"),), sensors=(Sensor("T1", "Z1", "flow"),))
    registry = Registry("UTC", enterprises=(Enterprise("e1", "Ent", sites=(site,)),))
    assert registry.locate_sensor("e1", "s1", "T1") == ("Z1", "flow")
    assert registry.sensor_count() == 1


def test_registry_is_immutable(registry: Registry) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.timezone = "UTC"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry.enterprises[0].sites[0].sensors[0].high = 1.0  # type: ignore[misc]


# --- validation: one rule per case ----------------------------------------------------------


def test_error_names_file_entry_and_field() -> None:
    errors = errors_after(lambda d: sensor_of(d, 1).update(high="abc"))
    assert errors == [
        "registry.yaml: enterprises[0] (ty-fert) > sites[0] (main) > sensors[1] (LT-101): "
        "field 'high': must be a number, got 'abc'"
    ]


def _delete(getter: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Callable:
    return lambda d: getter(d).pop(key)


def _set(getter: Callable[[dict[str, Any]], dict[str, Any]], **values: Any) -> Callable:
    return lambda d: getter(d).update(values)


def _top(d: dict[str, Any]) -> dict[str, Any]:
    return d


def _ent(d: dict[str, Any]) -> dict[str, Any]:
    return d["enterprises"][0]


def _zone(d: dict[str, Any]) -> dict[str, Any]:
    return site_of(d)["zones"][0]


def _gas(d: dict[str, Any]) -> dict[str, Any]:
    return sensor_of(d, 0)


def _level(d: dict[str, Any]) -> dict[str, Any]:
    return sensor_of(d, 1)


def _camera(d: dict[str, Any]) -> dict[str, Any]:
    return site_of(d)["cameras"][0]


def _wang(d: dict[str, Any]) -> dict[str, Any]:
    return contact_of(d, 2)


def _restriction(d: dict[str, Any]) -> dict[str, Any]:
    return d["restrictions"][0]


def _location(d: dict[str, Any]) -> dict[str, Any]:
    return site_of(d)["location"]


WANG = contact_at(2, "Wang Qiang")

# (change, where, field, what the message says); each change breaks exactly one rule.
SINGLE_RULE_CASES = {
    # required fields
    "timezone required": (_delete(_top, "timezone"), "", "timezone", "required"),
    "enterprises required": (_delete(_top, "enterprises"), "", "enterprises", "required"),
    "enterprise id required": (
        _delete(_ent, "id"),
        "enterprises[0] (Tianyu Fertilizer Co., Ltd.)",
        "id",
        "required",
    ),
    "enterprise name required": (_delete(_ent, "name"), E, "name", "required"),
    "site name required": (_delete(site_of, "name"), SITE, "name", "required"),
    "zone name required": (_delete(_zone, "name"), ZONE, "name", "required"),
    "sensor kind required": (_delete(_gas, "kind"), GAS, "kind", "required"),
    "sensor zone required": (_delete(_gas, "zone"), GAS, "zone", "required"),
    "camera zone required": (_delete(_camera, "zone"), CAMERA, "zone", "required"),
    "contact phone required": (_delete(_wang, "phone"), WANG, "phone", "required"),
    "contact role required": (_delete(_wang, "role"), WANG, "role", "required"),
    "restriction end required": (_delete(_restriction, "end"), RESTRICTION, "end", "required"),
    # ids follow the contract pattern
    "enterprise id pattern": (
        _set(_ent, id="ty fert"),
        "enterprises[0] (ty fert)",
        "id",
        "must match ^",
    ),
    "site id pattern": (
        _set(site_of, id="main/plant"),
        f"{E} > sites[0] (main/plant)",
        "id",
        "got 'main/plant'",
    ),
    "sensor id not a text": (
        _set(_gas, id=101),
        f"{SITE} > sensors[0] (101)",
        "id",
        "(put it in quotes), got 101",
    ),
    "sensor id too long": (
        _set(_gas, id="X" * 65),
        f"{SITE} > sensors[0] ('{'X' * 56}...)",
        "id",
        "must match",
    ),
    "camera id empty": (_set(_camera, id=""), f"{SITE} > cameras[0] ()", "id", "got ''"),
    "sensor kind pattern": (_set(_gas, kind="gas nh3"), GAS, "kind", "got 'gas nh3'"),
    # unique ids
    "duplicate sensor id": (
        _set(_level, id="NH3-S-01"),
        f"{SITE} > sensors[1] (NH3-S-01)",
        "id",
        "duplicate sensor id 'NH3-S-01', also used by sensors[0]",
    ),
    "duplicate camera id": (
        lambda d: site_of(d)["cameras"].append({"id": "CAM-07", "zone": "NH3-TANK-S"}),
        f"{SITE} > cameras[1] (CAM-07)",
        "id",
        "duplicate camera id 'CAM-07'",
    ),
    "duplicate zone id": (
        lambda d: site_of(d)["zones"].append({"id": "NH3-TANK-S", "name": "Again"}),
        f"{SITE} > zones[1] (NH3-TANK-S)",
        "id",
        "duplicate zone id 'NH3-TANK-S', also used by zones[0]",
    ),
    "duplicate contact name": (
        _set(lambda d: contact_of(d, 3), name="Wang Qiang"),
        contact_at(3, "Wang Qiang"),
        "name",
        "duplicate contact name 'Wang Qiang', also used by contacts[2]",
    ),
    # references to zones of the same site
    "sensor zone unknown": (
        _set(_gas, zone="NH3-TANK-N"),
        GAS,
        "zone",
        "no zone 'NH3-TANK-N' in this site (zones: NH3-TANK-S)",
    ),
    "camera zone unknown": (_set(_camera, zone="YARD"), CAMERA, "zone", "no zone 'YARD'"),
    # limits and timing of sensors
    "high above low": (_set(_level, low=90), LEVEL, "high", "must be more than low (90), got 85"),
    "high equal low": (_set(_level, low=85), LEVEL, "high", "must be more than low (85), got 85"),
    "low above low_low": (
        _set(_level, low_low=20),
        LEVEL,
        "low",
        "must be at least low_low (20), got 10",
    ),
    "high_high below high": (
        _set(_level, high_high=80),
        LEVEL,
        "high_high",
        "must be at least high (85), got 80",
    ),
    "high_high above low_low without the middle": (
        lambda d: _gas(d).update(high=None, low_low=100),
        GAS,
        "high_high",
        "must be more than low_low (100), got 85",
    ),
    "limit is a boolean": (_set(_gas, high=True), GAS, "high", "must be a number, got True"),
    "limit is not finite": (
        _set(_gas, high_high=float("nan")),
        GAS,
        "high_high",
        "must be a finite number",
    ),
    "negative deadband": (_set(_gas, deadband=-1), GAS, "deadband", "must be 0 or more, got -1"),
    "negative delay": (_set(_gas, delay_s=-0.5), GAS, "delay_s", "must be 0 or more, got -0.5"),
    "zero stale_after_s": (_set(_gas, stale_after_s=0), GAS, "stale_after_s", "more than 0"),
    "stale_after_s as text": (
        _set(_gas, stale_after_s="60"),
        GAS,
        "stale_after_s",
        "must be a number, got '60'",
    ),
    # contacts
    "unknown role": (
        _set(_wang, role="boss"),
        WANG,
        "role",
        "must be one of principal, leader_in_charge, safety_manager, hazard_owner, "
        "duty_officer, got 'boss'",
    ),
    "phone as a number": (
        _set(_wang, phone=13900000003),
        WANG,
        "phone",
        "must be a text (put it in quotes), got 13900000003",
    ),
    "phone without digits": (_set(_wang, phone="n/a"), WANG, "phone", "must contain a phone"),
    "bad shift": (_set(_wang, shifts=["25:00-08:00"]), WANG, "shifts[0]", "'25:00'"),
    "shift read by YAML as a number": (
        _set(_wang, shifts=["08:00-20:00", 1200]),
        WANG,
        "shifts[1]",
        "(put it in quotes)",
    ),
    "shifts not a list": (_set(_wang, shifts=8), WANG, "shifts", "must be a list"),
    # timezone
    "unknown timezone": (
        _set(_top, timezone="Mars/Olympus_Mons"),
        "",
        "timezone",
        "must be an IANA time zone",
    ),
    "machine-dependent timezone": (
        _set(_top, timezone="localtime"),
        "",
        "timezone",
        "got 'localtime'",
    ),
    "timezone path": (_set(_top, timezone="../etc/passwd"), "", "timezone", "IANA"),
    # restrictions
    "restriction ends before it starts": (
        _set(_restriction, end=datetime.fromisoformat("2026-01-01T00:00:00+08:00")),
        RESTRICTION,
        "end",
        "must be after start",
    ),
    "restriction of no length": (
        _set(_restriction, end="2026-02-01T00:00:00+08:00"),
        RESTRICTION,
        "end",
        "must be after start",
    ),
    "restriction time unreadable": (
        _set(_restriction, start="next week"),
        RESTRICTION,
        "start",
        "must be a time such as 2026-02-01T00:00:00+08:00, got 'next week'",
    ),
    # location
    "latitude out of range": (
        _set(_location, lat=91),
        SITE,
        "location.lat",
        "must be in -90..90, got 91",
    ),
    "longitude out of range": (
        _set(_location, lon=-180.5),
        SITE,
        "location.lon",
        "must be in -180..180, got -180.5",
    ),
    "longitude missing": (_delete(_location, "lon"), SITE, "location.lon", "required"),
    "latitude not a number": (
        _set(_location, lat="35.79N"),
        SITE,
        "location.lat",
        "must be a number",
    ),
    "location not a mapping": (
        _set(site_of, location="35.79,112.92"),
        SITE,
        "location",
        "must be a mapping",
    ),
    # zones
    "unknown hazard": (_set(_zone, hazard="high"), ZONE, "hazard", "must be major or general"),
    "negative max_people": (_set(_zone, max_people=-1), ZONE, "max_people", "0 or more"),
    "fractional max_people": (
        _set(_zone, max_people=2.5),
        ZONE,
        "max_people",
        "must be a whole number, got 2.5",
    ),
    "negative dwell": (_set(_zone, dwell_s=-10), ZONE, "dwell_s", "must be 0 or more, got -10"),
    # text
    "newline in a name": (
        _set(_ent, name="Tianyu\nFertilizer"),
        E,
        "name",
        "must not contain control characters",
    ),
    "bell in a contact name": (
        _set(lambda d: contact_of(d, 0), name="Zhang\x07Wei"),
        f"{E} > contacts[0] ('Zhang\\x07Wei')",
        "name",
        "control characters",
    ),
    "bidi override in a unit": (
        _set(_gas, unit="mpp\u202e"),
        GAS,
        "unit",
        "control characters",
    ),
    "blank name": (_set(_zone, name="   "), ZONE, "name", "must not be empty"),
    "name not a text": (_set(site_of, name=["Main"]), SITE, "name", "must be a text"),
    # shape of the file
    "misspelt field": (_set(_gas, hihg=50), GAS, "hihg", "unknown field (known: id, zone,"),
    "unknown top-level field": (_set(_top, timezon="UTC"), "", "timezon", "unknown field"),
    "list that is not a list": (_set(site_of, sensors="NH3-S-01"), SITE, "sensors", "a list"),
    "entry that is not a mapping": (
        lambda d: site_of(d)["cameras"].append("CAM-08"),
        SITE,
        "cameras[1]",
        "must be a mapping of id, zone, got 'CAM-08'",
    ),
}


@pytest.mark.parametrize(
    ("change", "where", "field", "says"),
    list(SINGLE_RULE_CASES.values()),
    ids=list(SINGLE_RULE_CASES),
)
def test_each_rule_reports_file_entry_and_field(
    change: Callable, where: str, field: str, says: str
) -> None:
    errors = errors_after(change)
    prefix = f"{SOURCE}: {where}: field '{field}': " if where else f"{SOURCE}: field '{field}': "
    assert len(errors) == 1, errors
    assert errors[0].startswith(prefix), errors
    assert says in errors[0], errors


def test_duplicate_enterprise_id() -> None:
    errors = errors_after(lambda d: d["enterprises"].append(copy.deepcopy(d["enterprises"][0])))
    assert errors == [
        "registry.yaml: enterprises[1] (ty-fert): field 'id': "
        "duplicate enterprise id 'ty-fert', also used by enterprises[0]"
    ]


def test_duplicate_site_id() -> None:
    errors = errors_after(lambda d: _ent(d)["sites"].append(copy.deepcopy(site_of(d))))
    assert errors == [
        "registry.yaml: enterprises[0] (ty-fert) > sites[1] (main): field 'id': "
        "duplicate site id 'main', also used by sites[0]"
    ]


def test_ids_need_only_be_unique_in_their_scope() -> None:
    data = contract_data()
    other = copy.deepcopy(data["enterprises"][0])
    other["id"] = "other"
    data["enterprises"].append(other)  # same site, zone, sensor, camera ids and contact names
    registry = parse_registry(data)
    assert registry.locate_sensor("other", "main", "LT-101") == ("NH3-TANK-S", "level")


def test_not_a_mapping_at_the_top() -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(None, SOURCE)
    assert caught.value.errors == [
        "registry.yaml: must be a mapping with timezone, restrictions, enterprises, got None"
    ]


# --- validation: defaults and accepted forms ----------------------------------------------


def test_optional_fields_take_their_defaults() -> None:
    data = contract_data()
    zone = _zone(data)
    for key in ("hazard", "max_people", "dwell_s"):
        del zone[key]
    del data["restrictions"]
    del data["enterprises"][0]["name_zh"]
    del site_of(data)["location"]
    registry = parse_registry(data)
    assert registry.zone("ty-fert", "main", "NH3-TANK-S") == Zone(
        "NH3-TANK-S", "Liquid ammonia tank farm south", None, "general", None, 60
    )
    assert registry.restrictions == ()
    assert registry.enterprises[0].name_zh is None
    assert registry.site("ty-fert", "main").location is None


def test_equal_neighbouring_limits_are_allowed() -> None:
    data = contract_data()
    _level(data).update(low_low=10, high_high=85)  # low_low == low, high == high_high
    sensor = parse_registry(data).sensor("ty-fert", "main", "LT-101")
    assert (sensor.low_low, sensor.low, sensor.high, sensor.high_high) == (10, 10, 85, 85)


def test_one_shift_may_be_written_without_a_list() -> None:
    data = contract_data()
    _wang(data)["shifts"] = "Mon-Fri 08:00-17:00"
    contact = parse_registry(data).enterprises[0].contacts[2]
    assert contact.shifts == (Shift(frozenset(range(5)), 8 * 60, 17 * 60),)


@pytest.mark.parametrize(
    ("tz", "start", "expected_utc"),
    [
        ("Asia/Shanghai", "2026-02-01T00:00:00+08:00", "2026-01-31T16:00:00"),
        ("Asia/Shanghai", "2026-02-01T00:00:00Z", "2026-02-01T00:00:00"),
        ("Asia/Shanghai", "2026-02-01T00:00:00", "2026-01-31T16:00:00"),  # naive text: local
        ("Asia/Shanghai", datetime(2026, 2, 1), "2026-01-31T16:00:00"),  # naive YAML datetime
        ("Asia/Shanghai", date(2026, 2, 1), "2026-01-31T16:00:00"),  # a date: local midnight
        ("Europe/Berlin", datetime(2026, 2, 1), "2026-01-31T23:00:00"),
        ("Europe/Berlin", "2026-07-01 00:00", "2026-06-30T22:00:00"),  # summer time
        ("Europe/Berlin", datetime(2026, 2, 1, tzinfo=UTC), "2026-02-01T00:00:00"),
    ],
)
def test_restriction_times_in_every_form(tz: str, start: object, expected_utc: str) -> None:
    data = contract_data()
    data["timezone"] = tz
    data["restrictions"][0]["start"] = start
    data["restrictions"][0]["end"] = "2027-01-01T00:00:00+00:00"
    (period,) = parse_registry(data).restrictions
    assert period.start_ms == ms(expected_utc + "+00:00")


# --- validation: many problems at once ---------------------------------------------------


def test_every_problem_is_reported_together() -> None:
    def break_three_things(d: dict[str, Any]) -> None:
        d["timezone"] = "Asia/Beijing"
        _level(d)["high"] = "abc"
        _camera(d)["zone"] = "YARD"

    errors = errors_after(break_three_things)
    assert errors == [
        "registry.yaml: field 'timezone': must be an IANA time zone such as Asia/Shanghai, "
        "got 'Asia/Beijing'",
        f"registry.yaml: {LEVEL}: field 'high': must be a number, got 'abc'",
        f"registry.yaml: {CAMERA}: field 'zone': no zone 'YARD' in this site (zones: NH3-TANK-S)",
    ]


def test_error_message_lists_every_problem() -> None:
    data = contract_data()
    _gas(data)["deadband"] = -1
    _zone(data)["dwell_s"] = -1
    with pytest.raises(RegistryError) as caught:
        parse_registry(data, SOURCE)
    text = str(caught.value)
    assert text.startswith("2 problems in the registry:\n")
    assert "field 'deadband'" in text and "field 'dwell_s'" in text


def test_error_list_stops_at_fifty() -> None:
    data = contract_data()
    site_of(data)["cameras"] = [{"id": f"CAM-{n}", "zone": "YARD"} for n in range(80)]
    with pytest.raises(RegistryError) as caught:
        parse_registry(data, SOURCE)
    assert len(caught.value.errors) == 50
    assert caught.value.total == 80
    assert str(caught.value).endswith("... and 30 more")


# --- reading the file ---------------------------------------------------------------------


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(CONTRACT_YAML.replace("high: 85, high_high: 90", "high: abc, high_high: 90"))
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert caught.value.errors == [f"{path}: {LEVEL}: field 'high': must be a number, got 'abc'"]


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    text = CONTRACT_YAML.replace("low: 10, high: 85,", "low: 10, high: 85, high: 95,")
    path.write_text(text)
    line = text.splitlines().index(next(x for x in text.splitlines() if "high: 95" in x)) + 1
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    (error,) = caught.value.errors
    assert error.startswith(f"{path}: not valid YAML: line {line},")
    assert "found the key 'high' twice" in error


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text("timezone: Asia/Shanghai\nenterprises: [\n")
    with pytest.raises(RegistryError, match=r"registry\.yaml: not valid YAML: line 3,"):
        load_registry(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read the registry"):
        load_registry(tmp_path / "absent.yaml")


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    text = CONTRACT_YAML.replace(
        "- {id: LT-101, zone: NH3-TANK-S, kind: level,",
        "- {<<: {zone: NH3-TANK-S, kind: flow}, id: LT-101, kind: level,",
    )
    path.write_text(text)
    assert load_registry(path).locate_sensor("ty-fert", "main", "LT-101") == ("NH3-TANK-S", "level")
