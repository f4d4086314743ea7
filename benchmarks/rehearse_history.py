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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from orchestrator.adapters.supabase_cli import SupabaseCli
from orchestrator.redact import Redactor
from orchestrator.rehearsal.history import Replay, replay

REPO = Path(__file__).resolve().parent.parent
MIRRORS = Path("/work/.mirror")
CACHE = Path(tempfile.gettempdir()) / "rehearse-history"
CLI = REPO / ".tools" / "supabase-3" / "node_modules" / ".bin" / "supabase"
CLI_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")  # files `db push` applies, in version order

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


# the replay: orchestrator.rehearsal.history (what `orchestrator rehearse --project-dir` runs) -----
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


def rehearse(name: str, subdir: str, major: int) -> Outcome:
    out = Outcome(name.partition("@")[0], major=major)
    root = Path(tempfile.mkdtemp(prefix=name.partition("@")[0].replace("/", "+") + "-", dir=CACHE))
    out.commit, files = extract(name, subdir, root)
    cli = SupabaseCli(CLI, workdir=root, env={"HOME": os.environ.get("HOME", "/root")}, redactor=Redactor(),
                      timeout=900)
    result = replay(root / "supabase" / "migrations", cli, major=major)
    out.files, out.applied, out.stubs, out.seconds = len(files), result.applied, result.stubs, result.seconds
    out.outcome = result.outcome
    if result.outcome == "failure":
        out.kind, out.diagnosis = triage(name, result)
    return out


def triage(project: str, result: Replay) -> tuple[str, str]:
    """(kind, diagnosis): a missing extension as diagnosed, else TRIAGE's verdict (read by a person:
    the repository's bug or our baseline's), else untriaged with the statement."""
    where = f"{result.failed_at}: {result.error}"
    if result.kind == "extension":
        return "extension", where
    if re.match(r"\s*(--[^\n]*\n\s*)*create extension", result.statement, re.IGNORECASE):
        return "baseline-gap", f"{result.failed_at}: our stub's script failed: {result.error}"
    triaged = TRIAGE.get((project, result.failed_at.rsplit(":", 1)[0]))
    if triaged:
        kind, _, why = triaged.partition(": ")
        return kind, f"{where} -- {why}"
    return "untriaged", f"{where}\n      {result.statement.strip()[:300]}"


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
