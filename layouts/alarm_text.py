"""Alarm messages in the reader's language, from an alarm's `message_key` and `params`.

The rules store an English `message` plus a key and its parameters
(monitoring/rules/severity.py lists the keys); this renders the key's template from
`layouts/texts/alarms.py`. Parameters come from the database as JSON, so anything missing or
malformed falls back to the stored English message rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import SupportsFloat

from layouts.i18n import TEXT, t
from layouts.shell import elapsed_text
from monitoring.clock import local_time

PREFIX = "alarm."


def format_number(value: SupportsFloat | str) -> str:
    """Return a reading as people read it on a panel: 66.2, 42, 0.0005, 1250000."""
    number = float(value)  # ValueError / TypeError for junk: the caller falls back
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    if abs(number) >= 1e6:
        return f"{number:.0f}"
    return f"{number:.6g}"


def format_quantity(value: SupportsFloat | str, unit: object) -> str:
    """Return a number with its unit, if any: '66.2 ppm', '85 %', '3'."""
    text = format_number(value)
    return f"{text} {unit}" if unit else text


def _level(level: object, lang: str) -> str:
    key = f"{PREFIX}level.{level}"
    return t(key, lang) if key in TEXT else str(level).replace("_", "-")


def _fields(params: Mapping, lang: str, zone_name: str | None, tz: str) -> dict[str, str]:
    """Return the template fields that can be made from `params` (formatted for `lang`)."""
    out: dict[str, str] = {}
    for name in ("sensor", "people", "max_people", "workers", "permit", "restriction"):
        if params.get(name) is not None:
            out[name] = str(params[name])
    if "level" in params:
        out["level"] = _level(params["level"], lang)
    if "value" in params:
        out["value"] = format_quantity(params["value"], params.get("unit"))
    if params.get("limit") is not None:
        out["limit"] = format_quantity(params["limit"], params.get("unit"))
    zone = zone_name or params.get("zone_name") or params.get("zone")
    if zone:
        out["zone"] = str(zone)
    for name in ("silent_s", "bad_s"):
        if name in params:
            out["duration"] = elapsed_text(int(float(params[name]) * 1000), lang)
    if "permits" in params:
        permits = params["permits"]
        out["permits"] = (
            str(permits)
            if isinstance(permits, str)
            else ("、" if lang == "zh" else ", ").join(str(p) for p in permits)
        )
    if params.get("end_ms") is not None:
        out["end"] = local_time(float(params["end_ms"]), tz, "%H:%M")
    return out


def alarm_message(
    key: str,
    params: Mapping | None,
    lang: str,
    fallback: str,
    *,
    zone_name: str | None = None,
    tz: str = "UTC",
) -> str:
    """Return the alarm's message in `lang`; the stored English `fallback` for unknown keys.

    `zone_name` is the zone's name in `lang` (from the registry) when the caller knows it;
    otherwise the name the rule stored is used.
    """
    template_key = PREFIX + (key or "")
    if not key or template_key not in TEXT:
        return fallback
    try:
        en, zh = TEXT[template_key]
        return (zh if lang == "zh" else en).format(**_fields(params or {}, lang, zone_name, tz))
    except (KeyError, IndexError, TypeError, ValueError, OverflowError, AttributeError):
        return fallback
