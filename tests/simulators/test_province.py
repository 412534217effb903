"""The generated province: the story's plant, contract-shaped, loadable, reproducible."""

from __future__ import annotations

import re
from datetime import datetime

import yaml

from monitoring.records import is_valid_id
from simulators.province import LAT_RANGE, LON_RANGE, generate_province, write_registry

ROLES = {"principal", "leader_in_charge", "safety_manager", "hazard_owner", "duty_officer"}
PHONE = re.compile(r"^\+86 139 \d{4} \d{4}$")


def _sites(province):
    return [(e, s) for e in province["enterprises"] for s in e["sites"]]


def test_the_story_plant_comes_first():
    province = generate_province()
    ty = province["enterprises"][0]
    assert (ty["id"], ty["name"], ty["name_zh"]) == (
        "ty-fert",
        "Tianyu Fertilizer Co., Ltd.",
        "天宇化肥有限公司",
    )
    main = next(s for s in ty["sites"] if s["id"] == "main")
    zone = next(z for z in main["zones"] if z["id"] == "NH3-TANK-S")
    assert zone == {
        "id": "NH3-TANK-S",
        "name": "Liquid ammonia tank farm south",
        "name_zh": "南区液氨罐区",
        "hazard": "major",
        "max_people": 2,
        "dwell_s": 120,
    }
    in_zone = {s["id"]: s for s in main["sensors"] if s["zone"] == "NH3-TANK-S"}
    assert set(in_zone) == {
        "NH3-S-01",
        "NH3-S-02",
        "NH3-S-03",
        "LT-101",
        "LT-102",
        "PT-101",
        "TT-101",
    }
    assert in_zone["NH3-S-01"]["kind"] == "gas_nh3"
    assert (in_zone["NH3-S-01"]["high"], in_zone["NH3-S-01"]["high_high"]) == (42, 85)
    assert (
        in_zone["LT-101"]["low"],
        in_zone["LT-101"]["high"],
        in_zone["LT-101"]["high_high"],
    ) == (10, 85, 90)
    assert {"id": "CAM-07", "zone": "NH3-TANK-S"} in main["cameras"]
    assert len(main["zones"]) > 1


def test_every_enterprise_is_complete_and_contract_shaped():
    province = generate_province()
    assert province["timezone"] == "Asia/Shanghai"
    assert len(province["enterprises"]) == 8
    ids = [e["id"] for e in province["enterprises"]]
    assert len(set(ids)) == len(ids)
    for enterprise in province["enterprises"]:
        assert is_valid_id(enterprise["id"])
        for key in ("name", "name_zh", "region", "address"):
            assert enterprise[key], key
        contacts = enterprise["contacts"]
        assert {c["role"] for c in contacts} == ROLES
        assert len({c["name"] for c in contacts}) == len(contacts)
        assert all(PHONE.match(c["phone"]) for c in contacts)
        duty = sorted(c["shifts"] for c in contacts if c["role"] == "duty_officer")
        assert duty == [["08:00-20:00"], ["20:00-08:00"]]
        sensors = sum(len(s["sensors"]) for s in enterprise["sites"])
        assert 25 <= sensors <= 60, (enterprise["id"], sensors)
    for enterprise, site in _sites(province):
        assert LAT_RANGE[0] <= site["location"]["lat"] <= LAT_RANGE[1] + 0.1
        assert LON_RANGE[0] <= site["location"]["lon"] <= LON_RANGE[1] + 0.1
        assert 3 <= len(site["zones"]) <= 6, (enterprise["id"], site["id"])
        zones = {z["id"]: z for z in site["zones"]}
        for zone in zones.values():
            assert is_valid_id(zone["id"])
            if zone["hazard"] == "major":
                assert 2 <= zone["max_people"] <= 4
                assert 60 <= zone["dwell_s"] <= 180
        sensor_ids = [s["id"] for s in site["sensors"]]
        assert len(set(sensor_ids)) == len(sensor_ids)
        for sensor in site["sensors"]:
            assert is_valid_id(sensor["id"]) and sensor["zone"] in zones
            if "high_high" in sensor:
                assert sensor["high_high"] > sensor["high"]
        assert {c["zone"] for c in site["cameras"]} == set(zones)
        assert all(is_valid_id(c["id"]) for c in site["cameras"])
    kinds = {s["kind"] for _, site in _sites(province) for s in site["sensors"]}
    assert kinds == {
        "gas_nh3",
        "gas_lel",
        "gas_h2s",
        "gas_cl2",
        "level",
        "pressure",
        "temperature",
        "flow",
    }
    majors = [z for _, site in _sites(province) for z in site["zones"] if z["hazard"] == "major"]
    assert len(majors) >= 8


def test_restrictions_hold_a_past_period_and_none_now():
    (period,) = generate_province()["restrictions"]
    start, end = datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])
    assert start < end <= datetime.fromisoformat("2026-03-01T00:00:00+08:00")


def test_same_seed_same_province_other_seed_other_details():
    assert generate_province(8, 7) == generate_province(8, 7)
    assert generate_province(8, 7) != generate_province(8, 8)
    assert generate_province(8, 8)["enterprises"][0]["id"] == "ty-fert"


def test_more_enterprises_than_industries_get_unique_ids():
    province = generate_province(20, 3)
    ids = [e["id"] for e in province["enterprises"]]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert all(is_valid_id(i) for i in ids)


def test_written_registry_reads_back_identical(tmp_path):
    province = generate_province(3)
    path = write_registry(province, tmp_path / "sub" / "registry.yaml")
    text = path.read_text(encoding="utf-8")
    assert "南区液氨罐区" in text  # unicode kept readable, not escaped
    assert yaml.safe_load(text) == province
    assert text.index("timezone") < text.index("restrictions") < text.index("enterprises")


def test_generated_registry_loads_with_the_registry_loader(tmp_path):
    from monitoring.registry.loader import load_registry, parse_registry

    province = generate_province()
    registry = parse_registry(province, "generated")
    assert [e.id for e in registry.enterprises] == [e["id"] for e in province["enterprises"]]
    sensors = sum(len(s.sensors) for e in registry.enterprises for s in e.sites)
    assert sensors == sum(len(s["sensors"]) for _, s in _sites(province))
    (restriction,) = registry.restrictions
    assert not restriction.active_at(1_795_000_000_000)  # 2026-11-19
    ty = registry.enterprises[0]
    main = next(s for s in ty.sites if s.id == "main")
    zone = next(z for z in main.zones if z.id == "NH3-TANK-S")
    assert (zone.hazard, zone.max_people, zone.dwell_s, zone.name_zh) == (
        "major",
        2,
        120,
        "南区液氨罐区",
    )
    nh3 = next(x for x in main.sensors if x.id == "NH3-S-01")
    assert (nh3.kind, nh3.high, nh3.high_high) == ("gas_nh3", 42, 85)
    loaded = load_registry(write_registry(province, tmp_path / "registry.yaml"))
    assert loaded == registry
