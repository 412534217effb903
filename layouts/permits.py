"""Permits: special operations in force, upcoming and recently ended; restriction periods; and,
for inspectors, a form to record a permit an enterprise reported by phone.

Builders are pure functions of the permits read model (`monitoring/views/permits.py`) and a
language. The form is built only for inspectors and up, and its callback checks the role again.
"""

from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from layouts import directory, ids
from layouts.controls import action_button
from layouts.i18n import TEXT, t
from layouts.theme import grid_options
from monitoring.views.directory import RestrictionRow
from monitoring.views.permits import STATES, PermitRow

REFRESH_MS = 5000
# The contract's order (GB 30871-2022), not alphabetical.
PERMIT_TYPE_ORDER: tuple[str, ...] = (
    "hot_work",
    "confined_space",
    "blind_plate",
    "work_at_height",
    "lifting",
    "temporary_electricity",
    "excavation",
    "road_closure",
)
STATUS_ORDER: tuple[str, ...] = ("approved", "cancelled", "closed")
ZONE_SEP = "|"  # zone filter values are "site|zone" (ids never hold a "|")


def layout(lang: str, can: dict[str, bool], query: dict[str, str]) -> html.Div:
    """Return the page for a user with roles `can`, opened with URL parameters `query`.

    `?enterprise=<id>` starts with the list filtered to that enterprise.
    """
    side = [
        html.Section(
            className="hz-panel hz-pm-restrictions",
            children=[
                html.H2(t("permits.restrictions", lang)),
                html.Div(t("permits.restrictions.hint", lang), className="hz-muted hz-pm-hint"),
                html.Div(id=ids.PERMITS_RESTRICTIONS, className="hz-pm-restriction-list"),
            ],
        )
    ]
    if can.get("inspector"):
        side.append(record_form(lang))
    return html.Div(
        className="hz-permits-page",
        children=[
            dcc.Interval(id=ids.PERMITS_INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=ids.PERMITS_BUMP, data=0),
            html.Section(
                className="hz-panel hz-pm-list",
                children=[
                    html.Div(
                        [
                            html.H2(t("permits.title", lang)),
                            html.Span(id=ids.PERMITS_COUNT, className="hz-pm-count"),
                        ],
                        className="hz-pm-head",
                    ),
                    html.Div(
                        [
                            dcc.Dropdown(
                                id=ids.PERMITS_FILTER_ENTERPRISE,
                                value=query.get("enterprise") or None,
                                placeholder=t("permits.filter.enterprise", lang),
                                className="hz-dropdown hz-pm-filter-wide",
                            ),
                            dcc.Dropdown(
                                id=ids.PERMITS_FILTER_ZONE,
                                placeholder=t("permits.filter.zone", lang),
                                className="hz-dropdown hz-pm-filter-wide",
                            ),
                            dcc.Dropdown(
                                id=ids.PERMITS_FILTER_STATE,
                                options=state_options(lang),
                                placeholder=t("permits.filter.state", lang),
                                className="hz-dropdown hz-pm-filter",
                                searchable=False,
                            ),
                        ],
                        className="hz-pm-filters",
                    ),
                    permit_grid(lang),
                ],
            ),
            html.Div(side, className="hz-pm-side"),
        ],
    )


def permit_grid(lang: str) -> dag.AgGrid:
    """Return the permit table: in force first, then upcoming, then ended and cancelled."""

    def col(field: str, key: str, **kw) -> dict:
        return {"field": field, "headerName": t(key, lang), **kw}

    return dag.AgGrid(
        id=ids.PERMITS_GRID,
        rowData=[],
        getRowId="params.data.row_id",
        columnDefs=[
            col(
                "state_rank",
                "permits.col.state",
                width=105,
                minWidth=105,
                valueFormatter={"function": "params.data.state_label"},
                cellClassRules={
                    "hz-pm-cell-in-force": "params.data.state === 'in_force'",
                    "hz-pm-cell-upcoming": "params.data.state === 'upcoming'",
                },
            ),
            col(
                "enterprise",
                "permits.col.enterprise",
                width=190,
                minWidth=120,
                tooltipField="enterprise",
            ),
            col(
                "zone",
                "permits.col.zone",
                width=190,
                minWidth=120,
                tooltipField="zone",
                cellClassRules={"hz-pm-cell-major": "params.data.major"},
            ),
            col("type_label", "permits.col.type", width=135, minWidth=130),
            col("permit", "permits.col.permit", width=145, minWidth=140),
            col("start", "permits.col.start", width=120, minWidth=120, tooltipField="start_full"),
            col("end", "permits.col.end", width=120, minWidth=120, tooltipField="end_full"),
            col("workers", "permits.col.workers", width=90, minWidth=90),
            col("supervisor", "permits.col.supervisor", width=120, minWidth=90),
            col("source", "permits.col.source", width=190, minWidth=140, tooltipField="note"),
        ],
        defaultColDef={"sortable": True, "resizable": True, "suppressHeaderMenuButton": True},
        dashGridOptions=grid_options(t("permits.none", lang), 40),
        columnSize="sizeToFit",  # every column on screen; the tooltips carry the rest
        className="hz-pm-grid",
        style={"height": "100%", "width": "100%"},
    )


