"""`migrations`: `supabase db push`, never `db reset`.

List what is pending (`db push --dry-run`), show it, confirm, push, then read the migration
history back: an exit code of 0 is not proof that every file was recorded.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchestrator.context import StepContext
from orchestrator.durations import Duration
from orchestrator.errors import CommandFailed, OrchestratorError, StepFailed
from orchestrator.interrupts import Interrupts
from orchestrator.playbook.models import Boolean, ProjectInfo
from orchestrator.steps.base import Problem, StepConfig, StepOutcome

HISTORY_SQL = ("select version from supabase_migrations.schema_migrations "
               "where to_regclass('supabase_migrations.schema_migrations') is not null order by version")
HISTORY_EXISTS_SQL = "select to_regclass('supabase_migrations.schema_migrations') is not null as present"
_VERSION = re.compile(r"^(\d+)_")


class MigrationsConfig(StepConfig):
    """supabase db push: list the pending migrations first, then apply them."""

    include_all: Boolean = Field(False, description="also apply local files older than the newest applied one")
    cli_timeout: Duration = Field(default="15m", validate_default=True,
                                  description="how long `db push` may run before it is stopped")


@contextmanager
def push_workdir(project: ProjectInfo) -> Iterator[Path]:
    """What `db push` reads, alone in a temporary folder: `supabase/migrations` and a config.toml
    with only `[db] major_version`. supabase 3 refuses a whole config.toml over settings that have
    nothing to do with migrations (`[inbucket] ... is no longer supported`, measured on 16 of 19
    public projects): a push must not fail on those."""
    with migrations_only(project.migrations_dir, major_version(project)) as workdir:
        yield workdir


@contextmanager
def migrations_only(migrations: Path, major: int) -> Iterator[Path]:
    """A temporary project holding a copy of `migrations` and `[db] major_version` only."""
    with tempfile.TemporaryDirectory(prefix="orch-push-") as tmp:
        workdir = Path(tmp)
        if migrations.is_dir():
            shutil.copytree(migrations, workdir / "supabase" / "migrations")
        (workdir / "supabase").mkdir(exist_ok=True)
        (workdir / "supabase" / "config.toml").write_text(
            f'project_id = "orchestrator"\n\n[db]\nmajor_version = {major}\n')
        yield workdir


def major_version(project: ProjectInfo) -> int:
    """`[db] major_version` of the project's config.toml (15 when absent or unreadable)."""
    try:
        config = tomllib.loads((project.supabase_dir / "config.toml").read_text())
        return int(config.get("db", {}).get("major_version", 15))
    except (OSError, ValueError, tomllib.TOMLDecodeError, AttributeError):
        return 15


def version_of(name: str) -> str:
    match = _VERSION.match(name.rsplit("/", 1)[-1])
    return match.group(1) if match else name


