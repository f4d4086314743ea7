"""A throwaway copy of an environment's schema: its roles (names only, NOLOGIN), `pg_dump
--schema-only` replayed with psql, and the migration history's rows (`supabase_migrations`), so
that `db push` finds the same pending files there as in the environment.

No data is copied: locks and rewrites are the same on empty tables (a rewrite changes the
relfilenode however many rows there are); how long they take on production's rows is not.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from orchestrator.adapters.pg_client import client_bin, run_pg, without_password
from orchestrator.errors import StepFailed

_ROLES = "select rolname from pg_roles where rolname !~ '^pg_' and rolname <> current_user order by 1"
_PSQL_ERROR = re.compile(r"^psql:[^:]*:(\d+): ERROR:\s*(.*)$", re.MULTILINE)


@dataclass
class SchemaCopy:
    roles: int = 0
    errors: list[str] = field(default_factory=list)  # statements of the dump the copy could not replay

    def missing_extensions(self) -> list[str]:
        from orchestrator.rehearsal.baseline import MISSING_EXTENSION

        found = (MISSING_EXTENSION.search(e) for e in self.errors)
        return sorted({m.group(1) or m.group(2) for m in found if m})


def copy_schema(source: str, target: str, *, redact: Callable[[str], str], timeout: float) -> SchemaCopy:
    """Make `target` (an empty database) hold `source`'s schema and migration history."""
    bin_dir = client_bin("rehearse")
    result = SchemaCopy()
    result.roles = _copy_roles(source, target, redact)
    with tempfile.TemporaryDirectory(prefix="orch-rehearse-") as tmp:
        schema, history = Path(tmp) / "schema.sql", Path(tmp) / "history.sql"
        run_pg(bin_dir / "pg_dump", ["--schema-only", "--no-password", "--no-subscriptions", f"--file={schema}",
                                     "--dbname", without_password(source)], source, redact=redact, timeout=timeout,
               what="rehearse: pg_dump of the schema")
        result.errors += _replay(bin_dir, schema, target, redact, timeout)
        run_pg(bin_dir / "pg_dump", ["--data-only", "--no-password", "--schema=supabase_migrations",
                                     f"--file={history}", "--dbname", without_password(source)], source,
               redact=redact, timeout=timeout, what="rehearse: pg_dump of the migration history")
        result.errors += _replay(bin_dir, history, target, redact, timeout)
    return result


def _copy_roles(source: str, target: str, redact: Callable[[str], str]) -> int:
    try:
        with psycopg.connect(source, connect_timeout=10, autocommit=True) as src:
            names = [str(r[0]) for r in src.execute(_ROLES).fetchall()]
        with psycopg.connect(target, autocommit=True) as dst:
            have = {str(r[0]) for r in dst.execute("select rolname from pg_roles").fetchall()}
            for name in (n for n in names if n not in have):
                dst.execute(sql.SQL("create role {} nologin").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise StepFailed(f"rehearse: could not copy the roles: {redact(str(exc)).strip()}") from None
    return len(names)


def _replay(bin_dir: Path, script: Path, target: str, redact: Callable[[str], str], timeout: float) -> list[str]:
    """psql without ON_ERROR_STOP: a dump of a hosted project names extensions and roles a plain
    PostgreSQL lacks; every statement that fails is reported, the rest is replayed."""
    args = ["-X", "-q", "-v", "ON_ERROR_STOP=0", "--no-password", "-f", str(script), without_password(target)]
    done = run_pg(bin_dir / "psql", args, target, redact=redact, timeout=timeout, what="rehearse: psql")
    return [f"line {m.group(1)}: {redact(m.group(2))}" for m in _PSQL_ERROR.finditer(done.stderr)]
