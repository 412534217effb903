"""The rules by name, in the order the engine runs them on each site.

Kept apart from `base` because every rule module imports `base`. Read-only: a rule type is
added here, in code, never registered at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitoring.rules.bad_data import BadDataRule
from monitoring.rules.base import SiteRule
from monitoring.rules.limit import LimitRule
from monitoring.rules.lost_comm import LostCommRule
from monitoring.rules.people import PeopleRule
from monitoring.rules.special_operation import SpecialOperationRule

RULES: Mapping[str, type[SiteRule]] = MappingProxyType(
    {
        rule.name: rule
        for rule in (LimitRule, LostCommRule, BadDataRule, PeopleRule, SpecialOperationRule)
    }
)
