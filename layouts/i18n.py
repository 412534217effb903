"""Every label of the web pages in English and Simplified Chinese: `t(key, lang)`."""

from __future__ import annotations

from layouts.texts import admin, alarms, console_bulk, counts, directory, outage, permits, site

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"

# key -> (English, 简体中文). Severities follow the contract: red 一级 ... blue 四级.
_SHELL_TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Hazwatch", "危化品安全监测"),
    "centre.name": ("Provincial Emergency Management Centre", "省应急管理指挥中心"),
    "nav.wall": ("Wall", "大屏"),
    "nav.console": ("Console", "值守台"),
    "nav.site": ("Sites", "厂区监测"),
    "nav.directory": ("Enterprises", "企业名录"),
    "nav.permits": ("Permits", "作业票"),
    "nav.admin": ("Admin", "管理"),
    "nav.language": ("中文", "English"),
    "user.logout": ("Log out", "退出登录"),
    "role.viewer": ("viewer", "观察员"),
    "role.inspector": ("inspector", "值守员"),
    "role.admin": ("admin", "管理员"),
    "page.not_found": ("Page not found", "页面不存在"),
    "page.forbidden": ("Your role may not open this page", "您的角色无权打开此页面"),
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
    "wall.sound.enable": ("Enable sound", "开启声音"),
    "wall.sound.on": ("Sound on", "声音已开启"),
    "wall.sound.hint": (
        "Chime when a new red alarm arrives (click once: browsers block sound until then)",
        "出现新的红色报警时提示音（需点击一次：浏览器在此之前禁止播放声音）",
    ),
    "elapsed.s": ("{n} s", "{n}秒"),
    "elapsed.m": ("{n} min", "{n}分钟"),
    "elapsed.h": ("{h} h {m} min", "{h}小时{m}分"),
    "elapsed.d": ("{d} d {h} h", "{d}天{h}小时"),
    "rule.limit": ("Limit exceeded", "超限"),
    "rule.lost_comm": ("Lost communication", "通信中断"),
    "rule.people": ("Too many people", "人员超限"),
    "rule.special_operation": ("Suspected special operation", "疑似特殊作业"),
    "rule.bad_data": ("Bad data", "数据异常"),
    "console.title": ("Open alarms", "未关闭报警"),
    "console.pick": ("Select an alarm to see its detail", "请选择一条报警查看详情"),
    "console.col.severity": ("Severity", "级别"),
    "console.col.state": ("State", "状态"),
    "console.col.enterprise": ("Enterprise", "企业"),
    "console.col.zone": ("Zone", "区域"),
    "console.col.rule": ("Alarm", "报警类型"),
    "console.col.message": ("Message", "报警信息"),
    "console.col.raised": ("Raised", "报警时间"),
    "console.col.elapsed": ("Elapsed", "持续"),
    "console.col.count": ("Count", "次数"),
    "console.state.active_unack": ("Unacknowledged", "未确认"),
    "console.state.active_ack": ("Acknowledged", "已确认"),
    "console.state.cleared_unack": ("Cleared, unacknowledged", "已恢复未确认"),
    "console.state.shelved": ("Shelved", "已搁置"),
    "console.state.closed": ("Closed", "已关闭"),
    "console.detail": ("Alarm detail", "报警详情"),
    "console.field.site": ("Site", "厂区"),
    "console.field.source": ("Source", "报警源"),
    "console.field.value": ("Value", "数值"),
    "console.field.acked": ("Acknowledged by", "确认人"),
    "console.field.shelved_until": ("Shelved until", "搁置至"),
    "console.site_link": ("Site page", "厂区页面"),
    "console.trend": ("Trend around the alarm", "报警前后趋势"),
    "console.trend.people": ("People", "人数"),
    "console.trend.alarm": ("alarm", "报警"),
    "console.limit.max_people": ("max", "上限"),
    "console.source.gateway": ("Site gateway", "厂区网关"),
    "console.trend.none": ("No data around the alarm time", "报警时段无数据"),
    "console.permits": ("Active permits in the zone", "区域内有效作业票"),
    "console.permits.none": ("No active permit for this zone", "该区域无有效作业票"),
    "console.permit.workers": ("{n} workers", "{n}人"),
    "console.history": ("History", "处置记录"),
    "console.history.none": ("No history yet", "暂无记录"),
    "console.history.call": ("call", "电话"),
    "console.event.raised": ("raised", "报警"),
    "console.event.escalated": ("escalated", "升级"),
    "console.event.reactivated": ("raised again", "再次报警"),
    "console.event.cleared": ("cleared", "已恢复"),
    "console.event.acknowledged": ("acknowledged", "已确认"),
    "console.event.shelved": ("shelved", "已搁置"),
    "console.event.unshelved": ("unshelved", "取消搁置"),
    "console.event.shelving_expired": ("shelving expired", "搁置到期"),
    "console.event.ack_overdue": ("acknowledgement overdue", "超时未确认"),
    "console.event.closed": ("closed", "已关闭"),
    "console.contacts": ("Contacts", "联系人"),
    "console.contacts.none": (
        "The registry has no contacts for this enterprise",
        "登记信息中无该企业联系人",
    ),
    "console.on_duty": ("on duty now", "当前值班"),
    "console.call": ("Log call", "记录通话"),
    "console.call.contact": ("Contact", "联系人"),
    "console.call.outcome": ("Outcome", "结果"),
    "console.call.note": ("Note", "通话内容"),
    "console.outcome.reached": ("Reached", "已接通"),
    "console.outcome.no_answer": ("No answer", "无人接听"),
    "console.outcome.wrong_number": ("Wrong number", "号码错误"),
    "console.outcome.other": ("Other", "其他"),
    "console.ack": ("Acknowledge", "确认"),
    "console.ack.comment": ("Comment (required)", "确认说明（必填）"),
    "console.ack.disposition": ("Disposition (optional)", "处置结论（可选）"),
    "console.disposition.false_alarm": ("False alarm", "误报"),
    "console.disposition.instrument_fault": ("Instrument fault", "仪表故障"),
    "console.disposition.process_fluctuation": ("Process fluctuation", "工艺波动"),
    "console.disposition.real_event": ("Real event", "真实事件"),
    "console.disposition.other": ("Other", "其他"),
    "console.shelve": ("Shelve", "搁置"),
    "console.shelve.minutes": ("Minutes", "分钟"),
    "console.shelve.reason": ("Reason (required)", "搁置原因（必填）"),
    "console.done.call": ("Call logged", "通话已记录"),
    "console.done.ack": ("Alarm acknowledged", "报警已确认"),
    "console.done.shelve": ("Alarm shelved", "报警已搁置"),
    "console.error.forbidden": ("Your role may not do this", "您的角色无权执行此操作"),
    "console.error.no_alarm": ("Select an alarm first", "请先选择报警"),
    "console.error.not_found": ("This alarm no longer exists", "该报警已不存在"),
    "console.error.state": (
        "The alarm's state does not allow this now",
        "报警当前状态不允许此操作",
    ),
    "console.error.contact": ("Choose a contact", "请选择联系人"),
    "console.error.outcome": ("Choose an outcome", "请选择通话结果"),
    "console.error.comment": ("A comment is required", "请填写确认说明"),
    "console.error.minutes": (
        "Minutes must be a whole number from 1 to 1440",
        "分钟数须为1至1440的整数",
    ),
    "console.error.reason": ("A reason is required", "请填写搁置原因"),
    "console.error.invalid": ("Not accepted: {detail}", "未接受：{detail}"),
    "login.title": ("Sign in", "登录"),
    "login.username": ("User name", "用户名"),
    "login.password": ("Password", "密码"),
    "login.submit": ("Sign in", "登录"),
    "login.failed": ("Wrong user name or password", "用户名或密码错误"),
    "login.remember": ("Keep me signed in (wall display)", "保持登录（大屏）"),
}


def _merge(*tables: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Merge the pages' label tables; a key defined twice is a programming error."""
    merged: dict[str, tuple[str, str]] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise ValueError(f"labels defined twice: {sorted(twice)}")
        merged.update(table)
    return merged


TEXT = _merge(
    _SHELL_TEXT,
    alarms.TEXT,
    site.TEXT,
    directory.TEXT,
    permits.TEXT,
    admin.TEXT,
    outage.TEXT,
    counts.TEXT,
    console_bulk.TEXT,
)


def t(key: str, lang: str | None = DEFAULT_LANGUAGE, **params: object) -> str:
    """Return the label `key` in `lang` (English for unknown languages), filled with params."""
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**params) if params else text


def normalise(lang: object) -> str:
    """Return a supported language code for whatever the browser stored."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def name_in(name: str, name_zh: str | None, lang: str) -> str:
    """Return a registry name in the language: the Chinese one when there is one."""
    return name_zh if lang == "zh" and name_zh else name
