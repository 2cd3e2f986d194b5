"""Danger cue words: a recall booster that can raise ``confirm``, never ``alert``.

A frightened visitor may only manage one word, possibly in their own language
("socorro!"), which a sentence encoder trained on English cannot read. A cue makes
the kiosk ask ("Is someone in danger right now?"); the answer, or silence, decides.
Cues are matched on whole words of the lower-cased text (CJK cues as substrings).
"""

from __future__ import annotations

import re

from appliance.frames import Safety

ENGLISH_CRY = {"help", "me", "please", "somebody", "someone", "anyone", "anybody", "now",
               "oh", "god", "quick", "quickly", "us", "i", "need", "urgent", "urgently"}
"""A short utterance made only of these words, with "help" in it, is a cry for help
("help!", "somebody help me please"); "can you help me find the toilet" is not."""
CRIES = {
    # a bare cry for help in the languages of visitors (English: see ENGLISH_CRY)
    "socorro", "ayuda", "auxilio", "au secours", "à l'aide", "a l'aide", "aidez moi",
    "aidez-moi", "hilfe", "aiuto", "pomoc", "pomocy", "помогите", "помощь", "imdad",
    "bachao", "bachaao", "tasukete", "yardım", "yardim", "imdat", "saidia", "tulong",
    "tolong", "cứu", "cuu toi", "help mij", "hjälp", "hjelp", "βοήθεια", "النجدة",
    "ساعدوني", "הצילו",
    # danger words of the visitors' own languages (es, pt, fr, de, it): the English
    # encoder cannot read them, so they ask whatever the model says (Spanish ones that
    # name a danger are in FOREIGN_DANGER, with their category)
    "médico", "medico", "ambulância", "ambulance vite", "policía", "policia",
    "polizei", "incêndio", "feu", "feuer", "sangre",
    "urgence", "pompiers", "un médecin", "il est tombé", "elle est tombée", "on me suit",
    "couteau", "notarzt", "krankenwagen", "verfolgt", "messer", "ich will nicht mehr leben",
    "brennt", "soccorso", "ambulanza", "aiutatemi", "mi segue", "coltello",
    "socorre", "ajuda", "me ajude", "fogo", "pomogite",
}
FOREIGN_DANGER = {
    # a danger named in the visitor's own language, calmly, with no cry in it
    # (a child, never a bare "perdido": "he perdido mi cartera" is lost property)
    "lost_child": {"mi hijo se perdió", "mi hija se perdió", "se perdió mi hijo",
                   "se perdió mi hija", "perdí a mi hijo", "perdí a mi hija",
                   "he perdido a mi hijo", "he perdido a mi hija", "no encuentro a mi hijo",
                   "no encuentro a mi hija", "niño perdido", "niña perdida",
                   "j'ai perdu mon fils", "j'ai perdu ma fille", "ich finde mein kind nicht",
                   "mein kind ist weg"},
    "suspicious_item": {"sac abandonné", "bagage abandonné", "colis suspect",
                        "colis abandonné", "bolsa abandonada", "mochila abandonada",
                        "maleta abandonada", "paquete sospechoso", "herrenloser koffer",
                        "herrenlose tasche", "verdächtiges paket", "borsa abbandonata",
                        "valigia abbandonata", "pacco sospetto", "mala abandonada",
                        "pacote suspeito", "paquete abandonado", "bolso abandonado",
                        "objeto abandonado", "bulto sospechoso", "objeto sospechoso"},
    # Spanish: the danger named, so the alert gives that danger's safe instruction (the
    # English encoder reads "hay humo en el andén" as a bare cry for help)
    "fire_smoke": {"hay humo", "sale humo", "mucho humo", "huele a humo", "huele a quemado",
                   "fuego", "incendio", "se está quemando", "hay llamas"},
    # (no bare "en la vía": "¿sale de la vía 2?" is a platform)
    "trapped_or_track": {"en las vías", "a las vías", "se ha caído a la vía",
                         "se cayó a la vía", "atrapado", "atrapada",
                         "atascado en el ascensor", "atrapado en el ascensor"},
    "medical": {"se ha desmayado", "desmayado", "desmayada", "desmayó", "inconsciente",
                "no respira", "ambulancia", "infarto", "sangrando"},
    "threat_violence": {"cuchillo", "pistola", "pelea", "me están pegando", "pegando"},
    "harassment": {"me siguen", "me está siguiendo", "me acosa", "me está acosando"},
    "self_harm": {"no quiero vivir", "quiero morir", "quiero suicidarme"},
}
CRIES_CJK = {"救命", "帮帮我", "幫幫我", "救救我", "助けて", "たすけて", "도와주세요", "살려주세요",
             "살려줘"}
