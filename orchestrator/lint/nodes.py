"""Small readers over libpg_query's JSON parse tree (plain dicts, never pglast node objects).

Walking dicts from `parse_sql_json` is several times faster than building pglast's Python
nodes, which matters on thousands of migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]


def strings(items: list[Node] | None) -> list[str]:
    """The `sval`s of a list like `[{"String": {"sval": "public"}}, ...]`."""
    return [i["String"]["sval"] for i in items or () if "String" in i]


def qualified(rel: Node | None, default_schema: str = "public") -> str:
    """`schema.table` of a RangeVar, assuming unqualified names land in `public`."""
    if not rel:
        return ""
    return f"{rel.get('schemaname', default_schema)}.{rel.get('relname', '')}"


def dotted(names: list[str], default_schema: str = "public") -> str:
    """`schema.name` from a name list of length one or two (or more: database-qualified)."""
    return ".".join(names[-2:]) if len(names) > 1 else f"{default_schema}.{names[0]}" if names else ""


def type_name(tn: Node | None) -> tuple[str, list[int]]:
    """(`varchar`, [20]) for `varchar(20)`; the pg_catalog prefix is dropped."""
    if not tn:
        return "", []
    names = [n["String"]["sval"] for n in tn.get("names", ()) if "String" in n and n["String"]["sval"] != "pg_catalog"]
    typmods = tn.get("typmods")
    mods = [m["A_Const"]["ival"].get("ival", 0) for m in typmods if "ival" in m.get("A_Const", {})] if typmods else []
    suffix = "[]" if tn.get("arrayBounds") else ""
    return ".".join(names) + suffix, mods


def walk(obj: Any) -> Iterator[tuple[str, Node]]:
    """Every (kind, body) pair below `obj`, depth first."""
    stack = [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for key, val in cur.items():
                if isinstance(val, dict):
                    if key[:1].isupper():
                        yield key, val
                    stack.append(val)
                elif isinstance(val, list):
                    stack.extend(val)
        elif isinstance(cur, list):
            stack.extend(cur)


def func_names(obj: Any) -> Iterator[str]:
    """Lower-cased names of every function called below `obj`."""
    for kind, body in walk(obj):
        if kind == "FuncCall":
            names = strings(body.get("funcname"))
            if names:
                yield names[-1].lower()
        elif kind == "SQLValueFunction":
            yield str(body.get("op", "")).lower()


def location(body: Node, fallback: int) -> int:
    loc = body.get("location", -1)
    return int(loc) if isinstance(loc, int) and loc >= 0 else fallback


def def_elems(options: list[Node] | None) -> dict[str, Node]:
    """`{defname: DefElem}` of an options list (function options, SET clauses)."""
    return {o["DefElem"]["defname"]: o["DefElem"] for o in options or () if "DefElem" in o}
