"""Answers that show, checked on the pixels: a video plays on the answer card on the
scene's clock (live and in a rendered video), a broken one leaves the scene drawing, the
avatar points at the card once near the start of the reply, and the site pack check
catches media that is missing or does not read."""

from __future__ import annotations

import importlib.util
import logging
import shutil
from pathlib import Path
from types import ModuleType, SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image

from appliance.avatar import draw as d
from appliance.avatar.arms import panel_rect, toward_panel
from appliance.avatar.layout import layout_for
from appliance.avatar.live import LiveAvatar
from appliance.avatar.media import decode_clip
from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.avatar.text2action import plan_gestures, word_timings
from appliance.engines.nlu.base import NluResult
from appliance.engines.qa.base import DialogContext
from appliance.engines.qa.site_qa import SiteQa
from appliance.frames import (
    PhonemeTiming,
    Reply,
    SpeechAudio,
    Transcript,
    VisemeCue,
    Visemes,
)
from appliance.settings import AvatarSettings
from appliance.sitepack import bundled_sitepack_dir, check_sitepack, load_sitepack
from appliance.sitepack.media import probe_video

PORTRAIT = (270, 480)  # a quarter of the kiosk's screen: the same layout, quick frames
COLOURS = [(0, 0, 220), (0, 200, 0), (220, 0, 0), (0, 200, 220), (200, 0, 200), (220, 220, 0)]
"""One solid colour per test video frame (BGR), far apart so a frame is told by its colour."""
FPS = 10


def write_video(path: Path, size: tuple[int, int] = (160, 90), fourcc: str = "mp4v") -> Path:
    """Six frames at 10 fps, frame i filled with COLOURS[i] (a white bar marks the top)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} here"
    for colour in COLOURS:
        img = np.full((size[1], size[0], 3), colour, np.uint8)
        img[: size[1] // 6] = 255
        writer.write(img)
    writer.release()
    return path


def inner(scene: Scene, frame: np.ndarray) -> np.ndarray:
    """The card's picture area (inside its frame) in a rendered frame."""
    assert scene._clip is not None
    clip = scene._clip
    b = clip.border
    w, h = clip.inner
    return frame[clip.y + b : clip.y + b + h, clip.x + b : clip.x + b + w]


