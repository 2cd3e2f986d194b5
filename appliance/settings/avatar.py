"""``[avatar]``: the rendered face, its screen, stream and subtitles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from appliance.settings.fields import TABLE, Flag, Pixels, PortOrOff, rng


@dataclass(frozen=True)
class AvatarSettings:
    __pydantic_config__ = TABLE

    width: Pixels = 1080
    """Screen width in pixels (native resolution; portrait 1080x1920 is the common kiosk)."""
    height: Pixels = 1920
    """Screen height in pixels."""
    fps: Annotated[int, rng(1, 120)] = 30
    """Frames per second the display loop paces to."""
    window: Flag = True
    """Show the fullscreen kiosk window (needs a display and a GUI build of OpenCV)."""
    mjpeg_port: PortOrOff = 8090
    """The avatar stream on 127.0.0.1:<port>, shown by `kiosk display` (and a technician's
    preview); 0 = off (then the kiosk screen stays on "Starting...")."""
    language: Literal["en", "zh", "ja", "ko", "zh-tw"] = "en"
    """Subtitle face of the Noto CJK fonts (``en``, ``zh``, ``ja``, ``ko``, ``zh-tw``)."""
    demo_width: Pixels = 1080
    """Width of the demo's recorded out/demo.mp4."""
    demo_height: Pixels = 1920
    """Height of the demo's recorded out/demo.mp4."""
    face: Literal["drawn", "mesh"] = "mesh"
    """The face: ``mesh`` (a shaded human face mesh moved by its rig, in a drawn bob; see
    docs/avatar.md) or ``drawn`` (the flat drawn face, also what a damaged mesh falls back
    to). The body and arms are the same."""
    sign_replies: Flag = False
    """Sign every reply as well as speaking it, in the site pack's ``sign_language`` (a
    pack without one: no signing). A visitor can also ask for one reply signed."""
