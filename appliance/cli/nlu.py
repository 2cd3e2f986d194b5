"""`kiosk` subcommands for understanding and answering: sitepack check, understand, ask, chat,
announce.

The lead's ``appliance/cli/main.py`` registers them with :func:`add_commands`; until then
they run as ``python -m appliance.cli.nlu ...``. Every command takes ``--json``;
``understand`` and ``ask`` read one utterance per line from stdin when given ``-``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from appliance.behavior.utterance import check_line
from appliance.errors import KioskError
from appliance.system import jsonout

logger = logging.getLogger(__name__)


def add_commands(subparsers: Any) -> None:
    """Add ``sitepack``, ``understand``, ``ask`` and ``announce`` to an argparse subparsers."""
    sp = subparsers.add_parser(
        "sitepack", help="check a site pack",
        description="Site pack tools. A site pack is the folder of content one kiosk serves.")
    sp_sub = sp.add_subparsers(dest="sitepack_cmd", required=True)
    check = sp_sub.add_parser(
        "check", help="validate a site pack; lists every problem as FILE:LINE",
        description="Validate every file of a site pack. Exit status 0: valid (warnings "
                    "allowed); 1: errors (each printed as FILE:LINE: error: MESSAGE).")
    check.add_argument("dir", help="site pack directory (e.g. models/sitepacks/metro-demo)")
    check.add_argument("--json", action="store_true", help="print one JSON report")
    check.set_defaults(func=cmd_sitepack_check)

    for name, func, what in (("understand", cmd_understand, "intent, slots and emotion"),
                             ("ask", cmd_ask, "the kiosk's answer and its source")):
        p = subparsers.add_parser(
            name, help=f"print {what} for a sentence",
            description=f"Print {what} for TEXT. Give '-' to read one utterance per line "
                        "from stdin (one JSON object per line with --json).")
        p.add_argument("text", help="what the visitor said, or '-' for stdin lines")
        p.add_argument("--json", action="store_true", help="JSON output")
        p.add_argument("--sitepack", default="", help="site pack directory (default: the "
                       "configured one, else the bundled metro demo)")
        p.add_argument("--engine", choices=("auto", "keyword", "encoder"), default="auto",
                       help="NLU engine (auto: the encoder when its model is built, else "
                            "keywords)")
        p.add_argument("--energy", type=float, default=None, help="voice energy in dBFS")
        p.add_argument("--pitch", type=float, default=None, help="voice pitch in Hz")
        p.add_argument("--rate", type=float, default=None, help="speaking rate, words/s")
        p.add_argument("--language", default="", help="the visitor's language (one of the "
                       "pack's; default: its first), as the ASR's language ID would say")
        p.set_defaults(func=func)

    ch = subparsers.add_parser(
        "chat", help="talk to the kiosk in text: its full dialogue, safety and style",
        description="An interactive text session with the kiosk's whole dialogue: the "
                    "understanding, the safety engine (the danger question, its escalation "
                    "after --confirm-timeout seconds of silence), the kiosk's own questions "
                    "and offers, follow-ups and the reply style. Staff calls are printed, not "
                    "sent. Type /new for a new visitor, /quit (or Ctrl-D) to end. Lines can "
                    "be piped in too.")
    ch.add_argument("--sitepack", default="", help="site pack directory (default: the "
                    "configured one, else the bundled metro demo)")
    ch.add_argument("--engine", choices=("auto", "keyword", "encoder"), default="auto",
                    help="NLU engine")
    ch.add_argument("--json", action="store_true", help="one JSON object per reply")
    ch.add_argument("--details", action="store_true",
                    help="show intent, slots, emotion, safety, acts and source under each reply")
    ch.add_argument("--confirm-timeout", type=float, default=None, metavar="S",
                    help="seconds of silence after the danger question before staff are "
                         "alerted (default 12)")
    ch.add_argument("--language", default="", help="the visitor's language for every line "
                    "(one of the pack's; default: its first), as the ASR's language ID would say")
    ch.set_defaults(func=cmd_chat)

    an = subparsers.add_parser(
        "announce-script", help="write the spoken script for a service notice",
        description="Turn a notice JSON (a disruption, a planned closure) into the script the "
                    "avatar speaks: gather, order, link, smooth, rewrite in the site's style.")
    an.add_argument("notice", help="notice JSON file")
    an.add_argument("--sitepack", default="", help="site pack directory")
    an.add_argument("--json", action="store_true", help="JSON output with every step")
    an.set_defaults(func=cmd_announce)


def _pack_dir(arg: str) -> Path:
    from appliance.settings import load
    from appliance.sitepack import default_sitepack_dir

    if arg:
        return Path(arg)
    settings, _ = load()
    return default_sitepack_dir(settings.nlu.sitepack)


def cmd_sitepack_check(args: argparse.Namespace) -> int:
    out: TextIO = sys.stdout
    from appliance.sitepack import check_sitepack

    pack, problems = check_sitepack(Path(args.dir))
    errors = [p for p in problems if p.severity == "error"]
    if args.json:
        report: dict[str, Any] = {"dir": args.dir, "valid": pack is not None,
                                  "problems": [p.as_dict() for p in problems]}
        if pack is not None:
            report["summary"] = _summary(pack)
        out.write(jsonout.dumps(report) + "\n")
    else:
        for p in problems:
            where = p.file if Path(p.file).is_absolute() else Path(args.dir) / p.file
            out.write(f"{where}:{p.line}: {p.severity}: {p.message}\n")
        if pack is not None:
            s = _summary(pack)
            out.write(f"ok: {pack.manifest.name} {pack.manifest.version}: {s['intents']} "
                      f"intents, {s['examples']} examples, {s['faq']} FAQ entries, "
                      f"{s['slot_values']} slot values, {len(problems)} warning(s)\n")
        else:
            out.write(f"invalid: {len(errors)} error(s)\n")
    return 0 if pack is not None else 1


def _summary(pack: Any) -> dict[str, int]:
    return {"intents": len(pack.intents),
            "examples": sum(len(i.examples) for i in pack.intents.values()),
            "faq": len(pack.faq),
            "slot_values": sum(len(v) for v in pack.slots.values())}


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, utterance) for each usable input; one stderr line per bad one."""
    raws: Iterable[bytes | str] = sys.stdin.buffer if text == "-" else [text]
    for n, raw in enumerate(raws, 1):
        if isinstance(raw, bytes):
            raw = raw.rstrip(b"\r\n")
        line, why = check_line(raw)
        if why:
            where = f"line {n}" if text == "-" else "input"
            sys.stderr.write(f"kiosk: {where}: skipped: {why}\n")
            continue
        yield n, line


