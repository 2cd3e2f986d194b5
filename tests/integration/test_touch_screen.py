"""Touch and text on the screens, with real input events: a headless Chromium clicks the
preview page's suggestion button, types a question and touches a place on the station
plan; SDL events touch ``kiosk display``'s buttons. The kiosk answers through the whole
loop (keyword NLU, the site's QA and dialogue, scripted safety, fake voice)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.avatar.answer_map import PlanView
from appliance.avatar.sinks.mjpeg import MjpegPreview
from appliance.avatar.touch.desk import TouchDesk, mount_touch
from appliance.avatar.touch.plan import NO_PLACE
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.fake import FakeSafety
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.frames import Frame, Reply, Safety, Transcript
from appliance.settings import Settings
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from tests.integration.browser import Browser, find_browser

FIRE = "there is a fire on the platform"
TOILETS = "The toilets are on the concourse"


class Station:
    """A kiosk whose pipeline runs on this loop, its stream and touch desk on a port."""

    def __init__(self) -> None:
        pack = load_sitepack(bundled_sitepack_dir())
        engines = Engines(FakeVad(), FakeAsr(), KeywordNlu(pack), SiteQa(pack),
                          FakeTts(16_000), PhonemeLipSync(),
                          safety=FakeSafety({FIRE: Safety("confirm", "fire_smoke", 0.7)}))
        self.kiosk = Kiosk(Settings(), engines, SimMicrophone(np.zeros(0, np.int16),
                                                              realtime=False),
                           SimSpeaker(16_000, realtime=False))
        self.replies: list[Reply] = []
        self.heard: list[Transcript] = []
        self.kiosk.pipeline.on_frame(self._keep)
        self.stream = MjpegPreview()
        self.stream.write(np.zeros((96, 54, 3), np.uint8), 0.0)
        desk = mount_touch(self.kiosk, [self.stream])
        assert isinstance(desk, TouchDesk)
        self.desk = desk

    async def __aenter__(self) -> Station:
        await self.kiosk.pipeline.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kiosk.pipeline.stop()
        await self.kiosk.speaker.close()
        self.stream.close()

    def _keep(self, frame: Frame) -> None:
        if isinstance(frame, Reply):
            self.replies.append(frame)
        elif isinstance(frame, Transcript):
            self.heard.append(frame)


def _post(port: int, body: bytes, ctype: str = "application/json",
          path: str = "/touch/ask") -> tuple[int, dict[str, Any]]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body, {"Content-Type": ctype})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


async def test_the_desk_refuses_bad_input_and_never_falls_over() -> None:
    async with Station() as station:
        await _refuses(station)


async def _refuses(station: Station) -> None:
    port = station.stream.port
    cases = [(b'{"text": ""}', "type a question"),
             (json.dumps({"text": "x" * 501}).encode(), "too long"),
             (b'{"text": "exit\\u0007"}', "cannot be shown"),
             (b"not json", "not JSON"), (b"[1, 2]", "JSON object"),
             (b'{"text": "hi", "source": "voice"}', "source")]
    for body, says in cases:
        status, answer = await asyncio.to_thread(_post, port, body)
        assert status == 400 and says in answer["error"], (body, answer)
    status, _ = await asyncio.to_thread(_post, port, b'{"text": "hi"}', "text/plain")
    assert status == 415
    assert not station.replies, "a refused question reached the kiosk"
    status, answer = await asyncio.to_thread(_post, port, b'{"text": "where are the toilets"}')
    assert status == 202 and answer["turn"] == 1


@pytest.mark.slow
@pytest.mark.skipif(find_browser() is None, reason="no Chromium (make setup installs it)")
async def test_a_browser_touches_a_suggestion_and_types_a_question() -> None:
    async with Station() as station:
        await _browse(station)


async def _browse(station: Station) -> None:
    url = f"http://127.0.0.1:{station.stream.port}/touch"

    def visitor() -> tuple[str, str, str]:
        with Browser() as page:
            page.open(url)
            page.wait_for("document.body.dataset.ready === '1'")
            page.click("#suggestions button:nth-child(4)")  # "Toilets"
            toilets = page.wait_for(f"(() => {{ const t = document.getElementById('reply')"
                                    f".textContent; return t.startsWith({TOILETS!r}) && t; }})()")
            page.click("#question")
            page.type(FIRE)
            page.click("#ask")
            danger = page.wait_for("(() => { const t = document.getElementById('reply')"
                                   ".textContent; return t.includes('?') && t; })()")
            page.click("#ask")  # an empty box: refused on the page, nothing crashes
            refused = page.wait_for("document.getElementById('notice').textContent")
            return toilets, danger, refused

    toilets, danger, refused = await asyncio.to_thread(visitor)
    assert [r.asked.source for r in station.replies] == ["touch", "text"]
    assert station.replies[0].text == toilets and toilets.startswith(TOILETS)
    assert station.replies[1].text == danger
    dialog = station.kiosk.dialog
    assert dialog is not None and dialog.pending is not None
    assert dialog.pending.kind == "confirm_danger", "the typed danger skipped the safety path"
    assert "type a question" in refused


# --- the station plan ------------------------------------------------------------------------

OFF_PLACES = (250.0, 470.0)
"""A point of the plan (its own units) on no place: between Exit B and the machines."""


def _plan_point(station: Station, place_id: str | None, size: tuple[int, int]
                ) -> tuple[float, float]:
    """Where a place (None: :data:`OFF_PLACES`) is drawn on the plan at ``size``."""
    plan = station.desk.plan
    assert plan is not None
    place = plan.plan.place(place_id) if place_id else None
    return PlanView.fit(plan.plan, size).at(place.centre if place else OFF_PLACES)


async def _until(check: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_touch_on_the_plan_asks_the_kiosk_about_the_place() -> None:
    """Through the real ask path: the lift touched on the plan is asked as a touch, and
    the kiosk's answer shows the lift on the plan; a touch on no place asks nothing."""
    async with Station() as station:
        port, size = station.stream.port, (704, 422)
        x, y = _plan_point(station, None, size)
        request = {"x": x, "y": y, "w": size[0], "h": size[1]}
        status, answer = await asyncio.to_thread(
            _post, port, json.dumps(request).encode(), path="/touch/plan")
        assert (status, answer) == (200, {"turn": None, "hint": NO_PLACE})
        x, y = _plan_point(station, "lift", size)
        request.update(x=x, y=y)
        status, answer = await asyncio.to_thread(
            _post, port, json.dumps(request).encode(), path="/touch/plan")
        assert status == 202 and answer["place"] == "lift"
        assert answer["question"] == "Where is the lift?"
        await _until(lambda: bool(station.replies))
        reply = station.replies[0]
        assert [(t.text, t.asked.source) for t in station.heard] == \
            [("Where is the lift?", "touch")]
        assert reply.asked.source == "touch" and reply.turn_id == answer["turn"]
        assert reply.show is not None and reply.show.place == "lift"
        for bad in ({**request, "x": -1}, {**request, "w": 10}, {**request, "y": "1"},
                    {**request, "sign": "yes"}):
            status, answer = await asyncio.to_thread(
                _post, port, json.dumps(bad).encode(), path="/touch/plan")
            assert status == 400 and answer["error"], bad
        assert len(station.replies) == 1, "a bad touch reached the kiosk"


