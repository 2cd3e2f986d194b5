"""Expressive style (text + prosody) and the five-step announcement pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.errors import InputError
from appliance.frames import Emotion
from appliance.language.announce import load_notice, make_script, make_script_steps
from appliance.language.style import PROSODY, choose_style, prosody_for, rewrite
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack

NOTICES = bundled_sitepack_dir() / "notices"


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


def test_style_follows_emotion() -> None:
    assert choose_style(Emotion("anxious", -0.4, 0.8), "route_planning") == "calm"
    assert choose_style(Emotion("frustrated", -0.6, 0.7), "refund") == "apologetic"
    assert choose_style(Emotion("happy", 0.7, 0.6), "thanks") == "cheerful"
    assert choose_style(Emotion("neutral"), "emergency") == "urgent"


def test_cheerful_ends_a_statement_brightly_and_leaves_a_question_a_question() -> None:
    assert rewrite("The lift is past exit B.", "cheerful") == "The lift is past exit B!"
    asked = "You're welcome! Is there anything else I can help you with?"
    assert rewrite(asked, "cheerful") == asked  # never "...with?!"


def test_gentle_says_sorry_once() -> None:
    assert rewrite("Please report it at Exit B.", "gentle").startswith("I'm sorry to hear that.")
    sorry = "I'm sorry. Please report it at Exit B."
    assert rewrite(sorry, "gentle") == sorry


def test_styles_differ_measurably_in_prosody() -> None:
    calm, neutral, urgent = prosody_for("calm"), prosody_for("neutral"), prosody_for("urgent")
    assert calm.length_scale > neutral.length_scale > urgent.length_scale  # slower when calm
    assert calm.volume < neutral.volume < urgent.volume
    assert len({(p.length_scale, p.volume) for p in PROSODY.values()}) == len(PROSODY)


def test_text_rewriting() -> None:
    long = ("Take Line 3 towards Greenfield as far as Union Station, then change to Line 4 "
            "towards Zoo. That's 4 stops, about 12 minutes. Note: minor delays on Line 3.")
    brief = rewrite(long, "apologetic")
    assert brief.startswith("I'm sorry") and "Note:" not in brief  # brief and apologetic
    calm = rewrite(long, "calm")
    assert calm.startswith("Don't worry") and calm.count(".") > long.count(".")  # shorter
    assert rewrite("Okay.", "calm", "stop") == "Okay."


def test_announcement_steps(pack: SitePack) -> None:
    steps = make_script_steps(load_notice(NOTICES / "l3-signal-fault.json"), pack)
    assert steps["gather"]["location"] == "Union Station"  # ids resolved to names
    roles = [role for role, _ in steps["order"]]
    assert roles.index("headline") < roles.index("effect") < roles.index("advice")
    assert any(c.startswith("Instead,") for c in steps["link"])
    assert "10 am" in steps["smooth"] and ", because of a signal fault" in steps["smooth"]
    script = steps["script"]
    assert script.startswith(pack.manifest.style.opening)
    assert script.endswith(pack.manifest.style.closing)


def test_site_style_replacements(pack: SitePack, tmp_path: Path) -> None:
    notice = {"line": "l2", "kind": "disruption", "effect": "no subway trains at Stadium"}
    assert "no metro trains at Stadium" in make_script(notice, pack)


def test_bad_notice_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "n.json"
    bad.write_text('{"line": "l1",\n "effect": }')
    with pytest.raises(InputError, match=":2:"):
        load_notice(bad)
    bad.write_text(json.dumps({"line": "l1"}))
    with pytest.raises(InputError):
        load_notice(bad)
