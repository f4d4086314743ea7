"""One migration file parsed once: its statements (and those inside PL/pgSQL bodies), positions
and ignore comments.

Offsets are byte offsets into the UTF-8 file, as libpg_query reports them; `pos()` turns them
into 1-based line and character column. Statements inside `CREATE FUNCTION ... LANGUAGE plpgsql`
and `DO` bodies are reparsed with `parse_plpgsql_json` and placed at their real line in the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import Path

from pglast import parser as pg

from orchestrator.lint import squawk
from orchestrator.lint.nodes import Node, def_elems
from orchestrator.lint.pgjson import RawStmt, decode, plpgsql_functions, statements

_TRIVIA = re.compile(rb"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_IGNORE = re.compile(rb"--[ \t]*orchestrator-lint:[ \t]*(ignore-file|ignore)\b([^\n]*)")
_SQUAWK_IGNORE = re.compile(rb"--[ \t]*squawk-(ignore-file|ignore)\b([^\n]*)")
_DOLLAR_TAG = re.compile(rb"\$[A-Za-z_0-9]*\$")
# Read the few fields we need straight from PL/pgSQL's JSON: much cheaper than loading it all.
_EXECSQL = re.compile(r'"PLpgSQL_stmt_execsql":\{"lineno":(\d+),"sqlstmt":\{"PLpgSQL_expr":\{"query":("(?:[^"\\]|\\.)*")')
# Only statements some rule looks at are worth reparsing (INSERT and SELECT have no rules).
_RELEVANT = frozenset({"update", "delete", "with", "create", "alter", "drop", "truncate", "begin", "commit",
                       "rollback", "start", "end", "reindex", "set", "select"})
_KEYWORDS = re.compile(rb"(?i)\b(?:update|delete|create|alter|drop|truncate|commit|rollback|reindex|set_config)\b")


@dataclass
class Stmt:
    """One statement. `runs_now` is False inside function bodies (they run when called).

    Its node is decoded from the parser's JSON (`tree` at `at`) when a checker first reads `body`."""

    kind: str
    tree: str
    at: int
    start: int
    end: int
    index: int
    parent: int | None = None
    runs_now: bool = True
    ignores: frozenset[str] = frozenset()
    base: int | None = 0  # where the text the tree's `location`s count from starts (None: not in the file)

    def offset(self, node: Node) -> int:
        """The file offset of a node of this statement's tree (its own start when unknown). Inside a
        function body or DO block, locations count from the embedded query, not from the file."""
        loc = node.get("location", -1)
        if self.base is None or not isinstance(loc, int) or loc < 0:
            return self.start
        return self.base + loc

    @cached_property
    def body(self) -> Node:
        return decode(self.tree, self.at)

    @cached_property
    def cmds(self) -> list[Node]:
        """The AlterTableCmd bodies of an ALTER TABLE (most of its checkers read them)."""
        return [c["AlterTableCmd"] for c in self.body.get("cmds", ()) if "AlterTableCmd" in c]

    @property
    def nested(self) -> bool:
        return self.parent is not None


@dataclass(frozen=True)
class IgnoreComment:
    offset: int
    file_level: bool
    rules: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int
    message: str