DANGER_WORDS = {
    # words that are rarely idle in a station; the model decides, these only ask
    "threat_violence": {"knife", "gun", "stabbed", "stabbing", "shooting", "attacked",
                        "attacking", "assault", "assaulted", "fight", "fighting", "punched",
                        "robbed", "mugged", "weapon", "beating", "hitting"},
    "medical": {"collapsed", "unconscious", "not breathing", "heart attack", "seizure",
                "fainted", "passed out", "bleeding", "ambulance", "chest pain", "overdose",
                "choking", "stroke", "can't breathe", "cannot breathe", "in labour",
                "in labor", "waters broke", "epileptic", "allergic reaction", "anaphylactic"},
    "fire_smoke": {"smoke", "burning", "flames", "on fire", "smell of burning", "gas leak"},
    "trapped_or_track": {"on the tracks", "on the track", "onto the tracks", "fell onto",
                         "fell off the platform", "trapped", "stuck in the lift",
                         "stuck in the elevator", "stuck in the door", "caught in the door"},
    "suspicious_item": {"unattended bag", "suspicious package", "suspicious bag",
                        "abandoned bag", "left a bag", "bomb", "ticking"},
    "lost_child": {"lost my child", "lost my son", "lost my daughter", "lost my kid",
                   "can't find my son", "can't find my daughter", "can't find my child",
                   "can't find my kid", "lost child", "missing child"},
    "harassment": {"following me", "followed me", "being followed", "harassing",
                   "harassed", "groped", "touched me", "stalking", "flashed"},
    "self_harm": {"kill myself", "end my life", "want to die", "suicide", "suicidal",
                  "jump in front", "don't want to live", "hurt myself", "end it all"},
}
_FOREIGN = {c for words in FOREIGN_DANGER.values() for c in words}
_WORD_CUES = [(c, "cry_for_help") for c in CRIES] + \
    [(c, cat) for table in (DANGER_WORDS, FOREIGN_DANGER) for cat, words in table.items()
     for c in words]
_RES = [(re.compile(rf"(?<![\w']){re.escape(c)}(?![\w'])"), c, cat) for c, cat in _WORD_CUES]
_RES.sort(key=lambda r: r[2] == "cry_for_help")  # a named danger before a bare cry
CUE_SCORE = 0.5
"""The score a cue-raised ``confirm`` reports (the model's own score may be lower)."""


def find_cue(text: str) -> tuple[str, str] | None:
    """The first (cue, category) found in ``text``, or None."""
    low = text.lower()
    words = re.findall(r"[\w']+", low)
    if "help" in words and len(words) <= 6 and set(words) <= ENGLISH_CRY:
        return "help", "cry_for_help"
    for cue in CRIES_CJK:
        if cue in low:
            return cue, "cry_for_help"
    for rx, cue, category in _RES:
        if rx.search(low):
            return cue, category
    return None


def foreign_category(text: str) -> str:
    """The danger a foreign cue in ``text`` names ("" for none or a bare cry): the English
    encoder's category for words it cannot read is a guess, the cue's is not."""
    found = find_cue(text)
    if found is None or found[1] == "cry_for_help" or found[0] not in _FOREIGN:
        return ""
    return found[1]


def is_foreign_cry(cue: str) -> bool:
    """A cry the English sentence encoder cannot read: it asks whatever the model says."""
    return cue in CRIES or cue in CRIES_CJK or cue in _FOREIGN


def cue_verdict(text: str) -> Safety:
    """``confirm`` when a cue is in the text, else ``none`` (never ``alert``)."""
    found = find_cue(text)
    if found is None:
        return Safety()
    cue, category = found
    return Safety(action="confirm", category=category, score=CUE_SCORE, cue=cue)
