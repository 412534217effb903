"""How callbacks reach the page read models of the running app (`wiring.web` installs them).

The views are kept on the app's Flask server, so two apps in one process (tests) never share
them; callbacks ask for them by page, typed, through the accessors below.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask

from monitoring.views.admin import AdminView
from monitoring.views.console import ConsoleView
from monitoring.views.directory import DirectoryView
from monitoring.views.permits import PermitsView
from monitoring.views.site import SiteView
from monitoring.views.wall import WallView

EXTENSION_KEY = "hazwatch.views"


@dataclass(frozen=True)
class PageViews:
    """The read model of every page of one app."""

    wall: WallView
    console: ConsoleView
    site: SiteView
    directory: DirectoryView
    permits: PermitsView
    admin: AdminView


def install(server: flask.Flask, views: PageViews) -> None:
    """Make the views reachable from the callbacks that `server` runs."""
    server.extensions[EXTENSION_KEY] = views


def installed(server: flask.Flask) -> PageViews:
    """Return the views installed on `server`."""
    views = server.extensions.get(EXTENSION_KEY)
    if not isinstance(views, PageViews):
        raise LookupError("no page views on this app (wiring.web installs them)")
    return views


def _current() -> PageViews:
    return installed(flask.current_app)


def wall() -> WallView:
    """Return the wall's read model."""
    return _current().wall


def console() -> ConsoleView:
    """Return the alarm console's read model."""
    return _current().console


def site() -> SiteView:
    """Return the Site page's read model."""
    return _current().site


def directory() -> DirectoryView:
    """Return the enterprise directory's read model."""
    return _current().directory


def permits() -> PermitsView:
    """Return the permits page's read model."""
    return _current().permits


def admin() -> AdminView:
    """Return the admin page's read model."""
    return _current().admin
