"""Admin page callbacks: users and roles, rejected messages, unregistered sensors, registry
reload, health.

Every callback, reading or acting, checks on the server that the signed-in user is an
administrator: the page being shown only to administrators protects nothing on its own.
"""

from __future__ import annotations

from dash import Input, NoUpdate, Output, State, callback, ctx, no_update

from callbacks import views
from layouts import controls, ids
from layouts.admin import health, registry, rejected, unregistered, users
from layouts.i18n import normalise, t
from monitoring.users import MIN_PASSWORD_LENGTH
from monitoring.views.admin import AdminError, is_admin
from monitoring.web.session import current_session_user


def _admin() -> bool:
    return is_admin(current_session_user())


@callback(
    Output(ids.ADMIN_USERS_GRID, "rowData"),
    Output(ids.ADMIN_AUDIT_GRID, "rowData"),
    Input(ids.ADMIN_BUMP, "data"),
    Input(ids.ADMIN_TABS, "value"),
    Input(ids.LANG, "data"),
)
def refresh_users(_bump: int | None, tab: str | None, lang: str | None) -> tuple:
    """List the users and the newest audit entries."""
    if tab != "users" or not _admin():
        return no_update, no_update
    lang = normalise(lang)
    view = views.admin()
    return (
        users.user_grid_rows(view.user_list(), lang),
        users.audit_grid_rows(view.audit_log(), lang),
    )


@callback(
    Output(ids.ADMIN_USER_SELECTED, "data"),
    Input(ids.ADMIN_USERS_GRID, "selectedRows"),
    State(ids.ADMIN_USER_SELECTED, "data"),
)
def select_user(selected: list | None, current: str | None) -> str | NoUpdate:
    """Remember the selected user (a refresh that drops the selection keeps it)."""
    if not selected:
        return no_update
    name = selected[0].get("username")
    return no_update if name == current else name


@callback(
    Output(ids.ADMIN_USER_HEAD, "children"),
    Output(ids.ADMIN_USER_ACTIONS, "className"),
    Output(ids.ADMIN_ROLE, "value"),
    Output(ids.ADMIN_TOGGLE_ACTIVE, "children"),
    Input(ids.ADMIN_USER_SELECTED, "data"),
    Input(ids.ADMIN_BUMP, "data"),
    Input(ids.LANG, "data"),
)
def show_user(username: str | None, _bump: int | None, lang: str | None) -> tuple:
    """Show the selected user's role and state, with the actions that apply."""
    lang = normalise(lang)
    user = current_session_user()
    row = None
    if username and is_admin(user):
        row = next((r for r in views.admin().user_list() if r.username == username), None)
    hidden = "hz-admin-user-actions" + ("" if row else " hz-empty")
    if row is None or user is None:
        return users.user_head(None, lang, False), hidden, None, t("admin.user.disable", lang)
    is_self = row.username == user.id
    hidden += " hz-self" if is_self else ""
    toggle = t("admin.user.disable" if row.active else "admin.user.enable", lang)
    return users.user_head(row, lang, is_self), hidden, row.role, toggle


