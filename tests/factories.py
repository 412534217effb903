"""Small test doubles shared by several test modules."""

from __future__ import annotations

from monitoring.registry.loader import parse_registry
from monitoring.registry.model import Registry


class Clock:
    """A settable clock: `clock()` returns seconds, like time.time."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> float:
        return self.ms / 1000


def one_zone_registry() -> Registry:
    """Return a registry of one enterprise, one site, one major-hazard zone and one NH3 sensor."""
    return parse_registry(
        {
            "timezone": "Asia/Shanghai",
            "enterprises": [
                {
                    "id": "e1",
                    "name": "Test Fertilizer",
                    "sites": [
                        {
                            "id": "s1",
                            "name": "Main",
                            "zones": [
                                {"id": "Z1", "name": "Tanks", "hazard": "major", "max_people": 2}
                            ],
                            "sensors": [
                                {"id": "NH3-1", "zone": "Z1", "kind": "gas_nh3", "unit": "ppm"}
                            ],
                            "cameras": [{"id": "CAM-1", "zone": "Z1"}],
                        }
                    ],
                }
            ],
        }
    )
