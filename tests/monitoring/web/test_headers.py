"""The security headers: a strict policy with Dash's hashes, HSTS only when asked, no-store."""

from __future__ import annotations

import flask

from monitoring.web.headers import content_security_policy, install_security_headers


def app(hsts: bool) -> flask.Flask:
    server = flask.Flask(__name__)
    server.add_url_rule("/page", "page", lambda: "<h1>page</h1>")
    server.add_url_rule("/assets/site.css", "css", lambda: "body {}")
    install_security_headers(server, ["'sha256-abc='"], hsts=hsts)
    return server


def test_the_policy_allows_scripts_only_from_here_or_by_hash() -> None:
    policy = content_security_policy(["'sha256-abc='", "'sha256-def='"])
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self' 'sha256-abc=' 'sha256-def='"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe-eval" not in policy


def test_every_answer_has_the_headers_and_only_static_files_may_be_stored() -> None:
    client = app(hsts=False).test_client()
    page, css, missing = client.get("/page"), client.get("/assets/site.css"), client.get("/x")
    for r in (page, css, missing):
        assert "'sha256-abc='" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in r.headers
    assert page.headers["Cache-Control"] == missing.headers["Cache-Control"] == "no-store"
    assert "no-store" not in css.headers.get("Cache-Control", "")


def test_hsts_when_served_over_https() -> None:
    r = app(hsts=True).test_client().get("/page")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
