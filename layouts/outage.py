"""The degraded state, when the database does not answer: the banner and the 503 page.

The banner sits under the header of every page (largest on the wall) and says how old the
data shown is; the page answers a page load that needed the database, in both languages
(the browser's language choice is not known there), and reloads itself.
"""

from __future__ import annotations

from html import escape

from dash import html

from layouts.i18n import t
from layouts.shell import elapsed_text
from monitoring.clock import local_time
from monitoring.views.wall import DatabaseOutage

TIME_OF_DAY = "%H:%M:%S"


def when_text(ts_ms: int, now_ms: int, tz: str) -> str:
    """Return a local time as a wall shows it: the time of day, with the date if not today."""
    same_day = local_time(ts_ms, tz, "%Y-%m-%d") == local_time(now_ms, tz, "%Y-%m-%d")
    return local_time(ts_ms, tz, TIME_OF_DAY if same_day else "%Y-%m-%d %H:%M:%S")


def data_age_text(outage: DatabaseOutage, now_ms: int, tz: str, lang: str) -> str:
    """Return "Data from 12:03:05, 45 s old" for the data shown during an outage."""
    if outage.data_ms is None:
        return t("outage.no_data", lang)
    return t(
        "outage.data_age",
        lang,
        time=when_text(outage.data_ms, now_ms, tz),
        age=elapsed_text(now_ms - outage.data_ms, lang),
    )


def outage_banner(outage: DatabaseOutage | None, now_ms: int, tz: str, lang: str) -> list:
    """Return the banner's content while the database does not answer (empty otherwise)."""
    if outage is None:
        return []
    since = t("outage.since", lang, time=when_text(outage.since_ms, now_ms, tz))
    return [
        html.Div(t("outage.title", lang), className="hz-outage-title"),
        html.Div(
            [
                html.Span(data_age_text(outage, now_ms, tz, lang), className="hz-outage-age"),
                html.Span(since, className="hz-outage-since"),
            ],
            className="hz-outage-detail",
        ),
    ]


def _both(key: str, **params: object) -> str:
    return f"{escape(t(key, 'en', **params))}<br>{escape(t(key, 'zh', **params))}"


def outage_page(retry_s: int) -> str:
    """Return the 503 page for a page load while the database does not answer."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{int(retry_s)}">
<title>{escape(t("outage.page.title", "en"))} · {escape(t("outage.page.title", "zh"))}
— Hazwatch</title>
<link rel="stylesheet" href="/assets/hazwatch.css"></head>
<body class="hz-login-body"><main class="hz-outage-page" role="alert">
<p class="hz-login-centre">{escape(t("app.title", "en"))} · {escape(t("app.title", "zh"))}</p>
<h1 lang="en">{escape(t("outage.page.title", "en"))}</h1>
<h1 lang="zh-CN">{escape(t("outage.page.title", "zh"))}</h1>
<p>{_both("outage.page.body")}</p>
<p class="hz-outage-page-retry">{_both("outage.page.retry", n=int(retry_s))}</p>
</main></body></html>"""
