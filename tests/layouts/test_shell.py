"""The app shell's header builders."""

from __future__ import annotations

from layouts import shell


def test_user_menu_signs_out_with_a_post_carrying_the_form_token() -> None:
    menu = shell.user_menu("insp", "inspector", "zh", "signed-token")
    assert [menu[0].children, menu[1].children] == ["insp", "值守员"]
    form = menu[2]
    assert (form.action, form.method) == ("/logout", "POST")
    hidden, button = form.children
    assert (hidden.type, hidden.name, hidden.value) == ("hidden", "csrf_token", "signed-token")
    assert button.type == "submit" and button.children == "退出登录"
    assert shell.user_menu(None, None, "en") == []


def test_a_console_link_may_name_the_alarm_to_open() -> None:
    from callbacks.shell import _alarm_id

    assert _alarm_id({"alarm": "42"}) == 42
    assert [_alarm_id(q) for q in ({}, {"alarm": "x"}, {"alarm": "-1"}, {"alarm": "9" * 30})] == [
        None
    ] * 4