def _voice(args: argparse.Namespace) -> Any:
    from appliance.engines.nlu.base import VoiceFeatures

    if args.energy is None and args.pitch is None and args.rate is None:
        return None
    return VoiceFeatures(energy_dbfs=args.energy if args.energy is not None else -30.0,
                         pitch_hz=args.pitch or 0.0, words_per_s=args.rate or 0.0)


def cmd_understand(args: argparse.Namespace) -> int:
    out: TextIO = sys.stdout
    from appliance.behavior.dialog import Dialog

    dialog = Dialog.create(_pack_dir(args.sitepack), engine=args.engine)
    for _, line in _lines(args.text):
        t0 = time.perf_counter()
        r = dialog.understand(line, _voice(args))
        row = {"text": line, "intent": r.intent, "confidence": r.confidence, "slots": r.slots,
               "emotion": r.emotion.as_dict(), "safety": r.safety.as_dict(), "acts": r.acts,
               "latency_ms": round((time.perf_counter() - t0) * 1000, 2)}
        if args.json:
            out.write(jsonout.dumps(row, ensure_ascii=False) + "\n")
        else:
            e, sf = r.emotion, r.safety
            danger = f" safety={sf.action}/{sf.category} ({sf.score:.2f})" \
                if sf.action != "none" else ""
            acts = f" acts={','.join(r.acts)}" if r.acts else ""
            out.write(f"{r.intent} ({r.confidence:.2f}) slots={r.slots} emotion={e.label} "
                      f"valence={e.valence:+.2f} arousal={e.arousal:.2f}{danger}{acts}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    out: TextIO = sys.stdout
    from appliance.behavior.dialog import Dialog

    dialog = Dialog.create(_pack_dir(args.sitepack), engine=args.engine)
    for _, line in _lines(args.text):
        turn = dialog.turn(line, _voice(args), language=args.language or None)
        row = {"text": line, "intent": turn.nlu.intent, "reply": turn.answer.text,
               "source": turn.answer.source, "slots": turn.nlu.slots,
               "style": turn.answer.style, "media": turn.answer.media,
               "safety": turn.nlu.safety.as_dict(), "acts": turn.nlu.acts,
               "staff_called": turn.events}
        if args.json:
            out.write(jsonout.dumps(row, ensure_ascii=False) + "\n")
        else:
            src = f"  [{turn.answer.source}]" if turn.answer.source else ""
            out.write(f"{turn.answer.text}{src}\n")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """The interactive text session (see the ``chat`` help)."""
    from appliance.behavior.chat import Chat

    chat = Chat.open(_pack_dir(args.sitepack), engine=args.engine, as_json=args.json,
                     details=args.details, confirm_timeout_s=args.confirm_timeout,
                     language=args.language)
    return chat.run(sys.stdin.buffer, sys.stdout, sys.stderr)


def cmd_announce(args: argparse.Namespace) -> int:
    out: TextIO = sys.stdout
    from appliance.language.announce import load_notice, make_script_steps
    from appliance.sitepack import load_sitepack

    pack = load_sitepack(_pack_dir(args.sitepack))
    steps = make_script_steps(load_notice(Path(args.notice)), pack)
    if args.json:
        out.write(jsonout.dumps(steps) + "\n")
    else:
        out.write(steps["script"] + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; errors print one line and exit 2, never a traceback."""
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Understanding and answering tools of the kiosk.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG")
    add_commands(parser.add_subparsers(dest="cmd", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KioskError as exc:
        sys.stderr.write(f"kiosk: error [{exc.code}]: {exc}\n")
        return 2
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"kiosk: error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
