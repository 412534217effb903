"""Alarm messages in English and Chinese from `message_key` + `params`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from layouts.alarm_text import alarm_message, format_number, format_quantity
from layouts.i18n import TEXT
from monitoring.rules.severity import SEVERITY_TABLE

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
FALLBACK = "stored English message"

# Parameters as each rule stores them (monitoring/rules/*.py).
LIMIT = {"sensor": "NH3-1", "level": "high", "value": 66.2, "unit": "ppm", "limit": 42.0}
SAMPLE_PARAMS: dict[str, dict] = {
    **{key: LIMIT for key in SEVERITY_TABLE if key.startswith("limit.")},
    "limit.exposed": LIMIT | {"people": 6, "zone_name": "Ammonia tanks"},
    "lost_comm.sensor": {"sensor": "PT-1", "silent_s": 185},
    "lost_comm.gateway": {},
    "people.over_max": {"zone": "Z2", "zone_name": "Warehouse", "people": 9, "max_people": 5},
    "special_operation.no_permit": {"zone": "Z1", "zone_name": "Ammonia tanks", "people": 6},
    "special_operation.over_permit": {
        "zone": "Z1",
        "zone_name": "Ammonia tanks",
        "people": 6,
        "permits": ["DH-2026-0042"],
        "workers": 4,
    },
    "special_operation.permit_expired": {
        "zone": "Z1",
        "zone_name": "Ammonia tanks",
        "people": 4,
        "permit": "DH-2026-0042",
        "end_ms": 1_790_000_000_000,
    },
    "special_operation.restricted_period": {
        "zone": "Z1",
        "zone_name": "Ammonia tanks",
        "people": 3,
        "permits": ["DH-1"],
        "restriction": "Spring Festival",
    },
    "bad_data.bad_quality": {"sensor": "TT-3", "bad_s": 130},
}


def emitted_keys() -> set[str]:
    """Return the message keys written as literals in the rules' source."""
    pattern = re.compile(
        r"""["']((?:limit|lost_comm|people|special_operation|bad_data)\.[a-z_]+)["']"""
    )
    keys: set[str] = set()
    for path in (ROOT / "monitoring" / "rules").glob("*.py"):
        keys |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_rules_can_emit_is_in_the_severity_table() -> None:
    found = emitted_keys()
    assert "special_operation.no_permit" in found, "the pattern is wrong"
    assert found <= set(SEVERITY_TABLE), found - set(SEVERITY_TABLE)


@pytest.mark.parametrize("key", sorted(SEVERITY_TABLE))
def test_every_key_renders_in_english_and_chinese(key: str) -> None:
    assert f"alarm.{key}" in TEXT
    params = SAMPLE_PARAMS[key]
    en = alarm_message(key, params, "en", FALLBACK, tz="Asia/Shanghai")
    zh = alarm_message(key, params, "zh", FALLBACK, tz="Asia/Shanghai")
    assert en != FALLBACK and zh != FALLBACK
    assert not CJK.search(en), en
    assert CJK.search(zh), zh
    assert "{" not in en + zh


def test_limit_messages_carry_value_unit_and_level() -> None:
    assert alarm_message("limit.gas_high", LIMIT, "en", FALLBACK) == (
        "NH3-1 high: 66.2 ppm (limit 42 ppm)"
    )
    assert alarm_message("limit.high_high", LIMIT | {"level": "high_high"}, "zh", "") == (
        "NH3-1 高高报：66.2 ppm（限值 42 ppm）"
    )
    exposed = alarm_message("limit.exposed", SAMPLE_PARAMS["limit.exposed"], "zh", "")
    assert exposed.endswith("——Ammonia tanks内有6人，存在暴露风险")


def test_the_zone_name_in_the_readers_language_wins() -> None:
    params = SAMPLE_PARAMS["special_operation.no_permit"]
    assert (
        alarm_message("special_operation.no_permit", params, "zh", "", zone_name="液氨罐区")
        == "液氨罐区内有6人，未报备作业票"
    )


def test_durations_times_and_lists_are_formatted() -> None:
    assert alarm_message("lost_comm.sensor", {"sensor": "PT-1", "silent_s": 185}, "zh", "") == (
        "PT-1已3分钟无数据"
    )
    assert alarm_message("bad_data.bad_quality", {"sensor": "T", "bad_s": 45}, "en", "") == (
        "T reports bad quality for 45 s"
    )
    expired = SAMPLE_PARAMS["special_operation.permit_expired"]
    # 1_790_000_000_000 ms is 22:13 in Shanghai, 14:13 UTC.
    assert "22:13" in alarm_message(
        "special_operation.permit_expired", expired, "en", "", tz="Asia/Shanghai"
    )
    assert "14:13" in alarm_message("special_operation.permit_expired", expired, "en", "")
    two = SAMPLE_PARAMS["special_operation.over_permit"] | {"permits": ["A-1", "B-2"]}
    assert "permit A-1, B-2" in alarm_message("special_operation.over_permit", two, "en", "")
    assert "作业票A-1、B-2" in alarm_message("special_operation.over_permit", two, "zh", "")


def test_unknown_keys_and_bad_params_fall_back_to_the_stored_message() -> None:
    assert alarm_message("", {}, "zh", FALLBACK) == FALLBACK
    assert alarm_message("limit.sideways", LIMIT, "zh", FALLBACK) == FALLBACK
    assert alarm_message("limit.high", {}, "zh", FALLBACK) == FALLBACK  # params missing
    assert alarm_message("limit.high", LIMIT | {"value": "junk"}, "zh", FALLBACK) == FALLBACK
    assert alarm_message("limit.high", None, "en", FALLBACK) == FALLBACK
    assert alarm_message("lost_comm.gateway", {}, "zh", FALLBACK) == "网关离线"


def test_numbers_read_like_a_panel() -> None:
    assert [format_number(v) for v in (42.0, 66.2, 0.0005, 1_250_000.4, -3)] == [
        "42",
        "66.2",
        "0.0005",
        "1250000",
        "-3",
    ]
    assert format_quantity(0.1 + 0.2, "MPa") == "0.3 MPa"
    assert format_quantity(85, "%") == "85 %"
    assert format_quantity(3, None) == "3"
