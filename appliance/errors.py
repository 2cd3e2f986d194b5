"""Errors with stable codes, shared by every stage and reported over telemetry."""

from __future__ import annotations


class KioskError(Exception):
    """Base error: ``code`` is stable (``asr-failed``), ``retryable`` says if a retry helps."""

    code = "kiosk-error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None, retryable: bool | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable


class EngineLoadError(KioskError):
    """A model could not be found or loaded."""

    code = "engine-load-failed"


class EngineError(KioskError):
    """An engine failed on one input."""

    code = "engine-failed"
    retryable = True


class InputError(KioskError):
    """The user gave input the kiosk cannot use (bad WAV, empty text)."""

    code = "bad-input"
