"""The directory page (being built): `layout(lang, can, query)` returns it."""

from __future__ import annotations

from dash import html

from layouts.shell import message_page


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`."""
    return message_page("page.coming", lang)
