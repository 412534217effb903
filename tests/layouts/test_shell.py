"""The app shell's header builders."""

from __future__ import annotations

from layouts import ids, shell
from tests.layouts.test_wall import NOW, classes, snapshot, texts


def test_user_menu_signs_out_with_a_post_carrying_the_form_token() -> None:
    menu = shell.user_menu("insp", "inspector", "zh", "signed-token")
    assert [menu[0].children, menu[1].children] == ["insp", "值守员"]
    form = menu[2]
    assert (form.action, form.method) == ("/logout", "POST")
    hidden, button = form.children
    assert (hidden.type, hidden.name, hidden.value) == ("hidden", "csrf_token", "signed-token")
    assert button.type == "submit" and button.children == "退出登录"
    assert shell.user_menu(None, None, "en") == []


def test_the_user_name_links_to_the_password_page() -> None:
    name = shell.user_menu("insp", "inspector", "en", "signed-token")[0]
    assert (name.href, name.children, name.title) == ("/password", "insp", "Change your password")
    assert shell.user_menu("insp", "inspector", "zh")[0].title == "修改密码"


def test_elapsed_text() -> None:
    assert [shell.elapsed_text(ms, "en") for ms in (0, 59_999, 60_000, 7_260_000, 90_000_000)] == [
        "0 s",
        "59 s",
        "1 min",
        "2 h 1 min",
        "1 d 1 h",
    ]
    assert shell.elapsed_text(-5000, "zh") == "0秒"


def test_health_badges_colour_only_what_is_wrong() -> None:
    snap = snapshot()
    badges = shell.health_badges(snap.health, snap.newest_reading_ms, NOW, "en")
    assert classes(badges) == ["hz-badge", "hz-badge hz-badge-bad", "hz-badge", "hz-badge"]
    assert texts(badges) == ["Broker", "OK", "Store", "DOWN", "DB", "OK", "Data", "2 s"]
    stale = shell.health_badges({}, None, NOW, "zh")
    assert all("hz-badge-bad" in c for c in classes(stale))
    assert texts(stale)[4:] == ["数据库", "中断", "数据", "无数据"]


def test_the_shell_has_a_slot_for_the_database_outage_banner() -> None:
    app = shell.layout("Asia/Shanghai")
    slots = [c for c in app.children if getattr(c, "id", None) == ids.OUTAGE]
    assert len(slots) == 1 and slots[0].className == "hz-outage"
    assert app.children.index(slots[0]) == len(app.children) - 2  # under the header


def test_nav_shows_only_pages_the_role_allows() -> None:
    viewer = shell.nav_links("/", "en", {"viewer": True, "inspector": False, "admin": False})
    assert [link.href for link in viewer] == ["/", "/site", "/enterprises", "/permits"]
    assert "hz-nav-current" in viewer[0].className
    admin = shell.nav_links("/admin", "zh", {"viewer": True, "inspector": True, "admin": True})
    assert texts(admin) == ["大屏", "值守台", "厂区监测", "企业名录", "作业票", "管理"]
