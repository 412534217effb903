"""The sign-in page: a plain HTML form posting to /login, labelled in both languages."""

from __future__ import annotations

from html import escape

from layouts.i18n import t


def _both(key: str) -> str:
    return f"{escape(t(key, 'en'))} · {escape(t(key, 'zh'))}"


def login_page(error_key: str | None = None) -> str:
    """Return the sign-in page; `error_key` names the message to show, if any."""
    error = f'<p class="hz-login-error" role="alert">{_both(error_key)}</p>' if error_key else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_both("login.title")} — Hazwatch</title>
<link rel="stylesheet" href="/assets/hazwatch.css"></head>
<body class="hz-login-body"><main class="hz-login">
<h1>{escape(t("app.title", "en"))} <span>{escape(t("app.title", "zh"))}</span></h1>
<p class="hz-login-centre">{_both("centre.name")}</p>
{error}
<form method="post" autocomplete="on">
<label>{_both("login.username")}<input name="username" autocomplete="username" required
 autofocus></label>
<label>{_both("login.password")}<input name="password" type="password"
 autocomplete="current-password" required></label>
<label class="hz-login-remember"><input name="remember" type="checkbox" value="1">
{_both("login.remember")}</label>
<button type="submit">{_both("login.submit")}</button>
</form></main></body></html>"""
