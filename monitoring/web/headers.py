"""Security headers on every answer: a Content-Security-Policy Dash works with, HSTS, no-store.

The policy allows scripts only from this server plus the inline scripts the app declares by
hash (Dash's `app.csp_hashes()`: the line that starts its renderer, the clientside callbacks),
so an injected `<script>` or `onclick=` never runs. Each relaxation, and why (README
"Security", "Headers"; both measured in Chromium):
- `style-src 'unsafe-inline'`: Plotly and ag-grid add `<style>` elements while they run, with
  no nonce. Styles cannot run code; an injected one can only change how the page looks.
- `img-src data:`: ag-grid's icons are `data:` SVG images in its styles.
Answers of the API, of Dash's callbacks and of the pages may carry phone numbers (contacts,
call logs, the directory), so nothing but static files may be stored by a browser or proxy.
"""

from __future__ import annotations

from collections.abc import Sequence

import flask

HSTS_MAX_AGE_S = 365 * 24 * 3600
# Static files: the pages' assets and Dash's own bundles (fingerprinted, cached by Dash's rules).
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """Return the policy: this server only, inline scripts only by hash, no framing."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install_security_headers(
    server: flask.Flask, script_hashes: Sequence[str], *, hsts: bool
) -> None:
    """Send the policy, nosniff, the referrer policy, HSTS (`hsts`) and no-store on `server`.

    `hsts`: the app is served over HTTPS (`--secure-cookies`), so browsers may be told to use
    nothing else for a year.
    """
    headers = {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
    }
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}"

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        response.headers.update(headers)
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
