"""How severe each alarm condition is (contract section 5: red > orange > yellow > blue).

| rule | source | condition | severity |
|---|---|---|---|
| `limit` | `sensor:<id>` | `high` or `low` of a non-gas sensor | yellow |
| `limit` | `sensor:<id>` | `high` or `low` of a gas sensor (`gas_*`; GB/T 50493 first level) | orange |
| `limit` | `sensor:<id>` | `high_high` or `low_low` | red |
| `limit` | `sensor:<id>` | any gas limit while people are in the zone (exposure) | red |
| `lost_comm` | `sensor:<id>` | no data for `stale_after_s` (not while its gateway is offline) | yellow |
| `lost_comm` | `gateway` | the site's gateway reported `offline` | orange |
| `people` | `zone:<id>` | general zone: more than `max_people` for `dwell_s` | yellow |
| `special_operation` | `zone:<id>` | major zone: people over the limit for `dwell_s`, no permit | orange |
| `special_operation` | `zone:<id>` | covered by a permit, but more people than its `workers` | orange |
| `special_operation` | `zone:<id>` | people over the limit `dwell_s` after the permit ended | orange |
| `special_operation` | `zone:<id>` | permitted operation during a restriction period | yellow |
| `bad_data` | `sensor:<id>` | `bad` quality continuously for `stale_after_s` | yellow |

The keys double as `AlarmSignal.message_key`, so the UI can render messages in Chinese.
When a condition eases (people leave a gas alarm's zone), the rule raises again with the
lower severity; the alarm book keeps the worst severity an open alarm has had.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SEVERITY_TABLE: Mapping[str, str] = MappingProxyType(
    {
        "limit.high": "yellow",
        "limit.low": "yellow",
        "limit.gas_high": "orange",
        "limit.gas_low": "orange",
        "limit.high_high": "red",
        "limit.low_low": "red",
        "limit.gas_high_high": "red",
        "limit.gas_low_low": "red",
        "limit.exposed": "red",
        "lost_comm.sensor": "yellow",
        "lost_comm.gateway": "orange",
        "people.over_max": "yellow",
        "special_operation.no_permit": "orange",
        "special_operation.over_permit": "orange",
        "special_operation.permit_expired": "orange",
        "special_operation.restricted_period": "yellow",
        "bad_data.bad_quality": "yellow",
    }
)