class MigrationsStep:
    kind: ClassVar[str] = "migrations"
    config_model: ClassVar[type[StepConfig]] = MigrationsConfig

    def check(self, config: MigrationsConfig, project: ProjectInfo) -> list[Problem]:
        if project.migrations_dir.is_dir():
            return []
        return [Problem("", f"no {project.migrations_dir} folder: nothing to push")]

    def plan(self, config: MigrationsConfig, ctx: StepContext) -> list[str]:
        pending = self.pending(config, ctx)
        where = "db_url" if ctx.env.db_url else f"project {ctx.env.project_ref}"
        if not pending:
            return [f"no pending migrations ({where})"]
        return [f"db push to {where}: {len(pending)} pending"] + [f"  {p}" for p in pending]

    def pending(self, config: MigrationsConfig, ctx: StepContext) -> list[str]:
        from orchestrator.adapters.supabase_cli import explain_push_error, parse_dry_run

        cli = ctx.cli
        with push_workdir(ctx.playbook.project) as workdir:
            result = cli.run(cli.db_push_args(ctx.target(), dry_run=True, include_all=config.include_all),
                             target=ctx.target(), check=False, timeout=config.cli_timeout, workdir=workdir)
        if result.returncode != 0:
            raise _push_failed(result.argv, result.returncode, result.stdout + result.stderr,
                               explain_push_error(result.stdout + result.stderr))
        return parse_dry_run(result.stdout + "\n" + result.stderr)

    def run(self, config: MigrationsConfig, ctx: StepContext) -> StepOutcome:
        with ctx.ui.status("listing pending migrations (db push --dry-run)"):
            pending = self.pending(config, ctx)
        if not pending:
            ctx.ui.ok("database is up to date: no pending migrations")
            return StepOutcome("ok", "no pending migrations", {"pending": []})
        if ctx.options.planned is not None:
            from orchestrator.release_file import pending_of

            if pending != pending_of(ctx.options.planned):
                raise StepFailed(f"pending migrations in {ctx.env_name} are not the release's: now "
                                 f"{', '.join(pending)}; planned {', '.join(pending_of(ctx.options.planned)) or 'none'} "
                                 "(another run applied some since it was planned?); nothing was applied. Plan again")
        ctx.ui.table(f"Pending migrations for {ctx.env_name}", ["#", "file"],
                     [(i + 1, name) for i, name in enumerate(pending)])
        ctx.prompter.confirm(f"Apply {len(pending)} migration(s) to {ctx.env_name}?", action="apply migrations")
        return self._push(config, ctx, pending)

    def _push(self, config: MigrationsConfig, ctx: StepContext, pending: list[str]) -> StepOutcome:
        from orchestrator.adapters.supabase_cli import explain_push_error

        ctx.journal.write("push_start", env=ctx.env_name, pending=pending)
        started = datetime.now(UTC)
        try:
            with ctx.ui.status(f"db push: {len(pending)} migration(s)"), push_workdir(ctx.playbook.project) as workdir:
                args = ctx.cli.db_push_args(ctx.target(), include_all=config.include_all)
                result = ctx.cli.run(args, target=ctx.target(), check=False, timeout=config.cli_timeout,
                                     workdir=workdir)
        except Interrupts:  # the CLI was stopped; so is its database session; say what it applied
            stop_orphans(ctx, started)
            self.read_back(ctx, pending, "interrupted")
            raise
        try:
            recorded = self.recorded_versions(ctx)
        except OrchestratorError as exc:  # the database went away during or after the push
            ctx.journal.write("migrations", env=ctx.env_name, pending=pending, outcome="unknown", error=str(exc))
            raise StepFailed(f"db push exited {result.returncode}, and the migration history could not be read back "
                             f"({str(exc).splitlines()[0]}): which of {len(pending)} pending migration(s) were applied "
                             "is unknown; the next run (or plan) reads it back") from None
        applied = [p for p in pending if version_of(p) in recorded]
        missing = [p for p in pending if version_of(p) not in recorded]
        details = {"pending": pending, "applied": applied, "not_applied": missing}
        output = result.stdout + "\n" + result.stderr
        if result.returncode != 0:
            ctx.journal.write("migrations", env=ctx.env_name, **details)
            raise _partial(applied, missing, _push_failed(result.argv, result.returncode, output,
                                                          explain_push_error(output)))
        if missing:
            raise StepFailed(f"db push exited 0 but the history lacks {', '.join(missing)}: "
                             "check `supabase migration list` before pushing again")
        for name in applied:
            ctx.ui.ok(f"applied {name}")
        return StepOutcome("ok", f"{len(applied)} migration(s) applied", details)

    def read_back(self, ctx: StepContext, pending: list[str], why: str) -> dict[str, list[str]]:
        """After `db push` was stopped: which pending migrations the history now holds (journaled)."""
        try:
            recorded = self.recorded_versions(ctx)
        except (OrchestratorError, *Interrupts) as exc:
            ctx.journal.write("interrupted", env=ctx.env_name, in_flight="db push", pending=pending,
                              outcome="unknown", error=str(exc))
            ctx.ui.error(f"db push was {why}; could not read the migration history back ({exc}): run "
                         "`orchestrator plan` to see what is still pending")
            return {}
        found = {"applied": [p for p in pending if version_of(p) in recorded],
                 "not_applied": [p for p in pending if version_of(p) not in recorded]}
        ctx.journal.write("interrupted", env=ctx.env_name, in_flight="db push", pending=pending, **found)
        ctx.ui.error(f"db push was {why}: applied {', '.join(found['applied']) or 'none'}; "
                     f"not applied {', '.join(found['not_applied']) or 'none'}")
        return found

    def recorded_versions(self, ctx: StepContext) -> set[str]:
        present = ctx.query(HISTORY_EXISTS_SQL)
        if not present or not present[0].get("present"):
            return set()
        return {str(row["version"]) for row in ctx.query(HISTORY_SQL)}


