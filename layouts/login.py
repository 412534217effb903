"""The sign-in page, the sign-out confirmation and the password page: plain HTML forms, in both
languages.

Both forms carry the session's signed form token (`monitoring.web.session.csrf_token`).
Everything interpolated is escaped; the error text comes only from our own labels.
"""

from __future__ import annotations

from html import escape

from layouts.i18n import t
from monitoring.web.forms import CSRF_FIELD


def _both(key: str, **params: object) -> str:
    return f"{escape(t(key, 'en', **params))} · {escape(t(key, 'zh', **params))}"


def _page(title_key: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_both(title_key)} — Hazwatch</title>
<link rel="stylesheet" href="/assets/hazwatch.css">
<link rel="stylesheet" href="/assets/admin.css"></head>
<body class="hz-login-body"><main class="hz-login">
<h1>{escape(t("app.title", "en"))} <span>{escape(t("app.title", "zh"))}</span></h1>
<p class="hz-login-centre">{_both("centre.name")}</p>
{body}</main></body></html>"""


def _token_field(token: str) -> str:
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token, quote=True)}">'


def login_page(error_key: str | None = None, csrf_token: str = "", **params: object) -> str:
    """Return the sign-in page; `error_key` names the message to show, if any.

    `error_key` "logout.confirm" returns the sign-out confirmation instead (same renderer,
    so the session module needs only one page function).
    """
    if error_key == "logout.confirm":
        return logout_page(csrf_token)
    error = (
        f'<p class="hz-login-error" role="alert">{_both(error_key, **params)}</p>'
        if error_key
        else ""
    )
    return _page(
        "login.title",
        f"""{error}
<form method="post" autocomplete="on">
{_token_field(csrf_token)}
<label>{_both("login.username")}<input name="username" autocomplete="username" required
 autofocus></label>
<label>{_both("login.password")}<input name="password" type="password"
 autocomplete="current-password" required></label>
<label class="hz-login-remember"><input name="remember" type="checkbox" value="1">
{_both("login.remember")}</label>
<button type="submit">{_both("login.submit")}</button>
</form>""",
    )


def logout_page(csrf_token: str) -> str:
    """Return the sign-out confirmation: a POST form, so a link elsewhere cannot sign out."""
    return _page(
        "logout.title",
        f"""<p>{_both("logout.question")}</p>
<form method="post" action="/logout">
{_token_field(csrf_token)}
<button type="submit">{_both("logout.submit")}</button>
<a class="hz-logout-cancel" href="/">{_both("logout.cancel")}</a>
</form>""",
    )


def password_page(
    message_key: str | None = None,
    csrf_token: str = "",
    *,
    username: str = "",
    min_length: int = 12,
    **params: object,
) -> str:
    """Return the page where a signed-in user changes their own password.

    `message_key` "password.done" says it worked (no form then); any other key is shown as
    an error above the form.
    """
    rules = _both("password.rules", min_length=min_length)
    back = f'<p><a class="hz-password-back" href="/">{_both("password.back")}</a></p>'
    who = f"<h2>{_both('password.title')}</h2>"
    if username:
        who += f'<p class="hz-muted">{_both("password.user", name=username)}</p>'
    if message_key == "password.done":
        done = f'<p class="hz-login-done" role="status">{_both(message_key)}</p>'
        return _page("password.title", f"{who}{done}{back}")
    error = (
        f'<p class="hz-login-error" role="alert">'
        f"{_both(message_key, min_length=min_length, **params)}</p>"
        if message_key
        else ""
    )
    return _page(
        "password.title",
        f"""{who}{error}
<form method="post" action="/password" autocomplete="off">
{_token_field(csrf_token)}
<label>{_both("password.current")}<input name="current_password" type="password"
 autocomplete="current-password" required autofocus></label>
<label>{_both("password.new")}<input name="new_password" type="password"
 autocomplete="new-password" minlength="{min_length}" required></label>
<label>{_both("password.again")}<input name="new_password_again" type="password"
 autocomplete="new-password" minlength="{min_length}" required></label>
<p class="hz-muted">{rules}</p>
<button type="submit">{_both("password.submit")}</button>
</form>{back}""",
    )
