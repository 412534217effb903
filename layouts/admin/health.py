"""The admin page's health tab: status, problems, services, counters and the ingest workers."""

from __future__ import annotations

from dash import html

from layouts import ids
from layouts.admin.parts import fields, label, panel
from layouts.i18n import t
from layouts.shell import elapsed_text
from monitoring.views.admin import HealthSummary, WorkerRow

WORKER_COLUMNS = (
    "admin.health.col.worker",
    "admin.health.col.heartbeat",
    "admin.health.col.age",
    "admin.health.received",
    "admin.health.stored",
    "admin.health.rejected",
    "admin.health.pending",
    "admin.health.broker",
    "admin.health.store",
)


def health_tab(lang: str) -> html.Div:
    """Return the health panel (filled by its callback)."""
    return html.Div(id=ids.ADMIN_HEALTH, className="hz-admin-health")


def _yes_no(value: bool | None, lang: str) -> str:
    if value is None:
        return "—"
    return t("admin.health.yes" if value else "admin.health.no", lang)


def _num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _state(good: bool, yes: str, no: str, lang: str) -> html.Span:
    """Return a service's state; only a bad one is coloured."""
    return html.Span(t(yes if good else no, lang), className="" if good else "hz-bad")


def health_panel(h: HealthSummary, lang: str) -> list:
    """Return status, problems, services, counters and the workers table."""
    services = fields(
        [
            (
                "admin.health.status",
                _state(h.status == "ok", "admin.health.ok", "admin.health.degraded", lang),
            ),
            (
                "admin.health.broker",
                _state(
                    h.broker_connected,
                    "admin.health.connected",
                    "admin.health.disconnected",
                    lang,
                ),
            ),
            (
                "admin.health.store",
                [
                    _state(
                        h.store_reachable,
                        "admin.health.reachable",
                        "admin.health.unreachable",
                        lang,
                    ),
                    html.Span(f" ({h.store_kind})" if h.store_kind else ""),
                ],
            ),
            (
                "admin.health.database",
                [
                    _state(
                        h.database_reachable,
                        "admin.health.reachable",
                        "admin.health.unreachable",
                        lang,
                    ),
                    html.Span(f" ({h.database_dialect})" if h.database_dialect else ""),
                ],
            ),
        ],
        lang,
    )
    problems = [html.Li(p) for p in (*h.problems, *h.broker_errors)]
    counters = [
        html.Div(
            [
                html.Div(label("admin.health", name, lang), className="hz-tile-label"),
                html.Div(_num(value), className="hz-admin-tile-value"),
            ],
            className="hz-tile hz-admin-tile",
        )
        for name, value in h.counters
    ]
    workers = (
        workers_table(h.workers, lang)
        if h.workers
        else html.Div(t("admin.health.no_workers", lang), className="hz-admin-note")
    )
    return [
        panel(
            "",
            [
                services,
                html.H3(t("admin.health.problems", lang)) if problems else None,
                html.Ul(problems, className="hz-admin-errors") if problems else None,
            ],
            t("admin.health.title", lang),
        ),
        panel(
            "",
            [
                html.Div(counters, className="hz-admin-tiles"),
                html.H2(t("admin.health.workers", lang)),
                workers,
            ],
            t("admin.health.counters", lang),
        ),
    ]


def workers_table(workers: tuple[WorkerRow, ...], lang: str) -> html.Table:
    """Return one row per ingest worker; a stale heartbeat's age is coloured."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(key, lang)) for key in WORKER_COLUMNS])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(w.worker_id),
                            html.Td(w.heartbeat_local),
                            html.Td(
                                elapsed_text(w.age_s * 1000, lang),
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
                    for w in workers
                ]
            ),
        ],
        className="hz-admin-table",
    )
