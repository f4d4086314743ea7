"""Read libpg_query's JSON output without decoding the parts no rule reads.

`parse_sql_json` prints `{"version":N,"stmts":[{"stmt":{"Kind":{...}},"stmt_location":L,"stmt_len":N},...]}`.
`json.loads` of it all was the largest single cost of a lint run, yet most statements (GRANT,
COMMENT, INSERT, views) have no checker. So each statement's kind, location and length are read
off the text with two regexes, and its body stays JSON text until a checker reads it
(`sqlfile.Stmt.body`).

Why the regexes cannot be fooled: inside JSON strings every `"` is escaped, so an unescaped
`{"stmt":{"` is structure, and of all parse nodes only RawStmt (the top-level entries) has a
`stmt` field. Every entry's tail is checked anyway; on any surprise we decode the whole tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.scanner import make_scanner
from typing import Any, NamedTuple

_HEAD = re.compile(r'\{"stmt":\{"(\w+)":')
# The end of each entry: `}}` closing the body and `{"Kind": ...}`, then the non-zero position fields.
_TAIL = re.compile(r'\}\}(?:,"stmt_location":(\d+))?(?:,"stmt_len":(\d+))?\}(?=,\{"stmt":\{"|\]\}\Z)')
_FUNCTION = '\n{"PLpgSQL_function":'  # parse_plpgsql_json prints one function a line
# json's C scanner decodes the one value starting at an index, without slicing it out first
_SCAN: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


class RawStmt(NamedTuple):
    """One top-level statement; its body is the JSON value at `at` in `tree` (see `decode`)."""

    kind: str
    tree: str
    at: int
    location: int
    length: int


def decode(tree: str, at: int) -> dict[str, Any]:
    """The JSON object starting at index `at` of `tree`."""
    body: dict[str, Any] = _SCAN(tree, at)[0]
    return body


def statements(tree: str) -> list[RawStmt]:
    """The statements of a `parse_sql_json` result, in order, bodies left undecoded."""
    heads = list(_HEAD.finditer(tree))
    tails = _TAIL.findall(tree)
    if len(tails) != len(heads):
        return _decoded(tree)
    return [RawStmt(head.group(1), tree, head.end(), int(loc or 0), int(length or 0))
            for head, (loc, length) in zip(heads, tails, strict=True)]


def _decoded(tree: str) -> list[RawStmt]:
    """The slow way, should the text ever not have the expected shape."""
    out = []
    for raw in json.loads(tree).get("stmts", ()):
        ((kind, body),) = raw["stmt"].items()
        out.append(RawStmt(kind, json.dumps(body), 0, raw.get("stmt_location", 0), raw.get("stmt_len", 0)))
    return out


def plpgsql_functions(result: str) -> list[str]:
    """The JSON text of each function in a `parse_plpgsql_json` result, in input order."""
    return result.split(_FUNCTION)[1:]
