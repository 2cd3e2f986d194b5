"""The attract, out-of-service and starting screens speak the site pack's languages.

Real site pack files (copies of the bundled demo, edited), real rendering: each attract
line shown is compared, pixel for pixel, with that line drawn on its own.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from appliance.avatar import draw as d
from appliance.avatar.scene import ATTRACT_LINE_S, Scene
from appliance.avatar.screens import out_of_service_screen, starting_screen
from appliance.avatar.subtitles import SubtitleTrack
from appliance.sitepack import bundled_sitepack_dir, check_sitepack
from appliance.sitepack.loader import read_manifest
from appliance.sitepack.screens import BUILTIN_LINES, ScreenLines

SIZE = (540, 960)
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval"))
    # these tests start from an English-only pack with no screen lines of its own
    text = (dst / "manifest.yaml").read_text()
    text = re.sub(r"(?m)^languages: \[.*$", "languages: [en]", text)
    text = re.sub(r"(?ms)^screens:.*?(?=^files:)", "", text)
    (dst / "manifest.yaml").write_text(text)
    return dst


def _set_manifest(root: Path, old: str, new: str) -> None:
    path = root / "manifest.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def attract_bands(scene: Scene) -> list[np.ndarray]:
    """The subtitle band of every line of one attract cycle, as the screen shows it."""
    scene.set_mode("attract")
    _x, y, _w, h = scene.layout.subtitles
    n = len(scene.screens.attract)
    return [scene.render(ATTRACT_LINE_S * (i + 0.5))[y : y + h].copy() for i in range(n + 1)]


def drawn_alone(scene: Scene, lang: str, text: str) -> np.ndarray:
    """``text`` drawn into an empty subtitle band, as the attract loop draws it."""
    x, _y, w, h = scene.layout.subtitles
    band = np.empty((h, scene.width, 3), np.uint8)
    band[:] = d.PANEL
    SubtitleTrack(text, w, h, scene.layout.font_px, lang).draw(band[:, x : x + w], 10_000,
                                                               highlight=False)
    return band


def test_an_english_only_pack_shows_no_cjk(pack: Path) -> None:
    manifest = read_manifest(pack)
    assert manifest is not None and manifest.languages == ["en"]
    lines = manifest.screen_lines()
    every = [*lines.attract, *lines.out_of_service, *lines.starting]
    assert {lang for lang, _ in every} == {"en"}
    assert not any(CJK.search(text) for _, text in every)
    scene = Scene(SIZE, screens=lines)
    english = drawn_alone(scene, "en", BUILTIN_LINES["attract"]["en"])
    bands = attract_bands(scene)
    assert all(np.array_equal(band, english) for band in bands)  # one line, every slot
    korean = drawn_alone(scene, "ko", BUILTIN_LINES["attract"]["ko"])
    assert not any(np.array_equal(band, korean) for band in bands)


def test_a_pack_with_korean_shows_its_korean_line(pack: Path) -> None:
    _set_manifest(pack, "languages: [en]", "languages: [en, ko]")
    manifest = read_manifest(pack)
    assert manifest is not None
    scene = Scene(SIZE, screens=manifest.screen_lines())
    bands = attract_bands(scene)
    korean = drawn_alone(scene, "ko", BUILTIN_LINES["attract"]["ko"])
    english = drawn_alone(scene, "en", BUILTIN_LINES["attract"]["en"])
    assert np.array_equal(bands[0], english)
    assert np.array_equal(bands[1], korean)  # the loop takes the pack's languages in turn
    assert not any(np.array_equal(b, drawn_alone(scene, "ja", BUILTIN_LINES["attract"]["ja"]))
                   for b in bands)


def test_a_packs_own_line_replaces_the_built_in_one(pack: Path) -> None:
    own = "어서 오세요! 센트럴 스퀘어역입니다."
    _set_manifest(pack, "languages: [en]",
                  f"languages: [en, ko]\nscreens:\n  attract:\n    ko: \"{own}\"")
    manifest = read_manifest(pack)
    assert manifest is not None
    assert manifest.screen_lines().attract[1] == ("ko", own)
    scene = Scene(SIZE, screens=manifest.screen_lines())
    assert np.array_equal(attract_bands(scene)[1], drawn_alone(scene, "ko", own))


def test_scene_takes_the_pack_lines_while_the_attract_loop_runs() -> None:
    scene = Scene(SIZE)
    scene.set_mode("attract")
    ko = ScreenLines.for_languages(["ko"])
    scene.set_screens(ko)  # what LiveAvatar.attach does once the kiosk's pack is known
    _x, y, _w, h = scene.layout.subtitles
    band = scene.render(0.5)[y : y + h]
    assert np.array_equal(band, drawn_alone(scene, "ko", BUILTIN_LINES["attract"]["ko"]))


def test_waiting_screens_differ_by_the_packs_languages() -> None:
    en, ko = ScreenLines.for_languages(["en"]), ScreenLines.for_languages(["en", "ko"])
    assert np.array_equal(out_of_service_screen(*SIZE, lines=en), out_of_service_screen(*SIZE))
    assert not np.array_equal(out_of_service_screen(*SIZE, lines=ko),
                              out_of_service_screen(*SIZE, lines=en))
    assert not np.array_equal(starting_screen(*SIZE, lines=ko), starting_screen(*SIZE, lines=en))


def test_pack_check_reports_screen_problems(pack: Path) -> None:
    _set_manifest(pack, "languages: [en]",
                  "languages: [en, fr]\nscreens:\n  attract:\n    de: Hallo!\n  lobby: {en: Hi}")
    _pack, problems = check_sitepack(pack)
    found = [str(p) for p in problems if p.file == "manifest.yaml"]
    assert any("error: unknown screen 'lobby'" in p for p in found), found
    assert any("'de' is not one of the pack's languages" in p for p in found), found
    assert any("no attract line for 'fr'" in p for p in found), found
