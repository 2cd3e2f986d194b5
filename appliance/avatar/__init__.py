"""The avatar: a procedural 2D face and upper body, its timeline model and display sinks.

* :mod:`~appliance.avatar.timeline`: :class:`AvatarState` (events in) -> :class:`AvatarPose`
  at time ``t`` (numbers only, testable without pixels);
* :mod:`~appliance.avatar.scene`: :class:`Scene` draws the whole screen for ``t``;
* :mod:`~appliance.avatar.sinks`: window, MP4 recorder, MJPEG preview, memory;
* :func:`render_reply_video`: one reply to an MP4 with its audio (the demo's out/demo.mp4).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appliance.avatar.output import AvatarOutput
    from appliance.avatar.scene import Scene
    from appliance.avatar.timeline import AvatarPose, AvatarState
    from appliance.avatar.video import render_reply_video

__all__ = ["AvatarOutput", "AvatarPose", "AvatarState", "Scene", "render_reply_video"]

_HOMES = {"AvatarOutput": "output", "AvatarPose": "timeline", "AvatarState": "timeline",
          "Scene": "scene", "render_reply_video": "video"}


def __getattr__(name: str) -> Any:
    # the names load on first use: the sign room imports the avatar's drawing helpers
    # and the scene imports the sign room, so importing the package must not load the scene
    if name in _HOMES:
        return getattr(importlib.import_module(f"appliance.avatar.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'appliance.avatar' has no attribute {name!r}")
