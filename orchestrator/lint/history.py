"""Compare local migration files with what an environment already applied.

Supabase records each applied migration's statements in
`supabase_migrations.schema_migrations.statements`, split by the CLI's own splitter
(pkg/parser/token.go `SplitAndTrim`: split on `;` outside quotes, dollar quotes, comments and
parentheses, keep comments, trim trailing `;` and whitespace). We mirror that splitter; when our
split still differs, we compare the text with whitespace and semicolons removed, so only
changes to the SQL itself count as edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.lint.rules import Hit
from orchestrator.lint.rules.files import EDITED, OUT_OF_ORDER, version_of

_TOKEN = re.compile(
    r"""--[^\n]*|/\*|'(?:[^']|'')*'?|"(?:[^"]|"")*"?|\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$|\\.|"""
    r"""[A-Za-z_][A-Za-z_0-9$]*|[^-/'"$\\();A-Za-z_]+|.""", re.DOTALL)


@dataclass(frozen=True)
class AppliedMigration:
    """One row of supabase_migrations.schema_migrations."""

    version: str
    statements: tuple[str, ...] = ()
    name: str = ""


def cli_split(sql: str) -> list[tuple[int, str]]:
    """(offset, statement) pairs, split and trimmed the way the supabase CLI stores them."""
    out: list[tuple[int, str]] = []
    start, depth, atomic, pos = 0, 0, False, 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        assert m is not None  # the last alternative matches any character
        tok, pos = m.group(0), m.end()
        if tok == "/*":
            pos = _block_end(sql, pos)
        elif tok.startswith("$") and tok.endswith("$") and len(tok) > 1:
            end = sql.find(tok, pos)
            pos = len(sql) if end < 0 else end + len(tok)
        elif tok == "(":
            depth += 1
        elif tok == ")":
            depth = max(depth - 1, 0)
        elif tok.lower() == "atomic":
            atomic = True
        elif tok.lower() == "end" and atomic:
            atomic = False
        elif tok == ";" and depth == 0 and not atomic:
            _emit(out, sql, start, pos)
            start = pos
    _emit(out, sql, start, len(sql))
    return out


def _block_end(sql: str, pos: int) -> int:
    depth = 1
    while depth and pos < len(sql):
        nxt = min((i for i in (sql.find("/*", pos), sql.find("*/", pos)) if i >= 0), default=-1)
        if nxt < 0:
            return len(sql)
        depth += 1 if sql.startswith("/*", nxt) else -1
        pos = nxt + 2
    return pos


def _emit(out: list[tuple[int, str]], sql: str, start: int, end: int) -> None:
    text = sql[start:end].rstrip(";").strip()
    if text:
        out.append((start + len(sql[start:end]) - len(sql[start:end].lstrip()), text))


def _squash(parts: Iterable[str]) -> str:
    return re.sub(r"[\s;]+", "", "".join(parts))


def edited_offset(sql: str, applied: Sequence[str]) -> int | None:
    """Offset of the first changed statement, or None when the file matches what was applied."""
    local = cli_split(sql)
    if [t for _, t in local] == list(applied) or _squash(t for _, t in local) == _squash(applied):
        return None
    for (offset, text), old in zip(local, applied):
        if _squash([text]) != _squash([old]):
            return offset
    return local[min(len(applied), len(local) - 1)][0] if local else 0


def read_sql(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def check_history(paths: Sequence[Path], applied: Sequence[AppliedMigration],
                  read: Callable[[Path], str] = read_sql) -> Iterator[tuple[Path, Hit]]:
    """Edited applied migrations and pending files older than the newest applied version. `read`
    gives a file's SQL (stdin stands for a file that may not exist)."""
    by_version = {a.version: a for a in applied}
    refused = set(out_of_order([p for p in paths if version_of(p) is not None], sorted(by_version)))
    newest = max(by_version, default="")
    for path in paths:
        version = version_of(path)
        if version is None:
            continue
        if version in by_version:
            yield from _edited(path, read(path), by_version[version])
        elif path in refused:
            yield path, Hit(OUT_OF_ORDER, 0, f"version {version} sorts before {newest}, the newest applied "
                            "here: db push refuses it without include_all")


def out_of_order(local: Sequence[Path], remote: Sequence[str]) -> list[Path]:
    """The local files `db push` refuses as out of order, decided as the CLI decides (measured with
    3.1.0 and 2.122.1; pkg/migration/apply.go FindPendingMigrations): files in name order, versions
    compared as text (`3_x.sql` sorts after `20240101000000_y.sql`), walked against the applied
    versions in text order."""
    files = sorted(local, key=lambda p: p.name)
    refused, i, j = [], 0, 0
    while i < len(remote) and j < len(files):
        version = version_of(files[j]) or ""
        if remote[i] == version:
            i, j = i + 1, j + 1
        elif remote[i] < version:
            i += 1  # applied but not here: the CLI refuses the push for another reason
        else:
            refused.append(files[j])
            j += 1
    return refused


def _edited(path: Path, sql: str, row: AppliedMigration) -> Iterator[tuple[Path, Hit]]:
    offset = edited_offset(sql, row.statements)
    if offset is not None:
        yield path, Hit(EDITED, len(sql[:offset].encode("utf-8")),
                        f"{path.name} changed after it was applied (version {row.version}); "
                        "the environment ran the old statements")

