"""`kiosk run` with every bad value of issue 13 in kiosk.toml stays up, on fallbacks, and says so.

Fake engines stand in for the models (the real ones take ~20 s to load); the
settings loader, the daemon, the live avatar, the behaviour runner and the sim
audio devices are the real ones.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pytest

from appliance import settings as app_settings
from appliance.app import Kiosk
from appliance.devices import audio as devices
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.service import daemon
from appliance.service.telemetry_link import kiosk_health
from appliance.settings import AudioSettings
from appliance.system import journal

BAD_TOML = """site = "bad/site"
[avatar]
mjpeg_port = 99999
window = false
[vad]
threshold = 1.5
[audio]
volume = 5
backend = "sim"
[display]
night_start = "25:99"
[tts]
length_scale = -3
[asr]
engine = "whsiper"
[telemetry]
port = 99999
keepalive_s = -5
"""
BAD_KEYS = {"site", "avatar.mjpeg_port", "vad.threshold", "audio.volume", "display.night_start",
            "tts.length_scale", "asr.engine", "telemetry.port", "telemetry.keepalive_s"}


def fake_engines(_settings: Any) -> Engines:
    return Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), FakeTts(16000), PhonemeLipSync())


def test_kiosk_run_with_every_bad_value_stays_up_on_fallbacks(
        kiosk_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = kiosk_root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(BAD_TOML)
    # the site's own layer turns the stream off, so the refused 99999 falls back to it
    # (a lower layer) and the test binds no port at all
    site = app_settings.site_settings_path()
    site.parent.mkdir(parents=True)
    site.write_text("[avatar]\nmjpeg_port = 0\n")
    monkeypatch.setattr(daemon, "create_engines", fake_engines)
    monkeypatch.setattr(daemon, "warm_up", lambda _engines: None)
    started: list[Kiosk] = []
    real_serve = daemon.serve

    async def serve(*args: Any, **kwargs: Any) -> Kiosk:
        kiosk = await real_serve(*args, **kwargs)
        started.append(kiosk)
        return kiosk

    monkeypatch.setattr(daemon, "serve", serve)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    journal.hold_startup_records()  # as `kiosk run` does before the settings are read
    try:
        code = daemon.run_service(argparse.Namespace(config=None, duration=1.0))
    finally:
        for handler in logging.getLogger().handlers[:]:
            if handler.get_name() == "kiosk-file":
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert code == 0
    log = app_settings.default_log_path().read_text()  # the file `logs` reads says which key
    assert "asr.engine = 'whsiper' refused: allowed one of: whisper, vosk" in log
    (kiosk,) = started
    assert kiosk.settings.avatar.mjpeg_port == 0
    assert kiosk.settings.asr.engine == "whisper" and kiosk.settings.tts.length_scale == 1.0
    assert kiosk.settings.telemetry.port == 8883 and kiosk.settings.site == "metro-demo"
    health = kiosk_health(kiosk)
    assert health["status"] == "degraded"
    assert {p["key"] for p in health["config_problems"]} == BAD_KEYS
    assert any("asr.engine = 'whsiper'" in reason for reason in health["degraded"])


def test_sim_fallback_with_backend_auto_is_degraded_and_logged(
        kiosk_root: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(devices, "has_sound_card", lambda: False)  # the hardware probe
    with caplog.at_level(logging.WARNING, logger="appliance.devices.audio"):
        choice = devices.choose_audio(AudioSettings(backend="auto", realtime=False), 16000)
    assert choice.degraded == ["audio: no sound card; the microphone and speaker are simulated"]
    assert any(r.levelno == logging.WARNING and "simulated" in r.getMessage()
               for r in caplog.records)
    configured = devices.choose_audio(AudioSettings(backend="sim", realtime=False), 16000)
    assert configured.degraded == []  # asked for sim: nothing fell back


def test_health_says_ok_when_nothing_fell_back() -> None:
    from hw.audio_in import SimMicrophone
    from hw.audio_out import SimSpeaker

    kiosk = Kiosk(app_settings.Settings(), fake_engines(None),
                  SimMicrophone(None, endless=True), SimSpeaker(16000, realtime=False))
    health = kiosk_health(kiosk)
    assert health["status"] == "ok" and health["degraded"] == []
    kiosk.degraded.append("audio: speaker failed (gone); it is simulated")
    assert kiosk_health(kiosk)["status"] == "degraded"