# Measured with CLI 3.1.0 and 2.122.1: both name their connection `@effect/sql-pg`. A stopped CLI
# leaves its session running: the server finishes the migration it was sent and COMMITs it, seconds
# after the orchestrator exited, unless that session is cancelled (its transaction then rolls back).
CLI_APPLICATION_NAMES = ("@effect/sql-pg",)
_ORPHANS_SQL = ("select pid from pg_stat_activity where backend_type = 'client backend' "
                "and pid <> pg_backend_pid() and datname = current_database() and application_name = any($1) "
                "and backend_start >= $2::timestamptz and state <> 'idle'")
ORPHAN_WAIT_S = 10.0


def stop_orphans(ctx: StepContext, since: datetime) -> None:
    """Cancel the sessions the stopped CLI left running (only the CLI's, opened since the push began),
    then wait up to ORPHAN_WAIT_S for them to end. Journaled; problems are reported, not raised."""
    args = (list(CLI_APPLICATION_NAMES), (since - timedelta(seconds=5)).isoformat())
    try:
        pids = [int(r["pid"]) for r in ctx.query(_ORPHANS_SQL, args)]
        if not pids:
            return
        ctx.query("select pg_cancel_backend(pid) from unnest($1::int[]) as pid", (pids,), read_only=False)
        deadline = time.monotonic() + ORPHAN_WAIT_S
        left = pids
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [int(r["pid"]) for r in ctx.query(_ORPHANS_SQL, args) if int(r["pid"]) in pids]
        if left:
            ctx.query("select pg_terminate_backend(pid) from unnest($1::int[]) as pid", (left,), read_only=False)
        ctx.journal.write("stopped_sessions", env=ctx.env_name, pids=pids, terminated=left)
    except (OrchestratorError, *Interrupts) as exc:
        ctx.journal.write("stopped_sessions", env=ctx.env_name, error=str(exc))
        ctx.ui.error(f"could not stop the CLI's database session ({exc}); a migration may still complete")


def _error_lines(output: str) -> list[str]:
    """The CLI's own error text: plain `ERROR:` lines, or the message of a JSON error document."""
    lines = []
    for line in output.splitlines():
        if line.lstrip().startswith("{"):
            try:
                doc = json.loads(line[line.index("{"):])
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
                lines += str(doc["error"].get("message", "")).splitlines()
                continue
        if "ERROR" in line or "error" in line.lower():
            lines.append(line.strip())
    return [line for line in lines if line.strip()]


def _push_failed(argv: list[str], code: int, output: str, hint: str | None) -> CommandFailed:
    """The CLI's error: the Postgres message in full (`ERROR: ... (SQLSTATE ...)`, never cut, however
    long the statement it quotes), then the statement up to the error mark (its last 8 lines)."""
    errors = _error_lines(output)
    first = next((i for i, line in enumerate(errors) if line.startswith("ERROR") or "SQLSTATE" in line), None)
    if first is None:
        tail = "\n".join(errors[-5:]) or "\n".join(output.strip().splitlines()[-8:])
    else:
        head, quoted = errors[first:first + 1], errors[first + 1:]
        if quoted and quoted[0].startswith("At statement"):
            head.append(quoted.pop(0))
        cut = [f"... ({len(quoted) - 8} line(s) of the statement above)"] if len(quoted) > 8 else []
        tail = "\n".join(head + cut + quoted[-8:])
    return CommandFailed(argv, code, tail, hint or "")


def _partial(applied: list[str], missing: list[str], cause: CommandFailed) -> StepFailed:
    done = ", ".join(applied) or "none"
    failed = missing[0] if missing else "unknown"
    rest = f"; not attempted: {', '.join(missing[1:])}" if len(missing) > 1 else ""
    return StepFailed(f"migration {failed} failed (applied before it: {done}{rest})\n{cause}")
