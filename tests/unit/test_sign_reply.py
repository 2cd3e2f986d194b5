"""A reply signed through the scene: other arms than the spoken reply, subtitles in step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.avatar.text2action import text_words, word_spans
from appliance.frames import Asked, PhonemeTiming, Reply, SpeechAudio, VisemeCue, Visemes
from appliance.sign.reply import EASE_S, SignedReply, avatar_rest
from appliance.sitepack import bundled_sitepack_dir

TEXT = "The toilets are next to Exit C, on your left. Wait 2 minutes."
SIZE = (270, 480)
CUES = [VisemeCue("aa", 0.1 + 0.25 * i, 0.3 + 0.25 * i) for i in range(10)]


def _scene(sign: bool, media: str | Path | None = None) -> Scene:
    scene = Scene(SIZE)
    scene.set_mode("speaking")
    scene.speak(0.0, CUES, TEXT, duration=2.8)
    if media:
        scene.show_media(media)
    if sign:
        scene.sign(0.0, TEXT)
    return scene


def _arms(frame: np.ndarray, scene: Scene) -> np.ndarray:
    """The band of the frame below the chin and above the subtitles, where the arms are."""
    _x, y, _w, _h = scene.layout.heard
    chin = int(scene.layout.head[1] + 260 * scene.layout.scale)
    return frame[chin:y].astype(np.int16)


def test_word_spans_match_text_words() -> None:
    for text in (TEXT, "Platform 3 at 14:30, £2.40 - 站台在左边"):
        spans = word_spans(text)
        assert [text[s:e] for s, e in spans] == text_words(text)


def test_signed_reply_arms_differ_from_the_spoken_reply() -> None:
    spoken, signed = _scene(False), _scene(True)
    diffs = []
    for t in (0.9, 1.6, 2.4):
        a = _arms(spoken.render(t).copy(), spoken)
        b = _arms(signed.render(t).copy(), signed)
        diffs.append(float(np.abs(a - b).mean()))
    assert min(diffs) > 2.0, diffs
    # the signing ends: the same arms as the spoken reply again
    end = signed.sign(0.0, TEXT)
    after = end + 0.5
    a = _arms(spoken.render(after).copy(), spoken)
    b = _arms(signed.render(after).copy(), signed)
    assert float(np.abs(a - b).mean()) < 0.5


def test_signing_hands_are_drawn_over_the_answer_card(tmp_path: Path) -> None:
    media = bundled_sitepack_dir() / "media" / "exits-map.png"
    spoken, signed = _scene(False, media), _scene(True, media)
    x, y, w, h = signed.layout.media
    t = 1.6
    a = spoken.render(t)[y : y + h, x : x + w].astype(np.int16)
    b = signed.render(t)[y : y + h, x : x + w].astype(np.int16)
    # the card hides the gesture arms of the spoken reply; the signing ones cover part of it
    assert float(np.abs(a - b).mean()) > 2.0


def test_the_hands_ease_from_and_back_to_the_avatar_rest_pose() -> None:
    reply = SignedReply(TEXT, start=10.0)
    rest = avatar_rest()
    first = reply.pose_at(10.0)
    assert first is not None and first.dom.wrist == rest.dom.wrist
    mid = reply.pose_at(10.0 + EASE_S / 2)
    top = reply.track.sample(0.0)
    assert mid is not None
    assert top.dom.wrist[1] < mid.dom.wrist[1] < rest.dom.wrist[1]
    last = reply.pose_at(reply.end - 1e-6)
    assert last is not None and abs(last.dom.wrist[1] - rest.dom.wrist[1]) < 1.0
    assert reply.pose_at(9.99) is None and reply.pose_at(reply.end) is None


def test_subtitle_word_follows_the_sign_being_made() -> None:
    reply = SignedReply(TEXT, start=0.0)
    words = text_words(TEXT)
    track = reply.track
    seen = []
    for item in track.items:
        mid = reply.track_start + (item.start + item.end) / 2
        word = reply.word_at(mid)
        s, e = item.span
        # the highlighted word is one of the words the item signs (its last)
        assert words[word] in TEXT[s:e], (item.gloss, words[word], TEXT[s:e])
        seen.append(words[word])
    assert "toilets" in seen and "left" in seen and "minutes" in seen
    assert reply.word_at(-1.0) == -1
    assert reply.word_at(reply.end) == len(words) - 1


def test_scene_subtitles_follow_the_track_not_the_voice() -> None:
    """While signing, the band shows the signed word's highlight; it differs from the
    voice's (the voice is done at 2.8 s, the hands go on)."""
    spoken, signed = _scene(False), _scene(True)
    x, y, w, h = signed.layout.subtitles
    end = signed.sign(0.0, TEXT)
    assert end > 2.8 + 1.0  # this reply's signs outlast its speech
    t = 3.5
    band_signed = signed.render(t)[y : y + h, x : x + w].copy()
    band_spoken = spoken.render(t)[y : y + h, x : x + w].copy()
    assert not np.array_equal(band_signed, band_spoken)


def test_interrupt_takes_the_hands_back_to_rest() -> None:
    scene = _scene(True)
    scene.interrupt(1.0)
    signed = scene._signed
    assert signed is not None
    assert signed[0].end == 1.0 + EASE_S
    assert signed[0].pose_at(1.0 + EASE_S + 0.01) is None


class _Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def _reply_through(out: AvatarOutput, text: str) -> None:
    out.handle(Reply(text))
    pcm = np.zeros(22_050, np.int16)
    out.handle(Visemes([VisemeCue("aa", 0.2, 0.8)], offset=0.0))
    out.handle(SpeechAudio(pcm, 22_050, text, 0.0, [PhonemeTiming("a", 0.2, 0.8)]))
    out.playback_started(at=50.0)


def test_output_signs_when_the_site_or_the_visitor_asks() -> None:
    scene = Scene(SIZE)
    out = AvatarOutput(scene, _Clock())
    _reply_through(out, TEXT)
    assert scene._signed is None  # not asked
    out.sign_replies = True
    _reply_through(out, TEXT)
    assert scene._signed is None  # asked, but the site pack names no sign language
    out.sign_language = "asl"
    _reply_through(out, TEXT)
    assert scene._signed is not None and scene._signed[0].start == 50.0
    out.sign_replies = False
    out.sign_next = True  # the visitor asked for this one (a touch button)
    _reply_through(out, "Exit B.")
    assert scene._signed is not None and scene._signed[0].text == "Exit B."
    assert not out.sign_next
    out.handle(Reply("Lift."))  # not asked: the last reply's hands go back to rest
    assert scene._signed is not None and scene._signed[0].end <= 50.0 + EASE_S
    reply = Reply("Exit D.", asked=Asked("touch", sign=True))  # the question asked for it
    out.handle(reply)
    out.handle(Visemes([VisemeCue("aa", 0.2, 0.8)], offset=0.0))
    out.playback_started(at=60.0)
    assert scene._signed is not None and scene._signed[0].text == "Exit D."


def test_contact_sheet_sign_tiles_show_the_named_signs() -> None:
    from appliance.avatar.sheet import SIGN_POSES

    for text, label in SIGN_POSES:
        assert SignedReply(text, 0.0).gloss == label
