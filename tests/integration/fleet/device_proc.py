"""A kiosk stand-in run as its own process, so tests can ``kill -9`` it.

Usage: ``python device_proc.py SETTINGS_JSON`` where the JSON holds
``{"telemetry": {...TelemetrySettings...}, "site", "device_id", "data_dir", "runs_file"}``.
It registers ``sleep`` (appends its id to ``runs_file``, then sleeps ``args.s``) and
runs until SIGTERM.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from appliance.settings import TelemetrySettings
from appliance.telemetry import TelemetryAgent, builtins


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    cfg = json.loads(Path(sys.argv[1]).read_text())
    agent = TelemetryAgent(TelemetrySettings(**cfg["telemetry"]), site=cfg["site"],
                           device_id=cfg["device_id"], data_dir=Path(cfg["data_dir"]))
    builtins.install(agent)  # rebirth, selftest, logs
    runs = Path(cfg["runs_file"])

    def sleep(args: dict[str, Any]) -> dict[str, Any]:
        with runs.open("a") as fh:
            fh.write(f"{args.get('tag', '')}\n")
        time.sleep(float(args.get("s", 0)))
        return {"slept": args.get("s", 0)}

    agent.register_command("sleep", sleep)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: done.set())
    agent.start()
    print("ready", flush=True)
    done.wait()
    agent.stop()


if __name__ == "__main__":
    main()
