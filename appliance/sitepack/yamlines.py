"""YAML and JSON loading that remembers the line of every value.

Site pack files are read with PyYAML's composer, which keeps a start mark on
every node. :func:`load_yaml` returns the plain Python value together with a
:class:`Lines` index from a key path (``("intents", 3, "examples", 0)``) to the
1-based line it came from, so a validator can name the line of each problem.
JSON is read the same way (JSON is YAML's flow syntax), after :mod:`json` has
checked the syntax, so feeds get lines too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[Any, ...]


class YamlSyntaxError(ValueError):
    """A file is not valid YAML/JSON; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Lines:
    """Line numbers (1-based) of the values in one parsed document."""

    by_path: dict[PathKey, int] = field(default_factory=dict)

    def at(self, *path: Any) -> int:
        """The line of ``path``, or of its nearest known ancestor (1 for the root)."""
        key: PathKey = tuple(path)
        while key:
            if key in self.by_path:
                return self.by_path[key]
            key = key[:-1]
        return self.by_path.get((), 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _build(node: yaml.Node, path: PathKey, lines: Lines) -> Any:
    lines.by_path[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            here: PathKey = (*path, key)
            out[key] = _build(value_node, here, lines)
            # the key line is the more useful place for a mapping entry
            lines.by_path[here] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode):
                lines.by_path[here] = value_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)  # type: ignore[arg-type]


def loads_yaml(text: str) -> tuple[Any, Lines]:
    """Parse one YAML document; raises :class:`YamlSyntaxError` with the line."""
    lines = Lines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise YamlSyntaxError(str(exc.problem or exc), line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 0) from exc
    if node is None:
        return None, lines
    try:
        return _build(node, (), lines), lines
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(str(exc.problem), mark.line + 1 if mark else 0) from exc


def loads_json(text: str) -> tuple[Any, Lines]:
    """Parse JSON strictly, then index its lines; raises :class:`YamlSyntaxError`."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise YamlSyntaxError(exc.msg, exc.lineno) from exc
    return loads_yaml(text.replace("\t", " "))


def load_file(path: Path) -> tuple[Any, Lines]:
    """Load ``path`` (``.json`` as JSON, anything else as YAML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(f"not UTF-8 text: {exc}", 0) from exc
    if path.suffix == ".json":
        return loads_json(text)
    return loads_yaml(text)
