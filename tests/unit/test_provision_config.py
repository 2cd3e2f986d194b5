"""kiosk-provision config get/set/unset, status and the CLI convention, in a scratch KIOSK_ROOT."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from appliance import settings as app_settings
from appliance.settings import tomllib
from provisioning.cli import app

runner = CliRunner()

ISSUE_BAD = [
    ("avatar.mjpeg_port", "99999", "0..65535"),
    ("vad.threshold", "1.5", "0..1"),
    ("audio.volume", "5", "0..2"),
    ("display.night_start", "25:99", "HH:MM"),
    ("tts.length_scale", "-3", "0.25..4"),
    ("asr.engine", "whsiper", "whisper, vosk"),
    ("telemetry.port", "99999", "1..65535"),
    ("telemetry.keepalive_s", "-5", "5..65535"),
    ("site", "bad/site", "no '/'"),
]


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    doc = json.loads(result.stdout)
    assert doc["v"] == 1  # every JSON object is versioned
    return doc


def config_file(root: Path) -> Path:
    return root / "etc/kiosk/kiosk.toml"


@pytest.mark.parametrize(("key", "value", "allowed"), ISSUE_BAD)
def test_config_set_refuses_each_bad_value_and_writes_nothing(
        root: Path, key: str, value: str, allowed: str) -> None:
    cli("config", "set", "tts.length_scale", "1.1")
    before = config_file(root).read_text()
    error = cli("config", "set", key, value, code=1)["error"]
    assert error["code"] == "config-invalid"
    assert key in error["message"] and value in error["message"]
    assert allowed in error["message"] and allowed in error["hint"]
    assert config_file(root).read_text() == before


def test_config_set_refusal_is_one_readable_line(root: Path) -> None:
    result = runner.invoke(app, ["config", "set", "asr.engine", "whsiper"])
    assert result.exit_code == 1
    assert "asr.engine = 'whsiper' refused: allowed one of: whisper, vosk" in result.output
    assert not config_file(root).exists()


def test_config_set_can_repair_a_file_with_problems(root: Path) -> None:
    config_file(root).parent.mkdir(parents=True)
    config_file(root).write_text("[avatar]\nmjpeg_port = 99999\n[vad]\nthreshold = 1.5\n")
    fixed = cli("config", "set", "avatar.mjpeg_port", "8091")
    assert fixed["changed"] and any("vad.threshold" in p for p in fixed["problems"])
    assert not app_settings.last_good_path().exists()
    cli("config", "set", "vad.threshold", "0.6")
    assert app_settings.last_good_path().read_text() == config_file(root).read_text()


def test_config_unset_falls_back_and_removes_typos(root: Path) -> None:
    cli("config", "set", "tts.length_scale", "1.2")
    config_file(root).write_text(config_file(root).read_text() + "\n[asr]\nbeems = 2\n")
    done = cli("config", "unset", "tts.length_scale")
    assert done["changed"] and done["previous"] == 1.2
    assert "tts" not in tomllib.loads(config_file(root).read_text())
    assert cli("config", "get", "tts.length_scale")["value"] == 1.0
    assert cli("config", "unset", "tts.length_scale")["changed"] is False
    assert cli("config", "unset", "asr.beems")["changed"] is True  # the typo goes
    assert cli("config", "unset", "asr.nope", code=1)["error"]["code"] == "config-unknown-key"
    assert (root / "etc/kiosk/kiosk.toml.prev").exists()


def test_config_get_prints_toml_with_origins(root: Path) -> None:
    cli("config", "set", "vad.pad_ms", "120")
    fleet = app_settings.fleet_config_path()
    fleet.parent.mkdir(parents=True)
    fleet.write_text(json.dumps({"version": 3, "config": {"tts": {"length_scale": 1.15}}}))
    plain = runner.invoke(app, ["config", "get"])
    assert plain.exit_code == 0
    doc = tomllib.loads(plain.stdout)  # the whole output is TOML
    assert doc["tts"]["length_scale"] == 1.15 and doc["vad"]["pad_ms"] == 120
    assert doc["site"] == "metro-demo"
    marked = runner.invoke(app, ["config", "get", "tts", "--origin"])
    assert "length_scale = 1.15 # fleet" in marked.stdout
    assert "engine = \"piper\" # default" in marked.stdout
    assert tomllib.loads(marked.stdout)["tts"]["length_scale"] == 1.15
    got = cli("config", "get", "--origin")
    assert got["origins"]["tts.length_scale"] == "fleet"
    assert got["origins"]["vad.pad_ms"] == "file"
    assert got["origins"]["asr.engine"] == "default"
    leaf = runner.invoke(app, ["config", "get", "vad.pad_ms"])
    assert tomllib.loads(leaf.stdout) == {"vad": {"pad_ms": 120}}


def test_status_tells_the_truth_about_each_file(root: Path, tmp_path: Path) -> None:
    cli("config", "set", "tts.length_scale", "1.1")
    assert cli("status")["config"]["valid"] is True
    cli("factory-reset", "--yes")
    info = cli("status")
    assert info["config"]["exists"] is False and info["config"]["valid"] is False
    assert info["files"]["config"]["exists"] is False
    assert info["files"]["device_key"]["exists"] is False
    human = runner.invoke(app, ["status"])
    assert "✔ config" not in human.output
    assert "missing; the kiosk uses built-in defaults" in human.output
    config_file(root).write_text("[audio]\nvolume = 5\n")
    info = cli("status")
    assert info["config"]["valid"] is False
    assert info["config"]["problems"][0]["key"] == "audio.volume"
    assert "audio.volume = 5 refused" in runner.invoke(app, ["status"]).output


def test_json_before_or_after_the_command_and_version(root: Path) -> None:
    before = runner.invoke(app, ["--json", "config", "get", "site"])
    after = runner.invoke(app, ["config", "get", "site", "--json"])
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert json.loads(before.stdout)["v"] == 1
    error = runner.invoke(app, ["--json", "config", "set", "nope", "1"])
    assert json.loads(error.stdout)["v"] == 1 and error.exit_code == 1
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.startswith("kiosk-provision ")


def test_every_option_has_help() -> None:
    import click
    import typer.main

    def walk(command: click.Command, path: str) -> list[str]:
        missing = [f"{path} {p.opts[0]}" for p in command.params
                   if isinstance(p, click.Option) and not p.help]
        for name, sub in getattr(command, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(typer.main.get_command(app), "kiosk-provision") == []


def test_site_pack_settings_are_checked_at_install_and_become_the_site_layer(
        root: Path, tmp_path: Path) -> None:
    from test_provision_cli import make_pack

    bad = make_pack(tmp_path / "bad")
    (bad / "settings.toml").write_text("[tts]\nlength_scale = -3\n")
    error = cli("site", "install", str(bad), code=1)["error"]
    assert "settings.toml: tts.length_scale = -3 refused" in error["message"]
    good = make_pack(tmp_path / "good")
    (good / "settings.toml").write_text("[tts]\nlength_scale = 1.2\n")
    cli("site", "install", str(good))
    got = cli("config", "get", "tts.length_scale", "--origin")
    assert got["value"] == 1.2 and got["origins"]["tts.length_scale"] == "site"
