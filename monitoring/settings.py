"""One validated settings object, from CLI options, HAZMON_* variables and a config file.

Precedence: command-line option, then environment variable `HAZMON_<OPTION>`, then the
config file (`--config FILE`, YAML with the same names as the options), then the default.
Everything is validated once at start-up and reported in one readable error.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from monitoring.records import ID_PATTERN
from monitoring.users import UserError, check_password

MIN_RETENTION_DAYS = 30  # regulatory minimum for major-hazard monitoring records

# A setting's value once converted to its field's type.
SettingValue = Path | int | bool | str | tuple[str, ...]


class SettingsError(Exception):
    """Settings that cannot work, with every problem listed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the program needs to know, fixed at start-up."""

    registry: Path | None = None
    mqtt_url: str | None = None  # None: the demo starts an embedded broker
    mqtt_protocol: str = "5"  # "5" or "3.1.1"
    mqtt_client_id: str = "hazwatch-ingest"
    mqtt_username: str | None = None
    mqtt_password: str | None = field(default=None, repr=False)
    mqtt_password_file: Path | None = None  # read into mqtt_password at start-up
    mqtt_ca_file: Path | None = None  # None: the system's CAs verify an mqtts:// broker
    mqtt_receive_maximum: int = 2000
    topic_root: str = "hazmon"
    influx_url: str | None = None  # None: the embedded store
    influx_db: str = "hazmon"
    influx_username: str | None = None
    influx_password: str | None = field(default=None, repr=False)
    influx_password_file: Path | None = None  # read into influx_password at start-up
    db_url: str | None = None  # None: SQLite in data_dir
    data_dir: Path = Path("var")
    simulate: bool = False  # the demo command turns it on
    rules: bool = True  # evaluate alarm rules in the ingest
    enterprises: int = 8
    scenarios: tuple[str, ...] = ("ammonia-night-patrol",)
    host: str = "127.0.0.1"
    port: int = 8050
    web_threads: int = 8  # the web server's worker threads
    admin_password: str | None = field(default=None, repr=False)
    admin_password_file: Path | None = None  # read into admin_password at start-up
    secret_key: str | None = field(default=None, repr=False)  # None: generated in data_dir
    secret_key_file: Path | None = None  # read into secret_key at start-up
    trusted_proxies: int = 0  # reverse proxies whose X-Forwarded-For/-Proto the web believes
    secure_cookies: bool = False  # set when the web app is served over HTTPS
    retention_days: int = 90
    spool_max_mb: int = 1024
    journal_max_mb: int = 256
    batch_max_points: int = 5000
    batch_max_wait_ms: int = 50
    log_level: str = "INFO"

    @property
    def database_url(self) -> str:
        """Return the relational store URL (SQLite in the data folder by default)."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'hazwatch.db').resolve()}"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def journal_dir(self) -> Path:
        """Return where records wait on disk while the relational store is down."""
        return self.data_dir / "journal"

    @property
    def embedded_store_path(self) -> Path:
        return self.data_dir / "readings.sqlite"

    def mqtt_endpoint(self) -> tuple[str, int, bool]:
        """Return (host, port, tls) of the broker URL."""
        parts = urlsplit(self.mqtt_url or "mqtt://127.0.0.1:1883")
        tls = parts.scheme in ("mqtts", "ssl")
        return parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), tls


# Option name -> (type converter, help). Names map to `--opt-name` and `HAZMON_OPT_NAME`.
OPTIONS: dict[str, tuple[Callable[[str], object], str]] = {
    "registry": (Path, "registry YAML file (contract section 4)"),
    "mqtt_url": (str, "broker URL, mqtt://HOST:PORT or mqtts://HOST:PORT"),
    "mqtt_protocol": (str, "MQTT protocol version: 5 (default) or 3.1.1"),
    "mqtt_client_id": (str, "stable client id of this ingest worker (persistent session)"),
    "mqtt_username": (str, "broker user name"),
    "mqtt_password": (str, "broker password (prefer the variable or --mqtt-password-file)"),
    "mqtt_password_file": (Path, "file whose first line is the broker password"),
    "mqtt_ca_file": (Path, "CA certificate (PEM) that signed an mqtts:// broker's certificate"),
    "mqtt_receive_maximum": (int, "MQTT 5 Receive Maximum: messages in flight before ack"),
    "topic_root": (str, "topic root (default hazmon)"),
    "influx_url": (str, "InfluxDB v1 HTTP API URL; without it, the embedded store is used"),
    "influx_db": (str, "InfluxDB database (default hazmon)"),
    "influx_username": (str, "InfluxDB user"),
    "influx_password": (str, "InfluxDB password"),
    "influx_password_file": (Path, "file whose first line is the InfluxDB password"),
    "db_url": (str, "relational store URL (sqlite:///FILE or postgresql://...)"),
    "data_dir": (Path, "folder for the embedded stores and the spool (default ./var)"),
    "enterprises": (int, "number of simulated enterprises"),
    "host": (str, "web server address (default 127.0.0.1)"),
    "port": (int, "web server port (default 8050)"),
    "web_threads": (int, "web server worker threads; more requests wait (default 8)"),
    "admin_password": (str, "password of the user 'admin' on first start"),
    "admin_password_file": (
        Path,
        "file whose first line is the password of 'admin' on first start",
    ),
    "secret_key": (str, "key signing web session cookies (default: generated in data_dir)"),
    "secret_key_file": (Path, "file whose first line is the key signing web session cookies"),
    "trusted_proxies": (
        int,
        "reverse proxies in front of the web app whose X-Forwarded-For and X-Forwarded-Proto "
        "to believe (default 0: the peer is the client)",
    ),
    "retention_days": (int, "days of readings kept (>= 30; default 90)"),
    "spool_max_mb": (int, "on-disk spool bound while InfluxDB is down (MB)"),
    "journal_max_mb": (
        int,
        "bound of each on-disk journal kept while the relational store is down (MB)",
    ),
    "batch_max_points": (int, "points per store write"),
    "batch_max_wait_ms": (int, "longest wait before a partial batch is written"),
    "log_level": (str, "DEBUG, INFO, WARNING or ERROR"),
}


