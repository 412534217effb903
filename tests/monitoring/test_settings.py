"""Settings: precedence CLI > environment > config file > default, and one readable error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitoring.settings import SettingsError, load_settings


def test_defaults_need_nothing():
    s = load_settings({}, environ={})
    assert s.mqtt_url is None and s.influx_url is None and s.port == 8050
    assert s.database_url.startswith("sqlite:///") and s.retention_days == 90


def test_cli_beats_environment_beats_config_file(tmp_path: Path):
    config = tmp_path / "hazwatch.yaml"
    config.write_text("port: 7000\ninflux-db: fromfile\ntopic_root: prov/hazmon\n")
    env = {"HAZMON_PORT": "7100", "HAZMON_INFLUX_DB": "fromenv"}
    s = load_settings({"config": config, "port": 7200}, environ=env)
    assert s.port == 7200
    assert s.influx_db == "fromenv"
    assert s.topic_root == "prov/hazmon"


def test_every_problem_is_reported_in_one_error(tmp_path: Path):
    env = {
        "HAZMON_MQTT_URL": "http://nope",
        "HAZMON_RETENTION_DAYS": "7",
        "HAZMON_INFLUX_DB": "bad db",
        "HAZMON_REGISTRY": str(tmp_path / "missing.yaml"),
    }
    with pytest.raises(SettingsError) as info:
        load_settings({}, environ=env)
    text = str(info.value)
    assert "mqtt_url" in text and "retention_days" in text and "regulatory minimum" in text
    assert "influx_db" in text and "missing.yaml" in text
    assert len(info.value.problems) == 4


def test_non_numeric_port_is_a_clear_error():
    with pytest.raises(SettingsError, match="port: 'eighty' is not a valid int"):
        load_settings({}, environ={"HAZMON_PORT": "eighty"})


def test_unknown_config_key_is_named(tmp_path: Path):
    config = tmp_path / "c.yaml"
    config.write_text("prot: 1\n")
    with pytest.raises(SettingsError, match="unknown option 'prot'"):
        load_settings({"config": config}, environ={})


def test_secrets_are_not_in_repr():
    s = load_settings(
        {},
        environ={"HAZMON_ADMIN_PASSWORD": "s3cret-pass-1", "HAZMON_INFLUX_PASSWORD": "influx-pass"},
    )
    assert s.admin_password == "s3cret-pass-1"
    assert "s3cret-pass" not in repr(s) and "influx-pass" not in repr(s)


def test_broker_password_comes_from_a_file(tmp_path: Path):
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret-from-file\nignored second line\n")
    s = load_settings({"mqtt_password_file": secret}, environ={})
    assert s.mqtt_password == "s3cret-from-file"
    s = load_settings({}, environ={"HAZMON_MQTT_PASSWORD_FILE": str(secret)})
    assert s.mqtt_password == "s3cret-from-file"
    assert "s3cret" not in repr(s)


@pytest.mark.parametrize(
    ("content", "env", "problem"),
    [
        (None, {}, "cannot read"),
        ("", {}, "no password"),
        ("\nlate\n", {}, "no password"),
        ("pw\n", {"HAZMON_MQTT_PASSWORD": "other"}, "not both"),
    ],
)
def test_a_broker_password_file_that_cannot_work_is_refused(tmp_path, content, env, problem):
    secret = tmp_path / "mqtt-password"
    if content is not None:
        secret.write_text(content)
    with pytest.raises(SettingsError, match=problem):
        load_settings({"mqtt_password_file": secret}, environ=env)


def test_ca_file_is_for_an_mqtts_broker_and_must_exist(tmp_path: Path):
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = load_settings({"mqtt_url": "mqtts://broker:8883", "mqtt_ca_file": ca}, environ={})
    assert s.mqtt_ca_file == ca and s.mqtt_endpoint() == ("broker", 8883, True)
    with pytest.raises(SettingsError, match="only used with an mqtts"):
        load_settings({"mqtt_url": "mqtt://broker:1883", "mqtt_ca_file": ca}, environ={})
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(
            {"mqtt_url": "mqtts://broker", "mqtt_ca_file": tmp_path / "missing.crt"}, environ={}
        )


@pytest.mark.parametrize(
    ("option", "variable"),
    [
        ("--admin-password", "HAZMON_ADMIN_PASSWORD"),
        ("--secret-key", "HAZMON_SECRET_KEY"),
        ("--influx-password", "HAZMON_INFLUX_PASSWORD"),
        ("--mqtt-password", "HAZMON_MQTT_PASSWORD"),
    ],
)
def test_a_secret_on_the_command_line_is_refused_with_where_it_goes(option, variable, capsys):
    """Before (issue 10): each was accepted, and visible to every user of the machine in `ps`."""
    from app import build_parser

    args = build_parser().parse_args(["serve", option, "a-long-enough-secret-1"])
    with pytest.raises(SettingsError) as info:
        load_settings(vars(args), environ={})
    [problem] = info.value.problems
    assert problem.startswith(f"{option} is refused") and variable in problem
    assert f"{option}-file FILE" in problem
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--help"])
    listed = capsys.readouterr().out
    assert f"{option}-file" in listed and not re.search(re.escape(option) + r"(?![-\w])", listed)


def test_secrets_come_from_the_environment_or_files(tmp_path: Path):
    files = {}
    for name, value in (
        ("admin-password", "admin-from-file-1"),
        ("secret-key", "a-signing-key-of-32-characters!!"),
        ("influx-password", "influx-from-file"),
    ):
        files[name] = tmp_path / name
        files[name].write_text(value + "\n")
    s = load_settings(
        {
            "admin_password_file": files["admin-password"],
            "secret_key_file": files["secret-key"],
        },
        environ={"HAZMON_INFLUX_PASSWORD_FILE": str(files["influx-password"])},
    )
    assert s.admin_password == "admin-from-file-1"
    assert s.secret_key == "a-signing-key-of-32-characters!!"
    assert s.influx_password == "influx-from-file"
    assert "from-file" not in repr(s) and "signing-key" not in repr(s)
    with pytest.raises(SettingsError, match="not both"):
        load_settings(
            {"admin_password_file": files["admin-password"]},
            environ={"HAZMON_ADMIN_PASSWORD": "admin-from-env-1"},
        )


def test_the_admin_password_meets_the_policy_at_start_up():
    for weak, why in (("password12", "at least 12"), ("Password2024!", "too common")):
        with pytest.raises(SettingsError, match=why):
            load_settings({}, environ={"HAZMON_ADMIN_PASSWORD": weak})


def test_trusted_proxies_default_to_none_and_are_bounded():
    assert load_settings({}, environ={}).trusted_proxies == 0
    assert load_settings({}, environ={"HAZMON_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    assert load_settings({"trusted_proxies": 2}, environ={}).trusted_proxies == 2
    with pytest.raises(SettingsError, match="trusted_proxies"):
        load_settings({}, environ={"HAZMON_TRUSTED_PROXIES": "-1"})
