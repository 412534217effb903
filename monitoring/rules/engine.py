"""The rule engine: runs the enabled rules of every site on stored batches and on ticks.

The ingest calls `on_batch` after each durable batch and `on_tick` about every second;
both return the `AlarmSignal`s to hand to the alarm book. A signal is emitted only on a
change: raise (inactive -> active), clear (active -> inactive), or raise again when an
active alarm's severity or message changes (the book updates or escalates the open alarm
and keeps the worst severity it had). Time is always passed in, never read.

State is kept per site (a `SiteContext` and one instance of each enabled rule), so sites
can later be split over ingest workers. Per reading the cost is a few dict lookups, and a
sensor without limits costs one dict miss in the `limit` rule.

A registry reload (`set_registry`) takes effect at the next `on_batch` or `on_tick`, which
time-stamps the clears it causes (alarms of sources that left the registry); so do the
clears of restored alarms (`restore_active`) whose source no longer exists. Calls may
come from different threads (one lock; a batch of 5,000 readings holds it ~20 ms).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from monitoring.records import Permit, StoredBatch
from monitoring.registry.model import Registry, Site
from monitoring.rules.base import SiteRule
from monitoring.rules.catalog import RULES
from monitoring.rules.context import OperationInProgress, SiteContext
from monitoring.signals import SEVERITIES, AlarmSignal

AlarmKey = tuple[str, str, str, str]  # (enterprise, site, source, rule)

_site_of = attrgetter("enterprise", "site")
# A restored alarm whose severity the book did not say: assume the worst, so it is not
# raised again just to say what the book may already show.
_RESTORED_DEFAULT_SEVERITY = SEVERITIES[0]


@dataclass(slots=True)
class _SiteRules:
    ctx: SiteContext
    rules: dict[str, SiteRule]  # by name, in catalog order
    tickers: tuple[SiteRule, ...] = ()  # the rules that do something on time alone

    def __post_init__(self) -> None:
        # Ticks run on every site every second: skip the rules that ignore them.
        self.tickers = tuple(
            r for r in self.rules.values() if type(r).on_tick is not SiteRule.on_tick
        )


class RuleEngine:
    """Run the rules of every registered site; emit alarm signals on changes only."""

    def __init__(self, registry: Registry, *, enabled: Iterable[str] | None = None) -> None:
        names = set(RULES) if enabled is None else set(enabled)
        unknown = names - RULES.keys()
        if unknown:
            raise ValueError(
                f"unknown rules {', '.join(sorted(unknown))} (known: {', '.join(RULES)})"
            )
        self.enabled: frozenset[str] = frozenset(names)
        self._registry = registry
        self._sites: dict[tuple[str, str], _SiteRules] = {
            (ent.id, site.id): self._new_site(registry, ent.id, site)
            for ent, site in registry.sites()
        }
        self._pending_registry: Registry | None = None
        self._orphans: list[tuple[AlarmKey, str]] = []  # restored keys nobody can clear
        self._lock = threading.Lock()

    @property
    def registry(self) -> Registry:
        """Return the latest registry given (a reload applies at the next batch or tick)."""
        return self._registry

    def _new_site(self, registry: Registry, enterprise: str, site: Site) -> _SiteRules:
        ctx = SiteContext(registry, enterprise, site)
        rules = {name: rule(ctx) for name, rule in RULES.items() if name in self.enabled}
        return _SiteRules(ctx, rules)

    # -- events ---------------------------------------------------------------------------

    def on_batch(self, batch: StoredBatch, now_ms: int) -> list[AlarmSignal]:
        """Run the rules on a durably stored batch; return the signals it caused."""
        with self._lock:
            out = self._catch_up(now_ms)
            sites = self._sites
            # Gateway states and permits first: they change how readings and people count.
            for key, status_run in groupby(batch.statuses, _site_of):
                site = sites.get(key)
                if site is not None:
                    statuses = list(status_run)
                    site.ctx.apply_status(statuses)
                    for rule in site.rules.values():
                        out.extend(rule.on_status(statuses, now_ms))
            for key, permit_run in groupby(batch.permits, _site_of):
                site = sites.get(key)
                if site is not None:
                    permits = list(permit_run)
                    site.ctx.apply_permits(permits)
                    for rule in site.rules.values():
                        out.extend(rule.on_permits(permits, now_ms))
            for key, presence_run in groupby(batch.presence, _site_of):
                site = sites.get(key)
                if site is not None:
                    counts = list(presence_run)
                    site.ctx.apply_presence(counts, now_ms)
                    for rule in site.rules.values():
                        out.extend(rule.on_presence(counts, now_ms))
            # A batch holds whole messages in arrival order, so readings come in long
            # runs of one site; groupby keeps that order without building a dict.
            for key, reading_run in groupby(batch.readings, _site_of):
                site = sites.get(key)
                if site is not None:
                    readings = list(reading_run)
                    for rule in site.rules.values():
                        out.extend(rule.on_readings(readings, now_ms))
            return out

    def on_tick(self, now_ms: int) -> list[AlarmSignal]:
        """Advance time-based conditions (silence, dwell, permit ends) to `now_ms`."""
        with self._lock:
            out = self._catch_up(now_ms)
            for site in self._sites.values():
                for rule in site.tickers:
                    signals = rule.on_tick(now_ms)
                    if signals:
                        out.extend(signals)
            return out

    # -- set-up and reload ----------------------------------------------------------------

    def set_registry(self, registry: Registry) -> None:
        """Switch to a new registry at the next batch or tick, keeping state of what remains."""
        with self._lock:
            self._pending_registry = registry
            self._registry = registry

    def load_permits(self, permits: Iterable[Permit]) -> None:
        """Enter the permits the permit book holds at start (later ones come in batches)."""
        with self._lock:
            by_site: dict[tuple[str, str], list[Permit]] = {}
            for p in permits:
                by_site.setdefault((p.enterprise, p.site), []).append(p)
            for key, site_permits in by_site.items():
                site = self._sites.get(key)
                if site is not None:
                    site.ctx.apply_permits(sorted(site_permits, key=attrgetter("reported_ms")))

    def restore_active(
        self, keys: Iterable[AlarmKey], severities: Mapping[AlarmKey, str] | None = None
    ) -> None:
        """Take the alarms the book still has active, so they are not raised again.

        They are cleared once their condition is gone; those whose source is no longer in
        the registry are cleared at the next batch or tick. Keys of rules this engine does
        not run, or of sites it does not know, are left alone (another worker's).
        """
        severities = severities or {}
        with self._lock:
            for key in keys:
                enterprise, site_id, source, rule_name = key
                site = self._sites.get((enterprise, site_id))
                if site is None or rule_name not in site.rules:
                    continue
                severity = severities.get(key, _RESTORED_DEFAULT_SEVERITY)
                if not site.rules[rule_name].restore(source, severity):
                    self._orphans.append((key, severity))

    def _catch_up(self, now_ms: int) -> list[AlarmSignal]:
        out: list[AlarmSignal] = []
        if self._pending_registry is not None:
            out.extend(self._apply_registry(self._pending_registry, now_ms))
            self._pending_registry = None
        if self._orphans:
            for (enterprise, site, source, rule), severity in self._orphans:
                out.append(
                    AlarmSignal(
                        "clear",
                        enterprise,
                        site,
                        source,
                        rule,
                        now_ms,
                        severity=severity,
                        message="source no longer in the registry",
                    )
                )
            self._orphans = []
        return out

    def _apply_registry(self, registry: Registry, now_ms: int) -> list[AlarmSignal]:
        out: list[AlarmSignal] = []
        wanted = {(ent.id, site.id): (ent.id, site) for ent, site in registry.sites()}
        for key in [k for k in self._sites if k not in wanted]:
            for rule in self._sites.pop(key).rules.values():
                out.extend(rule.clear_all(now_ms, "site removed from registry"))
        for key, (enterprise, site) in wanted.items():
            current = self._sites.get(key)
            if current is None:
                self._sites[key] = self._new_site(registry, enterprise, site)
                continue
            current.ctx.configure(registry, site)
            for rule in current.rules.values():
                out.extend(rule.reconfigure(now_ms))
        return out

    # -- views ----------------------------------------------------------------------------

    def operations_in_progress(self, now_ms: int) -> list[OperationInProgress]:
        """Return the permitted special operations going on now, with the people counted."""
        with self._lock:
            found: list[OperationInProgress] = []
            for site in self._sites.values():
                ctx = site.ctx
                for zone_id in ctx.permits:
                    zone = ctx.zones.get(zone_id)
                    if zone is None:
                        continue
                    for permit in ctx.covering_permits(zone_id, now_ms):
                        people = ctx.people_in(zone_id, now_ms)
                        found.append(OperationInProgress(permit, zone.name, people))
            found.sort(
                key=lambda op: (
                    op.permit.enterprise,
                    op.permit.site,
                    op.permit.zone,
                    op.permit.permit,
                )
            )
            return found

    def site_rules(self, enterprise: str, site: str) -> Sequence[SiteRule]:
        """Return the rule instances of one site (for diagnostics and tests)."""
        with self._lock:
            found = self._sites.get((enterprise, site))
            return tuple(found.rules.values()) if found is not None else ()
