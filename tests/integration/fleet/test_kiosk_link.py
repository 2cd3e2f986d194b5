"""A running kiosk on the fleet: its health, its events and the fleet's `say` command,
through a real Mosquitto (TLS + ACL), with fake engines and sim devices."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from fleet_helpers import SITE, wait_for

from appliance.app import Kiosk
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.frames import StageError
from appliance.service.telemetry_link import TelemetryLink
from appliance.settings import Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker


async def test_the_fleet_sees_the_kiosk_and_makes_it_speak(
        fleet: Any, make_agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, rec = fleet
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")  # as systemd runs `kiosk run`
    loop = asyncio.get_running_loop()
    speaker = SimSpeaker(16000, realtime=True)
    engines = Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), FakeTts(16000), PhonemeLipSync())
    kiosk = Kiosk(Settings(), engines, SimMicrophone(None, endless=True), speaker)
    agent = make_agent("dev-kiosk", start=False)
    link = TelemetryLink(kiosk, agent, loop)
    restarted = asyncio.Event()
    agent.start()
    run = asyncio.create_task(kiosk.run())
    try:
        # a command sent before the device's first session exists has nowhere to wait
        await loop.run_in_executor(None, lambda: wait_for(
            lambda: agent.listening, what="dev-kiosk subscribed"))
        reply = await loop.run_in_executor(None, lambda: client.command(
            SITE, "dev-kiosk", "say", {"text": "Please mind the gap."}, timeout=15))
        assert reply["status"] == "ok", reply
        for _ in range(100):  # the line reaches the (sim) speaker
            if speaker.recording:
                break
            await asyncio.sleep(0.05)
        assert speaker.recording

        bad = await loop.run_in_executor(None, lambda: client.command(
            SITE, "dev-kiosk", "set-volume", {"volume": 7}, timeout=15))
        assert bad["status"] == "error" and bad["code"] == "bad-input"

        await kiosk.pipeline.sink.queue_frame(StageError("tts", "tts-failed", "voice missing"))
        event = await loop.run_in_executor(None, lambda: wait_for(
            lambda: rec.on("dev-kiosk/evt/engine-failed"), what="engine-failed event"))
        assert event[0]["code"] == "tts-failed" and event[0]["stage"] == "tts"

        agent.health_now()
        health = await loop.run_in_executor(None, lambda: wait_for(
            lambda: [h for h in rec.on("dev-kiosk/health") if "engines" in h], what="health"))
        report = health[-1]
        assert report["engines"]["tts"]["name"] == "fake-tts"
        assert report["conversation"]["turns"] == 0  # an operator's line is not a visitor turn
        assert report["audio"]["speaker"] == "sim-speaker"

        refused = await loop.run_in_executor(None, lambda: client.command(
            SITE, "dev-kiosk", "restart", timeout=15))
        assert refused["status"] == "error" and refused["code"] == "cmd-unsupported"
        link.on_restart = restarted.set  # what kiosk run gives it: stop, exit 75, systemd
        ok = await loop.run_in_executor(None, lambda: client.command(
            SITE, "dev-kiosk", "restart", timeout=15))
        assert ok["status"] == "ok"
        await asyncio.wait_for(restarted.wait(), 5)
    finally:
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run


async def test_a_pushed_config_changes_the_running_kiosk_and_says_how(
        fleet: Any, make_agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Volume and voice speed change live; a key that needs a rebuild restarts the
    kiosk under systemd; a refused value names the key and changes nothing."""
    client, rec = fleet
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    loop = asyncio.get_running_loop()
    speaker = SimSpeaker(16000, realtime=True)
    tts = FakeTts(16000)
    tts.length_scale = 1.0  # type: ignore[attr-defined]
    engines = Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), tts, PhonemeLipSync())
    kiosk = Kiosk(Settings(), engines, SimMicrophone(None, endless=True), speaker)
    agent = make_agent("dev-cfgk", start=False)
    link = TelemetryLink(kiosk, agent, loop)
    restarted = asyncio.Event()
    link.on_restart = restarted.set
    agent.start()

    def report(version: int) -> dict[str, Any]:
        return wait_for(lambda: [r for r in rec.on("dev-cfgk/cfg/reported")
                                 if r.get("desired_version") == version],
                        what=f"report for v{version}")[-1]

    await loop.run_in_executor(None, lambda: wait_for(lambda: agent.listening, what="up"))
    client.push_config(SITE, "dev-cfgk", 1, {"audio": {"volume": 0.4},
                                             "tts": {"length_scale": 1.15}})
    first = await loop.run_in_executor(None, report, 1)
    assert first["status"] == "applied" and first["restart"] == "none"
    assert speaker.volume == 0.4 and tts.length_scale == 1.15  # type: ignore[attr-defined]
    assert not restarted.is_set()

    client.push_config(SITE, "dev-cfgk", 2, {"audio": {"volume": 0.4},
                                             "tts": {"length_scale": 1.15},
                                             "asr": {"engine": "whsiper"}})
    refused = await loop.run_in_executor(None, report, 2)
    assert refused["status"] == "rejected" and refused["error"] == "config-invalid"
    assert refused["problem_details"][0]["key"] == "asr.engine"
    assert agent.config.version == 1

    client.push_config(SITE, "dev-cfgk", 3, {"audio": {"volume": 0.4},
                                             "tts": {"length_scale": 1.15},
                                             "vad": {"threshold": 0.6}})
    third = await loop.run_in_executor(None, report, 3)
    assert third["status"] == "applied" and third["restart"] == "scheduled"
    assert third["changed"] == ["vad.threshold"]
    await asyncio.wait_for(restarted.wait(), 5)
    # saved as the fleet layer the next start reads
    saved = agent.config.path.read_text()
    assert '"version": 3' in saved and "threshold" in saved
