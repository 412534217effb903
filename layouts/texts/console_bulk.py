"""Labels of the console's bulk actions: key -> (English, 简体中文)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "bulk.selected": ("{n} selected", "已选 {n} 条"),
    "bulk.ack.open": ("Acknowledge…", "批量确认…"),
    "bulk.shelve.open": ("Shelve…", "批量搁置…"),
    "bulk.ack.title": ("Acknowledge alarms", "批量确认报警"),
    "bulk.shelve.title": ("Shelve alarms", "批量搁置报警"),
    "bulk.scope.selected": ("The {n} selected alarms", "选中的 {n} 条报警"),
    "bulk.scope.filter.ack": (
        "All {n} unacknowledged alarms matching the table's filter",
        "符合表格筛选条件的全部 {n} 条未确认报警",
    ),
    "bulk.scope.filter.shelve": (
        "All {n} open alarms matching the table's filter",
        "符合表格筛选条件的全部 {n} 条未关闭报警",
    ),
    "bulk.scope.first": (
        "The first {most} of {n} (at most {most} at once)",
        "前 {most} 条（共 {n} 条，每次最多 {most} 条）",
    ),
    "bulk.scope.unsupported": (
        "This filter cannot be applied here; tick the rows instead",
        "此筛选条件无法用于批量操作，请改为勾选报警",
    ),
    "bulk.comment": ("Comment (required, recorded on each alarm)", "说明（必填，记入每条报警）"),
    "bulk.reason": ("Reason (required, recorded on each alarm)", "搁置原因（必填，记入每条报警）"),
    "bulk.minutes": ("Minutes", "分钟"),
    "bulk.confirm.ack": ("Acknowledge {n} alarms", "确认 {n} 条报警"),
    "bulk.confirm.shelve": ("Shelve {n} alarms for {m} min", "搁置 {n} 条报警 {m} 分钟"),
    "bulk.cancel": ("Close", "关闭"),
    "bulk.none": ("No alarm to act on", "没有可操作的报警"),
    "bulk.done.ack": ("{n} alarms acknowledged", "已确认 {n} 条报警"),
    "bulk.done.shelve": ("{n} alarms shelved", "已搁置 {n} 条报警"),
    "bulk.failed": ("{n} not changed:", "{n} 条未变更："),
    "bulk.outcome.not_found": ("no longer exists", "已不存在"),
    "bulk.outcome.refused": ("its state does not allow it", "当前状态不允许此操作"),
}