class SqlFile:
    """A parsed migration file. `stmts` lists top-level statements, each followed by its nested ones."""

    def __init__(self, path: Path, display: str, data: bytes) -> None:
        self.path, self.display, self.data = path, display, data
        self._line_starts: list[int] | None = None
        self.stmts: list[Stmt] = []
        self.errors: list[SyntaxProblem] = []
        self.unchecked: list[SyntaxProblem] = []  # bodies the offline compiler could not read
        self.comments = _ignore_comments(data)
        self.file_ignores = {r for c in self.comments if c.file_level for r in c.rules}

    # positions -------------------------------------------------------------------------------
    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:  # only files with findings or function bodies need it
            # C-level iteration only (no Python frame per line): cumulative lengths of the lines
            lines = map((1).__add__, map(len, self.data.split(b"\n")[:-1]))
            self._line_starts = list(accumulate(lines, initial=0))
        return self._line_starts

    def pos(self, offset: int) -> tuple[int, int]:
        """1-based (line, column in characters) of a byte offset."""
        before = max(offset, 0)
        start = self.data.rfind(b"\n", 0, before) + 1
        col = len(self.data[start:offset].decode("utf-8", "replace")) + 1
        return self.data.count(b"\n", 0, before) + 1, col

    def line_start(self, line: int, near: int = 0) -> int:
        """Offset where 1-based `line` starts (the last line's start when there are fewer lines);
        found by walking from the line holding offset `near` when `line` is not before it."""
        start = self.data.rfind(b"\n", 0, near) + 1
        current = self.data.count(b"\n", 0, start) + 1
        if line < current:
            return self.line_starts[min(line, len(self.line_starts)) - 1]
        for _ in range(line - current):
            after = self.data.find(b"\n", start) + 1
            if after == 0:
                break
            start = after
        return start

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.data)
        return self.data[start:end].decode("utf-8", "replace").rstrip("\r")

    def text(self, stmt: Stmt) -> str:
        return self.data[stmt.start:stmt.end].decode("utf-8", "replace")

    def children(self, stmt: Stmt) -> list[Stmt]:
        return [s for s in self.stmts if s.parent == stmt.index]

    @property
    def top_level(self) -> list[Stmt]:
        return [s for s in self.stmts if s.parent is None]


