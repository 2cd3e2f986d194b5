"""The field vocabulary every settings section is declared with.

A field's annotation is the whole rule for its value: the type (strict, so
``"5"`` is not a number and ``true`` is not 1), the range (:func:`rng`,
:func:`above`), the allowed words (``Literal``) or the format (:data:`ClockTime`,
:data:`Port`, :data:`PathText`...). Every section sets
``__pydantic_config__ = TABLE``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field
from pydantic.fields import FieldInfo

TABLE = ConfigDict(extra="forbid")
"""Every section refuses keys it does not know (a typo is reported, not ignored)."""


def rng(lo: float, hi: float) -> FieldInfo:
    """A number from ``lo`` to ``hi`` inclusive (strict type: no text, no booleans)."""
    info: FieldInfo = Field(strict=True, ge=lo, le=hi)
    return info


def above(lo: float, hi: float) -> FieldInfo:
    """A number greater than ``lo`` and at most ``hi``."""
    info: FieldInfo = Field(strict=True, gt=lo, le=hi)
    return info


def text(pattern: str = "", description: str = "", max_length: int = 4096) -> FieldInfo:
    """Text, optionally of one format (``description`` says which, for error messages)."""
    info: FieldInfo = Field(strict=True, max_length=max_length, pattern=pattern or None,
                            description=description or None)
    return info


Flag = Annotated[bool, Field(strict=True)]
Text = Annotated[str, text()]
PathText = Annotated[str, text(r"^[^\x00\n]*$", "a file path (empty = the default)")]
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
PortOrOff = Annotated[int, Field(strict=True, ge=0, le=65535)]
ClockTime = Annotated[str, text(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                "a time of day HH:MM, 00:00..23:59")]
Name = Annotated[str, text(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                           "a name of 1-64 letters, digits, '.', '_' or '-' (no '/')")]
OptionalName = Annotated[str, text(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$",
                                   "empty, or 1-64 letters, digits, '.', '_' or '-' (no '/')")]
HostName = Annotated[str, text(r"^[A-Za-z0-9_.:\[\]-]+$",
                               "a host name or IP address", max_length=253)]
Language = Annotated[str, text(r"^([a-z]{2,3}(-[A-Za-z]{2,4})?|auto)$",
                               "a language code like en, ko, zh-tw (or auto)", max_length=16)]
CameraSource = Annotated[str, text(r"^[^\x00]+$",
                                  "a camera index, device, csi://N, pipeline, file or sim")]
Pixels = Annotated[int, rng(16, 8192)]
Millis = Annotated[int, rng(0, 60_000)]
Seconds = Annotated[float, rng(0, 86_400)]
PositiveSeconds = Annotated[float, above(0, 86_400)]
