"""The admin page's users tab: users and roles, the audit log, the selected user's actions and
the form creating a user.

Pure functions of the admin read model (`monitoring/views/admin.py`) and a language.
"""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.admin.parts import col, grid, label, panel
from layouts.controls import action_button
from layouts.i18n import t
from layouts.theme import SELECT_ONE_ROW
from monitoring.users import MIN_PASSWORD_LENGTH, ROLES
from monitoring.views.admin import AuditRow, UserRow


def _role_options(lang: str) -> list[dict]:
    return [{"label": t(f"role.{role}", lang), "value": role} for role in ROLES]


def _password_policy(lang: str) -> html.Div:
    return html.Div(t("admin.password.policy", lang, n=MIN_PASSWORD_LENGTH), className="hz-muted")


def users_tab(lang: str) -> html.Div:
    """Return the users table, the audit log, the selected user's actions and the create form."""
    users = grid(
        ids.ADMIN_USERS_GRID,
        [
            col("username", "admin.col.username", lang, flex=2),
            col("role_label", "admin.col.role", lang, flex=1),
            col(
                "state_label",
                "admin.col.state",
                lang,
                flex=1,
                cellClassRules={"hz-cell-disabled": "!params.data.active"},
            ),
            col("created", "admin.col.created", lang, flex=2),
            col("last_login", "admin.col.last_login", lang, flex=2),
        ],
        lang,
        "admin.users.title",
        getRowId="params.data.username",
        rowSelection=SELECT_ONE_ROW,
    )
    audit = grid(
        ids.ADMIN_AUDIT_GRID,
        [
            col("at", "admin.audit.col.at", lang, width=190, sort="desc"),
            col("actor", "admin.audit.col.actor", lang, width=130),
            col("action_label", "admin.audit.col.action", lang, width=190),
            col("target", "admin.audit.col.target", lang, flex=1),
            col(
                "outcome_label",
                "admin.audit.col.outcome",
                lang,
                width=120,
                cellClassRules={"hz-cell-refused": "params.data.outcome !== 'ok'"},
            ),
            col("detail", "admin.audit.col.detail", lang, flex=2, tooltipField="detail"),
        ],
        lang,
        "admin.audit.none",
    )
    selected = panel(
        "hz-admin-user",
        [
            html.Div(id=ids.ADMIN_USER_HEAD, className="hz-admin-user-head"),
            html.Div(
                id=ids.ADMIN_USER_ACTIONS,
                className="hz-admin-user-actions hz-empty",
                children=user_actions(lang),
            ),
        ],
    )
    return html.Div(
        className="hz-admin-users",
        children=[
            html.Div(
                className="hz-admin-col",
                children=[
                    panel("hz-admin-users-list", [users], t("admin.users.title", lang)),
                    panel("hz-admin-audit", [audit], t("admin.audit.title", lang)),
                ],
            ),
            html.Div(
                className="hz-admin-col hz-admin-side",
                children=[
                    html.Div(id=ids.ADMIN_RESULT, className="hz-result", role="status"),
                    selected,
                    create_form(lang),
                ],
            ),
        ],
    )


def user_actions(lang: str) -> list:
    """Return the forms acting on the selected user."""
    return [
        html.Div(
            className="hz-form hz-not-self",
            children=[
                html.Label(t("admin.role.change", lang), className="hz-label"),
                dcc.RadioItems(
                    id=ids.ADMIN_ROLE,
                    options=_role_options(lang),
                    className="hz-radios",
                    inline=True,
                ),
                action_button(t("admin.role.apply", lang), ids.ADMIN_SET_ROLE),
            ],
        ),
        html.Div(
            className="hz-form",
            children=[
                html.Label(t("admin.password.new", lang), className="hz-label"),
                html.Div(
                    className="hz-inline",
                    children=[
                        dcc.Input(
                            id=ids.ADMIN_RESET_PASSWORD,
                            type="password",
                            autoComplete="new-password",
                            className="hz-input",
                            debounce=False,
                        ),
                        action_button(t("admin.password.apply", lang), ids.ADMIN_SET_PASSWORD),
                    ],
                ),
                _password_policy(lang),
            ],
        ),
        html.Div(
            className="hz-form hz-inline hz-admin-danger hz-not-self",
            children=[
                action_button(t("admin.user.disable", lang), ids.ADMIN_TOGGLE_ACTIVE),
                dcc.Checklist(
                    id=ids.ADMIN_DELETE_CONFIRM,
                    options=[{"label": t("admin.user.delete_confirm", lang), "value": "yes"}],
                    value=[],
                    className="hz-radios hz-admin-confirm",
                    inline=True,
                ),
                action_button(t("admin.user.delete", lang), ids.ADMIN_DELETE, "hz-button-danger"),
            ],
        ),
    ]


def create_form(lang: str) -> html.Section:
    """Return the form creating a user."""
    return panel(
        "hz-admin-create",
        [
            html.Label(t("admin.col.username", lang), className="hz-label"),
            dcc.Input(
                id=ids.ADMIN_NEW_USERNAME,
                type="text",
                autoComplete="off",
                className="hz-input",
                debounce=False,
            ),
            html.Label(t("admin.password.new", lang), className="hz-label"),
            dcc.Input(
                id=ids.ADMIN_NEW_PASSWORD,
                type="password",
                autoComplete="new-password",
                className="hz-input",
                debounce=False,
            ),
            _password_policy(lang),
            html.Label(t("admin.col.role", lang), className="hz-label"),
            dcc.RadioItems(
                id=ids.ADMIN_NEW_ROLE,
                options=_role_options(lang),
                value="viewer",
                className="hz-radios",
                inline=True,
            ),
            action_button(t("admin.create.submit", lang), ids.ADMIN_CREATE, "hz-button-primary"),
        ],
        t("admin.create.title", lang),
    )


def _state_text(active: bool, lang: str) -> str:
    return t("admin.state.active" if active else "admin.state.disabled", lang)


def user_grid_rows(rows: list[UserRow], lang: str) -> list[dict]:
    """Return the users table's rowData."""
    return [
        {
            "username": r.username,
            "role": r.role,
            "role_label": t(f"role.{r.role}", lang),
            "active": r.active,
            "state_label": _state_text(r.active, lang),
            "created": r.created_local,
            "last_login": r.last_login_local or t("admin.never", lang),
        }
        for r in rows
    ]


def user_head(row: UserRow | None, lang: str, is_self: bool) -> list:
    """Return the selected user's name, role and state (or the 'select a user' hint)."""
    if row is None:
        return [html.Div(t("admin.selected.none", lang), className="hz-detail-hint")]
    head = [
        html.Div(
            [
                html.Span(t("admin.selected.title", lang, name=row.username)),
                html.Span(t(f"role.{row.role}", lang), className="hz-admin-chip"),
                html.Span(
                    _state_text(row.active, lang),
                    className="hz-admin-chip" + ("" if row.active else " hz-off"),
                ),
            ],
            className="hz-admin-user-title",
        )
    ]
    if is_self:
        head.append(html.Div(t("admin.selected.you", lang), className="hz-muted"))
    return head


def audit_grid_rows(rows: list[AuditRow], lang: str) -> list[dict]:
    """Return the audit table's rowData."""
    return [
        {
            "id": r.id,
            "at": r.at_local,
            "actor": r.actor,
            "action": r.action,
            "action_label": label("admin.action", r.action, lang),
            "target": r.target,
            "outcome": r.outcome,
            "outcome_label": label("admin.outcome", r.outcome, lang),
            "detail": r.detail,
        }
        for r in rows
    ]
