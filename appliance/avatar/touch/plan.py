"""The station plan on the touch screens: touch a place to ask about it.

The plan is drawn by :func:`appliance.avatar.answer_map.draw_plan` at the size a screen
asks for, and a touch at a pixel of that drawing is matched to a place by
:meth:`~appliance.avatar.answer_map.PlanView.place_at` with the same size: the geometry
the plan is drawn with is the one touches are read with, on the server, for the browser
page and ``kiosk display`` alike. A touch a fingertip away from a place (one label's
height) still counts; a touch on no place asks nothing and gets :data:`NO_PLACE`.

The question a place asks is its ``ask:`` in ``map.yaml``, else one made from its name
(:func:`place_question`), in the pack's own language; the desk asks it in the
conversation's language (:meth:`appliance.app.Kiosk.conversation_language`), so a Spanish
visitor's touch is answered in Spanish.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

from appliance.avatar.answer_map import PlanView, draw_plan
from appliance.errors import InputError
from appliance.sitepack.maps import Place, StationPlan, load_maps
from appliance.sitepack.model import SitePack

MIN_SIDE, MAX_SIDE = 64, 2160
"""The plan is drawn between these sizes (pixels a side): a screen's, not a poster's."""
KEEP_DRAWN = 8
"""Drawn plans kept, by size (one or two screens ask, each at its own size)."""
NO_PLACE = "No place there: touch a box or an exit letter on the plan."


def place_question(pack: SitePack, place: Place) -> str:
    """What touching ``place`` asks: its ``ask:``, "Where is Exit A?" for an exit,
    else "Where is the <name>?"."""
    if place.ask:
        return place.ask
    if place.exit:
        return f"Where is {pack.slot_name('exit', place.exit).split(' (')[0]}?"
    return f"Where is the {place.name}?"


def check_size(w: object, h: object) -> tuple[int, int]:
    """A drawing size from a screen, or :class:`InputError`."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
        raise InputError("the plan's size must be whole pixels")
    size = (int(w), int(h))  # type: ignore[call-overload]
    if not all(MIN_SIDE <= v <= MAX_SIDE for v in size):
        raise InputError(f"the plan's size must be {MIN_SIDE} to {MAX_SIDE} pixels a side")
    return size


@dataclass(frozen=True)
class Touched:
    """A place touched on the plan and the question it asks."""

    place: Place
    question: str


class PlanTouch:
    """The station plan the touch desk serves: drawn per size, touches read per size."""

    def __init__(self, plan: StationPlan, questions: dict[str, str]) -> None:
        self.plan = plan
        self.questions = questions
        """Place id -> the question touching it asks."""
        self._drawn: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_pack(cls, pack: SitePack) -> PlanTouch | None:
        """The pack's plan (``map.yaml``); None when it has none (no plan control)."""
        plan = load_maps(pack).plan
        if plan is None or not plan.places:
            return None
        return cls(plan, {p.id: place_question(pack, p) for p in plan.places})

    def png(self, size: tuple[int, int]) -> bytes:
        """The plan drawn at ``size`` (see :func:`check_size`), as PNG."""
        with self._lock:
            if size in self._drawn:
                self._drawn.move_to_end(size)
                return self._drawn[size]
        out = io.BytesIO()
        draw_plan(self.plan, size).save(out, format="PNG")
        data = out.getvalue()
        with self._lock:
            self._drawn[size] = data
            while len(self._drawn) > KEEP_DRAWN:
                self._drawn.popitem(last=False)
        return data

    def touched(self, x: float, y: float, size: tuple[int, int]) -> Touched | None:
        """The place at pixel (x, y) of the plan drawn at ``size``, if any."""
        place = PlanView.fit(self.plan, size).place_at(x, y)
        if place is None:
            return None
        return Touched(place, self.questions.get(place.id) or f"Where is the {place.name}?")
