"""The shell's callbacks: router helpers, the health refresh and its outage banner."""

from __future__ import annotations

from dataclasses import replace

import callbacks.views
from callbacks.shell import _alarm_id, refresh_health
from monitoring.views.wall import DatabaseOutage, WallSnapshot
from tests.layouts.test_wall import NOW, snapshot, texts


def test_a_console_link_may_name_the_alarm_to_open() -> None:
    assert _alarm_id({"alarm": "42"}) == 42
    assert [_alarm_id(q) for q in ({}, {"alarm": "x"}, {"alarm": "-1"}, {"alarm": "9" * 30})] == [
        None
    ] * 4


def test_health_refresh_shows_the_outage_banner_only_while_the_database_is_down(
    monkeypatch,
) -> None:
    class View:
        snap = snapshot()

        def snapshot(self) -> WallSnapshot:
            return self.snap

    view = View()
    monkeypatch.setattr(callbacks.views, "wall", lambda: view)
    badges, banner = refresh_health(1, "en")
    assert banner == [] and "DB" in texts(badges)
    down = DatabaseOutage(since_ms=NOW - 20_000, data_ms=NOW - 45_000)
    view.snap = replace(
        snapshot(), outage=down, health={"database": {"reachable": False}}, tz="Asia/Shanghai"
    )
    badges, banner = refresh_health(2, "zh")
    assert texts(banner)[0] == "数据库无法连接，正在重试"
    assert "（45秒前）" in texts(banner)[1]
    assert texts(badges)[4:6] == ["数据库", "中断"]
    assert "hz-badge-bad" in badges[2].className
