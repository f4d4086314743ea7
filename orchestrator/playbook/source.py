"""YAML -> plain Python data plus the line of every key path, with `${VAR}` interpolation.

We walk PyYAML's node graph ourselves (instead of `yaml.safe_load`) so that every value
keeps its line: errors can then say `playbook.yaml:12: steps[3].functions.names[1]: ...`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Located:
    line: int | None
    path: str
    message: str


@dataclass
class Source:
    """The parsed document, the line of each path, and the problems found while reading it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Located] = field(default_factory=list)
    variables: dict[Path_, list[str]] = field(default_factory=dict)  # the ${VAR}s each value names

    def line_of(self, path: Path_) -> int | None:
        """The line of the longest known prefix of `path`."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


class _Walker:
    def __init__(self, env: Mapping[str, str], missing_ok: Callable[[Path_], bool]) -> None:
        self.env, self.missing_ok = env, missing_ok
        self.source = Source(data=None)
        self._scalars = yaml.constructor.SafeConstructor()

    def node(self, node: yaml.Node, path: Path_) -> Any:
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.node(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self._scalars.construct_object(node)
        return self.interpolate(value, node, path) if isinstance(value, str) else value

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(self._scalars.construct_object(key_node))
            sub = (*path, key)
            if key in out:
                self.problem(key_node, sub, "duplicate key; each key may appear once")
            self.source.lines[sub] = key_node.start_mark.line + 1
            out[key] = self.node(value_node, sub)
        return out

    def interpolate(self, value: str, node: yaml.Node, path: Path_) -> str:
        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            self.source.variables.setdefault(path, []).append(name)
            if name in self.env and self.env[name] != "":
                return self.env[name]
            if default is not None:
                return default
            if not self.missing_ok(path):
                self.problem(node, path, f"environment variable {name} is not set; export it or put it "
                                         f"in the --env-file, or write ${{{name}:-default}}")
            return ""

        return _VAR.sub(sub, value)

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.source.problems.append(Located(node.start_mark.line + 1, format_path(path), message))


def read_source(text: str, env: Mapping[str, str],
                missing_ok: Callable[[Path_], bool] = lambda p: False) -> Source:
    """Parse YAML text. Syntax errors become a single problem with the parser's line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        return Source(data=None, problems=[Located(line, "", f"invalid YAML: {exc.problem}")])
    walker = _Walker(env, missing_ok)
    walker.source.data = walker.node(root, ()) if root is not None else None
    return walker.source
