"""`rehearse`: before `migrations`, apply the pending migrations to a throwaway copy of the
environment's schema with the real CLI's `db push`, and measure what each statement locks and
rewrites (orchestrator.rehearsal.profile). A migration that fails there fails the step, with the
CLI's own error, before the environment is touched; `forbid` turns a measured lock or rewrite of
an existing table into a failure too.

The copy: PostgreSQL 15 started by orchestrator.local.postgres, the environment's roles, its
`pg_dump --schema-only` and its migration history (orchestrator.rehearsal.copy). Needs `db_url`:
the Management API cannot dump a schema. `db push` runs as the migrations step runs it (from a
folder holding only what it reads: steps.migrations.push_workdir).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.durations import Duration
from orchestrator.errors import StepFailed
from orchestrator.files import private_dir, write_private
from orchestrator.playbook.models import Boolean, ProjectInfo
from orchestrator.steps.base import Problem, StepConfig, StepOutcome

Forbidden = Literal["rewrite", "access_exclusive_on_existing", "blocks_writes_on_existing"]
REHEARSALS = Path(".orchestrator") / "rehearsals"


class RehearseConfig(StepConfig):
    include_all: Boolean = Field(False, description="as the migrations step: also files older than the newest applied")
    forbid: list[Forbidden] = Field(default_factory=list, description=(
        "fail on these measured effects on tables that exist before the release: rewrite (the table is "
        "written anew), access_exclusive_on_existing (even reads wait, however briefly), "
        "blocks_writes_on_existing (writes wait while a statement reads or rewrites the whole table)"))
    cli_timeout: Duration = Field(default="15m", validate_default=True,
                                  description="how long `db push` may run on the copy")
    timeout: Duration = Field(default="30m", validate_default=True, description="how long copying the schema may take")


class RehearseStep:
    kind: ClassVar[str] = "rehearse"
    config_model: ClassVar[type[StepConfig]] = RehearseConfig

    def check(self, config: RehearseConfig, project: ProjectInfo) -> list[Problem]:
        if project.migrations_dir.is_dir():
            return []
        return [Problem("", f"no {project.migrations_dir} folder: nothing to rehearse")]

    def plan(self, config: RehearseConfig, ctx: StepContext) -> list[str]:
        pending = _pending(config, ctx)
        if not pending:
            return ["no pending migrations: nothing to rehearse"]
        lines = [f"rehearse {len(pending)} pending migration(s) on a throwaway copy of {ctx.env_name}'s schema"]
        last = last_rehearsal(ctx)
        if last and last.get("pending") == pending:
            lines += [f"  measured {last['at'][:19]}: " + line for line in profile_lines(last["files"])]
        return lines

    def run(self, config: RehearseConfig, ctx: StepContext) -> StepOutcome:
        _db_url(ctx)  # before asking the CLI anything: say what is missing
        pending = _pending(config, ctx)
        if not pending:
            ctx.ui.ok("no pending migrations: nothing to rehearse")
            return StepOutcome("ok", "no pending migrations", {"pending": []})
        result = rehearse(config, ctx, pending)
        remember(ctx, result)
        for line in profile_lines(result["files"]):
            ctx.ui.line(f"   {line}")
        if result["error"]:
            raise StepFailed(result["error"]).with_details(result)
        violations = forbidden(result["files"], config.forbid)
        if violations:
            raise StepFailed("rehearse: the playbook forbids what these statements do to existing tables: "
                             + "; ".join(violations) + ". Nothing was applied to " + ctx.env_name).with_details(result)
        ms = sum(f["ms"] for f in result["files"])
        return StepOutcome("ok", f"{len(pending)} migration(s) applied to a copy of {ctx.env_name} ({ms:.0f} ms)",
                           result)


def _pending(config: RehearseConfig, ctx: StepContext) -> list[str]:
    from orchestrator.steps.migrations import MigrationsConfig, MigrationsStep

    same = MigrationsConfig.model_construct(include_all=config.include_all, cli_timeout=config.cli_timeout)
    return MigrationsStep().pending(same, ctx)


def rehearse(config: RehearseConfig, ctx: StepContext, pending: list[str]) -> dict[str, Any]:
    """Copy, profile on one database, `db push` on another (both from the copy); the facts."""
    from orchestrator.local.postgres import PostgresCluster
    from orchestrator.rehearsal.copy import copy_schema
    from orchestrator.rehearsal.profile import profile_files

    source = _db_url(ctx)
    migrations = ctx.playbook.project.migrations_dir
    with ctx.ui.status("rehearsal: copying the schema into a throwaway PostgreSQL"), PostgresCluster() as scratch:
        _create(scratch.url(), "rehearsal")
        copied = copy_schema(source, scratch.url("rehearsal"), redact=ctx.redactor, timeout=config.timeout)
        _create(scratch.url(), "profile", template="rehearsal")
        files = profile_files(scratch.url("profile"), [(migrations / name, name) for name in pending])
        push_error = _push(config, ctx, scratch.url("rehearsal"))
    failed = next((f for f in files if f.error), None)
    error = None
    if push_error or failed:
        where = failed.error if failed else "see the CLI's error"
        error = (f"rehearse: the pending migrations do not apply to a copy of {ctx.env_name} ({where}); nothing was "
                 f"applied to {ctx.env_name}" + (f"\n{push_error}" if push_error else ""))
    reached = [{**f.as_json(), "status": "failed" if f.error else "applied"} for f in files]
    skipped: list[dict[str, Any]] = [{"file": name, "status": "skipped", "ms": 0.0, "error": None, "held": [], "statements": []}
               for name in pending[len(files):]]  # after a failure, db push does not try the rest
    return {"pending": pending, "files": reached + skipped, "error": error,
            "copy": {"roles": copied.roles, "errors": copied.errors[:50],
                     "missing_extensions": copied.missing_extensions()},
            "push": "failed" if push_error else "applied"}


def _db_url(ctx: StepContext) -> str:
    return ctx.direct_db_url(f"rehearse in {ctx.env_name}: needs the environment's db_url (the database's connection "
                             "string, Project Settings > Database; the session pooler's works): pg_dump reads the "
                             "schema over it, and the Management API cannot dump one")


def _create(admin_url: str, name: str, template: str | None = None) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}" + (" template {}" if template else "")).format(
            sql.Identifier(name), *([sql.Identifier(template)] if template else [])))


def _push(config: RehearseConfig, ctx: StepContext, url: str) -> str | None:
    """The real `db push` against the copy, as the migrations step runs it; the CLI's error, or
    None when it applied them."""
    from orchestrator.adapters.supabase_cli import Target, explain_push_error
    from orchestrator.steps.migrations import _push_failed, push_workdir

    target = Target(db_url=url)
    with ctx.ui.status("rehearsal: db push to the copy"), push_workdir(ctx.playbook.project) as workdir:
        result = ctx.cli.run(ctx.cli.db_push_args(target, include_all=config.include_all), target=target,
                             check=False, timeout=config.cli_timeout, workdir=workdir)
    if result.returncode == 0:
        return None
    output = result.stdout + "\n" + result.stderr
    return str(_push_failed(result.argv, result.returncode, output, explain_push_error(output)))


def profile_lines(files: list[dict[str, Any]]) -> list[str]:
    from orchestrator.rehearsal.profile import Lock, StatementProfile

    lines = []
    for f in files:
        state = {"failed": f"FAILED {f['error']}", "skipped": "not tried (an earlier file failed)"}
        lines.append(f"{f['file']}: {state.get(f.get('status', ''), 'applies')} ({f['ms']:.0f} ms)")
        for s in f["statements"]:
            step = StatementProfile(s["line"], s["sql"], [Lock(**lk) for lk in s["locks"]], s["rewrites"], s["scans"],
                                    s["blocking"])
            lines.append(f"  line {s['line']}: {step.describe()}")
    return lines


def forbidden(files: list[dict[str, Any]], forbid: Sequence[str]) -> list[str]:
    from orchestrator.rehearsal.profile import BLOCKS_READS, mode_name

    out = []
    for f in files:
        for s in f["statements"]:
            where = f"{f['file']}:{s['line']}"
            if "rewrite" in forbid:
                out += [f"{where} rewrites {r}" for r in s["rewrites"]]
            if "access_exclusive_on_existing" in forbid:
                out += [f"{where} takes {mode_name(lk['mode'])} on {lk['relation']}" for lk in s["locks"]
                        if lk["existing"] and lk["kind"] in ("r", "p", "m") and lk["mode"] in BLOCKS_READS]
            if "blocks_writes_on_existing" in forbid:
                out += [f"{where} makes writes to {r} wait while it reads or rewrites it" for r in s["blocking"]]
    return out


def remember(ctx: StepContext, result: dict[str, Any]) -> None:
    """The last rehearsal per environment, for `plan` (only while the pending files are the same)."""
    from orchestrator.journal import now_iso

    folder = private_dir(ctx.playbook.project.root / REHEARSALS)
    write_private(folder / f"{ctx.env_name}.json", json.dumps({"at": now_iso(), **result}))
    ctx.journal.write("rehearsal", env=ctx.env_name, pending=result["pending"], error=result["error"])


def last_rehearsal(ctx: StepContext) -> dict[str, Any] | None:
    try:
        data = json.loads((ctx.playbook.project.root / REHEARSALS / f"{ctx.env_name}.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
