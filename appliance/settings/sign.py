"""``[sign]``: sign-language input, words fingerspelled at the camera asked as questions.

Sign-language *output* (the avatar signing replies) is ``[avatar] sign_replies``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from appliance.settings.fields import TABLE, Flag, above


@dataclass(frozen=True)
class SignSettings:
    __pydantic_config__ = TABLE

    input: Flag = False
    """Read words a visitor fingerspells at the camera in ``kiosk run`` and ask them like a
    typed question (source ``sign``, answered in sign too). Needs ``[camera] enabled`` and
    the behaviour tree (it shares its camera) and the ``sign`` extra (mediapipe 0.10.18,
    numpy<2); without mediapipe the kiosk runs on without it, reported as degraded
    (``sign-landmarker-missing``). Recognition was measured on synthetic hands only."""
    fps: Annotated[float, above(0, 30)] = 10.0
    """Camera frames a second the hand landmarker looks at while a visitor is there (on
    its own thread; the other frames are not looked at)."""