def type_text(kind: str, lang: str) -> str:
    """Return a special operation's name (its id when unknown)."""
    key = f"permits.type.{kind}"
    return t(key, lang) if key in TEXT else kind


def state_text(state: str, lang: str) -> str:
    """Return a permit state's label."""
    key = f"permits.state.{state}"
    return t(key, lang) if key in TEXT else state


def state_options(lang: str) -> list[dict]:
    """Return the state filter's choices."""
    return [{"label": state_text(s, lang), "value": s} for s in STATES]


def type_options(lang: str) -> list[dict]:
    """Return the eight special operations of GB 30871-2022."""
    return [{"label": type_text(k, lang), "value": k} for k in PERMIT_TYPE_ORDER]


def status_options(lang: str) -> list[dict]:
    """Return the statuses a recorded permit may have."""
    return [{"label": t(f"permits.status.{s}", lang), "value": s} for s in STATUS_ORDER]


def choice_options(choices: list[tuple[str, str]]) -> list[dict]:
    """Return (id, name) pairs as dropdown options labelled 'name (id)'."""
    return [
        {"label": name if name == ident else f"{name} ({ident})", "value": ident}
        for ident, name in choices
    ]


def zone_options(choices: list[tuple[str, str, bool]], lang: str) -> list[dict]:
    """Return a site's zones as options; major-hazard zones say so."""
    major = t("permits.major", lang)
    return [
        {"label": f"{name} — {major}" if is_major else name, "value": ident}
        for ident, name, is_major in choices
    ]


def zone_filter_options(choices: list[tuple[str, str, str, bool]], lang: str) -> list[dict]:
    """Return an enterprise's zones for the list's zone filter (value 'site|zone')."""
    major = t("permits.major", lang)
    return [
        {"label": f"{label} — {major}" if is_major else label, "value": f"{site}{ZONE_SEP}{zone}"}
        for site, zone, label, is_major in choices
    ]


def split_zone_filter(value: str | None) -> tuple[str | None, str | None]:
    """Return (site, zone) of a zone filter value, or (None, None)."""
    if not value or ZONE_SEP not in value:
        return None, None
    site, zone = value.split(ZONE_SEP, 1)
    return site or None, zone or None


def source_text(row: PermitRow, lang: str) -> str:
    """Return who reported a permit: the enterprise's gateway, or an inspector by phone."""
    if row.recorded_by:
        return t("permits.source.phone", lang, user=row.recorded_by)
    return t("permits.source.gateway", lang)


def grid_rows(rows: list[PermitRow], lang: str) -> list[dict]:
    """Return the table's rowData: labels translated, raw fields kept for sorting and colour."""
    rank = {s: i for i, s in enumerate(STATES)}
    return [
        {
            "row_id": f"{r.enterprise}/{r.site}/{r.permit}",
            "state": r.state,
            "state_rank": rank.get(r.state, 9),
            "state_label": state_text(r.state, lang),
            "enterprise": r.enterprise_name,
            "zone": f"{r.zone_name} · {r.site_name}" if r.many_sites else r.zone_name,
            "major": r.major,
            "type": r.type,
            "type_label": type_text(r.type, lang),
            "permit": r.permit,
            # Month, day and time fit the column; the full time is the tooltip.
            "start": r.start_local[5:],
            "end": r.end_local[5:],
            "start_full": r.start_local,
            "end_full": r.end_local,
            "workers": r.workers,
            "supervisor": r.supervisor or "",
            "source": source_text(r, lang),
            "note": r.note or None,
        }
        for r in rows
    ]


def restrictions_list(rows: list[RestrictionRow], lang: str) -> list:
    """Return the restriction periods, the ones in force now highlighted, past ones muted."""
    return directory.restrictions_list(rows, lang, "permits.restrictions.none")


def _field(key: str, lang: str, control, hint: str | None = None) -> html.Label:
    return html.Label(
        [
            html.Span(t(key, lang), className="hz-pm-label"),
            control,
            html.Span(hint, className="hz-muted hz-pm-field-hint") if hint else None,
        ],
        className="hz-pm-field",
    )


