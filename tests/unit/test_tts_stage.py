"""The TTS stage speaks each reply in the style the dialogue chose for the visitor."""

from __future__ import annotations

from appliance.engines.tts.fake import FakeTts
from appliance.frames import EndOfStream, Frame, Reply, ReplyDone, SpeechAudio
from appliance.language.style import STYLES, prosody_for
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.speech_stage import TtsProcessor


async def speak(style: str) -> float:
    seen: list[Frame] = []
    async with Pipeline([TtsProcessor(FakeTts())]) as p:
        p.on_frame(seen.append)
        await p.push(Reply("Your train leaves from platform two in four minutes.", style=style,
                           turn_id=1))
        await p.push(EndOfStream())
        await p.wait_ended(5)
    assert isinstance(seen[-2], ReplyDone)
    return sum(f.duration for f in seen if isinstance(f, SpeechAudio))


async def test_every_dialogue_style_reaches_the_voice() -> None:
    neutral = await speak("neutral")
    for style in STYLES:
        expected = prosody_for(style).length_scale * neutral
        assert abs(await speak(style) - expected) < 0.05 * neutral, style
    assert await speak("calm") > neutral * 1.1  # an anxious visitor hears a slower voice
