"""MP4 recorder: raw frames piped into ffmpeg's stdin, muxed with the spoken audio.

Video is H.264 (yuv420p, plays everywhere), audio AAC. The audio is handed over
as a WAV file written next to the output, so ffmpeg aligns both streams from
sample 0 and frame 0: frame ``i`` shows time ``i / fps`` of the audio.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from appliance.avatar.sinks.base import DisplayError, FrameSink

logger = logging.getLogger(__name__)


def _write_wav(path: Path, pcm: np.ndarray, sample_rate: int) -> None:
    data = np.asarray(pcm)
    if data.dtype != np.int16:
        data = np.clip(data.astype(np.float64) * (32767 if data.dtype.kind == "f" else 1),
                       -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(data.reshape(-1).tobytes())


class Mp4Recorder(FrameSink):
    """Writes ``out_path``; ``audio`` (int16 mono) is muxed in when given."""

    name = "mp4"

    def __init__(self, out_path: str | Path, size: tuple[int, int], fps: int = 30,
                 audio: np.ndarray | None = None, sample_rate: int = 22_050,
                 preset: str = "veryfast", crf: int = 20) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise DisplayError("ffmpeg is not installed (apt install ffmpeg)",
                               code="ffmpeg-missing")
        self.out_path = Path(out_path)
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self.size, self.fps = size, fps
        self.frames = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="kiosk-mp4-")
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}",
               "-r", str(fps), "-i", "pipe:0"]
        if audio is not None and len(audio):
            wav = Path(self._tmp.name) / "audio.wav"
            _write_wav(wav, audio, sample_rate)
            cmd += ["-i", str(wav), "-c:a", "aac", "-b:a", "128k"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", str(self.out_path)]
        logger.debug("ffmpeg: %s", " ".join(cmd))
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: np.ndarray, t: float) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise DisplayError("the MP4 recorder is closed")
        if frame.shape[1] != self.size[0] or frame.shape[0] != self.size[1]:
            raise DisplayError(f"frame is {frame.shape[1]}x{frame.shape[0]}, "
                               f"recorder expects {self.size[0]}x{self.size[1]}")
        try:
            proc.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError as exc:
            raise DisplayError(f"ffmpeg stopped: {self._stderr()}", code="mp4-failed") from exc
        self.frames += 1

    def _stderr(self) -> str:
        proc = self._proc
        if proc is None or proc.stderr is None:
            return ""
        return proc.stderr.read().decode(errors="replace").strip()[-500:]

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            rc = proc.wait(timeout=120)
        finally:
            self._tmp.cleanup()
        if rc != 0:
            raise DisplayError(f"ffmpeg failed ({rc}): {err.strip()[-500:]}", code="mp4-failed")
