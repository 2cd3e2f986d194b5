"""selftest --strict (the default once enrolled), and its config and site pack checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_provision_cli import make_bundle, make_pack
from typer.testing import CliRunner

from provisioning.cli import app

runner = CliRunner()


def selftest(*args: str, code: int) -> dict[str, Any]:
    result = runner.invoke(app, ["selftest", "--quick", *args, "--json"])
    assert result.exit_code == code, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def checks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["checks"]}


def test_strict_fails_on_a_simulated_microphone_and_speaker(root: Path) -> None:
    doc = selftest("--strict", "--only", "microphone", "--only", "loopback", "--only", "camera",
                   code=1)
    found = checks(doc)
    assert doc["strict"] is True and doc["overall"] == "fail"
    assert found["microphone"]["status"] == "fail" and found["microphone"]["sim"] is True
    assert "strict: the microphone is simulated" in found["microphone"]["detail"]
    assert "strict: the speaker is simulated" in found["loopback"]["detail"]
    assert found["camera"]["status"] == "skip"  # camera off in settings: nothing runs blind
    relaxed = selftest("--no-strict", "--only", "microphone", "--only", "loopback", code=0)
    assert relaxed["strict"] is False
    assert {c["status"] for c in relaxed["checks"]} == {"pass"}


def test_strict_fails_on_a_sim_camera_the_kiosk_would_use(root: Path, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0001.png"), np.full((120, 160, 3), 128, np.uint8))
    (root / "etc/kiosk").mkdir(exist_ok=True)
    (root / "etc/kiosk/kiosk.toml").write_text(
        f'[camera]\nenabled = true\nsource = "sim"\nsim_source = "{frames}"\n')
    found = checks(selftest("--strict", "--only", "camera", code=1))
    assert "strict: the camera is simulated" in found["camera"]["detail"]
    assert selftest("--no-strict", "--only", "camera", code=0)["overall"] == "pass"


def test_strict_is_the_default_once_enrolled(root: Path, tmp_path: Path) -> None:
    assert selftest("--only", "microphone", code=0)["strict"] is False
    assert runner.invoke(app, ["init", "--json"]).exit_code == 0
    bundle = make_bundle(tmp_path / "bundle", root)
    assert runner.invoke(app, ["enroll", str(bundle), "--json"]).exit_code == 0
    doc = selftest("--only", "microphone", code=1)
    assert doc["strict"] is True
    assert selftest("--only", "microphone", "--no-strict", code=0)["strict"] is False
    human = runner.invoke(app, ["selftest", "--quick", "--only", "microphone"])
    assert human.exit_code == 1 and "strict" in human.output


def test_config_check_fails_naming_the_refused_key(root: Path) -> None:
    config = root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text('[asr]\nengine = "whsiper"\n')
    found = checks(selftest("--only", "config", code=1))["config"]
    assert "asr.engine = 'whsiper' refused" in found["detail"]
    assert found["data"]["problems"][0]["allowed"] == "one of: whisper, vosk"
    config.write_text('[asr]\nengine = "vosk"\n')
    assert checks(selftest("--only", "config", code=0))["config"]["status"] == "pass"
    config.unlink()
    assert checks(selftest("--only", "config", code=0))["config"]["status"] == "warn"


def test_sitepack_check_validates_the_installed_pack(root: Path, tmp_path: Path) -> None:
    assert checks(selftest("--only", "sitepack", code=0))["sitepack"]["status"] == "warn"
    assert checks(selftest("--only", "sitepack", "--strict", code=1))["sitepack"]["status"] == \
        "fail"
    assert runner.invoke(app, ["site", "install", str(make_pack(tmp_path / "pack")),
                               "--json"]).exit_code == 0
    assert checks(selftest("--only", "sitepack", code=0))["sitepack"]["status"] in ("pass",
                                                                                    "warn")
    installed = root / "var/lib/kiosk/site/faq.yaml"
    installed.write_text("- [this is: not a faq\n")  # damaged after installation
    broken = checks(selftest("--only", "sitepack", code=1))["sitepack"]
    assert broken["status"] == "fail" and "faq.yaml" in broken["detail"]