# Secrets, and the options naming the file each may be read from instead. On the command line
# a secret is visible to every user of the machine (`ps`, /proc/PID/cmdline), so its option
# is accepted only to be refused with a pointer to the variable and the file (issue 10).
SECRET_FILES = {
    "admin_password": "admin_password_file",
    "secret_key": "secret_key_file",
    "influx_password": "influx_password_file",
    "mqtt_password": "mqtt_password_file",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every settings option to a subcommand's parser."""
    parser.add_argument("--config", type=Path, help="YAML file with settings")
    for name, (conv, help_text) in OPTIONS.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=conv,
            default=None,
            help=argparse.SUPPRESS
            if name in SECRET_FILES
            else f"{help_text} [env HAZMON_{name.upper()}]",
        )
    parser.add_argument(
        "--simulate",
        dest="simulate",
        action="store_true",
        default=None,
        help="also run the built-in simulators (the demo always does) [env HAZMON_SIMULATE=1]",
    )
    parser.add_argument(
        "--no-simulate",
        dest="simulate",
        action="store_false",
        default=None,
        help="do not run the built-in simulators (the default but for the demo)",
    )
    parser.add_argument(
        "--secure-cookies",
        dest="secure_cookies",
        action="store_true",
        default=None,
        help="mark session cookies Secure (behind HTTPS) [env HAZMON_SECURE_COOKIES=1]",
    )
    parser.add_argument(
        "--no-rules",
        dest="rules",
        action="store_false",
        default=None,
        help="store data without evaluating alarm rules [env HAZMON_RULES=0]",
    )
    parser.add_argument(
        "--scenario",
        dest="scenarios",
        action="append",
        default=None,
        help="simulated incident to play (repeatable)",
    )


