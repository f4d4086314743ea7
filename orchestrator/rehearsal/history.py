"""Replay a project's whole migration history on a fresh PostgreSQL with the Supabase baseline
(`orchestrator rehearse --project-dir DIR`; `benchmarks/rehearse_history.py` runs it on public
projects).

1. a throwaway PostgreSQL starts from a private copy of the server whose extension folder holds
   the declared stubs (installation.py), with pg_cron and pg_stat_statements preloaded when the
   server has them (hosted preloads both), at the project's `[db] major_version`;
2. `apply_baseline` installs what a hosted project starts with;
3. the real supabase CLI runs `db push --include-all` against it, as the migrations step does
   (steps.migrations.push_workdir: only `supabase/migrations` and `[db] major_version`);
4. the outcome: success, success with the named stubs, or a failure at file:line with
   PostgreSQL's error, or the extension that is missing and why (diagnose_extension).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from orchestrator.rehearsal.baseline import (
    MISSING_EXTENSION,
    STUBS,
    apply_baseline,
    available_extensions,
    diagnose_extension,
    installed_stubs,
)
from orchestrator.rehearsal.installation import find_layout, private_installation

if TYPE_CHECKING:
    from orchestrator.adapters.supabase_cli import SupabaseCli
    from orchestrator.local.postgres import PostgresCluster

PRELOAD = ("pg_stat_statements", "pg_cron")
APPLYING = re.compile(r"Applying migration (\S+\.sql)")
ERROR = re.compile(r"ERROR: (.*?)(?: \(SQLSTATE (\w+)\))?$", re.MULTILINE)
AT_STATEMENT = re.compile(r"At statement:? (\d+)")
EMPTY_STUB_USED = re.compile(r"\b(pgtle|pgsodium)\.\w+")  # stubs that are only a schema (stubs.py)


@dataclass
class Replay:
    major: int
    files: int = 0
    applied: int = 0
    outcome: str = ""  # success | success-with-stubs | failure
    stubs: list[str] = field(default_factory=list)
    failed_at: str = ""  # file:line
    error: str = ""  # PostgreSQL's error, or the missing extension and why
    kind: str = ""  # failure kind: extension | migration
    statement: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def cache_dir() -> Path:
    """Where the private installations live. As root the server runs as `postgres`, which cannot
    read /root: then /opt/supabase-orchestrator (where scripts/install-rehearsal puts PG 17)."""
    if os.geteuid() == 0:
        return Path("/opt/supabase-orchestrator/rehearsal")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "supabase-orchestrator" / "rehearsal"


def server_bin(major: int, cache: Path | None = None) -> Path:
    """The private installation (stubs in its extension folder) of PostgreSQL `major`: from
    REHEARSE_PG<major>_BIN, Debian's /usr/lib/postgresql/<major>/bin, or what
    `scripts/install-rehearsal 17` unpacks (Debian 12 has no PG 17)."""
    candidates = [os.environ.get(f"REHEARSE_PG{major}_BIN", ""), f"/usr/lib/postgresql/{major}/bin",
                  f"/opt/supabase-orchestrator/postgresql-{major}/bin",
                  str(Path.home() / f".cache/supabase-orchestrator/postgresql-{major}/bin")]
    found = next((Path(c) for c in candidates if c and (Path(c) / "postgres").exists()), None)
    if found is None:
        raise FileNotFoundError(f"no PostgreSQL {major} server: run scripts/install-rehearsal {major}")
    return private_installation((cache or cache_dir()) / f"pg{major}-install", find_layout(found), major=major)


@contextmanager
def cluster(bin_dir: Path) -> Iterator[PostgresCluster]:
    """A started cluster of `bin_dir`'s server, restarted once with pg_cron and pg_stat_statements
    preloaded (when it has them real)."""
    from orchestrator.local.postgres import PostgresCluster

    started = PostgresCluster(bin_dir=bin_dir).start()
    try:
        with psycopg.connect(started.url(), autocommit=True) as conn:
            kinds = available_extensions(conn)
        preload = ",".join(name for name in PRELOAD if kinds.get(name) == "real")
        with (started.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"shared_preload_libraries = '{preload}'\ncron.database_name = 'postgres'\n")
        started.stop(remove=False)
        yield started.start()
    finally:
        started.stop()


def replay(migrations: Path, cli: SupabaseCli, *, major: int = 15) -> Replay:
    """Every file of `migrations` (a supabase/migrations folder) on a fresh baseline database."""
    from orchestrator.adapters.supabase_cli import Target
    from orchestrator.steps.migrations import migrations_only

    out = Replay(major, files=len([p for p in migrations.glob("*.sql")]))
    started = time.monotonic()
    bin_dir = server_bin(major)
    with cluster(bin_dir) as pg:
        url = pg.url()
        out.seconds["server"] = round(time.monotonic() - started, 2)
        tick = time.monotonic()
        baseline = apply_baseline(url, major=major)
        out.seconds["baseline"] = round(time.monotonic() - tick, 2)
        tick = time.monotonic()
        target = Target(db_url=url)
        with migrations_only(migrations, major) as workdir:
            result = cli.run(cli.db_push_args(target, include_all=True), target=target, check=False, workdir=workdir)
        out.seconds["push"] = round(time.monotonic() - tick, 2)
        with psycopg.connect(url, autocommit=True) as conn:
            present = conn.execute("select to_regclass('supabase_migrations.schema_migrations')").fetchone()
            out.applied = len(conn.execute("select 1 from supabase_migrations.schema_migrations").fetchall()) \
                if present and present[0] else 0
            out.stubs = stubs_used(conn, baseline.stubs, migrations)
    if result.returncode == 0:
        out.outcome = "success-with-stubs" if out.stubs else "success"
    else:
        out.outcome = "failure"
        diagnose(out, migrations, result.output)
    out.seconds["total"] = round(time.monotonic() - started, 2)
    return out


def diagnose(out: Replay, folder: Path, output: str) -> None:
    """Where and why from the CLI's output: file:line, PostgreSQL's error, a missing extension."""
    applying = APPLYING.findall(output)
    file = applying[-1] if applying else "?"
    message = cli_error(output)
    error = ERROR.search(message)
    what = (f"{error[1]} (SQLSTATE {error[2]})" if error[2] else error[1]) if error else message.splitlines()[0]
    out.statement = message.split("\n", 2)[2] if AT_STATEMENT.search(message) and message.count("\n") >= 2 else ""
    out.failed_at = f"{file}:{statement_line(folder / file, out.statement)}" if applying else file
    out.kind, out.error = "migration", what
    ext = MISSING_EXTENSION.search(message)
    empty = EMPTY_STUB_USED.search(message)
    if ext:
        out.kind, out.error = "extension", diagnose_extension(ext[1] or ext[2], out.major)
    elif empty:
        name = {"pgtle": "pg_tle"}.get(empty[1], empty[1])
        out.kind, out.error = "extension", f"uses {empty[0]}: {diagnose_extension(name, out.major)}"


def cli_error(output: str) -> str:
    """The error message of `--output-format json` (`{"_tag": "Error", "error": {"message": ...}}`)."""
    for line in output.splitlines():
        if line.startswith("{") and '"_tag":"Error"' in line.replace(" ", ""):
            return str(json.loads(line).get("error", {}).get("message", line))
    return output[-600:]


def statement_line(path: Path, statement: str) -> int:
    """The line where the failing statement starts in the file (the CLI prints the statement): the
    whole statement first; else its most distinctive line among the first few that occurs once."""
    text = path.read_text(errors="replace") if path.exists() else ""
    statement = statement.strip("\n")
    offset = text.find(statement[:400]) if statement else -1
    if offset >= 0:
        return text.count("\n", 0, offset) + 1
    lines = statement.splitlines()[:15]
    for index, line in sorted(enumerate(lines), key=lambda item: -len(item[1].strip())):
        if len(line.strip()) > 10 and text.count(line) == 1:
            return text.count("\n", 0, text.find(line)) + 1 - index
    return 0


def stubs_used(conn: psycopg.Connection[Any], baseline_stubs: list[str], folder: Path) -> list[str]:
    """Stubs the migrations created, plus baseline stubs whose objects the migrations name."""
    created = [s for s in installed_stubs(conn) if s not in baseline_stubs]
    text = "\n".join(p.read_text(errors="replace") for p in folder.iterdir() if p.is_file()).lower()
    named = [s for s in baseline_stubs if STUBS[s].schema not in (None, "extensions")
             and re.search(rf"\b{STUBS[s].schema}\.", text)]
    return sorted(set(created + named))
