"""The admin page's read model: users and roles, rejected messages, unregistered sensors,
ingest health, the registry in use and its reload, and the audit log of admin actions.

Pure builders (`user_rows`, `reject_summary`, `payload_excerpt`, `unregistered_rows`,
`registry_info`, `health_summary`, `audit_rows`) do the shaping; `AdminView` fetches from the
books and performs actions. Every action checks the administrator role itself (whatever the
page showed) and is written to the audit log, refused attempts included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from monitoring.clock import local_time
from monitoring.registry.model import Registry
from monitoring.settings import Settings
from monitoring.users import (
    ROLES,
    USERNAME_PATTERN,
    AuditEntry,
    LastAdminError,
    User,
    UserError,
    UserNotFound,
    check_password,
)
from monitoring.views.common import Actor, PageView
from monitoring.views.ports import AuditTrail, RejectReader, UnregisteredReader, UserDirectory

T = TypeVar("T")
# A row of the reject log or the unregistered sensors, or the health report: JSON-shaped
# mappings whose values the builders below read by key and convert (int(), str()).
JsonRow = Mapping[str, Any]
REJECT_ROWS = 300
EXCERPT_CHARS = 160  # of a rejected payload, shown as plain text
UNREGISTERED_ROWS = 1000
AUDIT_ROWS = 100
REGISTRY_FILE = "registry.yaml"  # the demo's generated registry, in the data folder
# Control characters shown visibly: newline ↵, tab →, the others as \xNN.
_VISIBLE_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))} | {
    0x0A: "↵",
    0x09: "→",
}


class AdminError(Exception):
    """An admin action was not done; `key` is the label saying why, `detail` the specifics."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class UserRow:
    """One account as the users table shows it."""

    username: str
    role: str
    active: bool
    created_ms: int
    created_local: str
    last_login_ms: int | None
    last_login_local: str


@dataclass(frozen=True)
class RejectRow:
    """One rejected message; `excerpt` is its payload's start as inert text."""

    id: int
    received_ms: int
    received_local: str
    topic: str
    code: str
    reason: str
    size: int
    excerpt: str
    truncated: bool


@dataclass(frozen=True)
class RejectSummary:
    """Counts by reason code (all time) and the newest rejected messages."""

    total: int
    counts: tuple[tuple[str, int], ...]  # most frequent first
    rows: tuple[RejectRow, ...]


@dataclass(frozen=True)
class UnregisteredRow:
    """A sensor that sent readings but is not in the registry, and what is missing."""

    enterprise: str
    site: str
    sensor: str
    first_local: str
    last_local: str
    last_ms: int
    count: int
    missing: str  # "enterprise", "site" or "sensor": the first level the registry lacks


@dataclass(frozen=True)
class RegistryInfo:
    """The registry in use: file, load time and what it holds."""

    path: str | None
    loaded: bool
    loaded_local: str
    timezone: str
    enterprises: int = 0
    sites: int = 0
    zones: int = 0
    sensors: int = 0
    cameras: int = 0
    restrictions: int = 0
    ingest_here: bool = True  # False: ingest runs in other processes, which keep their copy


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: the registry in use afterwards and, on failure, every problem."""

    ok: bool
    errors: tuple[str, ...]
    info: RegistryInfo


@dataclass(frozen=True)
class WorkerRow:
    """One ingest worker's last heartbeat."""

    worker_id: str
    heartbeat_local: str
    age_s: int
    fresh: bool
    received: int | None
    stored: int | None
    rejected: int | None
    pending: int | None
    broker_connected: bool | None
    store_available: bool | None


@dataclass(frozen=True)
class HealthSummary:
    """`GET /api/v1/health` as the admin page shows it."""

    status: str
    problems: tuple[str, ...]
    broker_connected: bool
    broker_errors: tuple[str, ...]
    store_kind: str
    store_reachable: bool
    database_reachable: bool
    database_dialect: str
    counters: tuple[tuple[str, int], ...]
    workers: tuple[WorkerRow, ...]


@dataclass(frozen=True)
class AuditRow:
    """One audit entry with its time in the registry's timezone."""

    id: int
    at_local: str
    actor: str
    action: str
    target: str
    outcome: str
    detail: str


