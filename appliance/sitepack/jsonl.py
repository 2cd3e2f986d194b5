"""The pack's JSON Lines files (``eval/*.jsonl``, ``train/*.jsonl``), read one way.

A row is a JSON object with a string ``text``; a ``_meta`` header row, blank lines and
bad lines are skipped (bad ones with a warning at file:line), so one broken line never
loses the rest of the file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The data rows of ``path`` (empty when it does not exist)."""
    if not path.is_file():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            logger.warning("%s:%d: skipped (%s)", path, n, exc)
            continue
        if not isinstance(row, dict) or "_meta" in row:
            continue
        if not isinstance(row.get("text"), str):
            logger.warning("%s:%d: skipped (no 'text')", path, n)
            continue
        rows.append(row)
    return rows
