"""Offline rendering of one reply to an MP4 (the demo's ``out/demo.mp4``)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar.scene import Scene
from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.sinks.mp4 import Mp4Recorder
from appliance.avatar.visemes import Envelope
from appliance.frames import Emotion, PhonemeTiming, VisemeCue

logger = logging.getLogger(__name__)

LEAD_IN_S = 0.5
"""Silence before the reply starts (the avatar settles, the viewer finds the face)."""
TAIL_S = 0.8
"""Time after the last sample (the mouth closes, the gesture relaxes)."""


def render_frames(scene: Scene, sink: FrameSink, n_frames: int, fps: int,
                  progress: bool = False) -> None:
    """Render frames 0..n-1 at time ``i / fps`` into ``sink``."""
    for i in range(n_frames):
        t = i / fps
        sink.write(scene.render(t), t)
        if progress and i % (fps * 2) == 0:
            logger.info("rendered %d/%d frames", i, n_frames)


def render_reply_video(
    out_path: str | Path,
    audio_pcm: np.ndarray,
    sample_rate: int,
    cues: Sequence[VisemeCue],
    phonemes: Sequence[PhonemeTiming | tuple[str, float, float]] = (),
    text: str = "",
    heard_text: str = "",
    emotion: Emotion | None = None,
    size: tuple[int, int] = (1080, 1920),
    fps: int = 30,
    media: str | Path | None = None,
    bearing_deg: float | None = None,
    language: str = "en",
    lead_in_s: float = LEAD_IN_S,
    sign_language: str = "",
    face: str = "drawn",
) -> Path:
    """Render the avatar speaking one reply and mux it with its audio into ``out_path``.

    ``cues`` and ``phonemes`` are on the reply's clock (seconds from its first
    sample); the video starts ``lead_in_s`` earlier with silence, so the audio is
    padded by the same amount and the two stay in sync from frame 0. ``sign_language``
    (``asl``) has the avatar sign the reply as well; the video then runs until the hands
    are back at rest (a sign track may be longer than the speech). ``face``: ``drawn`` or
    ``mesh`` (see :class:`AvatarPainter`).
    """
    cv2.setNumThreads(1)
    pcm = np.asarray(audio_pcm, dtype=np.int16).reshape(-1)
    lead = max(0.0, lead_in_s)
    lead_samples = round(lead * sample_rate)
    lead = lead_samples / sample_rate
    duration = len(pcm) / sample_rate
    scene = Scene(size, language=language, face=face)
    end = scene.sign(lead, text, sign_language) if sign_language and text else 0.0
    total = max(lead + duration, end) + TAIL_S
    n_frames = max(1, math.ceil(total * fps))
    tail = max(0, round(n_frames / fps * sample_rate) - lead_samples - len(pcm))
    padded = np.concatenate([np.zeros(lead_samples, np.int16), pcm, np.zeros(tail, np.int16)])
    emo = emotion or Emotion()
    scene.set_emotion(emo.valence, emo.arousal, 0.0)
    scene.look_at(bearing_deg, 0.0)
    if heard_text:
        scene.heard(heard_text)
    if media:
        scene.show_media(media)
    envelope = Envelope()
    envelope.add(pcm, sample_rate, 0.0)
    scene.speak(lead, cues, text, phonemes, duration=duration, envelope=envelope)
    out = Path(out_path)
    with Mp4Recorder(out, size, fps, padded, sample_rate) as rec:
        render_frames(scene, rec, n_frames, fps, progress=True)
    logger.info("wrote %s (%d frames, %.2f s)", out, n_frames, n_frames / fps)
    return out
