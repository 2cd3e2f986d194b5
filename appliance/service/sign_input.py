"""Settings -> sign input in ``kiosk run``: words fingerspelled at the camera, asked.

With ``[sign] input = true`` the kiosk reads the camera the behaviour runner already
has open (it is never opened twice): a :class:`~appliance.sign.input.camera.FrameTap` on
the presence watcher keeps ``[sign] fps`` frames a second while a visitor is there ->
:class:`~appliance.sign.input.mediapipe_source.MediaPipeSource` (MediaPipe Hands on a
worker thread of its own) -> :class:`~appliance.sign.input.bridge.SignInput` (the letter
classifier, the speller timed for that frame rate) -> ``Kiosk.ask`` with source
``"sign"``, exactly as a typed question. The classifier is trained on synthetic hands
on an executor thread as it starts (about 6 s of one core), so the speech loop is never
held up.

It never raises and never stops the kiosk. Without mediapipe
(``sign-landmarker-missing``), without a camera (``sign-input-no-camera``) or on any
other failure (``sign-input-failed``) it logs one WARNING with the code, adds the reason
to the kiosk's ``degraded`` list (health says ``status: degraded``) and the kiosk runs on
without sign input. The health report carries ``sign_input``: state, code, frames looked
at, words asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from appliance.settings import SignSettings
from appliance.sign.input.landmarks import SignInputError

if TYPE_CHECKING:
    from appliance.app import Kiosk
    from appliance.behavior.runner import BehaviourRunner
    from appliance.devices.presence import PresenceWatcher
    from appliance.sign.input.bridge import SignInput
    from appliance.sign.input.camera import FrameTap
    from appliance.sign.input.classifier import LetterClassifier
    from appliance.sign.input.mediapipe_source import MediaPipeLandmarker, MediaPipeSource

logger = logging.getLogger(__name__)

NO_CAMERA = "sign-input-no-camera"
"""Sign input is on but no camera is read (camera off, behaviour tree off, no sim video)."""
FAILED = "sign-input-failed"
"""Sign input stopped on an unexpected error."""


def _default_landmarker() -> MediaPipeLandmarker:
    from appliance.sign.input.mediapipe_source import MediaPipeLandmarker

    return MediaPipeLandmarker()


def _default_classifier() -> LetterClassifier:
    from appliance.sign.input.classifier import train_fingerspelling

    return train_fingerspelling()


class SignInputService:
    """Sign input of one running kiosk (call :meth:`start` on its loop)."""

    def __init__(self, kiosk: Kiosk, watcher: PresenceWatcher | None, settings: SignSettings,
                 *, present: Callable[[], bool | None] = lambda: None,
                 landmarker: Callable[[], MediaPipeLandmarker] | None = None,
                 classifier: Callable[[], LetterClassifier] | None = None,
                 no_camera: str = "no camera is read") -> None:
        self.kiosk = kiosk
        self.watcher = watcher
        self.settings = settings
        self.present = present
        self.make_landmarker = landmarker or _default_landmarker
        """Builds the hand landmarker (MediaPipe Hands; raises ``sign-landmarker-missing``)."""
        self.make_classifier = classifier or _default_classifier
        """Builds the letter classifier (trained on synthetic hands, ~6 s of one core)."""
        self.no_camera = no_camera
        self.state = "starting"
        """``starting`` (loading the landmarker, training), ``ok``, ``stopped``, ``failed``."""
        self.code = ""
        self.message = ""
        self.sign: SignInput | None = None
        self.tap: FrameTap | None = None
        self.source: MediaPipeSource | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.watcher is None:
            self._fail(NO_CAMERA, f"it needs the camera the behaviour tree reads, and "
                                  f"{self.no_camera}")
            return
        self._task = asyncio.create_task(self._run(), name="sign-input")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.state in ("starting", "ok"):
            self.state = "stopped"

    def health(self) -> dict[str, Any]:
        """``state`` (and ``code``, ``message`` when it failed), ``fps``, ``frames`` looked
        at, ``landmark_errors`` and ``words`` asked."""
        out: dict[str, Any] = {"state": self.state, "fps": self.settings.fps}
        if self.code:
            out.update(code=self.code, message=self.message)
        if self.tap is not None:
            out["frames"] = self.tap.passed
        if self.source is not None:
            out["landmark_errors"] = self.source.errors
        if self.sign is not None:
            out["words"] = len(self.sign.asked)  # counts only: no visitor's words leave
        return out

    def _fail(self, code: str, message: str) -> None:
        """One WARNING with the code, the reason in health; the kiosk goes on."""
        self.state, self.code, self.message = "failed", code, message
        logger.warning("sign input off: %s [%s]; the kiosk runs without it", message, code)
        self.kiosk.degraded.append(f"sign: sign input off: {message} [{code}]")

    async def _run(self) -> None:
        from appliance.sign.input.bridge import SignInput
        from appliance.sign.input.camera import FrameTap
        from appliance.sign.input.mediapipe_source import MediaPipeSource
        from appliance.sign.input.speller import Speller, SpellerSettings

        assert self.watcher is not None
        loop = asyncio.get_running_loop()
        fps = self.settings.fps
        landmarker: MediaPipeLandmarker | None = None
        try:
            try:
                landmarker = await loop.run_in_executor(None, self.make_landmarker)
            except SignInputError as exc:  # mediapipe missing: sign-landmarker-missing
                self._fail(exc.code, str(exc))
                return
            classifier = await loop.run_in_executor(None, self.make_classifier)
            timing = SpellerSettings.at_fps(fps)
            # after the visitor left, enough empty frames for the speller to end a word
            self.tap = FrameTap(loop, fps, self.present, idle_frames=timing.pause_frames + 2)
            self.source = MediaPipeSource(self.tap.frames(), landmarker)
            landmarker = None  # the source closes it from now on
            self.sign = SignInput(self.source, classifier, self.kiosk.ask, Speller(timing))
            self.watcher.taps.append(self.tap.offer)
            self.state = "ok"
            logger.info("sign input: fingerspelling read from %s at up to %.0f fps while a "
                        "visitor is there (24 static ASL letters; accuracy measured on "
                        "synthetic hands only)", self.watcher.camera.name, fps)
            await self.sign.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # sign input must never take the kiosk down
            logger.exception("sign input failed")
            self._fail(FAILED, f"{type(exc).__name__}: {exc}"[:300])
        finally:
            if self.tap is not None:
                with contextlib.suppress(ValueError):
                    self.watcher.taps.remove(self.tap.offer)
                self.tap.close()
            if landmarker is not None:
                landmarker.close()


def start_sign_input(kiosk: Kiosk, runner: BehaviourRunner | None,
                     **kw: Any) -> SignInputService | None:
    """Start sign input when ``[sign] input`` asks for it (None when it is off); never raises.

    ``runner`` is the behaviour runner of ``kiosk run`` (None when ``[behavior]`` is off);
    its presence watcher owns the camera. ``kw`` goes to :class:`SignInputService`.
    """
    settings = kiosk.settings.sign
    if not settings.input:
        logger.info("sign input off ([sign] input = false)")
        return None
    watcher = runner.watcher if runner is not None else None
    why = ("the behaviour tree is off ([behavior] enabled = false)" if runner is None
           else "there is none ([camera] enabled = false, no sim video, or vision unavailable)")

    def present() -> bool | None:
        # the tree's idea of a visitor (with the vision's dwell and leave delays), while
        # the camera works; read on the camera's thread (a plain attribute read)
        if runner is None or not runner.seeing:
            return None
        return runner.state.present

    service = SignInputService(kiosk, watcher, settings, present=present, no_camera=why, **kw)
    kiosk.health_parts["sign_input"] = service.health
    service.start()
    return service