def is_admin(user: Actor | None) -> bool:
    """Tell whether a signed-in user is an active administrator."""
    return bool(user is not None and user.can("admin"))


def user_rows(users: Iterable[User], last_logins: Mapping[str, int], tz: str) -> list[UserRow]:
    """Return the users table's rows, by name."""
    return [
        UserRow(
            username=u.username,
            role=u.role,
            active=u.active,
            created_ms=u.created_ms,
            created_local=local_time(u.created_ms, tz),
            last_login_ms=last_logins.get(u.username),
            last_login_local=local_time(last_logins.get(u.username), tz),
        )
        for u in sorted(users, key=lambda u: u.username)
    ]


def payload_excerpt(payload: str, limit: int = EXCERPT_CHARS) -> str:
    """Return the start of an untrusted payload as one line of visible, inert text.

    Control characters become visible (a newline shows as ↵, others as \\xNN), so nothing
    in the payload can break the table's layout; the text is never interpreted as markup.
    """
    text = payload[:limit].translate(_VISIBLE_CONTROLS)
    return text + ("…" if len(payload) > limit else "")


def reject_summary(
    recent: Iterable[JsonRow], counts: Mapping[str, int], total: int, tz: str
) -> RejectSummary:
    """Return the reject counts (most frequent first) and rows with plain-text excerpts."""
    rows = tuple(
        RejectRow(
            id=int(r["id"]),
            received_ms=int(r["received_ms"]),
            received_local=local_time(int(r["received_ms"]), tz),
            topic=payload_excerpt(r["topic"], 200),
            code=r["code"],
            reason=payload_excerpt(r["reason"], 300),
            size=int(r["size"]),
            excerpt=payload_excerpt(r["payload"]),
            truncated=bool(r.get("payload_truncated")),
        )
        for r in recent
    )
    ordered = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return RejectSummary(total=int(total), counts=ordered, rows=rows)


def unregistered_rows(
    items: Iterable[JsonRow], registry: Registry | None, tz: str
) -> list[UnregisteredRow]:
    """Return unregistered sensors, each saying whether its enterprise or site is known."""
    out = []
    for item in items:
        ent, site = item["enterprise"], item["site"]
        if registry is None or registry.enterprise(ent) is None:
            missing = "enterprise"
        elif registry.site(ent, site) is None:
            missing = "site"
        else:
            missing = "sensor"
        out.append(
            UnregisteredRow(
                enterprise=ent,
                site=site,
                sensor=item["sensor"],
                first_local=local_time(int(item["first_seen_ms"]), tz),
                last_local=local_time(int(item["last_seen_ms"]), tz),
                last_ms=int(item["last_seen_ms"]),
                count=int(item["count"]),
                missing=missing,
            )
        )
    return out


def registry_info(
    registry: Registry | None, path: Path | None, loaded_ms: int | None, tz: str, ingest_here: bool
) -> RegistryInfo:
    """Return what the registry in use holds."""
    if registry is None:
        return RegistryInfo(
            path=str(path) if path else None,
            loaded=False,
            loaded_local="",
            timezone=tz,
            ingest_here=ingest_here,
        )
    sites = [site for _, site in registry.sites()]
    return RegistryInfo(
        path=str(path) if path else None,
        loaded=True,
        loaded_local=local_time(loaded_ms, tz),
        timezone=registry.timezone,
        enterprises=len(registry.enterprises),
        sites=len(sites),
        zones=sum(len(s.zones) for s in sites),
        sensors=registry.sensor_count(),
        cameras=sum(len(s.cameras) for s in sites),
        restrictions=len(registry.restrictions),
        ingest_here=ingest_here,
    )