@pytest.mark.slow
@pytest.mark.skipif(find_browser() is None, reason="no Chromium (make setup installs it)")
async def test_a_browser_touches_a_place_on_the_plan_and_reads_the_reply_large() -> None:
    async with Station() as station:
        await _browse_plan(station)


async def _browse_plan(station: Station) -> None:
    url = f"http://127.0.0.1:{station.stream.port}/touch"

    def touch_plan(page: Browser, place_id: str | None) -> None:
        """A real click where the page shows a place (None: on no place)."""
        page.eval("document.getElementById('plan-image').scrollIntoView({block: 'center'})")
        w, h = page.eval("plan")
        r = page.eval("(() => { const r = document.getElementById('plan-image')"
                      ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
        x, y = _plan_point(station, place_id, (w, h))
        page.click_at(r[0] + x * r[2] / w, r[1] + y * r[3] / h)

    def visitor() -> tuple[str, str, str, float]:
        with Browser() as page:
            page.open(url)
            page.wait_for("document.body.dataset.ready === '1'")
            page.click("#plan-button")
            page.wait_for("document.getElementById('plan-image').dataset.loaded === '1'")
            touch_plan(page, None)
            hint = page.wait_for("document.getElementById('notice').textContent")
            touch_plan(page, "lift")
            reply = page.wait_for("(() => { const t = document.getElementById('reply')"
                                  ".textContent; return t.length > 1 && t; })()")
            asked = page.eval("document.getElementById('notice').textContent")
            px = page.eval("parseFloat(getComputedStyle(document.getElementById('reply'))"
                           ".fontSize)")
            return hint, reply, asked, px

    hint, reply, asked, px = await asyncio.to_thread(visitor)
    assert hint == NO_PLACE
    assert asked == "You asked: Where is the lift?"
    assert [(t.text, t.asked.source) for t in station.heard] == [("Where is the lift?", "touch")]
    assert len(station.replies) == 1 and station.replies[0].text == reply
    assert station.replies[0].show is not None and station.replies[0].show.place == "lift"
    assert px >= 32  # the reply in large text (the page's 2rem)
