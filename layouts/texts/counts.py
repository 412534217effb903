"""How many: open alarms per severity, the console's 'showing N of M' and its pager.

key -> (English, 简体中文). Every figure comes from the database's own counts, so the
wording says exactly which part of how many is shown.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "count.red": ("{n} red", "红色{n}条"),
    "count.orange": ("{n} orange", "橙色{n}条"),
    "count.yellow": ("{n} yellow", "黄色{n}条"),
    "count.blue": ("{n} blue", "蓝色{n}条"),
    # The wall's feed lists the most severe and newest open alarms, and says how many of all.
    "feed.shown": ("{shown} of {total} open", "{total}条中的{shown}条"),
    "feed.all": ("all {total} open", "全部{total}条"),
    # The console's heading: what the table shows of the open alarms.
    "list.all": ("All {total} open", "全部{total}条未关闭"),
    "list.page": (
        "Showing {first}–{last} of {total} open",
        "显示第{first}–{last}条，共{total}条未关闭",
    ),
    "list.filtered": (
        "{matching} of {total} open match the filters",
        "{total}条未关闭中{matching}条符合筛选",
    ),
    "list.filtered_page": (
        "Showing {first}–{last} of {matching} matching · {total} open",
        "显示第{first}–{last}条，{matching}条符合筛选 · 共{total}条未关闭",
    ),
    "list.none": (
        "None of {total} open matches the filters",
        "{total}条未关闭中没有符合筛选的报警",
    ),
    "list.empty": ("No open alarms", "无未关闭报警"),
    "list.page_filter": (" · filters apply to this page only", " · 筛选仅作用于本页"),
    "list.prev": ("‹ Previous", "‹ 上一页"),
    "list.next": ("Next ›", "下一页 ›"),
    "list.pages": ("Page {page} of {pages}", "第{page}/{pages}页"),
}
