"""Alarm messages by `message_key` (see monitoring/rules/severity.py): key -> (English, 简体中文).

Rendered by `layouts.alarm_text.alarm_message`, which formats the alarm's `params` first
(numbers with units, durations, local times, the zone's name in the chosen language).
"""

from __future__ import annotations

_LIMIT = ("{sensor} {level}: {value} (limit {limit})", "{sensor} {level}：{value}（限值 {limit}）")

TEXT: dict[str, tuple[str, str]] = {
    "alarm.level.high": ("high", "高报"),
    "alarm.level.low": ("low", "低报"),
    "alarm.level.high_high": ("high-high", "高高报"),
    "alarm.level.low_low": ("low-low", "低低报"),
    "alarm.limit.high": _LIMIT,
    "alarm.limit.low": _LIMIT,
    "alarm.limit.high_high": _LIMIT,
    "alarm.limit.low_low": _LIMIT,
    "alarm.limit.gas_high": _LIMIT,
    "alarm.limit.gas_low": _LIMIT,
    "alarm.limit.gas_high_high": _LIMIT,
    "alarm.limit.gas_low_low": _LIMIT,
    "alarm.limit.exposed": (
        "{sensor} {level}: {value} (limit {limit}) — {people} people exposed in {zone}",
        "{sensor} {level}：{value}（限值 {limit}）——{zone}内有{people}人，存在暴露风险",
    ),
    "alarm.lost_comm.sensor": (
        "No data from {sensor} for {duration}",
        "{sensor}已{duration}无数据",
    ),
    "alarm.lost_comm.gateway": ("Gateway offline", "网关离线"),
    "alarm.people.over_max": (
        "{people} people in {zone} (max {max_people})",
        "{zone}内有{people}人（上限{max_people}人）",
    ),
    "alarm.special_operation.no_permit": (
        "{people} people in {zone}, no permit reported",
        "{zone}内有{people}人，未报备作业票",
    ),
    "alarm.special_operation.over_permit": (
        "{people} people in {zone}, more than the {workers} allowed by permit {permits}",
        "{zone}内有{people}人，超过作业票{permits}核定的{workers}人",
    ),
    "alarm.special_operation.permit_expired": (
        "Permit {permit} expired at {end}, {people} people still in the zone",
        "作业票{permit}已于{end}到期，区域内仍有{people}人",
    ),
    "alarm.special_operation.restricted_period": (
        "Special operation during a restricted period ({restriction}): confirm safety measures",
        "限制作业期间（{restriction}）进行特殊作业：请确认安全措施落实",
    ),
    "alarm.bad_data.bad_quality": (
        "{sensor} reports bad quality for {duration}",
        "{sensor}数据质量异常已持续{duration}",
    ),
}
