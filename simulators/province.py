"""A fictional province of hazardous-chemical enterprises, as a registry (contract section 4).

The first enterprise is always the story's plant, Tianyu Fertilizer (`ty-fert`), whose south
liquid-ammonia tank farm (`NH3-TANK-S`) the scenarios play in. The others cover the usual
major-hazard industries: chlor-alkali, coking, refining, LPG storage, pharmaceutical
intermediates, coal chemicals and fine chemicals. The first sixteen have hand-written names;
the rest get generated ones (simulators.names), so even thousands of enterprises and their
people never share a name in English or Chinese. Names, places and phones are invented.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from simulators.industries import INDUSTRIES, STORY_ENTERPRISE, Industry, ZoneTemplate
from simulators.names import CITIES, ProvinceNames

TIMEZONE = "Asia/Shanghai"
RESTRICTIONS: tuple[dict[str, str], ...] = (
    {
        "name": "Spring Festival holiday 2026",
        "start": "2026-02-14T00:00:00+08:00",
        "end": "2026-02-24T00:00:00+08:00",
    },
)
# One province-sized box (roughly 3 x 3.5 degrees).
LAT_RANGE = (34.6, 37.6)
LON_RANGE = (110.5, 114.0)
REGIONS = CITIES  # an enterprise's region is the city its name starts with
ROADS = ("Huagong", "Xingye", "Binhe", "Chuangxin", "Weiyi", "Jingsan", "Gangcheng")
# The first enterprises carry hand-written names (industries.py: two per industry); the
# others get generated ones (names.py), distinct in both languages.
HAND_NAMED = 2 * len(INDUSTRIES)
CONTACT_ROLES = ("principal", "leader_in_charge", "safety_manager", "hazard_owner")
DUTY_SHIFTS = ("08:00-20:00", "20:00-08:00")
# Sensor kind -> (id prefix, unit, default limits). Toxic set points follow GB/T 50493-2019:
# 100 % / 200 % of the occupational exposure limit (NH3 42/85 ppm, H2S 7/14, Cl2 0.3/0.6);
# flammable gas 25 / 50 %LEL.
SENSOR_KINDS: dict[str, tuple[str, str, dict[str, float]]] = {
    "gas_nh3": ("NH3", "ppm", {"high": 42, "high_high": 85, "stale_after_s": 60}),
    "gas_lel": ("LEL", "%LEL", {"high": 25, "high_high": 50, "stale_after_s": 60}),
    "gas_h2s": ("H2S", "ppm", {"high": 7, "high_high": 14, "stale_after_s": 60}),
    "gas_cl2": ("CL2", "ppm", {"high": 0.3, "high_high": 0.6, "stale_after_s": 60}),
    "level": ("LT", "%", {"low": 10, "high": 85, "high_high": 90}),
    "pressure": ("PT", "MPa", {"high": 1.6, "high_high": 1.8}),
    "temperature": ("TT", "°C", {"high": 40, "high_high": 45}),
    "flow": ("FT", "m3/h", {"high": 60}),
}


def generate_province(n_enterprises: int = 8, seed: int = 7) -> dict:
    """Return a registry dict (contract section 4) for `n_enterprises` fictional enterprises."""
    if n_enterprises < 1:
        raise ValueError("n_enterprises must be at least 1")
    rng = random.Random(seed)
    names = ProvinceNames(seed)
    names.reserve(*(n for i in range(HAND_NAMED) for n in _hand_name(i)))
    enterprises = [
        _enterprise(index, INDUSTRIES[index % len(INDUSTRIES)], rng, names)
        for index in range(n_enterprises)
    ]
    return {
        "timezone": TIMEZONE,
        "restrictions": [dict(r) for r in RESTRICTIONS],
        "enterprises": enterprises,
    }


def write_registry(province: dict, path: str | Path) -> Path:
    """Write a registry dict as YAML (UTF-8, keys in contract order) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(
        province, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120
    )
    path.write_text(text, encoding="utf-8")
    return path


# The simulated site names in Chinese (the registry's optional `name_zh` of a site).
SITE_NAMES_ZH = {
    "Main plant": "主厂区",
    "Coking plant": "焦化厂区",
    "Refinery": "炼油厂区",
    "LPG depot": "液化气储配站",
    "Methanol plant": "甲醇厂区",
    "Methanol depot": "甲醇储运站",
    "Oil terminal": "油品码头",
}


def iter_sites(province: dict) -> list[tuple[dict, dict]]:
    """Return (enterprise, site) pairs of a registry dict, in registry order."""
    return [(e, s) for e in province["enterprises"] for s in e["sites"]]


