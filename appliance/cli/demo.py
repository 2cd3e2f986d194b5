"""``kiosk demo`` and ``kiosk say``: the speech loop on files, for people and scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.app import TurnRecord, check_question_wav, converse
from appliance.engines.factory import Engines, create_engines, warm_up
from appliance.errors import InputError
from appliance.frames import VisemeCue
from appliance.settings import Settings, load
from appliance.system import jsonout
from hw.audio_util import write_wav

SAMPLE_QUESTION = "Excuse me, where is the nearest toilet?"


def _status(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def synthesize_question(engines: Engines, text: str, path: Path) -> Path:
    """Have the TTS voice play the visitor: the built-in sample question as a WAV."""
    chunks = list(engines.tts.synthesize(text))
    pcm = np.concatenate([c.pcm for c in chunks])
    return write_wav(path, pcm, chunks[0].sample_rate)


def visemes_json(cues: list[VisemeCue], sample_rate: int, text: str) -> dict[str, Any]:
    return {
        "viseme_set": "oculus",
        "clock": "seconds from the first reply sample",
        "sample_rate": sample_rate,
        "text": text,
        "cues": [
            {"viseme": c.viseme, "start": round(c.start, 4), "end": round(c.end, 4)} for c in cues
        ],
    }


def turn_report(turn: TurnRecord, files: dict[str, str]) -> dict[str, Any]:
    u = turn.understanding
    return {
        "transcript": turn.transcript,
        "asr_confidence": turn.asr_confidence,
        "intent": u.intent if u else None,
        "intent_confidence": round(u.confidence, 3) if u else None,
        "slots": u.slots if u else {},
        "emotion": u.emotion.as_dict() if u else None,
        "reply": turn.reply.text if turn.reply else None,
        "source": turn.reply.source if turn.reply else None,
        "latency_ms": turn.latency_ms,
        "errors": turn.errors,
        "files": files,
    }


def run_demo(args: argparse.Namespace) -> int:
    # bad input is one clear line, said before anything else is read or loaded
    question = check_question_wav(Path(args.wav)) if args.wav else None
    settings, _warnings = load()  # the loader logs each one
    sign_language = _sign_language(settings, bool(args.sign))
    quiet = bool(args.json)
    out = Path(args.out)
    _status("loading models (VAD, ASR, NLU, TTS)...", quiet)
    engines = create_engines(settings)
    warm_up(engines)
    files: dict[str, str] = {}
    if question is None:
        text = args.question or SAMPLE_QUESTION
        path = synthesize_question(engines, text, out / "question.wav")
        files["question_wav"] = str(path)
        _status(f"visitor (TTS voice) asks: {text!r}", quiet)
        question = check_question_wav(path)
    turn = asyncio.run(converse(settings, engines, question, realtime=not args.fast))
    if turn is None:
        raise InputError(f"{args.wav or 'the question'}: no speech was heard in the recording")
    files.update(_write_outputs(turn, out))
    if turn.audio and not args.no_video:
        _status("rendering the avatar video...", quiet)
        video = out / ("demo-sign.mp4" if args.sign else "demo.mp4")
        files["video_mp4"] = str(_render_video(settings, turn, video, sign_language))
        from appliance.avatar.sheet import write_contact_sheet

        files["avatar_sheet_png"] = str(write_contact_sheet(out / "avatar-sheet.png"))
    report = turn_report(turn, files)
    (out / "demo.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(jsonout.dumps(report, ensure_ascii=False))
    else:
        _print_human(report)
    return 0


def _write_outputs(turn: TurnRecord, out: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    if turn.audio:
        files["reply_wav"] = str(write_wav(out / "reply.wav", turn.reply_pcm, turn.sample_rate))
        vis = out / "visemes.json"
        text = turn.reply.text if turn.reply else ""
        vis.write_text(json.dumps(visemes_json(turn.visemes, turn.sample_rate, text), indent=1))
        files["visemes_json"] = str(vis)
    return files


def _sign_language(settings: Settings, asked: bool) -> str:
    """The sign language the demo signs in ("" for none): the site pack's, when ``--sign``
    asks for it or ``avatar.sign_replies`` is on; ``--sign`` with a pack that names none
    is bad input, said before any model loads."""
    if not asked and not settings.avatar.sign_replies:
        return ""
    from appliance.sitepack import default_sitepack_dir
    from appliance.sitepack.loader import read_manifest

    pack = default_sitepack_dir(settings.nlu.sitepack)
    manifest = read_manifest(pack)
    language = manifest.sign_language if manifest is not None else ""
    if asked and not language:
        raise InputError(f"--sign: the site pack {pack} names no sign_language in its "
                         "manifest.yaml (e.g. sign_language: asl)")
    return language


def _render_video(settings: Settings, turn: TurnRecord, path: Path,
                  sign_language: str = "") -> Path:
    """The avatar answering, muxed with the reply audio (``out/demo.mp4``; signed too
    when ``sign_language`` is given: ``out/demo-sign.mp4``)."""
    from appliance.avatar.video import render_reply_video
    from appliance.sitepack import default_sitepack_dir

    reply = turn.reply
    pack = default_sitepack_dir(settings.nlu.sitepack)
    candidates = [p for m in (reply.media if reply else []) for p in (Path(m), pack / m)]
    media = next((p for p in candidates if p.is_file()), None)
    phonemes = [p for chunk in turn.audio for p in chunk.phonemes]
    return render_reply_video(
        path, turn.reply_pcm, turn.sample_rate, turn.visemes, phonemes,
        text=reply.text if reply else "", heard_text=turn.transcript,
        emotion=reply.emotion if reply else None,
        size=(settings.avatar.demo_width, settings.avatar.demo_height),
        fps=settings.avatar.fps, media=media, language=settings.avatar.language,
        sign_language=sign_language, face=settings.avatar.face)


def _print_human(r: dict[str, Any]) -> None:
    emo = r["emotion"] or {}
    lat = r["latency_ms"]
    print(f"heard:        {r['transcript']!r}")
    print(
        f"understood:   intent={r['intent']} ({r['intent_confidence']}) slots={r['slots']} "
        f"emotion={emo.get('label')} (valence {emo.get('valence')}, arousal {emo.get('arousal')})"
    )
    print(f"answered:     {r['reply']!r}  [source: {r['source']}]")
    stages = ", ".join(f"{k} {v:.0f} ms" for k, v in lat.items())
    print(f"latency:      {stages}")
    for key, path in r["files"].items():
        print(f"{key + ':':<14}{path}" if len(key) < 13 else f"{key}: {path}")
    for err in r["errors"]:
        print(f"error:        {err['stage']}: {err['code']}: {err['message']}")


def speak(settings: Settings, text: str, *, style: str, out: Path, stem: str,
          play: bool) -> dict[str, Any]:
    """Synthesize ``text`` with lip-sync, write ``<stem>.wav`` + visemes, play it."""
    from appliance.devices.audio import open_audio
    from appliance.engines.lipsync.phonemes import PhonemeLipSync
    from appliance.engines.tts import create_tts
    from appliance.language.style import prosody_for

    tts = create_tts(settings.tts)
    lipsync = PhonemeLipSync(settings.lipsync.min_cue_ms / 1000)
    started = time.monotonic()
    chunks, cues, offset, first_ms = [], [], 0.0, 0.0
    for chunk in tts.synthesize(text, prosody_for(style)):
        first_ms = first_ms or (time.monotonic() - started) * 1000
        cues += [
            VisemeCue(c.viseme, c.start + offset, c.end + offset) for c in lipsync.visemes(chunk)
        ]
        offset += chunk.duration
        chunks.append(chunk.pcm)
    pcm = np.concatenate(chunks)
    wav = write_wav(out / f"{stem}.wav", pcm, tts.sample_rate)
    vis = out / f"{stem}-visemes.json"
    vis.write_text(json.dumps(visemes_json(cues, tts.sample_rate, text), indent=1))
    device = asyncio.run(_play(settings, pcm, tts.sample_rate, open_audio)) if play else "none"
    return {"text": text, "duration_s": round(offset, 3), "visemes": len(cues),
            "tts_first_audio_ms": round(first_ms, 1), "played_on": device,
            "files": {"wav": str(wav), "visemes_json": str(vis)}}


def _report_speech(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(jsonout.dumps(report, ensure_ascii=False))
        return
    where = ("not played (--no-play)" if report["played_on"] == "none"
             else f"played on {report['played_on']}")
    print(f"said {report['text']!r} ({report['duration_s']:.2f} s, {report['visemes']} visemes),"
          f" {where}")
    print(f"wav:      {report['files']['wav']}\nvisemes:  {report['files']['visemes_json']}")


def run_say(args: argparse.Namespace) -> int:
    text = args.text.strip()
    if not text:
        raise InputError("nothing to say: give the text as an argument")
    settings, _ = load()
    report = speak(settings, text, style=args.style, out=Path(args.out), stem="say",
                   play=not args.no_play)
    _report_speech(report, args.json)
    return 0


def run_announce(args: argparse.Namespace) -> int:
    """``kiosk announce NOTICE.json``: the live script of a service notice, spoken."""
    from appliance.language.announce import load_notice, make_script
    from appliance.sitepack import default_sitepack_dir, load_sitepack

    settings, _ = load()
    notice = load_notice(Path(args.notice))
    pack = load_sitepack(default_sitepack_dir(settings.nlu.sitepack))
    script = make_script(notice, pack)
    report = speak(settings, script, style=args.style, out=Path(args.out), stem="announce",
                   play=not args.no_play)
    _report_speech(report, args.json)
    return 0


async def _play(settings: Settings, pcm: np.ndarray, rate: int, open_audio: Any) -> str:
    mic, speaker, note = open_audio(settings.audio, rate)
    try:
        speaker.begin_stream()
        await speaker.play(pcm, rate)
        await speaker.drain()
    finally:
        await speaker.close()
        await mic.close()
    return f"{speaker.name} ({note})" if note else str(speaker.name)
