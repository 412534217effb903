"""`POST /api/v1/alarms/acknowledge` and `/alarms/shelve`: ids or a filter, bounded, per-id outcome."""

from __future__ import annotations

import base64
import time

import pytest

from monitoring.alarms.bulk import BULK_MAX
from monitoring.settings import Settings
from monitoring.signals import AlarmSignal
from tests.e2e_support import write_registry
from wiring import runtime
from wiring.web import create_web_app

INSPECTOR = ("insp", "inspector-pass-1")
VIEWER = ("watch", "viewer-pass-1")


@pytest.fixture
def rt(tmp_path):
    rt = runtime.Runtime(Settings(data_dir=tmp_path, admin_password="admin-password-1"))
    runtime.start_storage(rt)
    runtime.load_registry(rt, write_registry(tmp_path))
    now = int(time.time() * 1000)
    for (name, password), role in ((INSPECTOR, "inspector"), (VIEWER, "viewer")):
        rt.users.create(name, password, role, now)
    yield rt
    rt.stop()


@pytest.fixture
def client(rt):
    return create_web_app(rt).server.test_client()


def raise_burst(rt, n: int, rule: str = "lost_comm", site: str = "s1") -> list[int]:
    now = int(time.time() * 1000)
    signals = [
        AlarmSignal("raise", "e1", site, f"sensor:LC-{i:04d}", rule, now, message="silent")
        for i in range(n)
    ]
    return [c.alarm.id for c in rt.alarms.apply(signals, now)]


def post(client, path: str, body: object, auth=INSPECTOR):
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return client.post("/api/v1" + path, json=body, headers={"Authorization": f"Basic {token}"})


def test_a_filter_acknowledges_a_burst_of_300_in_one_call_each_with_its_transition(
    rt, client
) -> None:
    lost = raise_burst(rt, 300)
    limits = raise_burst(rt, 5, rule="limit")
    r = post(
        client,
        "/alarms/acknowledge",
        {"filter": {"rule": "lost_comm", "site": "s1"}, "comment": "gateway power back"},
    )
    assert r.status_code == 200, r.json
    answer = r.json
    assert (answer["acknowledged"], answer["refused"], answer["not_found"]) == (300, 0, 0)
    assert (answer["matched"], answer["remaining"]) == (300, 0)
    assert sorted(o["id"] for o in answer["results"]) == sorted(lost)
    assert {(o["outcome"], o["state"]) for o in answer["results"]} == {("done", "active_ack")}
    for alarm_id in lost:
        detail = rt.alarms.detail(alarm_id)
        acks = [t for t in detail["transitions"] if t["event"] == "acknowledged"]
        assert [(t["actor"], t["comment"]) for t in acks] == [("insp", "gateway power back")]
    assert {rt.alarms.get(i).state for i in limits} == {"active_unack"}  # not matched
    # Again: nothing is left to acknowledge.
    again = post(client, "/alarms/acknowledge", {"filter": {"rule": "lost_comm"}, "comment": "x"})
    assert again.json["matched"] == 0 and again.json["results"] == []


def test_ids_report_each_outcome(rt, client) -> None:
    ids = raise_burst(rt, 3)
    rt.alarms.acknowledge(ids[0], "insp", "earlier", now_ms=int(time.time() * 1000))
    r = post(
        client,
        "/alarms/acknowledge",
        {"ids": ids + [987_654], "comment": "sensor bus fixed", "disposition": "instrument_fault"},
    )
    assert r.status_code == 200
    assert [(o["id"], o["outcome"]) for o in r.json["results"]] == [
        (ids[0], "refused"),
        (ids[1], "done"),
        (ids[2], "done"),
        (987_654, "not_found"),
    ]
    assert "already acknowledged" in r.json["results"][0]["error"]
    assert rt.alarms.get(ids[1]).disposition == "instrument_fault"


def test_a_large_filter_is_done_in_calls_of_at_most_1000(rt, client) -> None:
    raise_burst(rt, BULK_MAX + 20)
    body = {"filter": {"rule": "lost_comm"}, "minutes": 30, "reason": "gateway replaced"}
    first = post(client, "/alarms/shelve", body).json
    assert (first["shelved"], first["matched"], first["remaining"]) == (BULK_MAX, 1020, 20)
    # Shelving takes shelved alarms too (a new end): a filter on state keeps the rest.
    rest = post(client, "/alarms/shelve", body | {"filter": {"state": "active_unack"}}).json
    assert (rest["shelved"], rest["remaining"]) == (20, 0)
    limited = post(client, "/alarms/acknowledge", {"filter": {}, "comment": "c", "limit": 5}).json
    assert limited["matched"] == 0  # shelved alarms cannot be acknowledged


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"comment": "c"}, "either ids"),
        ({"ids": [1], "filter": {}, "comment": "c"}, "either ids"),
        ({"ids": [], "comment": "c"}, "at least one"),
        ({"ids": list(range(1, BULK_MAX + 2)), "comment": "c"}, "at most 1000"),
        ({"ids": ["7"], "comment": "c"}, "whole number"),
        ({"filter": {"severity": "pink"}, "comment": "c"}, "severity"),
        ({"filter": {}, "comment": "c", "limit": 0}, "limit"),
        ({"filter": {"rule": "lost_comm"}}, "comment"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_requests_are_400_and_change_nothing(rt, client, body, problem) -> None:
    ids = raise_burst(rt, 2)
    r = post(client, "/alarms/acknowledge", body)
    assert r.status_code == 400 and problem in r.json["error"]
    assert {rt.alarms.get(i).state for i in ids} == {"active_unack"}


def test_roles_are_checked_like_the_single_actions(rt, client) -> None:
    ids = raise_burst(rt, 2)
    for path, body in (
        ("/alarms/acknowledge", {"ids": ids, "comment": "c"}),
        ("/alarms/shelve", {"ids": ids, "minutes": 5, "reason": "r"}),
    ):
        assert post(client, path, body, auth=VIEWER).status_code == 403
        assert post(client, path, body, auth=("insp", "wrong-password")).status_code == 401
        assert client.post("/api/v1" + path, json=body).status_code == 401
    assert {rt.alarms.get(i).state for i in ids} == {"active_unack"}
