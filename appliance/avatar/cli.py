"""``kiosk-avatar``: render the avatar to a PNG or an MP4, or preview it over MJPEG.

Examples::

    kiosk-avatar video out/say.wav out/say-visemes.json --out out/say.mp4
    kiosk-avatar still --mode out_of_service --out oos.png
    kiosk-avatar still --face drawn --out drawn.png   # the flat drawn face
    kiosk-avatar preview --port 8091 --seconds 60     # open http://127.0.0.1:8091/
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import wave
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar.scene import Scene
from appliance.avatar.timeline import MODES
from appliance.avatar.video import render_reply_video
from appliance.errors import KioskError
from appliance.frames import Emotion, VisemeCue


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must look like 1080x1920, got {text!r}") from exc
    if w < 64 or h < 64 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("size must be even numbers of at least 64 pixels")
    return w, h


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise KioskError(f"{path}: only 16-bit PCM WAV is supported", code="bad-input")
            data = np.frombuffer(w.readframes(w.getnframes()), np.int16)
            return data.reshape(-1, w.getnchannels())[:, 0].copy(), w.getframerate()
    except (OSError, wave.Error, EOFError) as exc:
        raise KioskError(f"{path}: not a readable WAV ({exc})", code="bad-input") from exc


def _read_visemes(path: Path) -> tuple[list[VisemeCue], str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cues = [VisemeCue(c["viseme"], float(c["start"]), float(c["end"])) for c in data["cues"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KioskError(f"{path}: not a visemes JSON with cues ({exc})", code="bad-input") from exc
    return cues, str(data.get("text", ""))


def _video(args: argparse.Namespace) -> dict[str, object]:
    pcm, rate = _read_wav(Path(args.wav))
    cues, text = _read_visemes(Path(args.visemes))
    started = time.perf_counter()
    out = render_reply_video(args.out, pcm, rate, cues, (), args.text or text, args.heard,
                             Emotion("given", args.valence, args.arousal), size=args.size,
                             fps=args.fps, media=args.media, bearing_deg=args.bearing,
                             language=args.language, face=args.face)
    return {"out": str(out), "seconds": round(time.perf_counter() - started, 2)}


def _still(args: argparse.Namespace) -> dict[str, object]:
    scene = Scene(args.size, language=args.language, face=args.face)
    scene.set_mode(args.mode, reason="example")
    if args.media:
        scene.show_media(args.media)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), scene.render(args.at))
    return {"out": str(out)}


def _preview(args: argparse.Namespace) -> dict[str, object]:
    from appliance.avatar.pacer import DisplayLoop
    from appliance.avatar.sinks import MjpegPreview

    scene = Scene(args.size, language=args.language, face=args.face)
    scene.set_mode(args.mode)
    preview = MjpegPreview(port=args.port)
    print(f"MJPEG preview on {preview.url} for {args.seconds:.0f} s (Ctrl-C stops)",
          file=sys.stderr)
    loop = DisplayLoop(scene, [preview], fps=args.fps)
    loop.start()
    try:
        time.sleep(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
    return {"url": preview.url, "frames": loop.pacer.index, "dropped": loop.pacer.dropped}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-avatar", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--size", type=_size, default=(1080, 1920), help="WxH (1080x1920)")
    common.add_argument("--language", default="en", help="subtitle font face: en zh ja ko")
    common.add_argument("--media", help="an answer image shown beside the avatar")
    common.add_argument("--face", choices=("drawn", "mesh"), default="mesh",
                        help="the shaded face mesh (default, as the kiosk) or the drawn face")
    v = sub.add_parser("video", parents=[common], help="WAV + visemes JSON -> MP4 with audio")
    v.add_argument("wav", help="the reply audio (16-bit WAV), e.g. from `kiosk say`")
    v.add_argument("visemes", help="visemes JSON with cues on the WAV's clock")
    v.add_argument("--out", default="out/avatar.mp4")
    v.add_argument("--text", default="", help="subtitle text (default: the JSON's text)")
    v.add_argument("--heard", default="", help="what the visitor said (shown above)")
    v.add_argument("--valence", type=float, default=0.3)
    v.add_argument("--arousal", type=float, default=0.4)
    v.add_argument("--bearing", type=float, default=None, help="visitor bearing in degrees")
    v.add_argument("--fps", type=int, default=30)
    s = sub.add_parser("still", parents=[common], help="one frame as PNG")
    s.add_argument("--mode", choices=MODES, default="idle")
    s.add_argument("--at", type=float, default=1.0, help="time in seconds")
    s.add_argument("--out", default="out/avatar.png")
    m = sub.add_parser("preview", parents=[common], help="serve MJPEG on 127.0.0.1")
    m.add_argument("--port", type=int, default=8091,
                   help="8091; a running kiosk streams its own screen on 8090")
    m.add_argument("--seconds", type=float, default=60.0)
    m.add_argument("--mode", choices=MODES, default="attract")
    m.add_argument("--fps", type=int, default=15)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = {"video": _video, "still": _still, "preview": _preview}[args.cmd](args)
    except KioskError as exc:
        print(f"kiosk-avatar: error: {exc} [{exc.code}]", file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