def load(path: Path, display: str, data: bytes | None = None) -> SqlFile:
    """Read (unless its `data` is given) and parse a file; syntax errors land in `errors`, never raise."""
    if data is None:
        with open(path, "rb") as f:  # pathlib's read_bytes costs twice as much per file
            data = f.read()
    # A UTF-8 byte-order mark: the CLI sends the file as is and Postgres skips it; three spaces keep
    # every byte offset where it was.
    sql = SqlFile(path, display, b"   " + data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    try:
        tree = pg.parse_sql_json(sql.data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        sql.errors.append(SyntaxProblem(exc.start, "file is not valid UTF-8"))
        return sql
    except pg.ParseError as exc:
        sql.errors.append(SyntaxProblem(_char_to_byte(sql.data, exc.args[1] or 0), str(exc.args[0])))
        return sql
    tops = [_statement(sql, raw, 0, len(sql.data), None, True) for raw in statements(tree)]
    bodies = _plpgsql_bodies(sql, tops)
    for stmt in tops:  # each top-level statement is followed by those of its body
        stmt.index = len(sql.stmts)
        sql.stmts.append(stmt)
        if id(stmt) in bodies:
            _add_body(sql, stmt, bodies[id(stmt)])
    _attach_ignores(sql)
    return sql


def _char_to_byte(data: bytes, char_offset: int) -> int:
    return len(data.decode("utf-8", "replace")[:char_offset].encode("utf-8"))


def _statement(sql: SqlFile, raw: RawStmt, base: int, limit: int, parent: int | None, runs_now: bool) -> Stmt:
    lead = base + raw.location
    end = lead + raw.length if raw.length else limit
    trivia = _TRIVIA.match(sql.data, lead, end)
    start = trivia.end() if trivia else lead
    return Stmt(raw.kind, raw.tree, raw.at, start, end, len(sql.stmts), parent, runs_now, base=base)


# PL/pgSQL bodies ---------------------------------------------------------------------------
def _plpgsql_bodies(sql: SqlFile, tops: list[Stmt]) -> dict[int, str]:
    """`{id(stmt): JSON of its compiled body}` for the PL/pgSQL functions and DO blocks worth reading.

    One `parse_plpgsql_json` call for the whole file; when a body does not compile, each is
    parsed alone so the error names its own statement."""
    wanted = [s for s in tops if _plpgsql_body(sql, s) is not None]
    if len(wanted) > 1:
        try:
            found = plpgsql_functions(pg.parse_plpgsql_json("\n;\n".join(map(sql.text, wanted))))
        except pg.ParseError:
            found = []
        if len(found) == len(wanted):
            return {id(s): body for s, body in zip(wanted, found, strict=True)}
    bodies = {}
    for stmt in wanted:
        compiled = _compile_body(sql.text(stmt))
        if isinstance(compiled, str):
            bodies[id(stmt)] = compiled
        elif str(compiled.args[0]).startswith("syntax error"):  # PostgreSQL would refuse it too
            sql.errors.append(SyntaxProblem(stmt.start, f"in PL/pgSQL body: {compiled.args[0]}"))
        else:  # needs the catalog (a type, a table): PostgreSQL may well accept it
            sql.unchecked.append(SyntaxProblem(stmt.start, str(compiled.args[0])))
    return bodies


def _compile_body(text: str) -> str | pg.ParseError:
    """The compiled body's JSON. The offline compiler has no catalog: it cannot resolve types outside
    `public`/`pg_catalog` (`app.role`), arrays of user types, or rows of such tables, which
    PostgreSQL accepts. The statements are what rules read, not the variables' types, so on failure
    the declared types are replaced (same lines, so line numbers hold) and it is compiled again."""
    try:
        return pg.parse_plpgsql_json(text)
    except pg.ParseError as exc:
        first = exc
    tag = _DOLLAR_TEXT.search(text)
    end = text.find(tag.group(0), tag.end()) if tag else -1
    if tag is None or end < 0:
        return first
    head = _HEADER_TYPE.sub("text", text[:tag.start()]) + tag.group(0)  # argument and return types
    for rewrite in (_plain_types, _all_types):
        body = _DECLARATION.sub(rewrite, text[tag.end():end])
        try:
            return pg.parse_plpgsql_json(head + body + text[end:])
        except pg.ParseError:
            continue
    return first


_DOLLAR_TEXT = re.compile(r"\$[A-Za-z_0-9]*\$")
# a type in another schema than public/pg_catalog, in a CREATE FUNCTION header (not the function's
# own name, which a parenthesis follows)
_HEADER_TYPE = re.compile(r'(?i)(?<![\w$."])(?!public\.|pg_catalog\.)(?:[A-Za-z_][\w$]*|"[^"]+")\.'
                          r'(?:[A-Za-z_][\w$]*|"[^"]+")(?![\w$"]|\s*\()')
# `name [constant] type [collate c] [not null] [default|:=|= expr];` inside a DECLARE section
_DECLARATION = re.compile(
    r"(?im)(?P<lead>(?:^|(?<=;)|\bdeclare\b)[ \t]*(?:declare[ \t]+)?"
    r"(?!(?:begin|declare|end|exception|if|for|loop|return|perform|select|update|delete|insert)\b)"
    r"[A-Za-z_][\w$]*[ \t]+(?:constant[ \t]+)?)(?!(?:cursor|alias|refcursor|no[ \t]+scroll|scroll)\b)"
    r"(?P<type>[^;:=\n]+?)(?P<tail>[ \t]*(?:collate[ \t]+\S+[ \t]*)?(?:not[ \t]+null[ \t]*)?(?:(?:default|:=|=)[^;\n]*)?;)")
_FOREIGN_TYPE = re.compile(r"(?i)\b(?!public\.|pg_catalog\.)[A-Za-z_][\w$]*\.[A-Za-z_\"]|\[\s*\d*\s*\]")


def _plain_types(m: re.Match[str]) -> str:
    """Only the types the compiler cannot resolve offline."""
    kind = m.group("type")
    if not _FOREIGN_TYPE.search(kind):
        return m.group(0)
    return _replaced(m)


def _all_types(m: re.Match[str]) -> str:
    return _replaced(m)


def _replaced(m: re.Match[str]) -> str:
    kind = m.group("type").lower()
    new = "record" if "%rowtype" in kind or kind.strip() == "record" else "text"
    return f"{m.group('lead')}{new}{m.group('tail')}"


def _plpgsql_body(sql: SqlFile, stmt: Stmt) -> Node | None:
    """The `AS` option of a PL/pgSQL function or DO block that may hold statements a rule reads."""
    if stmt.kind not in ("CreateFunctionStmt", "DoStmt"):
        return None
    opts = def_elems(stmt.body.get("options") or stmt.body.get("args"))
    lang = opts.get("language", {}).get("arg", {}).get("String", {}).get("sval", "plpgsql")
    body = opts.get("as")
    if lang.lower() != "plpgsql" or body is None or body.get("arg_location", -1) < 0:
        return None
    if not _KEYWORDS.search(sql.data, stmt.start, stmt.end):
        return None  # nothing in the body any rule looks at
    return body


def _add_body(sql: SqlFile, stmt: Stmt, compiled: str) -> None:
    body = _plpgsql_body(sql, stmt)
    assert body is not None  # only such statements were compiled
    body_start = _body_start(sql.data, body["arg_location"])
    first_line = sql.pos(body_start)[0]
    for m in _EXECSQL.finditer(compiled):
        query: str = json.loads(m.group(2))
        word = query.lstrip().split(None, 1)[0].lower() if query.strip() else ""
        if word in _RELEVANT and (word != "select" or stmt.kind == "DoStmt"):
            line_start = sql.line_start(first_line + int(m.group(1)) - 1, near=body_start)
            _add_embedded(sql, stmt, query, line_start)


def _body_start(data: bytes, arg_location: int) -> int:
    tag = _DOLLAR_TAG.match(data, arg_location)
    return tag.end() if tag else arg_location + 1


def _add_embedded(sql: SqlFile, parent: Stmt, query: str, line_start: int) -> None:
    found = sql.data.find(query.encode("utf-8"), line_start, parent.end)
    base = found if found >= 0 else line_start
    try:
        raws = statements(pg.parse_sql_json(query))
    except pg.ParseError:
        return  # PL/pgSQL accepted it; nothing more to check
    limit = base + len(query.encode("utf-8")) if found >= 0 else parent.end
    for raw in raws:
        if found < 0:
            raw = raw._replace(location=0, length=0)
        stmt = _statement(sql, raw, base, limit, parent.index, parent.kind == "DoStmt")
        stmt.base = base if found >= 0 else None  # PL/pgSQL rewrote the text (INTO removed): no positions
        sql.stmts.append(stmt)


# ignore comments ---------------------------------------------------------------------------
def _ignore_comments(data: bytes) -> list[IgnoreComment]:
    found = []
    for m in _IGNORE.finditer(data):
        rest = m.group(2).decode("utf-8", "replace")
        ids, _, reason = rest.partition("--")
        rules = tuple(r for r in re.split(r"[,\s]+", ids.strip()) if r)
        found.append(IgnoreComment(m.start(), m.group(1) == b"ignore-file", rules, reason.strip()))
    for m in _SQUAWK_IGNORE.finditer(data):  # squawk's comments, with its rule names mapped to ours
        names = tuple(r for r in re.split(r"[,\s]+", m.group(2).decode("utf-8", "replace").strip()) if r)
        found.append(IgnoreComment(m.start(), m.group(1) == b"ignore-file", squawk.ours(names), "squawk-ignore"))
    return sorted(found, key=lambda c: c.offset)


def _attach_ignores(sql: SqlFile) -> None:
    for comment in sql.comments:
        if comment.file_level:
            continue
        target = _comment_target(sql, comment.offset)
        if target is not None:
            target.ignores = target.ignores.union(comment.rules)
    for stmt in sql.stmts:
        if stmt.parent is not None and sql.stmts[stmt.parent].ignores:
            stmt.ignores = stmt.ignores | sql.stmts[stmt.parent].ignores


def _comment_target(sql: SqlFile, offset: int) -> Stmt | None:
    """The statement a comment speaks about: the one it sits in (innermost following nested
    statement first), the one ending earlier on its line, else the next one."""
    tops = sql.top_level
    for top in tops:
        if top.start <= offset < top.end:
            inner = [s for s in sql.children(top) if s.start > offset]
            return inner[0] if inner else top
    line = sql.pos(offset)[0]
    before = [t for t in tops if t.end <= offset]
    if before and sql.pos(before[-1].end)[0] == line:
        return before[-1]
    after = [t for t in tops if t.start > offset]
    return after[0] if after else None