def load_settings(
    cli: Mapping[str, object], environ: Mapping[str, str] | None = None, **overrides: object
) -> Settings:
    """Build validated settings from parsed CLI values, the environment and a config file."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    values: dict[str, object] = {}

    config_path = cli.get("config") or environ.get("HAZMON_CONFIG")
    if config_path:
        values.update(_read_config_file(Path(_path_like(config_path)), problems))

    for name, file_option in SECRET_FILES.items():
        if cli.get(name) is not None:
            problems.append(
                f"--{name.replace('_', '-')} is refused: a secret on the command line is "
                f"visible to every user of this machine; set HAZMON_{name.upper()} or give "
                f"--{file_option.replace('_', '-')} FILE"
            )
    known = {f.name for f in fields(Settings)}
    for name in known:
        env_value = environ.get(f"HAZMON_{name.upper()}")
        if env_value not in (None, ""):
            values[name] = env_value
    for name, value in cli.items():
        if name in known and name not in SECRET_FILES and value is not None:
            values[name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})

    converted = _convert(values, problems)
    for name, file_option in SECRET_FILES.items():
        _read_secret_file(converted, name, file_option, problems)
    if problems:
        raise SettingsError(problems)
    # Each value has its own field's type (chosen by name in _convert), which mypy cannot see.
    settings = Settings(**converted)  # type: ignore[arg-type]
    _validate(settings, problems)
    if problems:
        raise SettingsError(problems)
    return settings


def _read_config_file(path: Path, problems: list[str]) -> dict[str, object]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"config file {path}: {exc}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"config file {path}: must be a mapping of option: value")
        return {}
    known = {f.name for f in fields(Settings)}
    out: dict[str, object] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name not in known:
            problems.append(f"config file {path}: unknown option '{key}'")
        else:
            out[name] = value
    return out


def _convert(values: Mapping[str, object], problems: list[str]) -> dict[str, SettingValue]:
    # Annotations are strings here (`from __future__ import annotations`).
    types = {f.name: str(f.type) for f in fields(Settings)}
    out: dict[str, SettingValue] = {}
    for name, value in values.items():
        kind = types[name]
        try:
            if "Path" in kind:
                out[name] = Path(_path_like(value))
            elif kind == "int":
                out[name] = int(_int_like(value))
            elif kind == "bool":
                out[name] = _to_bool(value)
            elif "tuple" in kind:
                items = value.split(",") if isinstance(value, str) else list(_iterable(value))
                out[name] = tuple(_text(s).strip() for s in items if str(s).strip())
            else:
                out[name] = str(value)
        except (TypeError, ValueError):
            problems.append(f"{name}: {value!r} is not a valid {kind}")
    return out


def _read_secret_file(
    values: dict[str, SettingValue], name: str, file_option: str, problems: list[str]
) -> None:
    # A secret in a file stays out of the process list and of the environment.
    path = values.get(file_option)
    if not isinstance(path, Path):
        return
    what = name.replace("_", " ")
    if name in values:
        problems.append(f"{file_option}: give the {what} or its file, not both")
        return
    try:
        secret = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{file_option}: cannot read {path}: {exc}")
        return
    if not secret:
        problems.append(f"{file_option}: {path} has no password or key on its first line")
        return
    values[name] = secret


def _path_like(value: object) -> str | os.PathLike[str]:
    # What Path() accepts; anything else is the TypeError Path() would raise.
    if isinstance(value, str | os.PathLike):
        return value
    raise TypeError(value)


def _int_like(value: object) -> str | bytes | int | float:
    # What int() accepts from a config file, the environment or the command line.
    if isinstance(value, str | bytes | int | float):
        return value
    raise TypeError(value)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(value)


def _iterable(value: object) -> Iterable[object]:
    if isinstance(value, Iterable):
        return value
    raise TypeError(value)


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _validate(s: Settings, problems: list[str]) -> None:
    if s.mqtt_url is not None:
        parts = urlsplit(s.mqtt_url)
        if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parts.hostname:
            problems.append(f"mqtt_url: {s.mqtt_url!r} must look like mqtt://HOST:PORT")
    if s.mqtt_ca_file is not None:
        if not s.mqtt_endpoint()[2]:
            problems.append("mqtt_ca_file: is only used with an mqtts:// broker URL")
        if not s.mqtt_ca_file.is_file():
            problems.append(f"mqtt_ca_file: file {s.mqtt_ca_file} does not exist")
    if s.mqtt_protocol not in ("5", "3.1.1"):
        problems.append(f"mqtt_protocol: {s.mqtt_protocol!r} must be 5 or 3.1.1")
    if not ID_PATTERN.fullmatch(s.mqtt_client_id):
        problems.append(f"mqtt_client_id: {s.mqtt_client_id!r} must match {ID_PATTERN.pattern}")
    if not 1 <= s.mqtt_receive_maximum <= 65535:
        problems.append("mqtt_receive_maximum: must be 1..65535")
    if (
        not s.topic_root
        or "+" in s.topic_root
        or "#" in s.topic_root
        or s.topic_root.startswith("/")
        or s.topic_root.endswith("/")
    ):
        problems.append(f"topic_root: {s.topic_root!r} must be a topic prefix without wildcards")
    if s.influx_url is not None:
        parts = urlsplit(s.influx_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(f"influx_url: {s.influx_url!r} must look like http://HOST:PORT")
    if not ID_PATTERN.fullmatch(s.influx_db):
        problems.append(f"influx_db: {s.influx_db!r} must match {ID_PATTERN.pattern}")
    if s.db_url is not None and not s.db_url.startswith(("sqlite:", "postgresql", "postgres:")):
        problems.append(f"db_url: {s.db_url!r} must be sqlite:///FILE or postgresql://...")
    if s.registry is not None and not s.registry.is_file():
        problems.append(f"registry: file {s.registry} does not exist")
    if not 1 <= s.port <= 65535:
        problems.append(f"port: {s.port} must be 1..65535")
    if not 1 <= s.web_threads <= 64:
        problems.append(f"web_threads: {s.web_threads} must be 1..64")
    if not 1 <= s.enterprises <= 2000:
        problems.append(f"enterprises: {s.enterprises} must be 1..2000")
    if s.retention_days < MIN_RETENTION_DAYS:
        problems.append(
            f"retention_days: {s.retention_days} is below the regulatory minimum "
            f"of {MIN_RETENTION_DAYS} days for major-hazard monitoring records"
        )
    if s.spool_max_mb < 1:
        problems.append("spool_max_mb: must be at least 1")
    if s.journal_max_mb < 1:
        problems.append("journal_max_mb: must be at least 1")
    if not 100 <= s.batch_max_points <= 50000:
        problems.append("batch_max_points: must be 100..50000")
    if not 5 <= s.batch_max_wait_ms <= 10000:
        problems.append("batch_max_wait_ms: must be 5..10000")
    if s.admin_password is not None:
        try:
            check_password(s.admin_password, "admin")
        except UserError as exc:
            problems.append(f"admin_password: {exc}")
    if not 0 <= s.trusted_proxies <= 10:
        problems.append(f"trusted_proxies: {s.trusted_proxies} must be 0..10")
    if s.secret_key is not None and len(s.secret_key) < 16:
        problems.append("secret_key: must have at least 16 characters")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append(f"log_level: {s.log_level!r} must be DEBUG, INFO, WARNING or ERROR")
