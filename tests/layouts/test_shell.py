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
