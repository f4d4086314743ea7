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
from typing import Any, NamedTuple

_HEAD = '{"stmt":{"'
# The end of each entry: `}}` closing the body and `{"Kind": ...}`, then the non-zero position fields.
_TAIL = re.compile(r'\}\}(,"stmt_location":(\d+))?(,"stmt_len":(\d+))?\}(?=,\{"stmt":\{"|\]\}\Z)')
_FUNCTION = '\n{"PLpgSQL_function":'  # parse_plpgsql_json prints one function a line


class RawStmt(NamedTuple):
    """One top-level statement: `body` is the node's JSON text (or the decoded dict, on fallback)."""

    kind: str
    body: str | dict[str, Any]
    location: int
    length: int


def statements(tree: str) -> list[RawStmt]:
    """The statements of a `parse_sql_json` result, in order, bodies left undecoded."""
    parts = tree.split(_HEAD)[1:]
    tails = _TAIL.findall(tree)
    if len(tails) != len(parts):
        return _decoded(tree)
    out = []
    for part, (loc_field, loc, len_field, length) in zip(parts, tails, strict=True):
        kind = part[:part.find('"')]
        # part: Kind":{body}} + fields + } + "," (or "]}" after the last one)
        cut = len(part) - len(loc_field) - len(len_field) - 3 - (part[-1] == "}")
        out.append(RawStmt(kind, part[len(kind) + 2:cut], int(loc or 0), int(length or 0)))
    return out


def _decoded(tree: str) -> list[RawStmt]:
    out = []
    for raw in json.loads(tree).get("stmts", ()):
        ((kind, body),) = raw["stmt"].items()
        out.append(RawStmt(kind, body, raw.get("stmt_location", 0), raw.get("stmt_len", 0)))
    return out


def plpgsql_functions(result: str) -> list[str]:
    """The JSON text of each function in a `parse_plpgsql_json` result, in input order."""
    return result.split(_FUNCTION)[1:]
