"""``kiosk-fleet watch``: a live, colour-coded table an operator keeps open.

One row per device: status (ONLINE / STALE / OFFLINE, and degraded), when it was
last heard, engines, response latency p50, turns, the device's outbox (pending,
dead letters, shed), its link, config applied vs desired, alarms. Red needs a
person, amber needs a look, green is fine. The table is a Rich ``Live`` on a
terminal and a plain reprint elsewhere (a log, a pipe).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from appliance.fleet import status

STYLE = {"ok": "green", "warn": "yellow", "bad": "bold red", "dim": "dim"}
STATUS_TEXT = {"online": ("ONLINE", "ok"), "stale": ("STALE", "warn"),
               "offline": ("OFFLINE", "bad"), "unknown": ("?", "dim")}


def _cell(text_level: tuple[str, str]) -> Text:
    text, level = text_level
    return Text(text, style=STYLE[level])


def status_cell(device: dict[str, Any]) -> tuple[str, str]:
    """ONLINE/STALE/OFFLINE, with 'degraded' when the device says so."""
    text, level = STATUS_TEXT[device["status"]]
    health = device.get("health") or {}
    if device["status"] == "online" and health.get("status") == "degraded":
        return f"{text} degraded", "warn"
    return text, level


def devices_table(devices: list[dict[str, Any]], now: float) -> Table:
    """The watch table for store rows (annotated here as of ``now``)."""
    rows = [status.annotate(d, now) for d in devices]
    counts = {k: sum(1 for d in rows if d["status"] == k) for k in STATUS_TEXT}
    table = Table(title=f"kiosk fleet: {len(rows)} devices, {counts['online']} online, "
                        f"{counts['stale']} stale, {counts['offline']} offline "
                        f"({time.strftime('%H:%M:%S', time.localtime(now))})",
                  title_justify="left", expand=False)
    for column in ("DEVICE", "SITE", "STATUS", "SEEN", "ENGINES", "RESP p50", "TURNS",
                   "OUTBOX", "LINK", "CONFIG", "ALARMS"):
        table.add_column(column, no_wrap=True)
    for d in rows:
        health = d.get("health") or {}
        # a silent device's last health is history: dim it rather than vouch for it
        live = d["status"] == "online"

        def cell(pair: tuple[str, str], live: bool = live) -> Text:
            return _cell(pair if live else (pair[0], "dim"))

        table.add_row(
            d["device_id"], str(d.get("site", "")), _cell(status_cell(d)),
            _cell((status.human_age(d["age_s"]), "ok" if live else "warn")),
            cell(status.engines_cell(health)), cell(status.latency_cell(health)),
            cell(status.turns_cell(health)), cell(status.outbox_cell(health)),
            cell(status.link_cell(health)), _cell(status.config_cell(d)),
            _cell(status.alarms_cell(d)),
        )
    if not rows:
        table.caption = "no devices yet (is an ingester running? try 'kiosk-fleet ingest')"
    return table


def watch(rows: Callable[[], list[dict[str, Any]]], interval: float, duration: float,
          console: Console | None = None) -> None:
    """Redraw the table every ``interval`` s for ``duration`` s (0 = until Ctrl-C)."""
    console = console or Console()
    if not console.is_terminal and console.width < 200:
        # a log or a pipe has no width to fit: never cut a device id to "dev-w…"
        console = Console(file=console.file, width=200, color_system=None)
    start = time.monotonic()

    def running() -> bool:
        return not duration or time.monotonic() - start < duration

    if not console.is_terminal:  # a log or a pipe: one table per refresh
        while running():
            console.print(devices_table(rows(), time.time()))
            time.sleep(min(interval, duration or interval))
        return
    with Live(devices_table(rows(), time.time()), console=console, auto_refresh=False,
              screen=False) as live:
        while running():
            time.sleep(min(interval, duration or interval))
            live.update(devices_table(rows(), time.time()), refresh=True)
