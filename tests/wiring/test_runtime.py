"""The composition root: reloading the registry swaps it for the intake and the rules."""

from __future__ import annotations

from monitoring.settings import Settings
from tests.e2e_support import write_registry
from tests.factories import one_zone_registry
from wiring.runtime import Runtime, reload_registry

# A registry other than the file's, to tell which one the runtime uses.
REGISTRY = one_zone_registry()


class RecordingAlarmService:
    def __init__(self) -> None:
        self.registries: list = []

    def set_registry(self, registry) -> None:
        self.registries.append(registry)


def test_runtime_reload_swaps_the_registry_for_intake_and_rules(tmp_path) -> None:
    path = write_registry(tmp_path)
    rt = Runtime(Settings(registry=path, data_dir=tmp_path))
    rt.registry, rt.alarm_service = REGISTRY, RecordingAlarmService()
    good = path.read_text(encoding="utf-8")

    path.write_text(
        good.replace("zone: Z1, kind: level", "zone: Z9, kind: level"), encoding="utf-8"
    )
    errors = reload_registry(rt, path)
    assert errors and "Z9" in errors[0] and str(path) in errors[0]
    assert rt.registry is REGISTRY and rt.alarm_service.registries == []

    path.write_text(good, encoding="utf-8")
    assert reload_registry(rt, path) == []
    assert rt.registry is not REGISTRY and rt.registry.sensor("e1", "s1", "LT-1") is not None
    assert rt.sensor_locations("e1", "s1")["LT-1"] == ("Z1", "level")  # what the intake reads
    assert rt.alarm_service.registries == [rt.registry]

    path.write_text("enterprises: [\n", encoding="utf-8")
    assert "not valid YAML" in reload_registry(rt, path)[0]
