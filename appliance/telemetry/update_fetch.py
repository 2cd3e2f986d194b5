"""Getting an ``update`` bundle onto the device: a local path (USB) or an http(s) URL.

A download is streamed to ``<dir>/<name>.part`` with a size cap (checked
against ``Content-Length`` first, then while reading), a per-read timeout and
a whole-download deadline, then renamed. An optional ``sha256`` of the whole
file (what the fleet console sends) is checked before the bundle's own
signature and per-file hashes are.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from appliance.errors import KioskError

logger = logging.getLogger(__name__)

READ_TIMEOUT_S = 30.0
"""A read that stalls this long fails the download."""
CHUNK = 1 << 20
Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total or None) about every 8 MiB and at the end."""


class UpdateError(KioskError):
    """An ``update`` failed; ``code`` says where (``update-download-failed`` ...)."""

    code = "update-failed"


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def fetch(
    source: str,
    folder: Path,
    *,
    max_bytes: int,
    timeout_s: float,
    progress: Progress | None = None,
) -> tuple[Path, bool]:
    """The bundle as a local file: ``(path, downloaded)``; a download lands in ``folder``.

    Local paths (``/media/usb/site.kbundle`` or ``file:///...``) are used in place:
    installing re-hashes every file while copying, so a stick pulled or changed
    half-way fails the install instead of corrupting it.
    """
    parts = urlsplit(source)
    if parts.scheme == "file":
        source = parts.path
    elif parts.scheme and len(parts.scheme) > 1 and not is_url(source):
        raise UpdateError(f"unsupported bundle location {parts.scheme}:// (http, https or a path)",
                          code="update-bad-args")
    if not is_url(source):
        path = Path(source)
        if not path.is_file():
            raise UpdateError(f"no bundle at {path}", code="update-not-found")
        size = path.stat().st_size
        if size > max_bytes:
            raise UpdateError(f"{path} is {size} bytes, over the {max_bytes} limit",
                              code="update-too-large")
        return path, False
    return _download(source, folder, max_bytes, timeout_s, progress), True


def _download(url: str, folder: Path, max_bytes: int, timeout_s: float,
              progress: Progress | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(urlsplit(url).path).name or "bundle"
    dest = folder / (name if name.endswith((".kbundle", ".tar")) else name + ".kbundle")
    part = dest.with_name(dest.name + ".part")
    deadline = time.monotonic() + timeout_s
    got = 0
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "kiosk-update/1"})
        with urllib.request.urlopen(request, timeout=min(READ_TIMEOUT_S, timeout_s)) as resp, \
                part.open("wb") as out:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise UpdateError(f"{url} is {total} bytes, over the {max_bytes} limit",
                                  code="update-too-large")
            next_report = 8 * CHUNK
            while True:
                if time.monotonic() > deadline:
                    raise UpdateError(f"download of {url} took longer than {timeout_s:.0f} s",
                                      code="update-download-timeout", retryable=True)
                block = resp.read(CHUNK)
                if not block:
                    break
                got += len(block)
                if got > max_bytes:
                    raise UpdateError(f"{url} sent more than the {max_bytes}-byte limit",
                                      code="update-too-large")
                out.write(block)
                if progress is not None and got >= next_report:
                    progress(got, total)
                    next_report = got + 8 * CHUNK
            if total is not None and got != total:
                raise UpdateError(f"{url}: connection closed after {got} of {total} bytes",
                                  code="update-download-failed", retryable=True)
        if progress is not None:
            progress(got, got)
        os.replace(part, dest)
    except UpdateError:
        part.unlink(missing_ok=True)
        raise
    except (OSError, urllib.error.URLError, ValueError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise UpdateError(f"cannot download {url}: {reason}", code="update-download-failed",
                          retryable=True) from exc
    logger.info("downloaded %s (%d bytes)", url, got)
    return dest


def check_sha256(path: Path, want: str) -> str:
    """The file's sha256; raises ``update-hash-mismatch`` when ``want`` is given and differs."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    got = h.hexdigest()
    if want and got != want.lower():
        raise UpdateError(f"bundle sha256 {got[:12]}… is not the expected {want[:12]}…",
                          code="update-hash-mismatch")
    return got
