"""Real-browser helpers (Playwright driving the machine's Chromium; never `playwright install`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def chromium_path() -> str | None:
    """Return the Chromium executable on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(width: int = 1920, height: int = 1080, scale: float = 1.0) -> Iterator[Any]:
    """Open a page in headless Chromium with the network off: only this machine answers.

    Requests to any other host are aborted and listed in `page.outside_requests`.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, device_scale_factor=scale
            )
            outside: list[str] = []

            def only_local(route: Any) -> None:
                if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort("internetdisconnected")

            context.route("**/*", only_local)
            page = context.new_page()
            page.outside_requests = outside
            yield page
        finally:
            browser.close()


def log_in(page: Any, base_url: str, username: str, password: str, remember: bool = False) -> None:
    """Sign in through the login form and wait for the wall display's header."""
    page.goto(base_url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if remember:
        page.check("input[name=remember]")
    page.click("button[type=submit]")
    page.wait_for_selector(".hz-header .hz-user-name")


def wait_for_wall(page: Any, timeout_ms: int = 15000) -> None:
    """Wait until the wall's tiles and grid have been filled by the refresh callback."""
    page.wait_for_selector(".hz-kpis .hz-tile", timeout=timeout_ms)
    page.wait_for_selector(".hz-grid .hz-ent", timeout=timeout_ms)