def _hand_name(index: int) -> tuple[str, str, str]:
    """Return (id, name, name_zh) of one of the first HAND_NAMED enterprises."""
    if index == 0:
        return STORY_ENTERPRISE
    industry = INDUSTRIES[index % len(INDUSTRIES)]
    word, word_zh, abbr = industry.words[index // len(INDUSTRIES)]
    return f"{abbr}-{industry.short}", industry.name.format(word), industry.name_zh.format(word_zh)


def _enterprise(index: int, industry: Industry, rng: random.Random, names: ProvinceNames) -> dict:
    if index < HAND_NAMED:
        # The demo's enterprises keep the names the story, the tests and the docs use.
        region, _ = REGIONS[0] if index == 0 else rng.choice(REGIONS)
        ident, name, name_zh = _hand_name(index)
    else:
        made = names.enterprise(industry.short)
        ident, name, name_zh, region = made.ident, made.name, made.name_zh, made.city
    lat = round(rng.uniform(*LAT_RANGE), 4)
    lon = round(rng.uniform(*LON_RANGE), 4)
    sites = []
    for site_index, (site_id, site_name, zones) in enumerate(industry.sites):
        location = {
            "lat": round(lat + 0.03 * site_index, 4),
            "lon": round(lon + 0.05 * site_index, 4),
        }
        sites.append(_site(site_id, site_name, location, zones, rng))
    return {
        "id": ident,
        "name": name,
        "name_zh": name_zh,
        "region": region,
        "address": f"{rng.randint(1, 88)} {rng.choice(ROADS)} Road, {region} Chemical Industry Park",
        "contacts": _contacts(index, names),
        "sites": sites,
    }


def _contacts(index: int, names: ProvinceNames) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = []
    for n, role in enumerate((*CONTACT_ROLES, "duty_officer", "duty_officer")):
        contact: dict[str, Any] = {
            "name": names.person(),
            "role": role,
            # Obviously made-up numbers, one per person: 139 EEEE 00NN.
            "phone": f"+86 139 {(index + 1) % 10_000:04d} 00{n + 1:02d}",
        }
        if role == "duty_officer":
            contact["shifts"] = [DUTY_SHIFTS[n - len(CONTACT_ROLES)]]
        contacts.append(contact)
    return contacts


def _site(
    site_id: str,
    name: str,
    location: dict[str, float],
    zones: tuple[ZoneTemplate, ...],
    rng: random.Random,
) -> dict[str, Any]:
    zone_rows: list[dict[str, Any]] = []
    sensors: list[dict[str, Any]] = []
    cameras: list[dict[str, Any]] = []
    fixed_cameras = {z.camera for z in zones if z.camera}
    camera_no = 0
    for zone_no, zone in enumerate(zones, start=1):
        zone_rows.append(_zone_row(zone, rng))
        sensors.extend(_sensors(zone, zone_no))
        camera = zone.camera
        if not camera:
            camera_no += 1
            while f"CAM-{camera_no:02d}" in fixed_cameras:
                camera_no += 1
            camera = f"CAM-{camera_no:02d}"
        cameras.append({"id": camera, "zone": zone.id})
    return {
        "id": site_id,
        "name": name,
        "name_zh": SITE_NAMES_ZH.get(name),
        "location": location,
        "zones": zone_rows,
        "sensors": sensors,
        "cameras": cameras,
    }


def _zone_row(zone: ZoneTemplate, rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {"id": zone.id, "name": zone.name, "name_zh": zone.name_zh}
    if zone.major:
        row["hazard"] = "major"
        row["max_people"] = zone.max_people or rng.randint(2, 4)
        row["dwell_s"] = zone.dwell_s or rng.choice((60, 90, 120, 150, 180))
    else:
        row["hazard"] = "general"
        row["max_people"] = zone.max_people or rng.randint(6, 10)
    return row


def _sensors(zone: ZoneTemplate, zone_no: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for spec in zone.sensors:
        prefix, unit, limits = SENSOR_KINDS[spec.kind]
        merged = {**limits, **spec.limits}
        for i in range(spec.count):
            ident = spec.ids[i] if spec.ids else f"{prefix}-{zone_no * 100 + i + 1}"
            row: dict[str, Any] = {
                "id": ident,
                "zone": zone.id,
                "kind": spec.kind,
                "unit": spec.unit or unit,
            }
            for name in ("low_low", "low", "high", "high_high", "stale_after_s"):
                if merged.get(name) is not None:
                    row[name] = merged[name]
            rows.append(row)
    return rows
