"""Versioned JSON output of the command-line tools (``kiosk``, ``kiosk-provision``).

Every JSON object a command prints for scripts carries ``"v": JSON_VERSION``;
the shapes are documented in docs/cli-json.md. A change that would break a
reader (a field removed or its meaning changed) bumps the version; new fields
do not.
"""

from __future__ import annotations

import json
from typing import Any

JSON_VERSION = 1


def versioned(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with ``"v"`` first (an object that already says its version is kept as is)."""
    return obj if "v" in obj else {"v": JSON_VERSION, **obj}


def dumps(obj: dict[str, Any], **kwargs: Any) -> str:
    """``json.dumps`` of :func:`versioned` ``obj``."""
    return json.dumps(versioned(obj), **kwargs)
