"""The degraded state's banner and 503 page, tested without a browser."""

from __future__ import annotations

import re

from layouts import outage
from monitoring.views.wall import DatabaseOutage
from tests.layouts.test_wall import texts

# 2025-11-29 12:03:05 in Asia/Shanghai
DATA_MS = 1_764_388_985_000
TZ = "Asia/Shanghai"


def test_no_banner_while_the_database_answers() -> None:
    assert outage.outage_banner(None, DATA_MS, TZ, "en") == []


def test_banner_says_the_database_is_unreachable_and_how_old_the_data_is() -> None:
    down = DatabaseOutage(since_ms=DATA_MS + 2_000, data_ms=DATA_MS, reason="refused")
    banner = outage.outage_banner(down, DATA_MS + 45_000, TZ, "en")
    assert [c.className for c in banner] == ["hz-outage-title", "hz-outage-detail"]
    assert texts(banner) == [
        "Database unreachable — retrying",
        "Data from 12:03:05, 45 s old",
        "unreachable since 12:03:07",
    ]
    assert "refused" not in repr(banner)  # the technical reason stays in the log
    zh = outage.outage_banner(down, DATA_MS + 750_000, TZ, "zh")
    assert texts(zh) == [
        "数据库无法连接，正在重试",
        "数据时间 12:03:05（12分钟前）",
        "自 12:03:07 起无法连接",
    ]


def test_banner_names_the_day_of_data_older_than_today_and_missing_data() -> None:
    down = DatabaseOutage(since_ms=DATA_MS, data_ms=DATA_MS)
    next_day = DATA_MS + 26 * 3600 * 1000
    assert outage.data_age_text(down, next_day, TZ, "en") == (
        "Data from 2025-11-29 12:03:05, 1 d 2 h old"
    )
    never = DatabaseOutage(since_ms=DATA_MS, data_ms=None)
    assert outage.data_age_text(never, DATA_MS, TZ, "zh") == "网页服务启动以来未能读取数据"


def test_the_503_page_is_bilingual_styled_and_reloads_itself() -> None:
    page = outage.outage_page(10)
    assert page.startswith("<!DOCTYPE html>")
    assert "Database unreachable" in page and "数据库无法连接" in page
    assert '<meta http-equiv="refresh" content="10">' in page
    assert "every 10 s" in page and "每10秒" in page
    assert 'href="/assets/hazwatch.css"' in page
    assert not re.search(r"https?://", page)  # nothing fetched from elsewhere