@callback(
    Output(ids.ADMIN_RESULT, "children"),
    Output(ids.ADMIN_BUMP, "data"),
    Output(ids.ADMIN_RESET_PASSWORD, "value"),
    Output(ids.ADMIN_NEW_PASSWORD, "value"),
    Output(ids.ADMIN_DELETE_CONFIRM, "value"),
    Output(ids.ADMIN_NEW_USERNAME, "value"),
    Input(ids.ADMIN_CREATE, "n_clicks"),
    Input(ids.ADMIN_SET_ROLE, "n_clicks"),
    Input(ids.ADMIN_SET_PASSWORD, "n_clicks"),
    Input(ids.ADMIN_TOGGLE_ACTIVE, "n_clicks"),
    Input(ids.ADMIN_DELETE, "n_clicks"),
    State(ids.ADMIN_USER_SELECTED, "data"),
    State(ids.ADMIN_ROLE, "value"),
    State(ids.ADMIN_RESET_PASSWORD, "value"),
    State(ids.ADMIN_DELETE_CONFIRM, "value"),
    State(ids.ADMIN_NEW_USERNAME, "value"),
    State(ids.ADMIN_NEW_PASSWORD, "value"),
    State(ids.ADMIN_NEW_ROLE, "value"),
    State(ids.ADMIN_BUMP, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def act(
    _create: int,
    _role: int,
    _password: int,
    _toggle: int,
    _delete: int,
    selected: str | None,
    role: str | None,
    reset_password: str | None,
    delete_confirm: list | None,
    new_username: str | None,
    new_password: str | None,
    new_role: str | None,
    bump: int | None,
    lang: str | None,
) -> tuple:
    """Create a user, or change, reset, disable/enable or delete the selected one."""
    lang = normalise(lang)
    action = {
        ids.ADMIN_CREATE: "create",
        ids.ADMIN_SET_ROLE: "role",
        ids.ADMIN_SET_PASSWORD: "password",
        ids.ADMIN_TOGGLE_ACTIVE: "toggle",
        ids.ADMIN_DELETE: "delete",
    }.get(ctx.triggered_id)
    if action is None:
        return (no_update,) * 6
    user = current_session_user()
    view = views.admin()
    keep = no_update
    try:
        if action == "create":
            created = view.create_user(user, new_username or "", new_password or "", new_role or "")
            done = controls.result("admin.done.create", lang, ok=True, name=created.username)
            return done, (bump or 0) + 1, keep, "", keep, ""
        if not selected:
            view.require_admin(user, f"user.{action}", "")  # refused attempts are recorded
            return controls.result("admin.error.no_user", lang, ok=False), *(keep,) * 5
        if action == "role":
            changed = view.set_role(user, selected, role or "")
            text = t(f"role.{changed.role}", lang)
            done = controls.result("admin.done.role", lang, ok=True, name=selected, role=text)
        elif action == "password":
            view.reset_password(user, selected, reset_password or "")
            done = controls.result("admin.done.password", lang, ok=True, name=selected)
        elif action == "toggle":
            current = view.users.get(selected)
            if current is None:
                raise AdminError("admin.error.not_found")
            changed = view.set_active(user, selected, not current.active)
            key = "admin.done.enable" if changed.active else "admin.done.disable"
            done = controls.result(key, lang, ok=True, name=selected)
        else:
            if "yes" not in (delete_confirm or []):
                view.require_admin(user, "user.delete", selected)
                return controls.result("admin.error.confirm", lang, ok=False), *(keep,) * 5
            view.delete_user(user, selected)
            done = controls.result("admin.done.delete", lang, ok=True, name=selected)
    except AdminError as exc:
        return _error(exc, lang), *(keep,) * 5
    return done, (bump or 0) + 1, "", keep, [], keep


def _error(exc: AdminError, lang: str):
    if exc.key == "admin.error.password":
        return controls.result(exc.key, lang, ok=False, n=MIN_PASSWORD_LENGTH)
    if exc.key == "admin.error.invalid":
        return controls.result(exc.key, lang, ok=False, detail=exc.detail)
    return controls.result(exc.key, lang, ok=False)


@callback(
    Output(ids.ADMIN_REJECT_COUNTS, "children"),
    Output(ids.ADMIN_REJECT_GRID, "rowData"),
    Input(ids.ADMIN_INTERVAL, "n_intervals"),
    Input(ids.ADMIN_TABS, "value"),
    Input(ids.LANG, "data"),
)
def refresh_rejected(_n: int | None, tab: str | None, lang: str | None) -> tuple:
    """List reject counts by reason and the newest rejected messages."""
    if tab != "rejected" or not _admin():
        return no_update, no_update
    lang = normalise(lang)
    summary = views.admin().rejected()
    return rejected.reject_counts(summary, lang), rejected.reject_grid_rows(summary, lang)


@callback(
    Output(ids.ADMIN_UNREGISTERED_COUNT, "children"),
    Output(ids.ADMIN_UNREGISTERED_GRID, "rowData"),
    Input(ids.ADMIN_INTERVAL, "n_intervals"),
    Input(ids.ADMIN_TABS, "value"),
    Input(ids.ADMIN_BUMP, "data"),
    Input(ids.LANG, "data"),
)
def refresh_unregistered(_n: int | None, tab: str | None, _bump: int | None, lang: str | None):
    """List the sensors seen but not registered."""
    if tab != "unregistered" or not _admin():
        return no_update, no_update
    lang = normalise(lang)
    rows = views.admin().unregistered_sensors()
    count = t("admin.unregistered.count", lang, n=len(rows))
    return count, unregistered.unregistered_grid_rows(rows, lang)


@callback(
    Output(ids.ADMIN_REGISTRY_INFO, "children"),
    Input(ids.ADMIN_TABS, "value"),
    Input(ids.ADMIN_BUMP, "data"),
    Input(ids.LANG, "data"),
)
def refresh_registry(tab: str | None, _bump: int | None, lang: str | None) -> list | NoUpdate:
    """Show the registry in use."""
    if tab != "registry" or not _admin():
        return no_update
    lang = normalise(lang)
    return registry.registry_fields(views.admin().registry_state(), lang)


@callback(
    Output(ids.ADMIN_RELOAD_RESULT, "children"),
    Output(ids.ADMIN_BUMP, "data", allow_duplicate=True),
    Input(ids.ADMIN_RELOAD, "n_clicks"),
    State(ids.ADMIN_BUMP, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def reload_registry(_clicks: int, bump: int | None, lang: str | None) -> tuple:
    """Re-read the registry file; show every problem, or the new counts."""
    lang = normalise(lang)
    try:
        outcome = views.admin().reload_registry(current_session_user())
    except AdminError as exc:
        return [_error(exc, lang)], no_update
    return registry.reload_result(outcome, lang), (bump or 0) + 1


@callback(
    Output(ids.ADMIN_HEALTH, "children"),
    Input(ids.ADMIN_INTERVAL, "n_intervals"),
    Input(ids.ADMIN_TABS, "value"),
    Input(ids.LANG, "data"),
)
def refresh_health(_n: int | None, tab: str | None, lang: str | None) -> list | NoUpdate:
    """Show broker, store, database, counters and ingest workers."""
    if tab != "health" or not _admin():
        return no_update
    lang = normalise(lang)
    return health.health_panel(views.admin().health_state(), lang)
