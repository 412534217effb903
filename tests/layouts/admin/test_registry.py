"""The registry tab: the registry in use and what a reload did, every problem as text."""

from __future__ import annotations

import json

from layouts.admin import registry
from monitoring.views.admin import RegistryInfo, ReloadResult
from tests.layouts.admin.tree import texts

HOSTILE = '<img src=x onerror="alert(1)">'


def test_registry_fields_and_the_separate_ingest_note() -> None:
    info = RegistryInfo(
        "/etc/hazwatch/registry.yaml",
        True,
        "2026-01-01 08:00:00",
        "Asia/Shanghai",
        8,
        10,
        44,
        257,
        44,
        1,
        ingest_here=False,
    )
    dump = texts(registry.registry_fields(info, "en"))
    assert "/etc/hazwatch/registry.yaml" in dump and "257" in dump
    assert "restart them" in dump
    empty = RegistryInfo(None, False, "", "UTC")
    assert "No registry is loaded" in texts(registry.registry_fields(empty, "en"))


def test_reload_result_lists_every_problem_as_text() -> None:
    errors = (f"registry.yaml: enterprises[0]: {HOSTILE}", "second problem")
    failed = registry.reload_result(
        ReloadResult(False, errors, RegistryInfo(None, True, "", "UTC")), "en"
    )
    dump = texts(failed)
    assert "2 problems" in dump and "second problem" in dump
    assert json.loads(dump)[1]["props"]["children"][0]["props"]["children"] == errors[0]
    ok = registry.reload_result(
        ReloadResult(True, (), RegistryInfo(None, True, "", "UTC", 2, 3, 0, 9)), "zh"
    )
    assert "2家企业" in texts(ok)
