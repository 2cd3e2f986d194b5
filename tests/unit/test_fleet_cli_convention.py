"""`kiosk-fleet` follows the CLI convention: --json before or after the command,
--version, help on every option, a versioned JSON object ("v": 1), errors with codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from appliance.fleet.cli import build_parser, main
from appliance.fleet.store import FleetStore


def test_json_before_or_after_the_command(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fleet.db"
    FleetStore(db).close()
    assert main(["--db", str(db), "--json", "devices"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["--db", str(db), "devices", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert before == after == {"v": 1, "devices": []}


def test_ca_json_after_the_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ca", "init", "--dir", str(tmp_path / "ca"), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["v"] == 1 and made["key"].endswith("ca.key")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("kiosk-fleet ")


def test_errors_have_a_code_and_a_json_object(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "f.db"), "show", "nobody", "--json"]) == 2
    out = capsys.readouterr()
    assert out.err.strip().endswith("[invalid-argument]")
    assert json.loads(out.out) == {"v": 1, "ok": False, "error": {
        "code": "invalid-argument", "message": "unknown device 'nobody'"}}


def test_every_option_and_argument_has_help() -> None:
    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing: list[str] = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
            elif not action.help and not isinstance(action, argparse._HelpAction):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(build_parser(), "kiosk-fleet") == []
