"""What the kiosk's screens say when nobody is talking, in the site's languages.

A pack may give its own lines in ``manifest.yaml``::

    screens:
      attract: {en: "Hello! Ask me anything.", ko: "안녕하세요! 무엇이든 물어보세요."}
      out_of_service: {en: "Temporarily out of service"}
      starting: {en: "Starting, one moment please"}

Every kind and every language is optional: a language the pack lists but gives no
line for gets the built-in line below, so an English-only pack shows English only and
a pack that adds ``ko`` shows its Korean line without writing one. A language with no
built-in line and none in the pack is left out (``sitepack check`` warns about it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SCREEN_KINDS = ("attract", "out_of_service", "starting")
"""The screens whose lines a pack can set: the invitation while nobody is there, the
out-of-service screen, and "Starting..." while the orchestrator loads."""

BUILTIN_LINES: dict[str, dict[str, str]] = {
    "attract": {
        "en": "Hello! Ask me anything.",
        "es": "¡Hola! Pregúnteme lo que quiera.",
        "zh": "您好！有什么可以帮您？",
        "zh-tw": "您好！有什麼可以幫您？",
        "ja": "こんにちは！何でも聞いてください。",
        "ko": "안녕하세요! 무엇이든 물어보세요.",
    },
    "out_of_service": {
        "en": "Please ask a member of staff for help.",
        "es": "Fuera de servicio. Pida ayuda a un empleado.",
        "zh": "暂停服务，请联系工作人员",
        "zh-tw": "暫停服務，請聯絡工作人員",
        "ja": "ただいま休止中です。係員にお声がけください",
        "ko": "일시적으로 서비스를 중단합니다. 직원에게 문의하세요",
    },
    "starting": {
        "en": "One moment, please.",
        "es": "Un momento, por favor.",
        "zh": "正在启动，请稍候",
        "zh-tw": "正在啟動，請稍候",
        "ja": "起動中です。少々お待ちください",
        "ko": "시작하는 중입니다. 잠시만 기다려 주세요",
    },
}
"""The default line of each screen per language (used where the pack gives none)."""

Line = tuple[str, str]
"""(language, text)."""


@dataclass(frozen=True)
class ScreenLines:
    """The lines each screen shows, in the order of the pack's languages."""

    attract: tuple[Line, ...] = field(default_factory=tuple)
    out_of_service: tuple[Line, ...] = field(default_factory=tuple)
    starting: tuple[Line, ...] = field(default_factory=tuple)

    @classmethod
    def for_languages(cls, languages: Sequence[str],
                      given: Mapping[str, Mapping[str, str]] | None = None) -> ScreenLines:
        """Each screen's lines for ``languages``: the pack's own (``given``, kind ->
        language -> text) first, else the built-in line; English when none is left."""
        out: dict[str, tuple[Line, ...]] = {}
        for kind in SCREEN_KINDS:
            own = (given or {}).get(kind, {})
            lines = [(lang, own.get(lang) or BUILTIN_LINES[kind].get(lang, ""))
                     for lang in dict.fromkeys(languages)]
            kept = tuple((lang, text) for lang, text in lines if text)
            # a screen must never be blank: a pack of languages we have no line for
            # still invites (in English) rather than showing nothing
            out[kind] = kept or (("en", BUILTIN_LINES[kind]["en"]),)
        return cls(**out)


def missing_lines(languages: Sequence[str],
                  given: Mapping[str, Mapping[str, str]]) -> list[tuple[str, str]]:
    """(kind, language) pairs that no line covers (the screen leaves that language out)."""
    return [(kind, lang) for kind in SCREEN_KINDS for lang in languages
            if not given.get(kind, {}).get(lang) and lang not in BUILTIN_LINES[kind]]
