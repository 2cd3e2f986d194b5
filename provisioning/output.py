"""What the technician sees: coloured status lines, tables, progress bars, or JSON.

Every command builds one result dict. With ``--json`` that dict is the only
thing printed on stdout (for scripts); otherwise the command prints friendly
lines as it goes and the dict is not shown. Every JSON object carries
``"v": JSON_VERSION``; the shapes are documented in docs/cli-json.md and a
change that breaks a reader bumps the version.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from appliance.system.jsonout import JSON_VERSION

STATUS_STYLE = {
    "pass": "bold green",
    "ok": "bold green",
    "warn": "bold yellow",
    "fail": "bold red",
    "skip": "dim",
}
STATUS_MARK = {"pass": "✔", "ok": "✔", "warn": "!", "fail": "✘", "skip": "–"}


class NullProgress:
    """Stands in for a Rich progress bar when nothing may be drawn (``--json``)."""

    def add_task(self, description: str, total: float | None = None, **_: Any) -> TaskID:
        return TaskID(0)

    def update(self, task: TaskID, **_: Any) -> None:
        return None

    def advance(self, task: TaskID, advance: float = 1) -> None:
        return None


class Output:
    """Prints for humans, or collects silently for ``--json``."""

    def __init__(self, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self.console = Console(highlight=False, soft_wrap=True)
        self.errors = Console(stderr=True, highlight=False, soft_wrap=True)

    def line(self, text: str) -> None:
        if not self.json_mode:
            self.console.print(text)

    def raw(self, text: str) -> None:
        """Text printed as is (no Rich markup: TOML's ``[table]`` lines stay intact)."""
        if not self.json_mode:
            self.console.print(text, markup=False, highlight=False)

    def status(self, state: str, text: str) -> None:
        """One coloured status line: ``✔ key generated``."""
        if not self.json_mode:
            style = STATUS_STYLE.get(state, "")
            mark = STATUS_MARK.get(state, "•")
            self.console.print(f"[{style}]{mark}[/] {text}")

    def ok(self, text: str) -> None:
        self.status("ok", text)

    def warn(self, text: str) -> None:
        if self.json_mode:
            return
        self.console.print(f"[bold yellow]![/] {text}")

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        if self.json_mode:
            return
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            state = row[1] if len(row) > 1 else ""
            styled = [f"[{STATUS_STYLE[state]}]{c}[/]" if i == 1 and state in STATUS_STYLE else c
                      for i, c in enumerate(row)]
            table.add_row(*styled)
        self.console.print(table)

    def emit(self, result: dict[str, Any]) -> None:
        """The command's result: JSON on stdout with ``--json``; else nothing."""
        if self.json_mode:
            doc = {"v": JSON_VERSION, **result}
            sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")
            sys.stdout.flush()

    def error(self, code: str, message: str, hint: str = "") -> None:
        """A one-line error (never a traceback)."""
        if self.json_mode:
            payload = {"v": JSON_VERSION, "ok": False,
                       "error": {"code": code, "message": message, "hint": hint}}
            sys.stdout.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
            sys.stdout.flush()
            return
        self.errors.print(f"[bold red]error[/] [dim]({code})[/] {message}")
        if hint:
            self.errors.print(f"  [cyan]hint:[/] {hint}")

    @contextlib.contextmanager
    def progress(self) -> Iterator[Progress | NullProgress]:
        """A progress bar for long steps (silent with ``--json`` or off a terminal)."""
        if self.json_mode:
            yield NullProgress()
            return
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not self.console.is_terminal,
        ) as bar:
            yield bar
