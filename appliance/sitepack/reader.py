"""Typed access to one parsed site-pack file that records problems at their line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from appliance.sitepack.model import Problem
from appliance.sitepack.yamlines import Lines, YamlSyntaxError, load_file

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class FileReader:
    """One file of a pack: its data, its line index, and the shared problem list.

    Getters never raise: a missing or mistyped value is recorded as a problem at the
    line of the value (or of its parent) and a harmless default is returned.
    """

    def __init__(self, root: Path, rel: str, problems: list[Problem], *,
                 required: bool = True) -> None:
        self.rel = rel
        self.problems = problems
        self.data: Any = None
        self.lines = Lines()
        self.ok = False
        path = root / rel
        if not path.is_file():
            if required:
                self.problems.append(Problem(rel, 0, "file is missing"))
            return
        try:
            self.data, self.lines = load_file(path)
        except YamlSyntaxError as exc:
            self.problems.append(Problem(rel, exc.line, f"syntax error: {exc}"))
            return
        except OSError as exc:
            self.problems.append(Problem(rel, 0, f"cannot read: {exc}"))
            return
        self.ok = True

    def line(self, *path: Any) -> int:
        return self.lines.at(*path)

    def error(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(self.rel, self.line(*path), message))

    def warn(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(self.rel, self.line(*path), message, "warning"))

    def mapping(self, value: Any, path: tuple[Any, ...], what: str) -> dict[Any, Any]:
        if isinstance(value, dict):
            return value
        self.error(path, f"{what} must be a mapping (key: value), got {_kind(value)}")
        return {}

    def seq(self, value: Any, path: tuple[Any, ...], what: str) -> list[Any]:
        if isinstance(value, list):
            return value
        if value is None:
            return []
        self.error(path, f"{what} must be a list, got {_kind(value)}")
        return []

    def text(self, obj: dict[Any, Any], path: tuple[Any, ...], key: str, *,
             required: bool = True, default: str = "") -> str:
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, f"missing required key '{key}'")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error((*path, key), f"'{key}' must be text, got {_kind(value)}")
            return default
        out = str(value).strip()
        if required and not out:
            self.error((*path, key), f"'{key}' must not be empty")
        return out

    def number(self, obj: dict[Any, Any], path: tuple[Any, ...], key: str, *,
               default: float, minimum: float | None = None) -> float:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error((*path, key), f"'{key}' must be a number, got {_kind(value)}")
            return default
        if minimum is not None and value < minimum:
            self.error((*path, key), f"'{key}' must be at least {minimum}, got {value}")
        return float(value)

    def texts(self, obj: dict[Any, Any], path: tuple[Any, ...], key: str, *,
              required: bool = False) -> list[str]:
        if key not in obj:
            if required:
                self.error(path, f"missing required key '{key}'")
            return []
        out = []
        for i, item in enumerate(self.seq(obj[key], (*path, key), f"'{key}'")):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.error((*path, key, i), f"'{key}' item must be text, got {_kind(item)}")
            elif not str(item).strip():
                self.error((*path, key, i), f"'{key}' item must not be empty")
            else:
                out.append(str(item).strip())
        return out

    def unknown_keys(self, obj: dict[Any, Any], path: tuple[Any, ...], known: set[str]) -> None:
        for key in obj:
            if key not in known:
                self.warn((*path, key), f"unknown key '{key}' (ignored); known: "
                          + ", ".join(sorted(known)))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)
