"""``make bench``: measure the kiosk and write ``build/bench.json``.

Each area is one nested object, measured by one module of this room
(``appliance/bench/<area>.py``, ``run(quick) -> dict``; :data:`AREAS`) and merged
in. Figures already in the file are kept unless re-measured.

    python -m appliance.bench                 # everything
    python -m appliance.bench --only speech_loop --quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import appliance
from appliance.bench.speech_loop import run as bench_speech_loop

logger = logging.getLogger(__name__)

AREAS = ("asr_bias", "audio", "avatar", "conversation", "fleet", "languages", "nlu", "runtime",
         "system", "tts", "vision")
"""The areas besides the speech loop, in the order they run (and first appear in the file).
``fleet_soak`` (``make soak``) and ``gpu_check`` (``make gpu-check``) run on their own."""


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu, "cores": os.cpu_count(), "kiosk": appliance.__version__}


def area_modules() -> dict[str, str]:
    """The bench areas of :data:`AREAS`: area -> module name."""
    return {area: f"appliance.bench.{area}" for area in AREAS}


def merge_figures(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, recursively: a figure this run did not measure (another
    machine's GPU backend, an area's optional part) stays in the file."""
    if not isinstance(old, dict):
        return new
    merged = dict(old)
    merged.pop("error", None)
    merged.pop("error_at", None)
    for key, value in new.items():
        merged[key] = merge_figures(old.get(key), value) if isinstance(value, dict) else value
    return merged


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write(out: Path, data: dict[str, Any]) -> None:
    """Atomically replace ``out`` with ``data`` plus the machine and the date."""
    data["machine"] = _machine()
    data["date"] = dt.date.today().isoformat()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/bench.json", help="JSON file to update")
    parser.add_argument("--only", action="append", help="measure only this area (repeatable)")
    parser.add_argument("--quick", action="store_true", help="small samples (smoke test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)
    data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    areas: dict[str, Any] = {"speech_loop": bench_speech_loop}
    for area, module in area_modules().items():
        areas[area] = module
    failed = 0
    for area, runner in areas.items():
        if args.only and area not in args.only:
            continue
        print(f">> bench {area}...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            fn = runner if callable(runner) else importlib.import_module(runner).run
            result = fn(quick=args.quick)
        except Exception as exc:  # one broken area must not lose the others' figures
            logger.exception("bench %s failed", area)
            failed += 1
            # keep the last good figures of this area, and say why they were not renewed
            result = dict(data.get(area) or {})
            result["error"] = repr(exc)[:500]
            result["error_at"] = _now()
            data[area] = result
            _write(out, data)
            continue
        result["measured_at"] = _now()
        result["bench_seconds"] = round(time.monotonic() - started, 1)
        result["quick"] = bool(args.quick)
        print(json.dumps({area: result}, indent=1), file=sys.stderr)
        data[area] = merge_figures(data.get(area), result)
        _write(out, data)  # after every area: a crash later loses nothing measured
    print(f"wrote {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
