"""Labels of the degraded state (the database does not answer): key -> (English, 简体中文)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # Short: four badges, the clock and six page links share one 1920 px header line.
    "health.database": ("DB", "数据库"),
    "outage.title": ("Database unreachable — retrying", "数据库无法连接，正在重试"),
    # {time}: local wall-clock time of the data shown; {age}: an elapsed text ("45 s").
    "outage.data_age": ("Data from {time}, {age} old", "数据时间 {time}（{age}前）"),
    "outage.no_data": (
        "No data could be read since the web app started",
        "网页服务启动以来未能读取数据",
    ),
    "outage.since": ("unreachable since {time}", "自 {time} 起无法连接"),
    "outage.page.title": ("Database unreachable", "数据库无法连接"),
    "outage.page.body": (
        "Hazwatch cannot reach its database, so this page cannot be shown now.",
        "系统暂时无法连接数据库，本页面暂不能显示。",
    ),
    "outage.page.retry": (
        "This page tries again by itself every {n} s. Pages already open keep their last "
        "data and say how old it is.",
        "本页面每{n}秒自动重试。已打开的页面保留最后的数据并显示数据时间。",
    ),
}
