"""`backup`: pg_dump the environment's database before the migrations (the runbook's "backup before
migrations"). Custom format into `dir` (0600 files in a 0700 folder), a SHA-256 and the exact restore
command in the journal; `verify: true` restores the dump into a throwaway Postgres and compares the
number of tables and rows per table with the source. Needs the environment's `db_url`.

The password travels as PGPASSWORD, never in argv. A server newer than the local pg_dump cannot be
dumped by it: that is a clear error naming the version needed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from orchestrator.adapters.pg_client import client_bin, run_pg, without_password
from orchestrator.context import StepContext
from orchestrator.durations import Duration
from orchestrator.errors import StepFailed
from orchestrator.files import private_dir
from orchestrator.playbook.models import Boolean, ProjectInfo
from orchestrator.steps.base import Problem, StepConfig, StepOutcome

COUNTS_SQL = """
select n.nspname || '.' || c.relname as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
order by 1
"""


class BackupConfig(StepConfig):
    """pg_dump the environment's database (needs db_url) before migrations."""

    dir: str = Field("backups", description="folder for the dumps, relative to the project (keep it out of git)")
    verify: Boolean = Field(False, description="restore into a throwaway Postgres and compare table row counts")
    timeout: Duration = Field(default="1h", validate_default=True,
                              description="how long pg_dump (and the verify restore) may run")


class BackupStep:
    kind: ClassVar[str] = "backup"
    config_model: ClassVar[type[StepConfig]] = BackupConfig

    def check(self, config: BackupConfig, project: ProjectInfo) -> list[Problem]:
        target = (project.root / config.dir).resolve()
        if target == project.root.resolve() or project.supabase_dir.resolve() in (target, *target.parents):
            return [Problem("dir", "put backups in a folder of their own, outside supabase/")]
        return []

    def plan(self, config: BackupConfig, ctx: StepContext) -> list[str]:
        url = _db_url(ctx)
        return [f"pg_dump of {without_password(url)} into {config.dir}/" + (" and verify it" if config.verify else "")]

    def run(self, config: BackupConfig, ctx: StepContext) -> StepOutcome:
        url = _db_url(ctx)
        bin_dir = client_bin("backup")
        folder = private_dir(ctx.playbook.project.root / config.dir)
        dump = folder / f"{ctx.env_name}-{ctx.journal.run_id}.dump"
        with ctx.ui.status(f"pg_dump {without_password(url)}"):
            _pg(bin_dir / "pg_dump", ["--format=custom", "--no-password", f"--file={dump}", "--dbname",
                                      without_password(url)], url, ctx, config.timeout)
        dump.chmod(0o600)
        digest = hashlib.sha256(dump.read_bytes()).hexdigest()
        restore = (f"pg_restore --clean --if-exists --no-owner --dbname '{without_password(url)}' '{dump}'  "
                   "# PGPASSWORD from your password manager")
        details: dict[str, Any] = {"file": str(dump), "sha256": digest, "bytes": dump.stat().st_size,
                                   "restore": restore}
        if config.verify:
            details["verified_tables"] = _verify(bin_dir, dump, url, ctx, config.timeout)
        ctx.journal.write("backup", env=ctx.env_name, **details)
        ctx.ui.ok(f"backup {dump} ({details['bytes']:,} bytes, sha256 {digest[:16]}...)"
                  + (f", restored and checked: {details['verified_tables']} table(s)" if config.verify else ""))
        return StepOutcome("ok", f"{dump.name}" + (" (verified)" if config.verify else ""), details)


def _db_url(ctx: StepContext) -> str:
    return ctx.direct_db_url(f"backup in {ctx.env_name}: needs the environment's db_url (the database's connection "
                             "string, Project Settings > Database); the Management API cannot dump a database")


def _pg(binary: Path, args: list[str], url: str, ctx: StepContext, timeout: float) -> str:
    return run_pg(binary, args, url, redact=ctx.redactor, timeout=timeout, what="backup").stdout


def _verify(bin_dir: Path, dump: Path, url: str, ctx: StepContext, timeout: float) -> int:
    """Restore into a throwaway cluster; every table of the source must be there with its row count."""
    from orchestrator.local.postgres import PostgresCluster

    source = _counts(url, ctx)
    with ctx.ui.status("restoring the backup into a throwaway Postgres"), PostgresCluster() as scratch:
        copy = scratch.url()
        _pg(bin_dir / "pg_restore", ["--no-owner", "--no-privileges", "--dbname", without_password(copy),
                                     str(dump)], copy, ctx, timeout)
        restored = _counts(copy, ctx)
    missing = sorted(set(source) - set(restored))
    differ = sorted(t for t in source if t in restored and source[t] != restored[t])
    if missing or differ:
        raise StepFailed(f"backup {dump} does not restore the database: missing {', '.join(missing[:10]) or 'none'}; "
                         f"other row counts: {', '.join(differ[:10]) or 'none'}")
    return len(source)


def _counts(url: str, ctx: StepContext) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
            names = [r[0] for r in conn.execute(COUNTS_SQL).fetchall()]
            out = {}
            for name in names:
                schema, table = name.split(".", 1)
                row = conn.execute(sql.SQL("select count(*) from {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(table))).fetchone()
                out[name] = int(row[0]) if row else 0
            return out
    except psycopg.Error as exc:
        raise StepFailed(f"backup verify: {ctx.redactor(str(exc)).strip()}") from None
