"""Read admin component trees in tests: all their text as Dash sends it, a component by id."""

from __future__ import annotations

import json

import plotly


def texts(component) -> str:
    """Return every string in a component tree (JSON, as Dash would send it)."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def find(component, component_id):
    """Return the component with `component_id` in a tree (None when absent)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = find(child, component_id)
            if found is not None:
                return found
    return None
