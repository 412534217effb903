"""The admin page's read model: pure builders, and actions checked and audited on a real store."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from monitoring.books.rejects import RejectedMessage, RejectLog
from monitoring.books.unregistered import UnregisteredSensors
from monitoring.books.users import AuditLog, UserBook
from monitoring.db.database import Database
from monitoring.records import Rejection
from monitoring.registry.loader import parse_registry
from monitoring.users import User
from monitoring.views.admin import (
    AdminError,
    AdminView,
    health_summary,
    payload_excerpt,
    registry_info,
    registry_path,
    reject_summary,
    unregistered_rows,
    user_rows,
)
from monitoring.web.session import SessionUser
from tests.factories import one_zone_registry

T0 = 1_764_381_600_000  # 2025-11-29T02:00:00Z = 10:00 in Asia/Shanghai
PASSWORD = "correct-horse-1"
REGISTRY = one_zone_registry()


def session(username: str, role: str, active: bool = True) -> SessionUser:
    return SessionUser(User(username, role, T0, active))


def test_payload_excerpt_is_one_line_of_inert_text() -> None:
    text = payload_excerpt('{"a":\n\t"<script>x</script>\x00\x1b[31m\x85"}')
    assert "\n" not in text and "\x00" not in text and "\x1b" not in text and "\x85" not in text
    assert text == '{"a":↵→"<script>x</script>\\x00\\x1b[31m\\x85"}'
    long = payload_excerpt("x" * 500, limit=10)
    assert long == "x" * 10 + "…"


def test_reject_summary_orders_counts_and_formats_rows() -> None:
    recent = [
        {
            "id": 7,
            "received_ms": T0,
            "topic": "hazmon/e1/s1/telemetry",
            "payload": "not json\n",
            "payload_truncated": False,
            "size": 9,
            "code": "bad_json",
            "reason": "not valid JSON",
        }
    ]
    summary = reject_summary(
        recent, {"bad_json": 3, "bad_topic": 5, "bad_id": 3}, 11, "Asia/Shanghai"
    )
    assert summary.counts == (("bad_topic", 5), ("bad_id", 3), ("bad_json", 3))
    assert summary.total == 11
    row = summary.rows[0]
    assert row.received_local == "2025-11-29 10:00:00" and row.excerpt == "not json↵"


def test_unregistered_rows_say_what_the_registry_lacks() -> None:
    items = [
        {
            "enterprise": e,
            "site": s,
            "sensor": "X",
            "first_seen_ms": T0,
            "last_seen_ms": T0 + 1000,
            "count": 4,
        }
        for e, s in (("e1", "s1"), ("e1", "s9"), ("e9", "s1"))
    ]
    rows = unregistered_rows(items, REGISTRY, "UTC")
    assert [r.missing for r in rows] == ["sensor", "site", "enterprise"]
    assert rows[0].last_local == "2025-11-29 02:00:01" and rows[0].count == 4
    assert [r.missing for r in unregistered_rows(items, None, "UTC")] == ["enterprise"] * 3


def test_registry_info_counts_what_the_registry_holds(tmp_path) -> None:
    info = registry_info(REGISTRY, tmp_path / "r.yaml", T0, "Asia/Shanghai", ingest_here=False)
    assert (info.enterprises, info.sites, info.zones, info.sensors, info.cameras) == (1, 1, 1, 1, 1)
    assert info.loaded and info.loaded_local == "2025-11-29 10:00:00" and not info.ingest_here
    empty = registry_info(None, None, None, "UTC", ingest_here=True)
    assert not empty.loaded and empty.path is None and empty.sensors == 0


def test_registry_path_prefers_the_configured_file(tmp_path) -> None:
    configured = SimpleNamespace(registry=tmp_path / "mine.yaml", data_dir=tmp_path)
    assert registry_path(configured, True) == tmp_path / "mine.yaml"
    demo = SimpleNamespace(registry=None, data_dir=tmp_path)
    assert registry_path(demo, True) is None
    (tmp_path / "registry.yaml").write_text("enterprises: []\n")
    assert registry_path(demo, True) == tmp_path / "registry.yaml"
    assert registry_path(demo, False) is None


def test_health_summary_marks_stale_workers() -> None:
    health = {
        "status": "degraded",
        "problems": ["broker disconnected"],
        "broker": {"connected": False, "errors": ["refused"]},
        "store": {"kind": "influxdb", "reachable": True},
        "database": {"reachable": True, "dialect": "postgresql"},
        "ingest": {"received": 10, "stored": 9, "rejected": 1, "pending": 0},
        "workers": [
            {"worker_id": "w1", "heartbeat_ms": T0 - 90_000, "fresh": False, "received": 10}
        ],
    }
    h = health_summary(health, T0, "UTC")
    assert h.status == "degraded" and h.problems == ("broker disconnected",)
    assert h.broker_errors == ("refused",) and not h.broker_connected
    assert h.workers[0].age_s == 90 and not h.workers[0].fresh and h.workers[0].stored is None
    assert dict(h.counters)["received"] == 10


def test_user_rows_show_never_signed_in_as_empty() -> None:
    rows = user_rows(
        [User("b", "viewer", T0), User("a", "admin", T0, active=False)], {"b": T0 + 60_000}, "UTC"
    )
    assert [r.username for r in rows] == ["a", "b"]
    assert rows[0].last_login_local == "" and rows[1].last_login_local == "2025-11-29 02:01:00"


@pytest.fixture
def view(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'hazwatch.db'}")
    db.start()
    users = UserBook(db)
    users.create("root", PASSWORD, "admin", T0)
    users.create("watch", PASSWORD, "viewer", T0)
    holder = SimpleNamespace(registry=REGISTRY, errors=[])

    def reload(path):
        if holder.errors:
            return list(holder.errors)
        holder.registry = parse_registry({"timezone": "UTC", "enterprises": []})
        return []

    admin_view = AdminView(
        users=users,
        audit=AuditLog(db),
        rejects=RejectLog(db),
        unregistered=UnregisteredSensors(db),
        registry=lambda: holder.registry,
        reload=reload,
        registry_file=tmp_path / "registry.yaml",
        clock=lambda: T0 / 1000,
    )
    admin_view.holder = holder
    yield admin_view
    db.close()


ROOT = session("root", "admin")


def test_an_admin_creates_changes_resets_disables_and_deletes_and_all_is_audited(view) -> None:
    view.create_user(ROOT, "newbie", "newbie-pass-1", "viewer")
    assert view.set_role(ROOT, "newbie", "inspector").role == "inspector"
    view.reset_password(ROOT, "newbie", "fresh-pass-22")
    assert view.users.authenticate("newbie", "fresh-pass-22") is not None
    assert view.set_active(ROOT, "newbie", False).active is False
    view.delete_user(ROOT, "newbie")
    assert view.users.get("newbie") is None
    log = view.audit_log()
    assert [(e.action, e.outcome) for e in reversed(log)] == [
        ("user.create", "ok"),
        ("user.role", "ok"),
        ("user.password", "ok"),
        ("user.disable", "ok"),
        ("user.delete", "ok"),
    ]
    assert all(e.actor == "root" and e.target == "newbie" for e in log)
    assert log[-2].detail == "viewer → inspector" or log[3].detail == "viewer → inspector"
    assert not any("fresh-pass" in e.detail or "newbie-pass" in e.detail for e in log)


@pytest.mark.parametrize("who", [session("watch", "viewer"), session("insp", "inspector"), None])
def test_every_action_refuses_a_non_admin_and_records_it(view, who) -> None:
    actions = [
        lambda: view.create_user(who, "evil", "evil-pass-12", "admin"),
        lambda: view.set_role(who, "watch", "admin"),
        lambda: view.reset_password(who, "root", "taken-over-1"),
        lambda: view.set_active(who, "root", False),
        lambda: view.delete_user(who, "root"),
        lambda: view.reload_registry(who),
    ]
    for action in actions:
        with pytest.raises(AdminError) as err:
            action()
        assert err.value.key == "admin.error.forbidden"
    assert view.users.get("evil") is None and view.users.get("root").can("admin")
    assert view.users.authenticate("root", PASSWORD) is not None
    assert view.holder.registry is REGISTRY
    log = view.audit_log()
    assert len(log) == len(actions) and {e.outcome for e in log} == {"refused"}


def test_a_disabled_admin_session_is_refused(view) -> None:
    with pytest.raises(AdminError, match="forbidden"):
        view.create_user(session("root", "admin", active=False), "x1", "evil-pass-12", "viewer")


def test_an_admin_cannot_lock_themselves_out(view) -> None:
    for action in (
        lambda: view.set_role(ROOT, "root", "viewer"),
        lambda: view.set_active(ROOT, "root", False),
        lambda: view.delete_user(ROOT, "root"),
    ):
        with pytest.raises(AdminError) as err:
            action()
        assert err.value.key == "admin.error.self"
    assert view.users.get("root").can("admin")


def test_policy_errors_have_their_own_labels(view) -> None:
    cases = [
        (
            lambda: view.create_user(ROOT, "bad name", "valid-pass-1", "viewer"),
            "admin.error.username",
        ),
        (lambda: view.create_user(ROOT, "ok1", "valid-pass-1", "root"), "admin.error.role"),
        (lambda: view.create_user(ROOT, "ok1", "short", "viewer"), "admin.error.password"),
        (lambda: view.create_user(ROOT, "watch", "valid-pass-1", "viewer"), "admin.error.exists"),
        (lambda: view.set_role(ROOT, "ghost", "viewer"), "admin.error.not_found"),
        (lambda: view.reset_password(ROOT, "watch", "watch"), "admin.error.password"),
    ]
    for action, key in cases:
        with pytest.raises(AdminError) as err:
            action()
        assert err.value.key == key


def test_the_book_refuses_removing_the_last_admin_even_for_a_stale_session(view) -> None:
    view.users.create("other", PASSWORD, "admin", T0)
    view.set_role(session("other", "admin"), "root", "viewer")
    stale_root = session("root", "admin")  # loaded before the demotion, in another request
    with pytest.raises(AdminError) as err:
        view.set_active(stale_root, "other", False)
    assert err.value.key == "admin.error.last_admin"
    assert view.users.get("other").can("admin")


def test_reload_keeps_the_old_registry_on_problems_and_swaps_on_success(view) -> None:
    view.holder.errors = ["registry.yaml: enterprises[0].sites[0]: zone 'Z9' is not defined"]
    outcome = view.reload_registry(ROOT)
    assert not outcome.ok and outcome.errors == tuple(view.holder.errors)
    assert view.holder.registry is REGISTRY and outcome.info.enterprises == 1
    view.holder.errors = []
    outcome = view.reload_registry(ROOT)
    assert outcome.ok and outcome.info.enterprises == 0 and outcome.info.timezone == "UTC"
    log = view.audit_log()
    assert [(e.action, e.outcome) for e in log] == [
        ("registry.reload", "ok"),
        ("registry.reload", "failed"),
    ]
    assert "zone 'Z9'" in log[1].detail


def test_reading_lists_from_the_books(view) -> None:
    view.rejects.record_many(
        [
            RejectedMessage.from_raw(
                "hazmon/x", b"\xff<b>bold</b>", Rejection("bad_encoding", "not UTF-8"), T0
            )
        ]
    )
    view.unregistered.seen_many([("e1", "s1", "NEW-1", T0)])
    view.users.record_login("watch", T0)
    summary = view.rejected()
    assert summary.total == 1 and summary.rows[0].excerpt == "\ufffd<b>bold</b>"
    assert view.unregistered_sensors()[0].missing == "sensor"
    assert {r.username: r.last_login_ms for r in view.user_list()} == {"root": None, "watch": T0}