def record_form(lang: str) -> html.Section:
    """Return the inspector's form for a permit reported by phone."""
    return html.Section(
        className="hz-panel hz-pm-form",
        children=[
            html.H2(t("permits.form.title", lang)),
            html.Div(t("permits.form.effect", lang), className="hz-pm-effect"),
            _field(
                "permits.field.enterprise",
                lang,
                dcc.Dropdown(
                    id=ids.PERMITS_FORM_ENTERPRISE, className="hz-dropdown", clearable=False
                ),
            ),
            html.Div(
                [
                    _field(
                        "permits.field.site",
                        lang,
                        dcc.Dropdown(
                            id=ids.PERMITS_FORM_SITE, className="hz-dropdown", clearable=False
                        ),
                    ),
                    _field(
                        "permits.field.zone",
                        lang,
                        dcc.Dropdown(
                            id=ids.PERMITS_FORM_ZONE, className="hz-dropdown", clearable=False
                        ),
                    ),
                ],
                className="hz-pm-row",
            ),
            html.Div(
                [
                    _field(
                        "permits.field.type",
                        lang,
                        dcc.Dropdown(
                            id=ids.PERMITS_FORM_TYPE,
                            options=type_options(lang),
                            className="hz-dropdown",
                            clearable=False,
                            searchable=False,
                        ),
                    ),
                    _field(
                        "permits.field.permit",
                        lang,
                        dcc.Input(
                            id=ids.PERMITS_FORM_NUMBER,
                            type="text",
                            className="hz-input",
                            autoComplete="off",
                        ),
                    ),
                ],
                className="hz-pm-row",
            ),
            html.Div(
                [
                    _field(
                        "permits.field.start",
                        lang,
                        dcc.Input(
                            id=ids.PERMITS_FORM_START,
                            type="text",
                            className="hz-input",
                            autoComplete="off",
                            placeholder="YYYY-MM-DD HH:MM",
                        ),
                    ),
                    _field(
                        "permits.field.end",
                        lang,
                        dcc.Input(
                            id=ids.PERMITS_FORM_END,
                            type="text",
                            className="hz-input",
                            autoComplete="off",
                            placeholder="YYYY-MM-DD HH:MM",
                        ),
                    ),
                ],
                className="hz-pm-row",
            ),
            html.Div(t("permits.time.hint", lang), className="hz-muted hz-pm-field-hint"),
            html.Div(
                [
                    _field(
                        "permits.field.workers",
                        lang,
                        dcc.Input(
                            id=ids.PERMITS_FORM_WORKERS,
                            type="number",
                            min=0,
                            max=1000,
                            step=1,
                            className="hz-input",
                        ),
                    ),
                    _field(
                        "permits.field.supervisor",
                        lang,
                        dcc.Input(
                            id=ids.PERMITS_FORM_SUPERVISOR,
                            type="text",
                            className="hz-input",
                            autoComplete="off",
                        ),
                    ),
                ],
                className="hz-pm-row",
            ),
            _field(
                "permits.field.status",
                lang,
                dcc.RadioItems(
                    id=ids.PERMITS_FORM_STATUS,
                    options=status_options(lang),
                    value="approved",
                    inline=True,
                    className="hz-radios",
                ),
            ),
            _field(
                "permits.field.note",
                lang,
                dcc.Textarea(id=ids.PERMITS_FORM_NOTE, className="hz-textarea hz-textarea-short"),
            ),
            html.Div(
                [
                    action_button(
                        t("permits.form.submit", lang), ids.PERMITS_FORM_SUBMIT, "hz-button-primary"
                    ),
                    html.Div(id=ids.PERMITS_FORM_RESULT, className="hz-result", role="status"),
                ],
                className="hz-pm-submit",
            ),
        ],
    )


def field_label(field: str | None, lang: str) -> str:
    """Return a form field's name for an error message (bare: without '(optional)')."""
    if not field:
        return ""
    key = f"permits.field.{field}"
    label = t(key, lang) if key in TEXT else field
    return label.split(" (")[0].split("（")[0]


def error_message(field: str | None, reason: str, detail: str, lang: str) -> html.Div:
    """Return why a phone report was not recorded, naming the field to fix."""
    if reason == "rejected":
        if field:
            text = t("permits.error.rejected", lang, field=field_label(field, lang), detail=detail)
        else:
            text = t("console.error.invalid", lang, detail=detail)
    elif reason == "forbidden":
        text = t("permits.error.forbidden", lang)
    else:
        text = t(f"permits.error.{reason}", lang, field=field_label(field, lang))
    # Dash takes data-* attributes only as keywords that are not Python names, which its
    # generated signature cannot type.
    return html.Div(text, className="hz-error", **{"data-field": field or ""})  # type: ignore[arg-type]


def done_message(permit: str, lang: str) -> html.Div:
    """Return the confirmation that a permit was recorded."""
    return html.Div(t("permits.done", lang, permit=permit), className="hz-ok")
