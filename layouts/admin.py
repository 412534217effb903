"""The admin page: users and roles with the audit log, rejected messages, unregistered sensors,
the registry (with reload) and ingest health, as tabs.

Builders are pure functions of the admin read model (`monitoring/views/admin.py`) and a
language. Untrusted text (payload excerpts, topics, names) only ever goes into table cells
and text nodes, which render it as text, never as markup.
"""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from layouts import ids
from layouts.console import SELECT_ONE_ROW, grid_options
from layouts.i18n import TEXT, t
from layouts.shell import elapsed_text, message_page
from monitoring.users import MIN_PASSWORD_LENGTH, ROLES
from monitoring.views.admin import (
    AuditRow,
    HealthSummary,
    RegistryInfo,
    RejectSummary,
    ReloadResult,
    UnregisteredRow,
    UserRow,
)

REFRESH_MS = 5000
TABS = ("users", "rejected", "unregistered", "registry", "health")
TAB_COLOURS = {"border": "#3a3f46", "primary": "#3d8fe6", "background": "#25282d"}
ERRORS_SHOWN = 60  # registry problems listed (the loader keeps at most 50 and a summary)


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`."""
    if not can.get("admin"):
        return message_page("page.forbidden", lang)
    tab = query.get("tab") if query.get("tab") in TABS else "users"
    builders = {
        "users": users_tab,
        "rejected": rejected_tab,
        "unregistered": unregistered_tab,
        "registry": registry_tab,
        "health": health_tab,
    }
    return html.Div(
        className="hz-admin",
        children=[
            dcc.Interval(id=ids.ADMIN_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.ADMIN_BUMP, data=0),
            dcc.Store(id=ids.ADMIN_USER_SELECTED),
            dcc.Tabs(
                id=ids.ADMIN_TABS,
                value=tab,
                className="hz-tabs",
                content_className="hz-tab-content",
                parent_className="hz-tabs-parent",
                colors=TAB_COLOURS,
                children=[
                    dcc.Tab(
                        label=t(f"admin.tab.{name}", lang),
                        value=name,
                        className="hz-tab",
                        selected_className="hz-tab-current",
                        children=builders[name](lang),
                    )
                    for name in TABS
                ],
            ),
        ],
    )


def _grid(grid_id: str, columns: list[dict], lang: str, empty_key: str, **options) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "floatingFilter": True,
            "resizable": True,
            "suppressHeaderMenuButton": True,
            "cellDataType": False,  # local times are text; no date pickers in the filters
        },
        dashGridOptions={**grid_options(t(empty_key, lang), 36), **options},
        className="hz-admin-grid",
        style={"height": "100%", "width": "100%"},
    )


def _col(field: str, key: str, lang: str, **kw) -> dict:
    return {"field": field, "headerName": t(key, lang), **kw}


def _role_options(lang: str) -> list[dict]:
    return [{"label": t(f"role.{role}", lang), "value": role} for role in ROLES]


# Users and roles


def users_tab(lang: str) -> html.Div:
    """Return the users table, the audit log, the selected user's actions and the create form."""
    return html.Div(
        className="hz-admin-users",
        children=[
            html.Div(
                className="hz-admin-col",
                children=[
                    html.Section(
                        className="hz-panel hz-admin-users-list",
                        children=[
                            html.H2(t("admin.users.title", lang)),
                            _grid(
                                ids.ADMIN_USERS_GRID,
                                [
                                    _col("username", "admin.col.username", lang, flex=2),
                                    _col("role_label", "admin.col.role", lang, flex=1),
                                    _col(
                                        "state_label",
                                        "admin.col.state",
                                        lang,
                                        flex=1,
                                        cellClassRules={"hz-cell-disabled": "!params.data.active"},
                                    ),
                                    _col("created", "admin.col.created", lang, flex=2),
                                    _col("last_login", "admin.col.last_login", lang, flex=2),
                                ],
                                lang,
                                "admin.users.title",
                                getRowId="params.data.username",
                                rowSelection=SELECT_ONE_ROW,
                            ),
                        ],
                    ),
                    html.Section(
                        className="hz-panel hz-admin-audit",
                        children=[
                            html.H2(t("admin.audit.title", lang)),
                            _grid(
                                ids.ADMIN_AUDIT_GRID,
                                [
                                    _col("at", "admin.audit.col.at", lang, width=190, sort="desc"),
                                    _col("actor", "admin.audit.col.actor", lang, width=130),
                                    _col("action_label", "admin.audit.col.action", lang, width=190),
                                    _col("target", "admin.audit.col.target", lang, flex=1),
                                    _col(
                                        "outcome_label",
                                        "admin.audit.col.outcome",
                                        lang,
                                        width=120,
                                        cellClassRules={
                                            "hz-cell-refused": "params.data.outcome !== 'ok'"
                                        },
                                    ),
                                    _col(
                                        "detail",
                                        "admin.audit.col.detail",
                                        lang,
                                        flex=2,
                                        tooltipField="detail",
                                    ),
                                ],
                                lang,
                                "admin.audit.none",
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                className="hz-admin-col hz-admin-side",
                children=[
                    html.Div(id=ids.ADMIN_RESULT, className="hz-result", role="status"),
                    html.Section(
                        className="hz-panel hz-admin-user",
                        children=[
                            html.Div(id=ids.ADMIN_USER_HEAD, className="hz-admin-user-head"),
                            html.Div(
                                id=ids.ADMIN_USER_ACTIONS,
                                className="hz-admin-user-actions hz-empty",
                                children=user_actions(lang),
                            ),
                        ],
                    ),
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
                html.Button(
                    t("admin.role.apply", lang),
                    id=ids.ADMIN_SET_ROLE,
                    n_clicks=0,
                    className="hz-button",
                ),
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
                        html.Button(
                            t("admin.password.apply", lang),
                            id=ids.ADMIN_SET_PASSWORD,
                            n_clicks=0,
                            className="hz-button",
                        ),
                    ],
                ),
                html.Div(
                    t("admin.password.policy", lang, n=MIN_PASSWORD_LENGTH), className="hz-muted"
                ),
            ],
        ),
        html.Div(
            className="hz-form hz-inline hz-admin-danger hz-not-self",
            children=[
                html.Button(
                    t("admin.user.disable", lang),
                    id=ids.ADMIN_TOGGLE_ACTIVE,
                    n_clicks=0,
                    className="hz-button",
                ),
                dcc.Checklist(
                    id=ids.ADMIN_DELETE_CONFIRM,
                    options=[{"label": t("admin.user.delete_confirm", lang), "value": "yes"}],
                    value=[],
                    className="hz-radios hz-admin-confirm",
                    inline=True,
                ),
                html.Button(
                    t("admin.user.delete", lang),
                    id=ids.ADMIN_DELETE,
                    n_clicks=0,
                    className="hz-button hz-button-danger",
                ),
            ],
        ),
    ]


def create_form(lang: str) -> html.Section:
    """Return the form creating a user."""
    return html.Section(
        className="hz-panel hz-admin-create",
        children=[
            html.H2(t("admin.create.title", lang)),
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
            html.Div(t("admin.password.policy", lang, n=MIN_PASSWORD_LENGTH), className="hz-muted"),
            html.Label(t("admin.col.role", lang), className="hz-label"),
            dcc.RadioItems(
                id=ids.ADMIN_NEW_ROLE,
                options=_role_options(lang),
                value="viewer",
                className="hz-radios",
                inline=True,
            ),
            html.Button(
                t("admin.create.submit", lang),
                id=ids.ADMIN_CREATE,
                n_clicks=0,
                className="hz-button hz-button-primary",
            ),
        ],
    )


def user_grid_rows(rows: list[UserRow], lang: str) -> list[dict]:
    """Return the users table's rowData."""
    return [
        {
            "username": r.username,
            "role": r.role,
            "role_label": t(f"role.{r.role}", lang),
            "active": r.active,
            "state_label": t("admin.state.active" if r.active else "admin.state.disabled", lang),
            "created": r.created_local,
            "last_login": r.last_login_local or t("admin.never", lang),
        }
        for r in rows
    ]


def user_head(row: UserRow | None, lang: str, is_self: bool) -> list:
    """Return the selected user's name, role and state (or the 'select a user' hint)."""
    if row is None:
        return [html.Div(t("admin.selected.none", lang), className="hz-detail-hint")]
    state = t("admin.state.active" if row.active else "admin.state.disabled", lang)
    head = [
        html.Div(
            [
                html.Span(t("admin.selected.title", lang, name=row.username)),
                html.Span(t(f"role.{row.role}", lang), className="hz-admin-chip"),
                html.Span(state, className="hz-admin-chip" + ("" if row.active else " hz-off")),
            ],
            className="hz-admin-user-title",
        )
    ]
    if is_self:
        head.append(html.Div(t("admin.selected.you", lang), className="hz-muted"))
    return head


def _label(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value}"
    return t(key, lang) if key in TEXT else value


def audit_grid_rows(rows: list[AuditRow], lang: str) -> list[dict]:
    """Return the audit table's rowData."""
    return [
        {
            "id": r.id,
            "at": r.at_local,
            "actor": r.actor,
            "action": r.action,
            "action_label": _label("admin.action", r.action, lang),
            "target": r.target,
            "outcome": r.outcome,
            "outcome_label": _label("admin.outcome", r.outcome, lang),
            "detail": r.detail,
        }
        for r in rows
    ]


def result(key: str, lang: str, ok: bool, **params: object) -> html.Div:
    """Return an action's outcome line."""
    return html.Div(t(key, lang, **params), className="hz-ok" if ok else "hz-error")


# Rejected messages


def rejected_tab(lang: str) -> html.Div:
    """Return the reject counts by reason and the table of recent rejected messages."""
    return html.Div(
        className="hz-admin-stack",
        children=[
            html.Div(id=ids.ADMIN_REJECT_COUNTS, className="hz-admin-counts"),
            html.Section(
                className="hz-panel hz-admin-fill",
                children=[
                    _grid(
                        ids.ADMIN_REJECT_GRID,
                        [
                            _col(
                                "received", "admin.rejected.col.time", lang, width=190, sort="desc"
                            ),
                            _col("code_label", "admin.rejected.col.code", lang, width=180),
                            _col("topic", "admin.rejected.col.topic", lang, flex=2, minWidth=220),
                            _col(
                                "reason",
                                "admin.rejected.col.reason",
                                lang,
                                flex=2,
                                minWidth=220,
                                tooltipField="reason",
                            ),
                            _col(
                                "size",
                                "admin.rejected.col.size",
                                lang,
                                width=100,
                                filter="agNumberColumnFilter",
                            ),
                            _col(
                                "excerpt",
                                "admin.rejected.col.payload",
                                lang,
                                flex=3,
                                minWidth=260,
                                cellClass="hz-mono",
                                tooltipField="excerpt",
                            ),
                        ],
                        lang,
                        "admin.rejected.none",
                        getRowId="params.data.row_id",
                    )
                ],
            ),
        ],
    )


def code_text(code: str, lang: str) -> str:
    """Return a reject reason code's label (the code itself when unknown)."""
    return _label("admin.code", code, lang)


def reject_counts(summary: RejectSummary, lang: str) -> list:
    """Return the total and one chip per reason code, most frequent first."""
    return [
        html.Div(
            [
                html.Span(t("admin.rejected.total", lang, n=summary.total), className="hz-strong"),
                html.Span(
                    t("admin.rejected.shown", lang, n=len(summary.rows)), className="hz-muted"
                ),
            ],
            className="hz-admin-total",
        ),
        *[
            html.Span(
                [html.Span(code_text(code, lang)), html.Span(str(n), className="hz-admin-n")],
                className="hz-admin-count",
                title=code,
            )
            for code, n in summary.counts
        ],
    ]


def reject_grid_rows(summary: RejectSummary, lang: str) -> list[dict]:
    """Return the rejected messages' rowData (payloads as plain text)."""
    return [
        {
            "row_id": str(r.id),
            "received": r.received_local,
            "code": r.code,
            "code_label": code_text(r.code, lang),
            "topic": r.topic,
            "reason": r.reason,
            "size": r.size,
            "excerpt": r.excerpt,
        }
        for r in summary.rows
    ]


# Unregistered sensors


def unregistered_tab(lang: str) -> html.Div:
    """Return the table of sensors seen but not registered."""
    return html.Div(
        className="hz-admin-stack",
        children=[
            html.Div(
                [
                    html.Span(t("admin.unregistered.hint", lang)),
                    html.Span(id=ids.ADMIN_UNREGISTERED_COUNT, className="hz-strong"),
                ],
                className="hz-admin-hint",
            ),
            html.Section(
                className="hz-panel hz-admin-fill",
                children=[
                    _grid(
                        ids.ADMIN_UNREGISTERED_GRID,
                        [
                            _col("enterprise", "admin.unregistered.col.enterprise", lang, flex=1),
                            _col("site", "admin.unregistered.col.site", lang, flex=1),
                            _col("sensor", "admin.unregistered.col.sensor", lang, flex=1),
                            _col("missing_label", "admin.unregistered.col.missing", lang, flex=1),
                            _col("first", "admin.unregistered.col.first", lang, width=200),
                            _col(
                                "last", "admin.unregistered.col.last", lang, width=200, sort="desc"
                            ),
                            _col(
                                "count",
                                "admin.unregistered.col.count",
                                lang,
                                width=140,
                                filter="agNumberColumnFilter",
                            ),
                        ],
                        lang,
                        "admin.unregistered.none",
                        getRowId="params.data.row_id",
                    )
                ],
            ),
        ],
    )


def unregistered_grid_rows(rows: list[UnregisteredRow], lang: str) -> list[dict]:
    """Return the unregistered sensors' rowData."""
    return [
        {
            "row_id": f"{r.enterprise}/{r.site}/{r.sensor}",
            "enterprise": r.enterprise,
            "site": r.site,
            "sensor": r.sensor,
            "missing": r.missing,
            "missing_label": t(f"admin.missing.{r.missing}", lang),
            "first": r.first_local,
            "last": r.last_local,
            "count": r.count,
        }
        for r in rows
    ]


# Registry


def registry_tab(lang: str) -> html.Div:
    """Return the registry in use and its reload button."""
    return html.Div(
        className="hz-admin-registry",
        children=[
            html.Section(
                className="hz-panel",
                children=[
                    html.H2(t("admin.registry.title", lang)),
                    html.Div(id=ids.ADMIN_REGISTRY_INFO),
                ],
            ),
            html.Section(
                className="hz-panel hz-admin-reload",
                children=[
                    html.Button(
                        t("admin.registry.reload", lang),
                        id=ids.ADMIN_RELOAD,
                        n_clicks=0,
                        className="hz-button hz-button-primary",
                    ),
                    html.Div(t("admin.registry.reload_hint", lang), className="hz-muted"),
                    html.Div(id=ids.ADMIN_RELOAD_RESULT, className="hz-result", role="status"),
                ],
            ),
        ],
    )


def registry_fields(info: RegistryInfo, lang: str) -> list:
    """Return the registry's file, load time and counts."""
    notes = []
    if not info.ingest_here:
        notes.append(html.Div(t("admin.registry.other_ingest", lang), className="hz-admin-note"))
    if not info.loaded:
        return [
            html.Div(t("admin.registry.none", lang), className="hz-admin-note"),
            _fields(
                [("admin.registry.file", info.path or t("admin.registry.no_file", lang))], lang
            ),
            *notes,
        ]
    return [
        _fields(
            [
                ("admin.registry.file", info.path or t("admin.registry.no_file", lang)),
                ("admin.registry.loaded", info.loaded_local),
                ("admin.registry.timezone", info.timezone),
                ("admin.registry.enterprises", str(info.enterprises)),
                ("admin.registry.sites", str(info.sites)),
                ("admin.registry.zones", str(info.zones)),
                ("admin.registry.sensors", str(info.sensors)),
                ("admin.registry.cameras", str(info.cameras)),
                ("admin.registry.restrictions", str(info.restrictions)),
            ],
            lang,
        ),
        *notes,
    ]


def _fields(pairs: list[tuple[str, str]], lang: str) -> html.Dl:
    return html.Dl(
        [item for key, value in pairs for item in (html.Dt(t(key, lang)), html.Dd(value))],
        className="hz-fields hz-admin-fields",
    )


def reload_result(outcome: ReloadResult, lang: str) -> list:
    """Return what a reload did: the new counts, or every problem of the file."""
    if outcome.ok:
        i = outcome.info
        return [
            result(
                "admin.registry.reloaded",
                lang,
                ok=True,
                enterprises=i.enterprises,
                sites=i.sites,
                sensors=i.sensors,
            )
        ]
    return [
        result("admin.registry.failed", lang, ok=False, n=len(outcome.errors)),
        html.Ol(
            [html.Li(error) for error in outcome.errors[:ERRORS_SHOWN]],
            className="hz-admin-errors",
        ),
    ]


# Health


def health_tab(lang: str) -> html.Div:
    """Return the health panel (filled by its callback)."""
    return html.Div(id=ids.ADMIN_HEALTH, className="hz-admin-health")


def _yes_no(value: bool | None, lang: str) -> str:
    if value is None:
        return "—"
    return t("admin.health.yes" if value else "admin.health.no", lang)


def _num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def health_panel(h: HealthSummary, lang: str) -> list:
    """Return status, problems, services, counters and the workers table."""
    ok = h.status == "ok"

    def state(good: bool, yes: str, no: str) -> html.Span:
        return html.Span(t(yes if good else no, lang), className="" if good else "hz-bad")

    services = html.Dl(
        [
            html.Dt(t("admin.health.status", lang)),
            html.Dd(state(ok, "admin.health.ok", "admin.health.degraded")),
            html.Dt(t("admin.health.broker", lang)),
            html.Dd(
                state(h.broker_connected, "admin.health.connected", "admin.health.disconnected")
            ),
            html.Dt(t("admin.health.store", lang)),
            html.Dd(
                [
                    state(h.store_reachable, "admin.health.reachable", "admin.health.unreachable"),
                    html.Span(f" ({h.store_kind})" if h.store_kind else ""),
                ]
            ),
            html.Dt(t("admin.health.database", lang)),
            html.Dd(
                [
                    state(
                        h.database_reachable, "admin.health.reachable", "admin.health.unreachable"
                    ),
                    html.Span(f" ({h.database_dialect})" if h.database_dialect else ""),
                ]
            ),
        ],
        className="hz-fields hz-admin-fields",
    )
    problems = [html.Li(p) for p in (*h.problems, *h.broker_errors)]
    counters = [
        html.Div(
            [
                html.Div(_counter_label(name, lang), className="hz-tile-label"),
                html.Div(_num(value), className="hz-admin-tile-value"),
            ],
            className="hz-tile hz-admin-tile",
        )
        for name, value in h.counters
    ]
    header = [
        "admin.health.col.worker",
        "admin.health.col.heartbeat",
        "admin.health.col.age",
        "admin.health.received",
        "admin.health.stored",
        "admin.health.rejected",
        "admin.health.pending",
        "admin.health.broker",
        "admin.health.store",
    ]
    workers = (
        html.Table(
            [
                html.Thead(html.Tr([html.Th(t(key, lang)) for key in header])),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(w.worker_id),
                                html.Td(w.heartbeat_local),
                                html.Td(
                                    _age_text(w.age_s, lang),
                                    className="" if w.fresh else "hz-bad",
                                ),
                                html.Td(_num(w.received)),
                                html.Td(_num(w.stored)),
                                html.Td(_num(w.rejected)),
                                html.Td(_num(w.pending)),
                                html.Td(_yes_no(w.broker_connected, lang)),
                                html.Td(_yes_no(w.store_available, lang)),
                            ]
                        )
                        for w in h.workers
                    ]
                ),
            ],
            className="hz-admin-table",
        )
        if h.workers
        else html.Div(t("admin.health.no_workers", lang), className="hz-admin-note")
    )
    return [
        html.Section(
            className="hz-panel",
            children=[
                html.H2(t("admin.health.title", lang)),
                services,
                html.H3(t("admin.health.problems", lang)) if problems else None,
                html.Ul(problems, className="hz-admin-errors") if problems else None,
            ],
        ),
        html.Section(
            className="hz-panel",
            children=[
                html.H2(t("admin.health.counters", lang)),
                html.Div(counters, className="hz-admin-tiles"),
                html.H2(t("admin.health.workers", lang)),
                workers,
            ],
        ),
    ]


def _counter_label(name: str, lang: str) -> str:
    return _label("admin.health", name, lang)


def _age_text(age_s: int, lang: str) -> str:
    return elapsed_text(age_s * 1000, lang)
