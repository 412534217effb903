"""The web app's assembly: every page's read model is built and reachable from callbacks."""

from __future__ import annotations

import pytest

from callbacks import views
from monitoring.settings import Settings
from monitoring.views.admin import AdminView
from monitoring.views.wall import WallView
from tests.e2e_support import write_registry
from wiring import runtime
from wiring.web import create_web_app


@pytest.fixture
def rt(tmp_path):
    rt = runtime.Runtime(Settings(data_dir=tmp_path, admin_password="admin-password-1"))
    runtime.start_storage(rt)
    runtime.load_registry(rt, write_registry(tmp_path))
    yield rt
    rt.stop()


def test_callbacks_find_the_views_the_app_was_built_with(rt) -> None:
    app = create_web_app(rt)
    with app.server.app_context():
        wall, admin = views.wall(), views.admin()
        assert isinstance(wall, WallView) and isinstance(admin, AdminView)
        assert views.site().choices()[0].id == "e1"  # the runtime's registry
        assert views.console().rows("en") == [] and views.permits().rows("en") == []
        assert [row.id for row in views.directory().rows("en")] == ["e1"]
        assert admin.registry_state().loaded and admin.health_state().status == "degraded"


def test_the_pages_styles_and_chime_are_served(rt) -> None:
    client = create_web_app(rt).server.test_client()
    assert b"hz-" in client.get("/assets/hazwatch.css").data
    assert client.get("/assets/hazwatch-chime.wav").status_code == 200


def test_the_admin_reload_swaps_the_runtimes_registry(rt) -> None:
    before = rt.registry
    app = create_web_app(rt)
    with app.server.app_context():
        admin = views.admin()
    assert admin.registry_file == rt.settings.data_dir / "registry.yaml"
    root = type("Admin", (), {"id": "admin", "can": staticmethod(lambda role: True)})()
    outcome = admin.reload_registry(root)
    assert outcome.ok and rt.registry is not before and rt.registry is not None


def test_without_installed_views_callbacks_say_so() -> None:
    import flask

    with flask.Flask("bare").app_context(), pytest.raises(LookupError, match="wiring.web"):
        views.wall()
