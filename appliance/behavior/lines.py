"""The dialogue's own fixed lines (questions, safety lines, offers) in the visitor's language.

English is built in; so is Spanish for every line, the safety lines above all (a visitor
in danger is asked and told what to do in the language they spoke). A site pack words
any line in its other languages in ``lang/<code>.yaml`` under ``dialog:`` (keys in
:data:`appliance.sitepack.dialog_lines.DIALOG_KEYS`, instructions as ``safe.<category>``),
which wins over the built-in. A line missing in the visitor's language is said in
English, and that is logged once per language and line.
"""

from __future__ import annotations

import logging

from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

ENGLISH = "en"

BUILT_IN: dict[str, dict[str, str]] = {
    "en": {
        "confirm": "Is someone in danger right now? Say yes and I will call staff immediately.",
        "stood_down": "Okay, I'm glad everyone is safe. How else can I help?",
        "calling": "I'm calling station staff right now; they are on their way.",
        "safe.fire_smoke": "Move away from the smoke towards an exit, and don't use the lifts.",
        "safe.suspicious_item": "Please move well away from it, don't touch it, and keep other "
                                "people back.",
        "safe.trapped_or_track": "Never go down onto the tracks. Press the red emergency button "
                                 "on the platform to stop the trains.",
        "safe.medical": "If you can, stay with the person. Staff are trained in first aid. If it "
                        "is life threatening, call 999 as well.",
        "safe.threat_violence": "Move away to a safe place if you can, and call 999.",
        "safe.lost_child": "Please stay right here so staff can find you. They will ask what the "
                           "child looks like and is wearing.",
        "safe.harassment": "Stay here by the kiosk, near the cameras and other people. Staff are "
                           "coming to you.",
        "safe.self_harm": "I'm really glad you told me. Please stay here with me until they "
                          "arrive. You can also call Samaritans free on 116 123, at any time.",
        "safe.cry_for_help": "Please stay here so they can find you. If anyone is in immediate "
                             "danger, call 999.",
        "offer_staff": "If you need a person, I can call a member of staff to come here. "
                       "Shall I?",
        "declined": "Okay. What else can I help you with?",
        "alert_stays": "All right. Staff are still coming, to make sure everyone is safe. "
                       "Is there anything else I can do for you?",
        "alert_coming": "Yes, station staff are on their way to you now. Please stay here.",
        "never_mind": "No problem. Is there anything else I can help with?",
        "unknown_stop": "I don't know a stop called {place}.",
        "unknown_landmark": "I don't know which exit is best for {place}. The exits are {exits}.",
        "already_here": "You're already at {station}.",
        "did_you_mean": "Did you mean {station}?",
        "network": "The metro has {lines} lines and {stations} stations, for example "
                   "{examples}. Which station would you like?",
        "which_station": "Which station would you like to go to?",
        "apology": "I'm sorry, I'm having trouble answering right now. Please ask a member "
                   "of staff at the service counter.",
    },
    "es": {
        "confirm": "¿Hay alguien en peligro ahora mismo? Diga sí y llamaré al personal "
                   "enseguida.",
        "stood_down": "De acuerdo, me alegro de que todos estén bien. ¿En qué más puedo "
                      "ayudarle?",
        "calling": "Estoy llamando al personal de la estación ahora mismo; ya vienen de camino.",
        "safe.fire_smoke": "Aléjese del humo hacia una salida y no use los ascensores.",
        "safe.suspicious_item": "Por favor, aléjese bien del objeto, no lo toque y mantenga "
                                "apartadas a las demás personas.",
        "safe.trapped_or_track": "Nunca baje a las vías. Pulse el botón rojo de emergencia del "
                                 "andén para detener los trenes.",
        "safe.medical": "Si puede, quédese con la persona. El personal sabe primeros auxilios. "
                        "Si su vida corre peligro, llame también al 999.",
        "safe.threat_violence": "Si puede, vaya a un lugar seguro y llame al 999.",
        "safe.lost_child": "Por favor, quédese aquí para que el personal le encuentre. Le "
                           "preguntarán cómo es el niño y qué ropa lleva.",
        "safe.harassment": "Quédese aquí junto al quiosco, cerca de las cámaras y de otras "
                           "personas. El personal viene hacia usted.",
        "safe.self_harm": "Me alegro mucho de que me lo haya contado. Por favor, quédese aquí "
                          "conmigo hasta que lleguen. También puede llamar gratis a Samaritans "
                          "al 116 123, a cualquier hora.",
        "safe.cry_for_help": "Por favor, quédese aquí para que le encuentren. Si alguien está en "
                             "peligro inmediato, llame al 999.",
        "offer_staff": "Si necesita una persona, puedo llamar a un empleado para que venga "
                       "aquí. ¿Quiere que lo llame?",
        "declined": "De acuerdo. ¿En qué más puedo ayudarle?",
        "alert_stays": "De acuerdo. El personal viene de todos modos, para comprobar que "
                       "todos están bien. ¿Puedo ayudarle en algo más?",
        "alert_coming": "Sí, el personal de la estación ya viene hacia aquí. Quédese aquí, "
                        "por favor.",
        "never_mind": "No pasa nada. ¿Puedo ayudarle en algo más?",
        "unknown_stop": "No conozco ninguna parada llamada {place}.",
        "did_you_mean": "¿Quería decir {station}?",
        "unknown_landmark": "No sé qué salida es la mejor para {place}. Las salidas son {exits}.",
        "already_here": "Ya está en {station}.",
        "network": "El metro tiene {lines} líneas y {stations} estaciones, por ejemplo "
                   "{examples}. ¿A qué estación quiere ir?",
        "which_station": "¿A qué estación quiere ir?",
        "apology": "Lo siento, ahora mismo tengo problemas para responder. Por favor, "
                   "pregunte a un empleado en el mostrador de atención.",
    },
}
"""Language -> key -> line: the lines a pack need not write."""

_warned: set[tuple[str, str]] = set()


def reply_language(pack: SitePack | None, language: str) -> str:
    """The language the kiosk answers ``language`` in: the visitor's when the pack speaks
    it (as :class:`~appliance.engines.qa.site_qa.SiteQa` does), else the pack's own."""
    if pack is None:
        return language or ENGLISH
    if language and (language == pack.language or language in pack.translations):
        return language
    return pack.language


def line(pack: SitePack | None, language: str, key: str, **values: object) -> str:
    """The dialogue line ``key`` in ``language``: the pack's ``dialog:`` line, else the
    built-in one, else English (logged once)."""
    lang = reply_language(pack, language)
    tr = pack.translations.get(lang) if pack is not None else None
    text = (tr.dialog.get(key) if tr is not None else None) or BUILT_IN.get(lang, {}).get(key)
    if text is None:
        if (lang, key) not in _warned:
            _warned.add((lang, key))
            logger.warning("no %s line for the dialogue's '%s' (in lang/%s.yaml dialog: or "
                           "built in): said in English", lang, key, lang)
        text = BUILT_IN[ENGLISH][key]
    return text.format(**values) if values else text
