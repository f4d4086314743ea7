"""Measure what each pending statement locks and rewrites, on a rehearsal database.

Each statement runs in a transaction of its own, and before it commits the backend's own relation
locks are read from `pg_locks` and every relation's `relfilenode` is compared with its value before
the statement: a new filenode is a rewrite (PostgreSQL wrote the table or index anew). One
transaction per statement, because locks are held to the end of a transaction: in the single
transaction `db push` uses, a later statement's lock on a table already locked as strongly is
invisible. What the file holds until `db push` commits it is the strongest lock of its statements
on each relation (`FileProfile.held`). Nothing here guesses from the SQL text: the linter does
that, this is the measure. Statements that cannot run in a transaction (CREATE INDEX
CONCURRENTLY, VACUUM) run alone; their locks come and go with them and are not observed.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

FIRST_USER_OID = 16384  # FirstNormalObjectId: below it, the catalogs our own queries lock
_RELATIONS = """
select c.oid::bigint as oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
       c.relkind::text as kind, c.relfilenode::bigint as filenode
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.oid >= 16384 and c.relkind in ('r', 'p', 'm', 'i', 'I')
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
"""
# Sequential scans (counted when a scan starts, so even on the copy's empty tables): a validation,
# a NOT NULL check or an index build reads the whole table. pg_stat_xact_* holds counts not yet
# flushed, earlier transactions' included: the statement's scans are the difference.
_SCANS = "select relid::bigint, seq_scan from pg_stat_xact_user_tables"
_LOCKS = """
select relation::bigint as oid, mode from pg_locks
where pid = pg_backend_pid() and locktype = 'relation' and granted and relation >= 16384
"""
_TRANSACTION_CONTROL = re.compile(r"(?is)^\s*(begin|commit|end|rollback|start\s+transaction)\b")
_NO_TRANSACTION = re.compile(r"(?is)\b(concurrently|vacuum)\b")
# Weakest to strongest (https://www.postgresql.org/docs/current/explicit-locking.html).
MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
         "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
BLOCKS_WRITES = frozenset(MODES[4:])  # SHARE and stronger: INSERT/UPDATE/DELETE wait
BLOCKS_READS = frozenset(MODES[7:])  # ACCESS EXCLUSIVE: even SELECT waits


@dataclass(frozen=True)
class Lock:
    relation: str
    kind: str  # r table, p partitioned table, m materialized view, i/I index
    mode: str
    existing: bool  # the relation existed before the rehearsal (it is in production, with its rows)


@dataclass
class StatementProfile:
    line: int
    sql: str
    locks: list[Lock] = field(default_factory=list)
    rewrites: list[str] = field(default_factory=list)  # existing relations written anew
    scans: list[str] = field(default_factory=list)  # existing tables read whole (validation, index build)
    blocking: list[str] = field(default_factory=list)  # existing tables whose writes wait while it reads or writes them
    ms: float = 0.0
    error: str | None = None

    def describe(self) -> str:
        parts = [f"{mode_name(lk.mode)} on {lk.relation}" + ("" if lk.existing else " (new)") for lk in self.locks]
        parts += [f"rewrites {r}" for r in self.rewrites]
        parts += [f"scans {r}" for r in self.scans if r not in self.rewrites]
        parts += [f"writes to {r} wait for it (the table's size decides how long)" for r in self.blocking]
        return "; ".join(parts) or "no locks on tables"


@dataclass
class FileProfile:
    name: str
    statements: list[StatementProfile] = field(default_factory=list)
    error: str | None = None

    @property
    def ms(self) -> float:
        return round(sum(s.ms for s in self.statements), 1)

    @property
    def held(self) -> list[Lock]:
        """The strongest lock per relation over the file: held until db push commits the file."""
        strongest: dict[str, Lock] = {}
        for lock in (lk for s in self.statements for lk in s.locks):
            old = strongest.get(lock.relation)
            if old is None or MODES.index(lock.mode) > MODES.index(old.mode):
                strongest[lock.relation] = lock
        return list(strongest.values())

    def as_json(self) -> dict[str, Any]:
        return {"file": self.name, "ms": self.ms, "error": self.error, "held": [asdict(lk) for lk in self.held],
                "statements": [{**asdict(s), "locks": [asdict(lk) for lk in s.locks]} for s in self.statements]}


def mode_name(mode: str) -> str:
    """`AccessExclusiveLock` -> `ACCESS EXCLUSIVE`, as the documentation names it."""
    words = "".join(f" {c}" if c.isupper() else c for c in mode.removesuffix("Lock")).strip()
    return words.upper()


def profile_files(conninfo: str, files: list[tuple[Path, str]]) -> list[FileProfile]:
    """Apply `files` (path, display name) in order; stop at the first that fails, as db push does."""
    from orchestrator.lint.sqlfile import load

    out: list[FileProfile] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute(_RELATIONS).fetchall()}
        for path, name in files:
            sql = load(path, name)
            profile = FileProfile(name)
            out.append(profile)
            held: dict[str, str] = {}  # relation -> strongest mode the file's transaction holds so far
            for stmt in sql.top_level:
                text = sql.text(stmt)
                if _TRANSACTION_CONTROL.match(text):
                    continue  # the file's own BEGIN/COMMIT: each statement gets its own transaction here
                step = _run_one(conn, text, sql.pos(stmt.start)[0], existing)
                profile.statements.append(step)
                if step.error:
                    profile.error = f"{name}:{step.line}: {step.error}"
                    return out
                _hold(held, step)
    return out


def _hold(held: dict[str, str], step: StatementProfile) -> None:
    """db push runs the file in one transaction: a lock taken by an earlier statement is still held
    when a later one scans the table (VALIDATE after ADD CONSTRAINT in the same file)."""
    for lock in step.locks:
        if lock.relation not in held or MODES.index(lock.mode) > MODES.index(held[lock.relation]):
            held[lock.relation] = lock.mode
    step.blocking = sorted({r for r in (*step.rewrites, *step.scans) if held.get(r) in BLOCKS_WRITES})


def _run_one(conn: psycopg.Connection[Any], text: str, line: int, existing: set[int]) -> StatementProfile:
    before = _relations(conn)
    step = StatementProfile(line, " ".join(text.split())[:200])
    alone = bool(_NO_TRANSACTION.search(text))
    started = time.perf_counter()
    try:
        if not alone:
            conn.execute("begin")
        scanned = {} if alone else _scans(conn)  # pending counts may include earlier transactions': a delta
        conn.execute(text.encode())  # bytes: the text is sent as is, never read for %s placeholders
        step.ms = round((time.perf_counter() - started) * 1000, 1)
        locks = {} if alone else _locks(conn)
        scans = {} if alone else _scans(conn)
        after = _relations(conn)
        if not alone:
            conn.execute("commit")
    except psycopg.Error as exc:
        step.ms = round((time.perf_counter() - started) * 1000, 1)
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("rollback")
        diag = exc.diag
        step.error = f"{diag.message_primary or exc} (SQLSTATE {diag.sqlstate})" if diag.sqlstate else str(exc)
        return step
    names = {oid: (name, kind) for oid, (name, kind, _) in {**before, **after}.items()}
    for oid, modes in sorted(locks.items()):
        if oid in names:
            strongest = max(modes, key=MODES.index)
            step.locks.append(Lock(names[oid][0], names[oid][1], strongest, oid in existing))
    step.rewrites = sorted(name for oid, (name, _, filenode) in before.items()
                           if oid in existing and oid in after and after[oid][2] != filenode)
    step.scans = sorted(names[oid][0] for oid, count in scans.items()
                        if count > scanned.get(oid, 0) and oid in existing and oid in names)
    return step


def _scans(conn: psycopg.Connection[Any]) -> dict[int, int]:
    return {int(oid): int(count or 0) for oid, count in conn.execute(_SCANS).fetchall()}


def _relations(conn: psycopg.Connection[Any]) -> dict[int, tuple[str, str, int]]:
    return {row[0]: (row[1], row[2], row[3]) for row in conn.execute(_RELATIONS).fetchall()}


def _locks(conn: psycopg.Connection[Any]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for oid, mode in conn.execute(_LOCKS).fetchall():
        out.setdefault(int(oid), set()).add(str(mode))
    return out
