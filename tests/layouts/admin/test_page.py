"""The admin page: only for admins, every tab and form in the language, no markup from cells."""

from __future__ import annotations

import pytest

from layouts import ids
from layouts.admin import page as admin_page
from layouts.i18n import TEXT
from tests.layouts.admin.tree import find, texts

ADMIN = {"viewer": True, "inspector": True, "admin": True}


@pytest.mark.parametrize("can", [{"viewer": True}, {"viewer": True, "inspector": True}, {}])
def test_only_an_admin_gets_the_page(can) -> None:
    page = admin_page.layout("en", can, {})
    assert find(page, ids.ADMIN_TABS) is None and "Your role may not open this page" in texts(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_has_every_tab_and_form_in_the_language(lang) -> None:
    page = admin_page.layout(lang, ADMIN, {})
    tabs = find(page, ids.ADMIN_TABS)
    assert [tab.value for tab in tabs.children] == list(admin_page.TABS) and tabs.value == "users"
    for component_id in (
        ids.ADMIN_USERS_GRID,
        ids.ADMIN_AUDIT_GRID,
        ids.ADMIN_CREATE,
        ids.ADMIN_SET_ROLE,
        ids.ADMIN_DELETE,
        ids.ADMIN_REJECT_GRID,
        ids.ADMIN_UNREGISTERED_GRID,
        ids.ADMIN_RELOAD,
        ids.ADMIN_HEALTH,
    ):
        assert find(page, component_id) is not None, component_id
    dump = texts(page)
    label = TEXT["admin.tab.rejected"][1 if lang == "zh" else 0]
    assert label in dump
    if lang == "zh":
        assert "Rejected messages" not in dump and "Create user" not in dump


def test_the_tab_comes_from_the_query_when_known() -> None:
    assert (
        find(admin_page.layout("en", ADMIN, {"tab": "registry"}), ids.ADMIN_TABS).value
        == "registry"
    )
    assert find(admin_page.layout("en", ADMIN, {"tab": "<x>"}), ids.ADMIN_TABS).value == "users"


def test_no_grid_renders_cells_as_html() -> None:
    dump = texts(admin_page.layout("en", ADMIN, {}))
    assert "dangerously_allow_code" not in dump and "markdown" not in dump
    assert "cellRenderer" not in dump