def shown_colour(scene: Scene, frame: np.ndarray) -> int:
    """Which test frame the card shows (by the colour of its lower part)."""
    area = inner(scene, frame)
    mean = area[area.shape[0] // 3 :].reshape(-1, 3).mean(axis=0)
    dist = [float(np.abs(mean - np.array(c)).sum()) for c in COLOURS]
    assert min(dist) < 40, f"the card shows no test frame (mean {mean})"
    return int(np.argmin(dist))


# --- a video on the answer card ----------------------------------------------------------


def test_a_video_plays_on_the_card_frame_by_frame_and_loops(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4")
    scene = Scene(PORTRAIT)
    scene.set_mode("idle")
    scene.show_media(video, at=10.0)
    assert scene.showing_media
    a = scene.render(10.05).copy()
    b = scene.render(10.25).copy()
    assert not np.array_equal(inner(scene, a), inner(scene, b))  # the pixels move
    assert shown_colour(scene, a) == 0 and shown_colour(scene, b) == 2
    # frame-accurate on the scene's clock: frame 3 from 0.3 s after it was shown
    assert shown_colour(scene, scene.render(10.29)) == 2
    assert shown_colour(scene, scene.render(10.31)) == 3
    # it loops (six frames = 0.6 s) for as long as the card is shown
    assert shown_colour(scene, scene.render(10.65)) == 0
    assert shown_colour(scene, scene.render(10.0 + 0.6 * 7 + 0.45)) == 4


def test_the_card_shows_the_video_s_frames_scaled_like_an_image(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.mp4")
    scene = Scene(PORTRAIT)
    scene.set_mode("idle")
    scene.show_media(video, at=0.0)
    frame = scene.render(0.15).copy()
    area = inner(scene, frame)
    w, h = scene.media_size
    assert area.shape[1] == w or area.shape[0] == h  # fitted to the card, aspect kept
    assert abs(area.shape[1] / area.shape[0] - 160 / 90) < 0.05
    cap = cv2.VideoCapture(str(video))
    cap.read()
    ok, source = cap.read()  # frame 1, as OpenCV decodes it
    assert ok
    expected = cv2.resize(source, (area.shape[1], area.shape[0]), interpolation=cv2.INTER_LINEAR)
    assert np.abs(area.astype(int) - expected.astype(int)).mean() < 6


def test_a_gif_keeps_its_own_frame_times(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (60, 40), tuple(reversed(c))) for c in COLOURS[:3]]
    path = tmp_path / "steps.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[100, 500, 100],
                   loop=0)
    clip = decode_clip(path)
    assert clip is not None and len(clip.frames) == 3
    assert clip.starts == pytest.approx([0.0, 0.1, 0.6], abs=0.01)
    assert [clip.index_at(t) for t in (0.05, 0.15, 0.55, 0.65)] == [0, 1, 1, 2]
    scene = Scene(PORTRAIT)
    scene.set_mode("idle")
    scene.show_media(path, at=0.0)
    assert shown_colour(scene, scene.render(0.5)) == 1


@pytest.mark.parametrize("name", ["junk.mp4", "missing.webm", "empty.gif"])
def test_a_broken_video_leaves_the_scene_rendering(tmp_path: Path, name: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / name
    if name == "junk.mp4":
        path.write_bytes(b"this is not a video" * 50)
    elif name == "empty.gif":
        path.write_bytes(b"")
    plain = Scene(PORTRAIT)
    plain.set_mode("idle")
    scene = Scene(PORTRAIT)
    scene.set_mode("idle")
    with caplog.at_level(logging.WARNING):
        scene.show_media(path, at=0.0)
    assert any(str(path) in r.getMessage() for r in caplog.records), "no warning"
    assert not scene.showing_media
    for t in (0.1, 0.5):
        frame = scene.render(t)
        assert np.array_equal(frame, plain.render(t))  # nothing shown, nothing broken
    scene.speak(1.0, [VisemeCue("aa", 0.1, 0.5)], "Here you are.", duration=1.0)
    assert scene.state.reply is not None
    assert "point_media" not in [g.kind for g in scene.state.reply.gestures]


def test_a_big_video_is_kept_small_and_decoded_once(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance.avatar import media

    video = write_video(tmp_path / "big.mp4", size=(320, 180))
    monkeypatch.setattr(media, "CLIP_BYTES", 6 * 80 * 45 * 3)  # six frames of 80x45
    clip = media.decode_clip(video, max_size=(1000, 1000))
    assert clip is not None and len(clip.frames) == 6
    assert clip.size[0] * clip.size[1] <= 80 * 45 + 200  # shrunk to fit, aspect kept
    assert abs(clip.size[0] / clip.size[1] - 16 / 9) < 0.1
    thread = media.preload([video], (200, 100))
    assert thread is not None
    thread.join(5)
    assert media.load_clip(video, (200, 100)) is media.load_clip(video, (200, 100))


def test_the_offline_video_plays_the_answer_video(tmp_path: Path) -> None:
    from appliance.avatar.video import render_reply_video

    video = write_video(tmp_path / "clip.webm", fourcc="VP80")
    out = render_reply_video(tmp_path / "demo.mp4", np.zeros(8_000, np.int16), 16_000,
                             [VisemeCue("aa", 0.1, 0.4)], text="Look at this.",
                             size=(180, 320), fps=10, media=video, lead_in_s=0.0)
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    x, y, w, h = layout_for(180, 320).media
    middle = [f[y + h // 2 - 4 : y + h // 2 + 4, x + w // 2 - 4 : x + w // 2 + 4]
              .reshape(-1, 3).mean(axis=0) for f in frames[:6]]
    for i, mean in enumerate(middle):  # frame i of the answer's video at i / 10 s
        assert np.abs(mean - np.array(COLOURS[i])).sum() < 60, (i, mean)


def test_the_live_avatar_plays_a_pack_video_named_by_the_answer() -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    kiosk = SimpleNamespace(
        engines=SimpleNamespace(qa=SiteQa(pack)),
        pipeline=SimpleNamespace(on_frame=lambda _cb: None),
        speaker=SimpleNamespace(listeners=[], log=SimpleNamespace(started_at=None),
                                position=0.0))
    avatar = LiveAvatar(AvatarSettings(width=PORTRAIT[0], height=PORTRAIT[1], fps=5,
                                       window=False, mjpeg_port=0), sinks=[])
    avatar.attach(kiosk)  # type: ignore[arg-type]
    avatar._apply(Transcript("can i just tap my bank card at the gate"), 49.0)
    avatar._apply(Reply("Yes. Tap the same card.", "ticket_purchase",
                        source="faq:tickets-contactless-gate",
                        media=["media/tap-card-gate.mp4"]), 50.0)
    scene = avatar.scene
    assert scene.showing_media  # the pack's relative path, found in the pack
    a, b = scene.render(50.1).copy(), scene.render(51.4).copy()
    assert np.abs(inner(scene, a).astype(int) - inner(scene, b).astype(int)).mean() > 3


# --- the pack's own video ----------------------------------------------------------------


def _maker() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "models" / "sitepacks" / "make_metro_video.py"
    spec = importlib.util.spec_from_file_location("make_metro_video", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_metro_demo_video_is_ours_small_and_attached() -> None:
    maker = _maker()
    path = bundled_sitepack_dir() / "media" / "tap-card-gate.mp4"
    assert path.stat().st_size < 300_000
    info = probe_video(path)
    assert info is not None
    assert (info.frames, info.width, info.height) == (maker.FRAMES, maker.W, maker.H)
    assert info.seconds == pytest.approx(maker.SECONDS, abs=0.1)
    clip = decode_clip(path)
    assert clip is not None
    for i in (0, 16, 24):  # the committed file is what the script draws
        assert np.abs(clip.frames[i].astype(int) - maker.frame_at(i / maker.FPS)).mean() < 4
    pack = load_sitepack(bundled_sitepack_dir())
    entry = next(e for e in pack.faq if e.id == "tickets-contactless-gate")
    assert entry.media == ["media/tap-card-gate.mp4"]
    answer = SiteQa(pack).answer("can i just tap my bank card at the gate",
                                 NluResult("ticket_purchase", 0.9, {}), DialogContext())
    assert answer.source == "faq:tickets-contactless-gate"
    assert answer.media == ["media/tap-card-gate.mp4"]
    assert answer.show is None  # its own video plays, not the ticket machines' plan


# --- pointing at the card ------------------------------------------------------------------


def skin(frame: np.ndarray) -> np.ndarray:
    diff = np.abs(frame.astype(np.int16) - np.array(d.SKIN, np.int16)).sum(axis=-1)
    return diff < 30


def between_avatar_and_card(scene: Scene) -> tuple[slice, slice]:
    """Rows and columns on the card's side of the avatar, outside the card and the face:
    portrait, above the card and right of the face; landscape, between the two."""
    lay = scene.layout
    hx, hy = lay.head
    s = lay.scale
    x, y, _w, h = lay.media
    if lay.portrait:
        return slice(int(hy), y), slice(int(hx + 250 * s), lay.width)
    return slice(y, y + h), slice(int(hx + 300 * s), x)


@pytest.mark.parametrize("size", [(540, 960), (960, 540)])
def test_the_avatar_points_at_the_card_near_the_start(tmp_path: Path,
                                                      size: tuple[int, int]) -> None:
    card = np.full((300, 560, 3), (40, 160, 40), np.uint8)
    path = tmp_path / "map.png"
    cv2.imwrite(str(path), card)
    scene = Scene(size)
    scene.set_mode("idle")
    scene.show_media(path)
    text = "Here is the map of the station, with every exit marked in yellow."
    scene.speak(1.0, [VisemeCue("aa", 0.2, 0.6)], text, duration=3.0)
    assert scene.state.reply is not None
    cues = [g for g in scene.state.reply.gestures if g.kind == "point_media"]
    assert len(cues) == 1 and cues[0].apex < 0.6  # once, on the first words
    cue = cues[0]
    rows, cols = between_avatar_and_card(scene)
    before = scene.render(1.0 + cue.start - 0.05).copy()
    during = scene.render(1.0 + cue.apex + 0.4).copy()
    after = scene.render(1.0 + cue.end + 0.1).copy()
    assert skin(before)[rows, cols].sum() == 0
    assert skin(after)[rows, cols].sum() == 0
    assert skin(during)[rows, cols].sum() > 150 * (size[0] * size[1]) / (540 * 960)
    # the hand stays in the frame and off the card: the card is the same as before
    edge = max(2, size[0] // 100)
    assert not skin(during)[:, :edge].any() and not skin(during)[:, -edge:].any()
    assert scene._card is not None
    img, x, y = scene._card
    h, w = img.shape[:2]
    assert np.array_equal(during[y : y + h, x : x + w], before[y : y + h, x : x + w])


@pytest.mark.parametrize("size", [(540, 960), (1080, 1920), (960, 540), (768, 1024)])
def test_the_pointing_hand_stays_outside_the_card(size: tuple[int, int]) -> None:
    from appliance.avatar.arms import fingertips

    lay = layout_for(*size)
    g = toward_panel(lay)
    hand, side = (g.right, 1) if g.right is not None else (g.left, -1)
    assert hand is not None
    pts = fingertips(hand, side)
    left, top, right, bottom = panel_rect(lay)
    inside = (pts[:, 0] > left) & (pts[:, 0] < right) & (pts[:, 1] > top) & (pts[:, 1] < bottom)
    assert not inside.any()
    # ...and points at it: the fingers run toward the card's side
    if lay.portrait:
        assert 60 < hand.angle_deg < 120
    else:
        assert abs(hand.angle_deg) < 30


def test_a_drawn_or_video_answer_gets_the_point_and_a_direction_is_kept(tmp_path: Path) -> None:
    scene = Scene(PORTRAIT)
    out = AvatarOutput(scene, clock=lambda: 5.0)
    out.handle(Reply("Here it is.", media=[str(write_video(tmp_path / "v.mp4"))]))
    pcm = np.zeros(22_050, np.int16)
    out.handle(Visemes([VisemeCue("aa", 0.2, 0.6)], offset=0.0))
    out.handle(SpeechAudio(pcm, 22_050, "Here it is.", 0.0, [PhonemeTiming("h", 0.2, 0.3)]))
    out.playback_started(at=5.0)
    assert scene.state.reply is not None
    assert [g.kind for g in scene.state.reply.gestures].count("point_media") == 1
    # an answer with a direction early on: the direction stays, the point comes after it
    text = "Turn left after the gates, then the lift is on the map, next to Exit A."
    words = word_timings(text, [], 5.0)
    cues = plan_gestures(words, media=True)
    kinds = [g.kind for g in cues if g.kind != "nod"]
    assert kinds[:2] == ["point_left", "point_media"]
    left, media = cues[0], cues[1]
    assert media.start >= left.end
    assert plan_gestures(words, media=False) == [left]


# --- the site pack check ---------------------------------------------------------------


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval", "train"))
    return dst


def _errors(root: Path) -> list[str]:
    _pack, problems = check_sitepack(root)
    return [str(p) for p in problems if p.severity == "error"]


def test_the_bundled_pack_s_media_all_read() -> None:
    assert _errors(bundled_sitepack_dir()) == []


def test_the_check_catches_missing_and_unreadable_media(pack_copy: Path) -> None:
    (pack_copy / "media" / "tap-card-gate.mp4").write_bytes(b"not a video" * 100)
    (pack_copy / "media" / "network-map.png").unlink()
    png = (pack_copy / "media" / "exits-map.png").read_bytes()
    (pack_copy / "media" / "exits-map.png").write_bytes(png[:200])  # a truncated PNG
    errors = _errors(pack_copy)
    assert any("tap-card-gate.mp4' is not a video this kiosk can play" in e for e in errors)
    assert any(e.startswith("faq.yaml:") and "tap-card-gate.mp4" in e for e in errors)
    assert any("network-map.png' does not exist" in e for e in errors)
    assert any("exits-map.png' cannot be decoded" in e for e in errors)


def test_the_trees_point_screen_points_at_the_card_while_one_shows(tmp_path: Path) -> None:
    # in portrait the screen-pointing hand would be drawn behind the card, unseen
    card = np.full((300, 560, 3), (40, 160, 40), np.uint8)
    path = tmp_path / "map.png"
    cv2.imwrite(str(path), card)
    shown, bare = Scene((540, 960)), Scene((540, 960))
    for scene in (shown, bare):
        scene.set_mode("idle")
    shown.show_media(path)
    for scene in (shown, bare):
        scene.perform("point_screen", 1.0)
    assert shown.state._performed is not None and shown.state._performed.kind == "point_media"
    assert bare.state._performed is not None and bare.state._performed.kind == "point_screen"
    rows, cols = between_avatar_and_card(shown)
    assert skin(shown.render(1.0 - 0.05).copy())[rows, cols].sum() == 0
    assert skin(shown.render(2.0).copy())[rows, cols].sum() > 150
