"""The admin page's registry tab: the registry in use, its reload and every problem of a file
that failed to load."""

from __future__ import annotations

from dash import html

from layouts import ids
from layouts.admin.parts import fields, panel
from layouts.controls import action_button, result
from layouts.i18n import t
from monitoring.views.admin import RegistryInfo, ReloadResult

ERRORS_SHOWN = 60  # registry problems listed (the loader keeps at most 50 and a summary)


def registry_tab(lang: str) -> html.Div:
    """Return the registry in use and its reload button."""
    return html.Div(
        className="hz-admin-registry",
        children=[
            panel("", [html.Div(id=ids.ADMIN_REGISTRY_INFO)], t("admin.registry.title", lang)),
            panel(
                "hz-admin-reload",
                [
                    action_button(
                        t("admin.registry.reload", lang), ids.ADMIN_RELOAD, "hz-button-primary"
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
    path = ("admin.registry.file", info.path or t("admin.registry.no_file", lang))
    if not info.loaded:
        return [
            html.Div(t("admin.registry.none", lang), className="hz-admin-note"),
            fields([path], lang),
            *notes,
        ]
    return [
        fields(
            [
                path,
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
