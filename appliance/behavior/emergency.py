"""What the kiosk says when someone may be in danger: the question, the alert, the way out.

Every line tells the visitor what is happening (staff are being called) and gives only
safe instructions: move away from smoke or an unattended item, never touch it, never
go down to the tracks. A site pack can override any line with a template
``emergency.<category>`` (or ``emergency.confirm``, ``emergency.stood_down``).
"""

from __future__ import annotations

from appliance.sitepack.model import SitePack

CONFIRM = "Is someone in danger right now? Say yes and I will call staff immediately."
STOOD_DOWN = "Okay, I'm glad everyone is safe. How else can I help?"
CALLING = "I'm calling station staff right now; they are on their way."
INSTRUCTIONS = {
    "fire_smoke": "Move away from the smoke towards an exit, and don't use the lifts.",
    "suspicious_item": "Please move well away from it, don't touch it, and keep other people "
                       "back.",
    "trapped_or_track": "Never go down onto the tracks. Press the red emergency button on the "
                        "platform to stop the trains.",
    "medical": "If you can, stay with the person. Staff are trained in first aid. If it is "
               "life threatening, call 999 as well.",
    "threat_violence": "Move away to a safe place if you can, and call 999.",
    "lost_child": "Please stay right here so staff can find you. They will ask what the child "
                  "looks like and is wearing.",
    "harassment": "Stay here by the kiosk, near the cameras and other people. Staff are coming "
                  "to you.",
    "self_harm": "I'm really glad you told me. Please stay here with me until they arrive. You "
                 "can also call Samaritans free on 116 123, at any time.",
    "cry_for_help": "Please stay here so they can find you. If anyone is in immediate danger, "
                    "call 999.",
}


def _template(pack: SitePack | None, case: str) -> str:
    if pack is None:
        return ""
    cases = pack.templates.get("emergency", {})
    return str(cases.get(case, "")) if isinstance(cases, dict) else ""


def confirm_line(pack: SitePack | None) -> str:
    """The one short question asked before calling staff on a doubtful danger."""
    return _template(pack, "confirm") or CONFIRM


def stood_down_line(pack: SitePack | None) -> str:
    """What the kiosk says when the visitor says nobody is in danger."""
    return _template(pack, "stood_down") or STOOD_DOWN


def alert_line(pack: SitePack | None, category: str) -> str:
    """The alert: staff are called, plus the safe thing to do for this kind of danger."""
    line = _template(pack, category)
    if line:
        return line
    return f"{CALLING} {INSTRUCTIONS.get(category, INSTRUCTIONS['cry_for_help'])}"
