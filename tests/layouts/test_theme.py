"""The shared look: table options and phone links."""

from __future__ import annotations

from layouts import theme


def test_phone_href_keeps_digits_and_plus() -> None:
    assert theme.phone_href("+86 139-0000 0003") == "tel:+8613900000003"


def test_tables_share_the_dark_theme_and_select_one_row_only_when_asked() -> None:
    plain = theme.grid_options("Nothing here", 36)
    assert plain["localeText"] == {"noRowsToShow": "Nothing here"} and plain["rowHeight"] == 36
    assert theme.PANEL in plain["theme"]["function"] and "rowSelection" not in plain
    assert theme.grid_options("x", select_one=True)["rowSelection"] == theme.SELECT_ONE_ROW
