"""YAML -> plain Python data plus the line of every key path, with `${VAR}` interpolation.

We walk PyYAML's node graph ourselves (instead of `yaml.safe_load`) so that every value
keeps its line: errors can then say `playbook.yaml:12: steps[3].functions.names[1]: ...`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
# `${NAME}` or `${NAME:-default}` anywhere in a string value (never in a key). The JSON Schema uses the
# same pattern (ECMA-262 reads it alike) for values it cannot judge before substitution.
VARIABLE_PATTERN = r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}"
_VAR = re.compile(VARIABLE_PATTERN)


class Substituted(str):
    """A string value that named at least one `${VAR}`: the text after substitution. Fields typed
    boolean or integer parse it (`${APPROVE:-false}`, `${MAX_ERRORS:-0}`); written as a literal
    string, `"false"` or `"0"` would be refused, as the JSON Schema refuses it."""


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


MAX_DEPTH = 40  # a real playbook nests 6 deep; the composer recurses per level
MAX_VALUES = 100_000  # values after alias expansion (a billion-laughs file would make ~10^9)
_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_STD}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAGS = {f"{_STD}map", f"{_STD}seq"}
_MERGE = f"{_STD}merge"


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node = node


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer with a depth limit (it recurses once per level: 1,000 `[` crash it)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Walker:
    def __init__(self, env: Mapping[str, str] | None, missing_ok: Callable[[Path_], bool], text: str) -> None:
        self.env, self.missing_ok = env, missing_ok
        self.source = Source(data=None)
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._scalars = yaml.constructor.SafeConstructor()
        self._values = 0
        self._merging: set[int] = set()  # mappings being merged now (`&a {<<: *a}` would never end)

    def node(self, node: yaml.Node, path: Path_) -> Any:
        self._values += 1
        if self._values > MAX_VALUES:
            raise _TooBig(node, f"more than {MAX_VALUES:,} values (aliases expanding without bound?)")
        if len(path) > MAX_DEPTH:  # an alias inside its own anchor (`&r [*r]`) nests without end
            raise _TooBig(node, f"nested deeper than {MAX_DEPTH} levels (an alias inside its own anchor?)")
        self.source.lines.setdefault(path, self.line(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _COLLECTION_TAGS:
            self.problem(node, path, f"YAML tag {_tag(node.tag)} is not supported in a playbook; remove it")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.node(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self.scalar(node, path)
        if isinstance(value, str) and self.env is not None:
            return self.interpolate(value, node, path, self.env)
        return value

    def line(self, node: yaml.Node) -> int:
        """The line an editor shows: YAML also counts CR, NEL and U+2028 as line breaks."""
        return bisect.bisect_right(self._starts, node.start_mark.index)

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, f"YAML tag {_tag(node.tag)} is not supported in a playbook; remove it")
            return None
        try:
            return self._scalars.construct_object(node)
        except Exception:  # noqa: BLE001 - PyYAML's constructors raise ValueError, KeyError, AttributeError...
            kind = node.tag.removeprefix(_STD)
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            self.problem(node, path, f"{shown!r} is not a valid {kind}"
                         + (" (too many digits)" if kind == "int" and len(node.value) > 4000 else ""))
            return None

    def mapping(self, node: yaml.MappingNode, path: Path_, merging: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append((key_node, value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a key must be a plain string, not a list or mapping")
                continue
            key = str(self.scalar(key_node, path))
            sub = (*path, key)
            if key in out:
                self.problem(key_node, sub, "duplicate key; each key may appear once")
            if merging:  # a key written in the merging mapping keeps its own line
                self.source.lines.setdefault(sub, self.line(key_node))
            else:
                self.source.lines[sub] = self.line(key_node)
            out[key] = self.node(value_node, sub)
        # YAML merge keys (`<<: *base`): keys written here win over merged ones
        merged: dict[str, Any] = {}
        for key_node, value_node in merges:
            self.merge(key_node, value_node, path, merged)
        return {**merged, **out}

    def merge(self, key_node: yaml.Node, value_node: yaml.Node, path: Path_, into: dict[str, Any]) -> None:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.problem(key_node, path, "<< merges a mapping (or a list of mappings), e.g. `<<: *base`")
                return
            if id(source) in self._merging:
                self.problem(key_node, path, "<< merges a mapping into itself")
                return
            self._merging.add(id(source))
            try:
                merged = self.mapping(source, path, merging=True)
            finally:
                self._merging.discard(id(source))
            for key, value in merged.items():
                into.setdefault(key, value)  # the first mapping listed wins

    def interpolate(self, value: str, node: yaml.Node, path: Path_, env: Mapping[str, str]) -> str:
        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            self.source.variables.setdefault(path, []).append(name)
            if name in env and env[name] != "":
                return env[name]
            if default is not None:
                return default
            if not self.missing_ok(path):
                self.problem(node, path, f"environment variable {name} is not set; export it or put it "
                                         f"in the --env-file, or write ${{{name}:-default}}")
            return ""

        text, count = _VAR.subn(sub, value)
        return Substituted(text) if count else value

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.source.problems.append(Located(self.line(node), format_path(path), message))


def read_source(text: str, env: Mapping[str, str] | None,
                missing_ok: Callable[[Path_], bool] = lambda p: False) -> Source:
    """Parse YAML text. Syntax errors and limits become a single problem with the parser's line.
    With `env` None, `${VAR}`s are left as written: the document an editor validates against the
    JSON Schema (merge keys applied, keys as strings)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = text.count("\n", 0, mark.index) + 1 if mark else None
        return Source(data=None, problems=[Located(line, "", f"invalid YAML: {exc.problem}")])
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return Source(data=None, problems=[Located(line, "", f"character #x{exc.character:04x} is not "
                                                             "allowed in YAML (a control character?)")])
    except yaml.YAMLError as exc:
        return Source(data=None, problems=[Located(None, "", f"invalid YAML: {exc}")])
    walker = _Walker(env, missing_ok, text)
    try:
        walker.source.data = walker.node(root, ()) if root is not None else None
    except _TooBig as exc:
        return Source(data=None, problems=[Located(walker.line(exc.node), "", str(exc))])
    return walker.source


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag
