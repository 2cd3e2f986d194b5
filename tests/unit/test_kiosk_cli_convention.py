"""`kiosk` follows the CLI convention: --json before or after the command, --version,
help on every option, and a versioned JSON object ("v": 1)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from appliance.cli.main import build_parser, main

METRO = Path(__file__).resolve().parents[2] / "models/sitepacks/metro-demo"


def test_json_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "sitepack", "check", str(METRO)]) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["sitepack", "check", str(METRO), "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert before == after and before["v"] == 1 and before["valid"] is True


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("kiosk ")


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

    assert walk(build_parser(), "kiosk") == []
