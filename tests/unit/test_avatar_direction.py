"""Text2Action points where the structured answer says: the site pack's exit directions."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.avatar.text2action import direction_from_source, direction_in
from appliance.frames import Reply, SpeechAudio, VisemeCue, Visemes
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


@pytest.mark.parametrize(("exit_id", "direction"), [
    ("a", "point_left"),    # to the left of the ticket gates
    ("b", "point_ahead"),   # straight ahead from the gates, then left
    ("c", "point_right"),   # to the right of the ticket gates
    ("d", "point_right"),   # at the far end of the concourse on the right
    ("e", None),            # behind you: nowhere to point on the screen
])
def test_an_exits_directions_in_the_pack_give_the_pointing(pack: SitePack, exit_id: str,
                                                           direction: str | None) -> None:
    assert direction_from_source(f"slot:exit/{exit_id}", pack) == direction


def test_sources_without_a_place_give_no_direction(pack: SitePack) -> None:
    assert direction_from_source("faq:left_luggage", pack) is None
    assert direction_from_source("slot:exit/zz", pack) is None
    assert direction_from_source("network:fares", pack) is None
    assert direction_in("Left luggage is not available; none left today.") is None


def _say(scene: Scene, output: AvatarOutput, text: str, source: str) -> list[str]:
    """Route a reply as the pipeline does and return the gestures the scene plans."""
    output.handle(Reply(text, source=source))
    n = len(text.split())
    output.handle(SpeechAudio(pcm=np.zeros(16000 * n // 3, np.int16), sample_rate=16000,
                              text=text, offset=0.0))
    output.handle(Visemes([VisemeCue("aa", 0.0, n / 3)], offset=0.0))
    output.playback_started(0.0)
    assert scene.state.reply is not None and scene.state.reply.text == text
    return [g.kind for g in scene.state.reply.gestures]


def test_the_reply_points_the_way_its_exit_lies(pack: SitePack) -> None:
    scene = Scene((270, 480))
    output = AvatarOutput(scene, clock=lambda: 0.0)
    output.direction_of = lambda source: direction_from_source(source, pack)
    # the wording alone ("the ticket gates") has no spatial phrase: the pack's data points
    kinds = _say(scene, output, "Exit C is next to the toilets, through the ticket gates.",
                 "slot:exit/c")
    assert kinds.count("point_right") == 1 and "point_left" not in kinds
    kinds = _say(scene, output, "Left luggage lockers are next to the Customer Service "
                 "Centre; none left at the moment.", "faq:left_luggage")
    assert not {"point_left", "point_right", "point_ahead"} & set(kinds), kinds
