"""Rendered frames checked by their pixels: lips, gaze, subtitles in any script, screens."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from appliance.avatar import draw as d
from appliance.avatar.fonts import cjk_font_path, load_font, renders_notdef
from appliance.avatar.scene import Scene
from appliance.avatar.sinks import MemorySink
from appliance.avatar.subtitles import SubtitleTrack
from appliance.avatar.sync import mouth_box, mouth_openness
from appliance.avatar.video import render_frames
from appliance.frames import VisemeCue
from appliance.sitepack.screens import ScreenLines

SIZE = (540, 960)  # half the kiosk's portrait screen: same layout, quicker tests


def mouth_area(frame: np.ndarray) -> float:
    x, y, w, h = mouth_box(SIZE)
    return float(mouth_openness(frame[None, y : y + h, x : x + w])[0])


def iris_x(frame: np.ndarray, scene: Scene) -> float:
    """Mean x of iris-coloured pixels around the eyes."""
    hx, hy = scene.layout.head
    s = scene.layout.scale
    y0, y1 = int(hy - 60 * s), int(hy + 40 * s)
    x0, x1 = int(hx - 160 * s), int(hx + 160 * s)
    crop = frame[y0:y1, x0:x1].astype(np.int16)
    mask = np.abs(crop - np.array(d.IRIS, np.int16)).sum(axis=-1) < 40
    _ys, xs = np.nonzero(mask)
    assert len(xs) > 20, "no iris visible"
    return float(xs.mean())


@pytest.fixture(scope="module")
def talking() -> Scene:
    scene = Scene(SIZE)
    cues = [VisemeCue("sil", 0.0, 0.4), VisemeCue("aa", 0.4, 0.8), VisemeCue("PP", 0.8, 1.1),
            VisemeCue("O", 1.1, 1.4), VisemeCue("sil", 1.4, 2.0)]
    scene.speak(0.0, cues, "Hello there, welcome.", duration=2.0)
    return scene


@pytest.mark.parametrize(("t", "viseme"), [(0.6, "aa"), (1.25, "O")])
def test_mouth_opens_for_open_visemes(talking: Scene, t: float, viseme: str) -> None:
    closed = mouth_area(talking.render(0.2).copy())
    opened = mouth_area(talking.render(t).copy())
    assert opened > 200, f"{viseme}: mouth not open ({opened} px)"
    assert opened > 10 * (closed + 1)


@pytest.mark.parametrize("t", [0.2, 0.95, 1.8])
def test_mouth_closes_for_closed_visemes(talking: Scene, t: float) -> None:
    assert mouth_area(talking.render(t).copy()) < 20


def test_gaze_moves_toward_the_bearing() -> None:
    scene = Scene(SIZE)
    xs = {}
    for bearing in (-45.0, 0.0, 45.0):
        scene.look_at(bearing, t=10.0)
        xs[bearing] = iris_x(scene.render(12.0).copy(), scene)  # settled, eyes open
    assert xs[-45.0] + 4 < xs[0.0] < xs[45.0] - 4


@pytest.mark.skipif(cjk_font_path() is None, reason="fonts-noto-cjk is not installed")
@pytest.mark.parametrize(("lang", "text"), [("zh", "你好洗手间"), ("ja", "こんにちは"),
                                            ("ko", "안녕하세요")])
def test_cjk_glyphs_are_real_not_notdef(lang: str, text: str) -> None:
    font = load_font(40, lang)
    for ch in text:
        assert not renders_notdef(font, ch), f"{ch!r} renders as .notdef"


def test_notdef_check_catches_tofu() -> None:
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not dejavu.exists():
        pytest.skip("DejaVu not installed")
    assert renders_notdef(ImageFont.truetype(str(dejavu), 40), "你")


@pytest.mark.skipif(cjk_font_path() is None, reason="fonts-noto-cjk is not installed")
def test_cjk_subtitle_band_draws_ink_and_highlights_in_time() -> None:
    track = SubtitleTrack("你好！洗手间在左边。", 540, 150, 32, "zh")
    band0, band3 = np.zeros((150, 540, 3), np.uint8), np.zeros((150, 540, 3), np.uint8)
    track.draw(band0, 0)
    track.draw(band3, 3)
    accent = np.abs(band3.astype(np.int16) - np.array(d.ACCENT, np.int16)).sum(axis=-1) < 30
    ink = np.abs(band0.astype(np.int16) - np.array(d.PANEL, np.int16)).sum(axis=-1) > 60
    assert ink.sum() > 500
    assert accent.sum() > 300  # the current word sits on its pill
    x0, _, x1, _ = track.tokens[track.token_for_word(3)].box
    cols = np.nonzero(accent.any(axis=0))[0]
    assert x0 <= cols.min() and cols.max() <= x1


def test_words_highlight_follows_the_audio_clock(talking: Scene) -> None:
    assert talking.state.current_word(0.0) <= 0
    assert talking.state.current_word(1.9) == 2


def test_out_of_service_screen_is_static_and_clear() -> None:
    scene = Scene(SIZE)
    scene.set_mode("out_of_service", reason="tts-failed")
    a, b = scene.render(1.0).copy(), scene.render(5.0).copy()
    assert np.array_equal(a, b)
    accent = np.abs(a.astype(np.int16) - np.array(d.ACCENT, np.int16)).sum(axis=-1) < 30
    assert accent.sum() > 2000  # the warning sign


def test_attract_loop_waves_and_cycles_languages() -> None:
    scene = Scene(SIZE, screens=ScreenLines.for_languages(["en", "zh", "ja", "ko"]))
    scene.set_mode("attract")
    sink = MemorySink()
    for t in (0.5, 2.0, 3.5):
        sink.write(scene.render(t), t)
    _x, y, _w, h = scene.layout.subtitles
    assert not np.array_equal(sink.frames[0][y : y + h], sink.frames[2][y : y + h])
    assert not np.array_equal(sink.frames[0][: y], sink.frames[1][: y])  # the wave


def test_media_card_shows_beside_the_avatar(tmp_path: Path) -> None:
    img = np.zeros((200, 300, 3), np.uint8)
    img[:] = (0, 200, 0)
    path = tmp_path / "map.png"
    cv2.imwrite(str(path), img)
    scene = Scene(SIZE)
    scene.show_media(path)
    assert green_pixels(scene.render(1.0)) > 10_000
    scene.show_media(None)
    assert green_pixels(scene.render(1.0)) == 0


def green_pixels(frame: np.ndarray) -> int:
    diff = np.abs(frame.astype(np.int16) - np.array([0, 200, 0], np.int16)).sum(-1)
    return int((diff < 10).sum())


def test_landscape_layout_renders() -> None:
    scene = Scene((960, 540))
    sink = MemorySink()
    render_frames(scene, sink, 3, 30)
    assert sink.frames[0].shape == (540, 960, 3)


def test_the_word_highlight_keeps_the_spaces_around_it() -> None:
    track = SubtitleTrack("The toilets are on your left", 540, 150, 32, "en")
    band = np.zeros((150, 540, 3), np.uint8)
    track.draw(band, 1)
    accent = np.abs(band.astype(np.int16) - np.array(d.ACCENT, np.int16)).sum(axis=-1) < 30
    cols = np.nonzero(accent.any(axis=0))[0]
    before, word, after = track.tokens[0], track.tokens[1], track.tokens[2]
    ink = [(t.box[0] + track.hpad, t.box[2] - track.hpad) for t in (before, word, after)]
    left_mid = (ink[0][1] + ink[1][0]) / 2  # the middle of each space stays panel colour
    right_mid = (ink[1][1] + ink[2][0]) / 2
    assert left_mid < cols.min() and cols.max() < right_mid, (cols.min(), cols.max(), ink)