def health_summary(health: JsonRow, now_ms: int, tz: str) -> HealthSummary:
    """Return the health report's parts the admin page lists."""
    workers = tuple(
        WorkerRow(
            worker_id=str(w.get("worker_id", "")),
            heartbeat_local=local_time(w.get("heartbeat_ms"), tz),
            age_s=max(0, (now_ms - int(w.get("heartbeat_ms") or now_ms)) // 1000),
            fresh=bool(w.get("fresh")),
            received=w.get("received"),
            stored=w.get("stored"),
            rejected=w.get("rejected"),
            pending=w.get("pending"),
            broker_connected=w.get("broker_connected"),
            store_available=w.get("store_available"),
        )
        for w in health.get("workers", ())
    )
    broker = health.get("broker", {})
    store = health.get("store", {})
    database = health.get("database", {})
    return HealthSummary(
        status=str(health.get("status", "degraded")),
        problems=tuple(str(p) for p in health.get("problems", ())),
        broker_connected=bool(broker.get("connected")),
        broker_errors=tuple(str(e) for e in broker.get("errors", ())),
        store_kind=str(store.get("kind", "")),
        store_reachable=bool(store.get("reachable")),
        database_reachable=bool(database.get("reachable")),
        database_dialect=str(database.get("dialect") or ""),
        counters=tuple((k, int(v)) for k, v in health.get("ingest", {}).items()),
        workers=workers,
    )


def audit_rows(entries: Iterable[AuditEntry], tz: str) -> list[AuditRow]:
    """Return audit entries with local times, newest first as given."""
    return [
        AuditRow(e.id, local_time(e.at_ms, tz), e.actor, e.action, e.target, e.outcome, e.detail)
        for e in entries
    ]


def registry_path(settings: Settings, has_registry: bool) -> Path | None:
    """Return the registry file in use: the configured one, else the demo's generated one."""
    if settings.registry is not None:
        return Path(settings.registry)
    generated = Path(settings.data_dir) / REGISTRY_FILE
    return generated if has_registry and generated.is_file() else None


@dataclass
class AdminView(PageView):
    """Read (and, for administrators, change) what the admin page shows."""

    users: UserDirectory
    audit: AuditTrail
    rejects: RejectReader
    unregistered: UnregisteredReader
    registry: Callable[[], Registry | None]
    reload: Callable[[Path], list[str]]  # re-read the file and use it everywhere (wiring.web)
    registry_file: Path | None = None
    ingest_here: bool = True
    health: Callable[[], dict] = dict
    clock: Callable[[], float] = time.time
    _loaded: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._note_loaded()

    def _note_loaded(self) -> int | None:
        # The registry object changes only on (re)load; remember when we first saw each one.
        registry = self.registry()
        if registry is None:
            return None
        if self._loaded is None or self._loaded[0] != id(registry):
            self._loaded = (id(registry), self.now_ms())
        return self._loaded[1]

    # Reading

    def user_list(self) -> list[UserRow]:
        """Return every user with role, state, creation and last sign-in."""
        return user_rows(self.users.list(), self.users.last_logins(), self.tz())

    def rejected(self, limit: int = REJECT_ROWS) -> RejectSummary:
        """Return reject counts by reason and the newest rejected messages."""
        return reject_summary(
            self.rejects.recent(limit), self.rejects.counts(), self.rejects.total(), self.tz()
        )

    def unregistered_sensors(self, limit: int = UNREGISTERED_ROWS) -> list[UnregisteredRow]:
        """Return the sensors seen but not registered, most recently seen first."""
        return unregistered_rows(self.unregistered.list(limit), self.registry(), self.tz())

    def registry_state(self) -> RegistryInfo:
        """Return the registry in use."""
        loaded_ms = self._note_loaded()
        return registry_info(
            self.registry(), self.registry_file, loaded_ms, self.tz(), self.ingest_here
        )

    def health_state(self) -> HealthSummary:
        """Return the ingest and service health."""
        return health_summary(self.health(), self.now_ms(), self.tz())

    def audit_log(self, limit: int = AUDIT_ROWS) -> list[AuditRow]:
        """Return the newest audit entries."""
        return audit_rows(self.audit.recent(limit), self.tz())

    # Acting (administrators only)

    def require_admin(self, actor: Actor | None, action: str, target: str) -> str:
        """Return the actor's name if an administrator; else record the refusal and raise."""
        name = getattr(actor, "id", None) or "-"
        if not is_admin(actor):
            self._record(name, action, target, "refused", "not an administrator")
            raise AdminError("admin.error.forbidden")
        return name

    def _record(self, actor: str, action: str, target: str, outcome: str, detail: str) -> None:
        self.audit.record(actor, action, target, outcome, detail, self.now_ms())

    def _refuse(self, actor: str, action: str, target: str, key: str, detail: str = "") -> NoReturn:
        self._record(actor, action, target, "refused", detail or key)
        raise AdminError(key, detail)

    def _book_call(self, actor: str, action: str, target: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except UserNotFound:
            self._refuse(actor, action, target, "admin.error.not_found")
        except LastAdminError:
            self._refuse(actor, action, target, "admin.error.last_admin")
        except UserError as exc:
            key = "admin.error.exists" if "exists" in str(exc) else "admin.error.invalid"
            self._refuse(actor, action, target, key, str(exc))

    def create_user(self, actor: Actor | None, username: str, password: str, role: str) -> User:
        """Create a user after checking name, role and password policy."""
        name = self.require_admin(actor, "user.create", username or "")
        username = (username or "").strip()
        if not USERNAME_PATTERN.fullmatch(username):
            self._refuse(name, "user.create", username, "admin.error.username")
        if role not in ROLES:
            self._refuse(name, "user.create", username, "admin.error.role")
        self._check_password(name, "user.create", username, password)
        user = self._book_call(
            name,
            "user.create",
            username,
            lambda: self.users.create(username, password, role, self.now_ms()),
        )
        self._record(name, "user.create", username, "ok", f"role {role}")
        return user

    def set_role(self, actor: Actor | None, username: str, role: str) -> User:
        """Give a user another role (not oneself; never the last administrator's)."""
        name = self.require_admin(actor, "user.role", username)
        if role not in ROLES:
            self._refuse(name, "user.role", username, "admin.error.role")
        if username == name:
            self._refuse(name, "user.role", username, "admin.error.self")
        before = self.users.get(username)
        user = self._book_call(
            name, "user.role", username, lambda: self.users.set_role(username, role)
        )
        self._record(
            name, "user.role", username, "ok", f"{before.role if before else '?'} → {role}"
        )
        return user

    def reset_password(self, actor: Actor | None, username: str, password: str) -> None:
        """Set a new password for a user (the policy applies)."""
        name = self.require_admin(actor, "user.password", username)
        self._check_password(name, "user.password", username, password)
        self._book_call(
            name, "user.password", username, lambda: self.users.set_password(username, password)
        )
        self._record(name, "user.password", username, "ok", "password reset")

    def set_active(self, actor: Actor | None, username: str, active: bool) -> User:
        """Enable or disable a user (not oneself; never the last administrator)."""
        action = "user.enable" if active else "user.disable"
        name = self.require_admin(actor, action, username)
        if username == name:
            self._refuse(name, action, username, "admin.error.self")
        user = self._book_call(
            name, action, username, lambda: self.users.set_active(username, active)
        )
        self._record(name, action, username, "ok", "")
        return user

    def delete_user(self, actor: Actor | None, username: str) -> None:
        """Delete a user (not oneself; never the last administrator)."""
        name = self.require_admin(actor, "user.delete", username)
        if username == name:
            self._refuse(name, "user.delete", username, "admin.error.self")
        self._book_call(name, "user.delete", username, lambda: self.users.delete(username))
        self._record(name, "user.delete", username, "ok", "")

    def _check_password(self, actor: str, action: str, username: str, password: object) -> None:
        try:
            check_password(password, username)
        except UserError as exc:
            self._refuse(actor, action, username, "admin.error.password", str(exc))

    def reload_registry(self, actor: Actor | None) -> ReloadResult:
        """Re-read and validate the registry file; keep the old registry if it has problems."""
        target = str(self.registry_file or "")
        name = self.require_admin(actor, "registry.reload", target)
        if self.registry_file is None:
            self._refuse(name, "registry.reload", target, "admin.error.no_registry_file")
        with self._reload_lock:  # two administrators clicking at once: one reload at a time
            errors = self.reload(self.registry_file)
        info = self.registry_state()
        if errors:
            self._record(
                name, "registry.reload", target, "failed", f"{len(errors)} problems: {errors[0]}"
            )
            return ReloadResult(False, tuple(errors), info)
        self._record(
            name,
            "registry.reload",
            target,
            "ok",
            f"{info.enterprises} enterprises, {info.sites} sites, {info.sensors} sensors",
        )
        return ReloadResult(True, (), info)
