"""Keep what an update replaces, so that a failed one can be undone.

Before a bundle is installed, the model folders it will replace and the
manifest overlay are snapshotted under ``<state>/models/.update/pending/``
(hard links: instant and free, since installing never rewrites a file in place,
it swaps whole folders), and a journal is written. Then:

- :meth:`Snapshot.restore` puts every model back as it was (a model the bundle
  added is removed, so the firmware's packaged copy is used again);
- :meth:`Snapshot.commit` keeps the snapshot as ``.update/previous/`` (the
  version before the last good update) and drops the journal;
- :meth:`Snapshot.recover`, at start, restores a snapshot whose journal is
  still there: the process died between install and health check.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from appliance.runtime.manifest import overlay_path
from appliance.settings import state_dir

logger = logging.getLogger(__name__)

OVERLAY = "manifest.json"


def _link_tree(src: Path, dst: Path) -> None:
    try:
        shutil.copytree(src, dst, copy_function=os.link)
    except OSError:  # a filesystem without hard links: copy
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Snapshot:
    """The previous models of one update (see the module docstring)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or state_dir() / "models"
        self.area = self.root / ".update"
        self.pending = self.area / "pending"
        self.previous = self.area / "previous"
        self.journal = self.area / "journal.json"

    def take(self, models: list[str], **note: Any) -> None:
        """Snapshot ``models`` and the overlay; then write the journal (the commit point)."""
        shutil.rmtree(self.pending, ignore_errors=True)
        self.pending.mkdir(parents=True)
        had = []
        for name in models:
            folder = self.root / name
            if folder.is_dir():
                _link_tree(folder, self.pending / name)
                had.append(name)
        overlay = overlay_path()
        if overlay.exists():
            shutil.copy2(overlay, self.pending / OVERLAY)
        _write_json(self.journal, {"models": models, "had": had, "overlay": overlay.exists(),
                                   "started": time.time(), **note})

    def _read_journal(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("models"), list) else None

    def restore(self) -> list[str]:
        """Put the snapshotted models and overlay back; returns the models touched."""
        journal = self._read_journal()
        if journal is None:
            raise FileNotFoundError(f"no update journal at {self.journal}")
        models = [str(m) for m in journal["models"]]
        had = {str(m) for m in journal.get("had", [])}
        for name in models:
            target = self.root / name
            failed = self.root / f".failed-{name}"
            shutil.rmtree(failed, ignore_errors=True)
            if target.exists():
                os.replace(target, failed)
            if name in had:
                os.replace(self.pending / name, target)
            shutil.rmtree(failed, ignore_errors=True)
        overlay = overlay_path()
        if journal.get("overlay"):
            shutil.copy2(self.pending / OVERLAY, overlay.with_name(OVERLAY + ".restore"))
            os.replace(overlay.with_name(OVERLAY + ".restore"), overlay)
        else:
            overlay.unlink(missing_ok=True)
        self._clean_install_leftovers()
        self.journal.unlink()
        shutil.rmtree(self.pending, ignore_errors=True)
        logger.warning("update rolled back: %s restored", ", ".join(models))
        return models

    def commit(self) -> None:
        """The update is good: keep its snapshot as ``previous`` and forget the journal."""
        shutil.rmtree(self.previous, ignore_errors=True)
        os.replace(self.pending, self.previous)
        journal = self._read_journal() or {}
        _write_json(self.previous / "journal.json", {**journal, "committed": time.time()})
        self.journal.unlink(missing_ok=True)

    def recover(self) -> dict[str, Any] | None:
        """At start: undo an update that never finished. Returns its journal, if any."""
        journal = self._read_journal()
        if journal is None:
            if self.pending.exists():  # died while snapshotting: nothing was installed
                shutil.rmtree(self.pending, ignore_errors=True)
            return None
        logger.warning("an update was interrupted (%s): rolling back", journal.get("bundle"))
        self.restore()
        return journal

    def _clean_install_leftovers(self) -> None:
        for leftover in [*self.root.glob(".staging-*"), *self.root.glob(".old-*")]:
            shutil.rmtree(leftover, ignore_errors=True)
