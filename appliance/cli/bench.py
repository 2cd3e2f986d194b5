"""``kiosk bench latency``: the speech loop's latency on a folder of WAVs.

Examples::

    kiosk bench latency --wavs recordings/            # recordings/manifest.json lists them
    kiosk bench latency --wavs recordings/ --json     # one JSON report (per file + p50/p95)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.system import jsonout


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="measure the kiosk on your own recordings",
                           description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    areas = bench.add_subparsers(dest="bench_area", metavar="AREA", required=True)
    p = areas.add_parser(
        "latency", help="end of speech to first reply audio, per WAV and p50/p95",
        description="Play each WAV of DIR in real time through the whole loop (VAD, ASR, "
        "understanding, answer, TTS), the models warmed up first, and time the reply from "
        "where speech really ends in the file. DIR/manifest.json is a list of "
        '{"file": "q01.wav", "speech_end_s": 2.31}. A bad file is reported and the others '
        "still run; exit 1 if any file failed, 2 if the manifest is unusable.")
    p.add_argument("--wavs", required=True, type=Path, metavar="DIR",
                   help="folder with the WAVs and manifest.json")
    p.add_argument("--json", action="store_true", help="print one JSON report")
    p.set_defaults(func=run_latency)


def run_latency(args: argparse.Namespace) -> int:
    from appliance.bench.latency import read_manifest, run_files
    from appliance.engines.factory import create_engines, warm_up
    from appliance.settings import load

    read_manifest(args.wavs)  # a bad manifest fails before minutes of model loading
    settings, _warnings = load()
    say = None if args.json else (lambda line: print(line, file=sys.stderr))
    if say:
        say("loading and warming up the models...")
    engines = create_engines(settings)
    warm_up(engines)
    report = run_files(args.wavs, settings, engines, progress=say)
    if args.json:
        print(jsonout.dumps(report, ensure_ascii=False))
    else:
        for row in report["files"]:
            ms = row["end_of_speech_to_first_audio_ms"]
            shown = f"{ms:7.0f} ms" if ms is not None else f"  {row['error']['code']}"
            print(f"{row['file']:<28} {shown}  turns {row['turns']}  {row['transcript']!r}")
        figures = report["end_of_speech_to_first_audio_ms"]
        print(f"end of speech -> first audio: p50 {figures['p50']:.0f} ms, "
              f"p95 {figures['p95']:.0f} ms over {figures['n']} answered files; "
              f"{report['failed']} failed, {report['split_files']} split")
    return 1 if report["failed"] else 0
