"""``kiosk``: run the appliance, try the speech loop on a WAV, speak a test line.

Examples::

    kiosk demo                         # the built-in sample question, full loop
    kiosk demo --wav question.wav --json
    kiosk say "Testing the speaker, one two three"
    kiosk run                          # the long-running appliance (systemd runs this)
    kiosk display                      # the kiosk screen: the avatar, full screen
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from appliance import __version__
from appliance.errors import KioskError

logger = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace], int]


def _add_demo(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from appliance.cli.demo import run_demo

    p = sub.add_parser(
        "demo", help="run one spoken question through the whole loop",
        description="Feed a WAV (any rate, mono or stereo, 16-bit) through VAD -> ASR -> "
        "understanding -> reply -> TTS -> lip-sync on the sim microphone and speaker. Without "
        "--wav, the TTS voice speaks a built-in visitor question first.")
    p.add_argument("--wav", help="the visitor's question as a 16-bit PCM WAV")
    p.add_argument("--out", default="out", help="where to write reply.wav, visemes.json, "
                   "demo.json (default: ./out)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--fast", action="store_true",
                   help="do not pace audio at real time (latency figures are then meaningless)")
    p.add_argument("--no-video", action="store_true",
                   help="skip rendering the avatar video (out/demo.mp4)")
    p.add_argument("--question", default=None,
                   help="text of the built-in question to synthesize when no --wav is given")
    p.add_argument("--sign", action="store_true",
                   help="the avatar signs the reply too, in the site pack's sign_language: "
                   "out/demo-sign.mp4 instead of out/demo.mp4")
    p.set_defaults(func=run_demo)


def _speech_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that speak a line (say, announce)."""
    from appliance.language.style import STYLES

    p.add_argument("--out", default="out", help="where to write the files (default: ./out)")
    p.add_argument("--style", default="neutral", choices=STYLES,
                   help="speaking style (prosody): calm is slower and softer")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-play", action="store_true", help="only write the files")


def _add_say(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from appliance.cli.demo import run_say

    p = sub.add_parser("say", help="speak a line with lip-sync (speaker test)",
                       description="Synthesize TEXT, play it on the configured speaker (the sim "
                       "speaker where there is no sound card) and write say.wav and "
                       "say-visemes.json.")
    p.add_argument("text", help="what to say")
    _speech_options(p)
    p.set_defaults(func=run_say)


def _add_announce(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from appliance.cli.demo import run_announce

    p = sub.add_parser("announce", help="speak a service notice as a fluent announcement",
                       description="Turn a structured notice (JSON: what, where, when, advice) "
                       "into a spoken script (gather, order, link, smooth, site style), then "
                       "speak it with lip-sync like `kiosk say`. `kiosk announce-script` shows "
                       "the script without speaking.")
    p.add_argument("notice", help="the notice JSON file")
    _speech_options(p)
    p.set_defaults(func=run_announce)


def _add_run(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from appliance.service.daemon import run_service

    p = sub.add_parser("run", help="the long-running appliance process",
                       description="Load /etc/kiosk/kiosk.toml (KIOSK_ROOT re-roots it), the "
                       "models and the devices (sim twins where there is no sound card), then "
                       "hold conversations until stopped (SIGTERM/Ctrl-C).")
    p.add_argument("--config", help="settings file (default: $KIOSK_ROOT/etc/kiosk/kiosk.toml)")
    p.add_argument("--duration", type=float, default=None,
                   help="stop after this many seconds (for tests and soak runs)")
    p.set_defaults(func=run_service)


def _add_display(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from appliance.avatar.viewer import run_display

    p = sub.add_parser("display", help="the kiosk screen: show the avatar full screen",
                       description="The display session (systemd runs `cage -- kiosk display` "
                       "on tty1): shows the avatar that `kiosk run` streams on "
                       "http://127.0.0.1:<avatar.mjpeg_port>/stream.mjpg, full screen. Says "
                       "\"Starting...\" while the orchestrator loads or restarts, and shows the "
                       "out-of-service screen if it stays away. When `kiosk run` serves the "
                       "touch desk, suggested questions and an on-screen keyboard are drawn "
                       "under the avatar and touches ask them. Esc closes the window.")
    p.add_argument("--url", help="the MJPEG stream to show (default: the local orchestrator's, "
                   "from avatar.mjpeg_port)")
    p.add_argument("--config", help="settings file (default: $KIOSK_ROOT/etc/kiosk/kiosk.toml)")
    p.add_argument("--windowed", action="store_true", help="a normal window, not full screen")
    p.add_argument("--no-touch", action="store_true",
                   help="the avatar only: no touch panel even if the server has a desk")
    p.add_argument("--duration", type=float, default=None,
                   help="stop after this many seconds (for tests)")
    p.set_defaults(func=run_display)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-v: what happened, -vv: debug)")
    # its own dest: a sub-command's --json default would overwrite the same name
    parser.add_argument("--json", dest="json_first", action="store_true",
                        help="JSON output, for the commands that have it (the same as "
                             "COMMAND --json; every object carries \"v\": 1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_demo, _add_say, _add_announce, _add_run, _add_display):
        add(sub)
    _add_extensions(sub)
    return parser


def _add_extensions(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Sub-commands contributed by other subsystems (site packs, NLU, ...)."""
    import importlib

    for module in ("appliance.cli.nlu", "appliance.cli.bench", "appliance.system.bootloop"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        mod.add_commands(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json_first:  # `kiosk --json ask ...` == `kiosk ask ... --json`
        args.json = True
    # the appliance logs what it does by default; one-shot commands only problems
    service = args.command in ("run", "display")
    base = 1 if service else 0
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose + base, 2)]
    if service:
        from appliance.system.journal import hold_startup_records, setup_logging, under_systemd

        setup_logging(level)  # structured journal fields under systemd
        if args.command == "run" and not under_systemd():
            hold_startup_records()  # written to the log file once the settings say where
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 2
    func: Command = args.func
    try:
        return func(args)
    except KioskError as exc:
        print(f"kiosk: error: {exc} [{exc.code}]", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
