"""Every label of the web pages in English and Simplified Chinese: `t(key, lang)`."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"

# key -> (English, 简体中文). Severities follow the contract: red 一级 ... blue 四级.
TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Hazwatch", "危化品安全监测"),
    "centre.name": ("Provincial Emergency Management Centre", "省应急管理指挥中心"),
    "nav.wall": ("Wall", "大屏"),
    "nav.console": ("Console", "值守台"),
    "nav.admin": ("Admin", "管理"),
    "nav.language": ("中文", "English"),
    "user.logout": ("Log out", "退出登录"),
    "role.viewer": ("viewer", "观察员"),
    "role.inspector": ("inspector", "值守员"),
    "role.admin": ("admin", "管理员"),
    "page.not_found": ("Page not found", "页面不存在"),
    "page.forbidden": ("Your role may not open this page", "您的角色无权打开此页面"),
    "page.coming": ("This page comes in the next release", "此页面将在下一版本提供"),
    "health.broker": ("Broker", "消息服务"),
    "health.store": ("Store", "数据存储"),
    "health.freshness": ("Data", "数据"),
    "health.ok": ("OK", "正常"),
    "health.down": ("DOWN", "中断"),
    "health.no_data": ("no data", "无数据"),
    "kpi.enterprises": ("Enterprises monitored", "监测企业"),
    "kpi.online_rate": ("Sensors online", "传感器在线率"),
    "kpi.open_alarms": ("Open alarms", "未关闭报警"),
    "kpi.unacknowledged": ("Unacknowledged", "未确认"),
    "kpi.special_operations": ("Suspected special operations", "疑似特殊作业"),
    "severity.red": ("Red", "红色（一级）"),
    "severity.orange": ("Orange", "橙色（二级）"),
    "severity.yellow": ("Yellow", "黄色（三级）"),
    "severity.blue": ("Blue", "蓝色（四级）"),
    "severity.red.short": ("Red", "红"),
    "severity.orange.short": ("Orange", "橙"),
    "severity.yellow.short": ("Yellow", "黄"),
    "severity.blue.short": ("Blue", "蓝"),
    "grid.title": ("Enterprises", "企业"),
    "grid.normal": ("Normal", "正常"),
    "feed.title": ("Alarm feed", "实时报警"),
    "feed.empty": ("No open alarms", "无未关闭报警"),
    "feed.unack": ("UNACK", "未确认"),
    "feed.ack": ("ack", "已确认"),
    "feed.cleared": ("cleared", "已恢复"),
    "feed.shelved": ("shelved", "已搁置"),
    "feed.count": ("×{count}", "×{count}"),
    "elapsed.s": ("{n} s", "{n}秒"),
    "elapsed.m": ("{n} min", "{n}分钟"),
    "elapsed.h": ("{h} h {m} min", "{h}小时{m}分"),
    "elapsed.d": ("{d} d {h} h", "{d}天{h}小时"),
    "rule.limit": ("Limit exceeded", "超限"),
    "rule.lost_comm": ("Lost communication", "通信中断"),
    "rule.people": ("Too many people", "人员超限"),
    "rule.special_operation": ("Suspected special operation", "疑似特殊作业"),
    "rule.bad_data": ("Bad data", "数据异常"),
    "login.title": ("Sign in", "登录"),
    "login.username": ("User name", "用户名"),
    "login.password": ("Password", "密码"),
    "login.submit": ("Sign in", "登录"),
    "login.failed": ("Wrong user name or password", "用户名或密码错误"),
    "login.remember": ("Keep me signed in (wall display)", "保持登录（大屏）"),
}


def t(key: str, lang: str | None = DEFAULT_LANGUAGE, **params: object) -> str:
    """Return the label `key` in `lang` (English for unknown languages), filled with params."""
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text


def normalise(lang: object) -> str:
    """Return a supported language code for whatever the browser stored."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
