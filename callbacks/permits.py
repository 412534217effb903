"""Permits callbacks: list and filter permits, restriction periods, record a permit by phone.

Recording checks on the server that the signed-in user is an inspector (or admin), whatever the
page showed, and validates the report like `POST /api/v1/permits` and a gateway's report.
"""

from __future__ import annotations

from dash import Input, Output, State, callback, no_update

from callbacks import views
from layouts import ids, permits
from layouts.i18n import normalise, t
from monitoring.views import permits as permits_view
from monitoring.views.common import can_act
from monitoring.views.permits import PermitFormError
from monitoring.web.session import current_session_user


@callback(
    Output(ids.PERMITS_FILTER_ENTERPRISE, "options"),
    Input(ids.LANG, "data"),
)
def fill_enterprise_filter(lang: str | None) -> list[dict]:
    """Offer the registry's enterprises as the list's filter."""
    view = views.permits()
    return permits.choice_options(permits_view.enterprise_choices(view.registry(), normalise(lang)))


@callback(
    Output(ids.PERMITS_FILTER_ZONE, "options"),
    Output(ids.PERMITS_FILTER_ZONE, "value"),
    Input(ids.PERMITS_FILTER_ENTERPRISE, "value"),
    State(ids.LANG, "data"),
)
def fill_zone_filter(enterprise: str | None, lang: str | None) -> tuple[list[dict], None]:
    """Offer the chosen enterprise's zones (none before an enterprise is chosen)."""
    lang = normalise(lang)
    choices = permits_view.zone_filter_choices(views.permits().registry(), enterprise, lang)
    return permits.zone_filter_options(choices, lang), None


@callback(
    Output(ids.PERMITS_GRID, "rowData"),
    Output(ids.PERMITS_COUNT, "children"),
    Output(ids.PERMITS_RESTRICTIONS, "children"),
    Input(ids.PERMITS_FILTER_ENTERPRISE, "value"),
    Input(ids.PERMITS_FILTER_ZONE, "value"),
    Input(ids.PERMITS_FILTER_STATE, "value"),
    Input(ids.PERMITS_INTERVAL, "n_intervals"),
    Input(ids.PERMITS_BUMP, "data"),
    Input(ids.LANG, "data"),
)
def refresh(
    enterprise: str | None,
    zone_value: str | None,
    state: str | None,
    _n: int | None,
    _bump: int | None,
    lang: str | None,
) -> tuple:
    """List the permits matching the filters, and the restriction periods."""
    lang = normalise(lang)
    view = views.permits()
    site, zone = permits.split_zone_filter(zone_value) if enterprise else (None, None)
    rows = view.rows(lang, enterprise or None, site, zone, state or None)
    return (
        permits.grid_rows(rows, lang),
        t("permits.count", lang, n=len(rows)),
        permits.restrictions_list(view.restrictions(), lang),
    )


@callback(
    Output(ids.PERMITS_FORM_ENTERPRISE, "options"),
    Output(ids.PERMITS_FORM_START, "value"),
    Output(ids.PERMITS_FORM_END, "value"),
    Input(ids.LANG, "data"),
)
def prepare_form(lang: str | None) -> tuple:
    """Offer the registry's enterprises and start the times at now (registry timezone)."""
    view = views.permits()
    options = permits.choice_options(
        permits_view.enterprise_choices(view.registry(), normalise(lang))
    )
    start, end = view.default_times()
    return options, start, end


@callback(
    Output(ids.PERMITS_FORM_SITE, "options"),
    Output(ids.PERMITS_FORM_SITE, "value"),
    Input(ids.PERMITS_FORM_ENTERPRISE, "value"),
)
def follow_enterprise(enterprise: str | None) -> tuple:
    """Offer the enterprise's sites; choose the only one when there is one."""
    choices = permits_view.site_choices(views.permits().registry(), enterprise)
    return permits.choice_options(choices), choices[0][0] if len(choices) == 1 else None


@callback(
    Output(ids.PERMITS_FORM_ZONE, "options"),
    Output(ids.PERMITS_FORM_ZONE, "value"),
    Input(ids.PERMITS_FORM_SITE, "value"),
    State(ids.PERMITS_FORM_ENTERPRISE, "value"),
    State(ids.LANG, "data"),
)
def follow_site(site: str | None, enterprise: str | None, lang: str | None) -> tuple:
    """Offer the site's zones, major-hazard zones first; choose the only one when there is one."""
    lang = normalise(lang)
    choices = permits_view.zone_choices(views.permits().registry(), enterprise, site, lang)
    return permits.zone_options(choices, lang), choices[0][0] if len(choices) == 1 else None


@callback(
    Output(ids.PERMITS_FORM_RESULT, "children"),
    Output(ids.PERMITS_BUMP, "data"),
    Output(ids.PERMITS_FORM_NUMBER, "value"),
    Input(ids.PERMITS_FORM_SUBMIT, "n_clicks"),
    State(ids.PERMITS_FORM_ENTERPRISE, "value"),
    State(ids.PERMITS_FORM_SITE, "value"),
    State(ids.PERMITS_FORM_ZONE, "value"),
    State(ids.PERMITS_FORM_TYPE, "value"),
    State(ids.PERMITS_FORM_NUMBER, "value"),
    State(ids.PERMITS_FORM_START, "value"),
    State(ids.PERMITS_FORM_END, "value"),
    State(ids.PERMITS_FORM_WORKERS, "value"),
    State(ids.PERMITS_FORM_SUPERVISOR, "value"),
    State(ids.PERMITS_FORM_STATUS, "value"),
    State(ids.PERMITS_FORM_NOTE, "value"),
    State(ids.PERMITS_BUMP, "data"),
    State(ids.LANG, "data"),
    prevent_initial_call=True,
)
def record(
    clicks: int | None,
    enterprise: object,
    site: object,
    zone: object,
    kind: object,
    number: object,
    start: object,
    end: object,
    workers: object,
    supervisor: object,
    status: object,
    note: object,
    bump: int | None,
    lang: str | None,
) -> tuple:
    """Record a permit reported by phone, as the signed-in inspector."""
    lang = normalise(lang)
    if not clicks:
        return no_update, no_update, no_update
    user = current_session_user()
    if user is None or not can_act(user):
        return permits.error_message(None, "forbidden", "", lang), no_update, no_update
    values = {
        "enterprise": enterprise,
        "site": site,
        "zone": zone,
        "type": kind,
        "permit": number,
        "start": start,
        "end": end,
        "workers": workers,
        "supervisor": supervisor,
        "status": status,
        "note": note,
    }
    try:
        permit = views.permits().record(user.id, values)
    except PermitFormError as exc:
        return permits.error_message(exc.field, exc.reason, exc.detail, lang), no_update, no_update
    return permits.done_message(permit.permit, lang), (bump or 0) + 1, ""
