"""Evaluate the migration linter on real Supabase projects: findings, recall vs squawk, precision vs PostgreSQL.

    python benchmarks/lint_eval.py [--projects owner/name[:subdir] ...] [--json out.json] [--samples N]
                                   [--no-squawk] [--no-audit] [--rounds 3] [--squawk PATH]

A benchmark, not a CI test. For each project (read from its git mirror, /work/.mirror/owner+name/repo,
made with the agent `fetch` tool; a path to a bare git directory works too) the migrations folder of
HEAD and the project's supabase/config.toml are extracted into a temp dir (nothing is copied into this
repository), then:

1. our linter runs in-process (`orchestrator.lint.lint_paths`, settings read as the CLI reads them) on
   the whole folder, as `orchestrator lint supabase/migrations` does by default, and file by file as
   each file once was the pending migration: the folder as it was then (that file and the ones before
   it) with `only=[file]`. A `lint: {fail_on: error}` step fails a file when a finding on it is at error;
2. squawk runs on the same files with `--reporter json --pg-version 15.0`, as its own binary (`--squawk`,
   this venv's PyPI squawk-cli, PATH, else npm `squawk-cli` in a temp prefix through its platform
   binary: npm's Node.js launcher adds ~70 ms a run). Its rules are mapped to ours with SQUAWK_TO_OURS
   from tests/lint/test_squawk_parity.py and our recall is computed (same file and line +-1, or same
   file); squawk findings we miss on a table created earlier in the same file (new and empty: we leave
   those alone by design, squawk does not track tables) are counted apart ("excused");
3. our CLI (`python -m orchestrator.lint --format json`) and squawk are timed on the same files,
   alternating in the same rounds: wall-time medians and minimums, and CPU time (steadier when the
   machine is shared);
4. a throwaway PostgreSQL 15 cluster with a minimal Supabase baseline (roles, auth, storage, extensions;
   stand-ins for pg_cron, pg_net and Vault) applies each project's migrations in CLI order (one
   database per project) and judges `syntax-error` (did PostgreSQL parse every statement of the file?)
   and `policy-without-rls` / `rls-not-enabled` (is RLS on for the table: after the whole history for
   whole-folder findings, once the file was applied for file-by-file ones).

Error findings of a class found certainly false by hand (each with a minimal case in
tests/lint/test_real_findings.py) are recognised by text and counted per rule ("false"), with the
files that would still fail `fail_on: error` without them. `--samples N` prints N error findings per
rule (file by file) with file:line, to audit by hand.
Measures whichever `orchestrator` is importable: set PYTHONPATH to measure another checkout.
"""

from __future__ import annotations

import argparse
import ast
import collections
import inspect
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MIRRORS = Path("/work/.mirror")
PARITY_TEST = REPO / "tests" / "lint" / "test_squawk_parity.py"
SQUAWK_PREFIX = Path(tempfile.gettempdir()) / "lint-eval-squawk"
CLI_NAME = re.compile(r"^([0-9]+)_(.*)\.sql$")  # files the Supabase CLI applies, in version order
AUDITED = ("syntax-error", "policy-without-rls", "rls-not-enabled")

# (owner/name, migrations folder in the repository); the folder is found by itself when omitted
PROJECTS: list[tuple[str, str]] = [
    ("supabase/dbdev", "supabase/migrations"),
    ("mckaywrigley/chatbot-ui", "supabase/migrations"),
    ("usebasejump/basejump", "supabase/migrations"),
    ("vercel/nextjs-subscription-payments", "supabase/migrations"),
    ("supabase-community/chatgpt-your-files", "supabase/migrations"),
    ("supabase-community/nextjs-openai-doc-search", "supabase/migrations"),
    ("hpi-studyu/studyu", "supabase/migrations"),
    ("hivecom/hivecom.net", "supabase/migrations"),
    ("moonklabs/sprintable", "packages/db/supabase/migrations"),
    ("AvandarLabs/avandar", "supabase/migrations"),
    ("dsil-design/joot-app", "database/supabase/migrations"),
    ("1mansurr/elaro.app", "supabase/migrations"),
    ("ankaboot-source/wikiadviser", "supabase/migrations"),
    ("BjornMelin/tripsage-ai", "supabase/migrations"),
]

# squawk rules the parity test leaves out on purpose, compared for information only
EXTRA_SQUAWK = {"require-lock-timeout": "require-lock-timeout", "syntax-error": "syntax-error"}

BASELINE_ROLES = """
do $$
declare r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin',
                           'supabase_auth_admin', 'supabase_storage_admin', 'dashboard_user'] loop
    if not exists (select from pg_roles where rolname = r) then
      execute format('create role %I nologin', r);
    end if;
  end loop;
end $$;
alter role service_role bypassrls;
alter role supabase_admin superuser;
grant anon, authenticated, service_role to authenticator;
"""

# A minimal Supabase: the schemas, auth helpers and storage tables migrations refer to most.
BASELINE_DB = """
create schema if not exists auth;
create schema if not exists storage;
create schema if not exists extensions;
create schema if not exists realtime;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema public, auth, storage, extensions to anon, authenticated, service_role;
create table auth.users (
  id uuid primary key, email text, raw_user_meta_data jsonb default '{}', raw_app_meta_data jsonb default '{}',
  created_at timestamptz default now(), updated_at timestamptz default now(), phone text, role text,
  email_confirmed_at timestamptz, last_sign_in_at timestamptz, is_anonymous boolean default false,
  instance_id uuid, aud varchar(255), encrypted_password varchar(255), confirmed_at timestamptz,
  invited_at timestamptz, confirmation_token varchar(255), recovery_token varchar(255),
  email_change_token_new varchar(255), email_change varchar(255), is_super_admin boolean,
  banned_until timestamptz, deleted_at timestamptz, is_sso_user boolean default false);
create table auth.identities (
  id uuid primary key default gen_random_uuid(), provider_id text, user_id uuid references auth.users (id),
  identity_data jsonb, provider text, email text, created_at timestamptz default now(), updated_at timestamptz);
create function auth.uid() returns uuid language sql stable as
  $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
create function auth.role() returns text language sql stable as
  $$ select nullif(current_setting('request.jwt.claim.role', true), '')::text $$;
create function auth.jwt() returns jsonb language sql stable as
  $$ select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
create function auth.email() returns text language sql stable as $$ select auth.jwt() ->> 'email' $$;
create table storage.buckets (
  id text primary key, name text, public boolean default false, owner uuid, created_at timestamptz default now(),
  updated_at timestamptz default now(), file_size_limit bigint, allowed_mime_types text[]);
create table storage.objects (
  id uuid primary key default gen_random_uuid(), bucket_id text references storage.buckets (id), name text,
  owner uuid, created_at timestamptz default now(), updated_at timestamptz default now(), metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored);
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
create function storage.foldername(name text) returns text[] language sql immutable as
  $$ select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $$;
create function storage.filename(name text) returns text language sql immutable as
  $$ select (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $$;
create function storage.extension(name text) returns text language sql immutable as
  $$ select reverse(split_part(reverse(name), '.', 1)) $$;
-- stand-ins for pg_cron, pg_net and Vault (their CREATE EXTENSION fails here; the statement-by-statement
-- retry goes on, and later files calling them still apply)
create schema if not exists cron;
create table cron.job (jobid bigserial primary key, schedule text, command text, jobname text unique,
  database text default current_database(), username text default current_user, active boolean default true);
create function cron.schedule(job_name text, schedule text, command text) returns bigint language sql as
  $$ insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
     on conflict (jobname) do update set schedule = excluded.schedule, command = excluded.command
     returning jobid $$;
create function cron.schedule(schedule text, command text) returns bigint language sql as
  $$ insert into cron.job (schedule, command) values (schedule, command) returning jobid $$;
create function cron.unschedule(job_name text) returns boolean language sql as
  $$ with d as (delete from cron.job where jobname = job_name returning 1) select exists (select from d) $$;
create function cron.unschedule(job_id bigint) returns boolean language sql as
  $$ with d as (delete from cron.job where jobid = job_id returning 1) select exists (select from d) $$;
create schema if not exists net;
create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
  headers jsonb default '{}', timeout_milliseconds int default 5000) returns bigint language sql as $$ select 1::bigint $$;
create function net.http_get(url text, params jsonb default '{}', headers jsonb default '{}',
  timeout_milliseconds int default 5000) returns bigint language sql as $$ select 1::bigint $$;
create schema if not exists vault;
create table vault.secrets (id uuid primary key default gen_random_uuid(), name text unique, description text,
  secret text, created_at timestamptz default now(), updated_at timestamptz default now());
create view vault.decrypted_secrets as select *, secret as decrypted_secret from vault.secrets;
create function vault.create_secret(new_secret text, new_name text default null, new_description text default '')
  returns uuid language sql as
  $$ insert into vault.secrets (secret, name, description) values (new_secret, new_name, new_description) returning id $$;
do $$ begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
"""


# projects ------------------------------------------------------------------------------------
@dataclass
class Project:
    name: str
    git_dir: Path
    subdir: str = ""
    commit: str = ""
    root: Path = Path()
    files: list[Path] = field(default_factory=list)
    error: str = ""

    @property
    def folder(self) -> Path:
        return self.root / "supabase" / "migrations"


def git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], input=data, capture_output=True,
                          check=True).stdout


def resolve_project(spec: str) -> Project:
    """`owner/name[:subdir]` (a mirror) or a path to a bare git directory."""
    spec, _, subdir = spec.partition(":")
    known = dict(PROJECTS)
    path = Path(spec)
    if path.is_dir() and (path / "HEAD").exists():
        name = path.parent.name.replace("+", "/") if path.name == "repo" else path.name
        return Project(name, path, subdir or known.get(name, ""))
    return Project(spec, MIRRORS / spec.replace("/", "+") / "repo", subdir or known.get(spec, ""))


def extract(project: Project, into: Path) -> None:
    """The `*.sql` files of the migrations folder at HEAD into `into/<owner+name>/supabase/migrations`."""
    if not (project.git_dir / "HEAD").exists():
        raise FileNotFoundError(f"no mirror at {project.git_dir} (fetch github:{project.name} first)")
    project.commit = git(project.git_dir, "rev-parse", "HEAD").decode().strip()
    listing = git(project.git_dir, "ls-tree", "-r", "-z", "HEAD").split(b"\0")
    blobs: dict[str, str] = {}
    for entry in filter(None, listing):
        meta, _, name = entry.decode("utf-8", "replace").partition("\t")
        if meta.split()[1] == "blob" and name.endswith(".sql"):
            blobs[name] = meta.split()[2]
    if not project.subdir:
        counts = collections.Counter(n.rsplit("/", 1)[0] for n in blobs if re.search(r"(^|/)supabase/migrations/[^/]+$", n))
        if not counts:
            raise FileNotFoundError(f"{project.name}: no supabase/migrations folder at HEAD")
        project.subdir = counts.most_common(1)[0][0]
    chosen = sorted(n for n in blobs if n.rsplit("/", 1)[0] == project.subdir)
    project.root = into / project.name.replace("/", "+")
    project.folder.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        (project.folder / name.rsplit("/", 1)[1]).write_bytes(git(project.git_dir, "cat-file", "blob", blobs[name]))
    # the project's supabase/config.toml: its `[api] schemas` decide which tables the Data API exposes
    config = project.subdir.rsplit("/", 1)[0] + "/config.toml" if "/" in project.subdir else "config.toml"
    try:
        (project.folder.parent / "config.toml").write_bytes(git(project.git_dir, "show", f"HEAD:{config}"))
    except subprocess.CalledProcessError:
        pass
    from orchestrator.lint import expand

    project.files = expand([project.folder]) if chosen else []


# our linter ----------------------------------------------------------------------------------
def finding_row(f: Any) -> dict[str, Any]:
    return {"rule": f.rule, "severity": getattr(f.severity, "value", str(f.severity)), "file": Path(f.path).name,
            "line": f.line, "end_line": max(getattr(f, "end_line", 0) or 0, f.line), "message": f.message,
            "rewrite": getattr(f, "rewrite", None)}


def run_ours(project: Project, rounds: int) -> dict[str, Any]:
    from orchestrator.lint import LintConfig, lint_paths

    cfg = LintConfig.for_project(project.root)  # as the CLI reads it: config.toml's [api] schemas
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        report = lint_paths([project.folder], cfg, root=project.root)
        times.append(time.perf_counter() - start)
    whole = [finding_row(f) for f in report.findings]
    from orchestrator.lint import engine

    extra = {"jobs": 1} if "jobs" in inspect.signature(engine.lint_paths).parameters else {}
    fbf: list[dict[str, Any]] = []
    start = time.perf_counter()
    for i, path in enumerate(project.files):
        rep = lint_paths(project.files[:i + 1], cfg, only=[path], root=project.root, **extra)
        fbf += [finding_row(f) for f in rep.findings]
    fbf_time = time.perf_counter() - start
    return {"whole": whole, "fbf": fbf, "time_whole_inproc": statistics.median(times), "time_fbf_inproc": fbf_time}


def cli_argv() -> list[str]:
    return [sys.executable, "-m", "orchestrator.lint", "--format", "json", "--fail-on", "never", "supabase/migrations"]


def timed_run(argv: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds of the process and its children, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def time_cli_and_squawk(project: Project, binary: str | None, rounds: int) -> dict[str, Any]:
    """Wall time of our CLI and squawk on the same files, as a user runs them, alternating in the same
    rounds (same machine load for both): medians and minimums, and the CPU time they used (steadier
    than wall time on a shared machine). Our CLI's own findings are counted, to check that the timed
    command did the work measured in-process."""
    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    cli_findings = None
    squawk_argv = [binary, "--reporter", "json", "--pg-version", "15.0",
                   *(str(p.relative_to(project.root)) for p in project.files)] if binary else []
    for _ in range(rounds):
        wall, cpu, done = timed_run(cli_argv(), project.root)
        ours.append(wall)
        ours_cpu.append(cpu)
        if cli_findings is None:
            try:
                cli_findings = len(json.loads(done.stdout)["findings"])
            except (json.JSONDecodeError, KeyError, TypeError):
                cli_findings = f"exit {done.returncode}: {(done.stdout + done.stderr)[-300:]}"
        if binary:
            wall, cpu, _ = timed_run(squawk_argv, project.root)  # type: ignore[arg-type]
            theirs.append(wall)
            theirs_cpu.append(cpu)
    out: dict[str, Any] = {"time_whole_cli": statistics.median(ours), "min_whole_cli": min(ours),
                           "cpu_whole_cli": statistics.median(ours_cpu), "runs_cli": ours, "cli_findings": cli_findings}
    if binary:
        out.update(time_squawk=statistics.median(theirs), min_squawk=min(theirs),
                   cpu_squawk=statistics.median(theirs_cpu), runs_squawk=theirs)
    return out


# squawk --------------------------------------------------------------------------------------
def native(path: Path | str | None) -> bool:
    """A real executable, not npm's Node.js launcher (which costs ~70 ms a run and would flatter our ratio)."""
    try:
        return path is not None and Path(path).is_file() and Path(path).read_bytes()[:4] == b"\x7fELF"
    except OSError:
        return False


def squawk_binary(given: str | None) -> tuple[str | None, str]:
    """squawk as its own binary: `--squawk`, the venv's (PyPI squawk-cli, as the parity test uses),
    PATH, else npm `squawk-cli` in a temp prefix, run through its platform package's binary."""
    if given:
        return given, "" if native(given) else f"{given} is not a native binary: its launcher's start-up is timed too"
    for candidate in (Path(sys.executable).parent / "squawk", shutil.which("squawk")):
        if native(candidate):
            return str(candidate), ""
    binary = SQUAWK_PREFIX / "node_modules" / ".bin" / "squawk"
    if not binary.exists():
        if shutil.which("npm") is None:
            return None, "npm not found"
        done = subprocess.run(["npm", "install", "--prefix", str(SQUAWK_PREFIX), "squawk-cli"], capture_output=True,
                              text=True, check=False, timeout=600)
        if done.returncode != 0 or not binary.exists():
            return None, f"npm install squawk-cli failed: {done.stderr.strip()[-500:]}"
    for candidate in sorted((SQUAWK_PREFIX / "node_modules" / "@squawk-cli").glob("*/bin/squawk")):
        if native(candidate) and subprocess.run([str(candidate), "--version"], capture_output=True,
                                                check=False).returncode == 0:
            return str(candidate), ""
    return str(binary), "npm's Node.js launcher: its start-up is timed too"


def squawk_version(binary: str) -> str:
    return subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def run_squawk(binary: str, project: Project) -> dict[str, Any]:
    rel = [str(p.relative_to(project.root)) for p in project.files]
    argv = [binary, "--reporter", "json", "--pg-version", "15.0", *rel]
    done = subprocess.run(argv, cwd=project.root, capture_output=True, text=True, check=False)
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return {"error": (done.stdout + done.stderr)[-500:], "violations": []}
    rows = [{"rule": v.get("rule_name"), "file": Path(v.get("file", "")).name, "line": int(v.get("line", 0)) + 1,
             "end_line": int(v.get("line_end", v.get("line", 0))) + 1, "message": v.get("message", "")} for v in raw]
    return {"violations": rows}


def squawk_mapping() -> dict[str, list[str]]:
    """SQUAWK_TO_OURS read from the parity test without importing it (no pytest needed)."""
    tree = ast.parse(PARITY_TEST.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SQUAWK_TO_OURS" for t in node.targets):
            return {k: v.split() for k, v in ast.literal_eval(node.value).items()}
    raise RuntimeError(f"SQUAWK_TO_OURS not found in {PARITY_TEST}")


def match(v: dict[str, Any], ours: list[dict[str, Any]], rules: list[str]) -> str:
    """'line' (same file, a line within +-1), 'file' (same file only) or 'miss'."""
    same = [f for f in ours if f["file"] == v["file"] and f["rule"] in rules]
    if any(f["line"] - 1 <= line <= f["end_line"] + 1 for f in same for line in range(v["line"], v["end_line"] + 1)):
        return "line"
    return "file" if same else "miss"


TARGET_RES = (re.compile(r"\bcreate\s+(?:unique\s+)?index\b.*?\bon\s+(?:only\s+)?([\w.\"]+)", re.IGNORECASE | re.DOTALL),
              re.compile(r"\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([\w.\"]+)", re.IGNORECASE))
CREATED_RE = re.compile(r"\bcreate\s+(?:(?:unlogged\s+)?table|materialized\s+view)\s+(?:if\s+not\s+exists\s+)?([\w.\"]+)",
                        re.IGNORECASE)


def bare(name: str) -> str:
    name = name.replace('"', "").lower()
    return name.removeprefix("public.")


def new_in_file(project: Project, file: str, line: int, end_line: int) -> str | None:
    """The table a squawk finding is about, when an earlier statement of the same file created it:
    a new, empty table (or materialized view), which squawk does not track and we leave alone by design.
    squawk may point into the statement (an ADD CONSTRAINT line): read it from the `;` before."""
    try:
        lines = (project.folder / file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    lines = [re.sub(r"--.*", "", text) for text in lines]  # comments out ("-- create table" above one)
    before = "\n".join(lines[:line - 1])
    head = before.rfind(";")
    stmt = before[head + 1:] + "\n" + "\n".join(lines[line - 1:max(end_line, line)])
    before = before[:head + 1]
    for rx in TARGET_RES:
        m = rx.search(stmt)
        if m:
            table = bare(m.group(1))
            return table if any(bare(made.group(1)) == table for made in CREATED_RE.finditer(before)) else None
    return None


# PostgreSQL audit ----------------------------------------------------------------------------
ERROR_RE = re.compile(r"^psql:[^\n]*?:(\d+): ERROR:\s+([0-9A-Z]{5}): (.*)$", re.MULTILINE)


class Audit:
    def __init__(self) -> None:
        from orchestrator.local.postgres import PostgresCluster, find_pg_bin

        self.cluster = PostgresCluster().start()
        self.psql = str(find_pg_bin() / "psql") if (find_pg_bin() / "psql").exists() else "psql"
        self.sql("postgres", BASELINE_ROLES)

    def argv(self, db: str) -> list[str]:
        return [self.psql, "-X", "-q", "-h", str(self.cluster.base_dir), "-p", str(self.cluster.port), "-U",
                "postgres", "-d", db, "-v", "VERBOSITY=verbose"]

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGOPTIONS": "-c statement_timeout=60s -c client_min_messages=error"}

    def sql(self, db: str, text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.argv(db), "-v", "ON_ERROR_STOP=1", "-c", text], capture_output=True, text=True,
                              check=False, env=self.env(), timeout=300)

    def query(self, db: str, text: str) -> str:
        done = subprocess.run([*self.argv(db), "-At", "-c", text], capture_output=True, text=True, check=False,
                              env=self.env(), timeout=60)
        return done.stdout.strip()

    def apply(self, db: str, path: Path) -> dict[str, Any]:
        """One transaction per file, as the CLI does; on failure, apply it again statement by statement
        (best effort, so later files see what the project's database most likely had) and keep every error."""
        once = subprocess.run([*self.argv(db), "-v", "ON_ERROR_STOP=1", "-1", "-f", str(path)], capture_output=True,
                              text=True, check=False, env=self.env(), timeout=600)
        if once.returncode == 0:
            return {"ok": True, "errors": []}
        again = subprocess.run([*self.argv(db), "-v", "ON_ERROR_STOP=0", "-f", str(path)], capture_output=True,
                               text=True, check=False, env=self.env(), timeout=600)
        errors = [{"line": int(m[0]), "sqlstate": m[1], "message": m[2][:200]} for m in ERROR_RE.findall(again.stderr)]
        first = [{"line": int(m[0]), "sqlstate": m[1], "message": m[2][:200]} for m in ERROR_RE.findall(once.stderr)]
        return {"ok": False, "errors": errors or first, "first_error": first[:1]}

    def project(self, project: Project) -> dict[str, Any]:
        db = "eval_" + re.sub(r"[^a-z0-9]+", "_", project.name.lower())
        self.sql("postgres", f"drop database if exists {db}")
        self.sql("postgres", f"create database {db}")
        self.sql("postgres", f"alter database {db} set search_path = \"$user\", public, extensions")
        base = self.sql(db, BASELINE_DB)
        applied: dict[str, Any] = {}
        rls_after: dict[str, dict[str, bool]] = {}
        for path in project.files:
            if CLI_NAME.match(path.name):
                applied[path.name] = self.apply(db, path)
                # the state a file-by-file finding is judged against: the database once this file was applied
                rls_after[path.name] = self.rls(db)
        return {"db": db, "baseline_ok": base.returncode == 0, "baseline_error": base.stderr[-300:],
                "files": applied, "rls": self.rls(db), "rls_after": rls_after}

    def rls(self, db: str) -> dict[str, bool]:
        """relrowsecurity of every table, by schema.name."""
        rls = {}
        for line in self.query(db, "select n.nspname || '.' || c.relname, c.relrowsecurity from pg_class c "
                                   "join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')"
                                   ).splitlines():
            name, _, on = line.rpartition("|")
            rls[name] = on == "t"
        return rls

    def stop(self) -> None:
        self.cluster.stop()


TABLE_RES = (re.compile(r"alter table (\S+) enable row level security"), re.compile(r"^(\S+) is exposed"),
             re.compile(r" on (\S+) does nothing"), re.compile(r" on (\S+)"))


def table_of(f: dict[str, Any]) -> str | None:
    for text in (f.get("rewrite") or "", f["message"]):
        for rx in TABLE_RES:
            m = rx.search(text)
            if m:
                name = m.group(1).strip('";,')
                return name if "." in name else f"public.{name}"
    return None


def verdict(f: dict[str, Any], state: dict[str, Any], mode: str) -> tuple[str, str]:
    """('true' | 'false' | 'unaudited', why) for one finding of an audited rule. RLS findings of the
    whole-folder run are judged after the whole history; file-by-file ones once their file was applied
    (the pending migration goes live with the table open until a later file enables RLS)."""
    if f["rule"] == "syntax-error":
        run = state["files"].get(f["file"])
        if run is None:
            return "unaudited", "the CLI does not apply this file (name)"
        if run["ok"]:
            return "false", "PostgreSQL applied the file"
        syntax = [e for e in run["errors"] if e["sqlstate"] == "42601"]
        if syntax:
            return "true", f"PostgreSQL: {syntax[0]['message']}"
        return "false", "PostgreSQL parsed every statement (other errors: " + \
            ", ".join(sorted({e["sqlstate"] for e in run["errors"]})) + ")"
    table = table_of(f)
    if table is None:
        return "unaudited", "no table name in the finding"
    name = table.replace('"', "")
    rls, when = state["rls"], "after the whole history"
    if mode == "fbf":
        if f["file"] not in state["rls_after"]:
            return "unaudited", "the CLI does not apply this file (name)"
        rls, when = state["rls_after"][f["file"]], f"once {f['file']} was applied"
    if name not in rls:
        return "unaudited", f"{name} does not exist {when}"
    if rls[name]:
        return "false", f"{name} has relrowsecurity on {when}"
    return "true", f"{name} has relrowsecurity off {when}"


# known false findings ------------------------------------------------------------------------
# Classes of error findings found certainly false on real projects (read by hand, then measured with
# PostgreSQL 15 or supabase CLI 3 db push); each has a minimal case in tests/lint/test_real_findings.py.
# Recognised here by text, so the count of what is left of each class can be followed from run to run.
def _code(text: str) -> list[str]:
    return [re.sub(r"--.*", "", line) for line in text.splitlines()]


def _statement(lines: list[str], line: int, end_line: int) -> tuple[str, str]:
    """(the text before the statement, the statement) around a finding: from the `;` before it to the next."""
    before = "\n".join(lines[:line - 1])
    rest = "\n".join(lines[line - 1:])
    head, tail = before.rfind(";"), rest.find(";")
    return before[:head + 1], before[head + 1:] + "\n" + (rest[:tail] if tail >= 0 else rest)


def known_false(project: Project, f: dict[str, Any], history: str) -> str | None:
    """The class of a certainly-false error finding, or None. `history`: every file's SQL, comments out."""
    lines = _code((project.folder / f["file"]).read_text(encoding="utf-8", errors="replace"))
    before, stmt = _statement(lines, f["line"], f["end_line"])
    rule, message = f["rule"], f["message"]
    if rule == "update-delete-without-where":
        above = "\n".join(lines[:f["line"] - 1])  # a body holds `;`: read back past them
        opened = list(re.finditer(r"create\s+(?:or\s+replace\s+)?function|\bdo\s+\$", above, re.IGNORECASE))
        if (opened and opened[-1].group(0).lower().startswith("create")
                and len(re.findall(r"\$\w*\$", above[opened[-1].start():])) % 2 == 1):
            return "UPDATE/DELETE inside a function body (the migration does not run it)"
    if rule == "require-concurrent-index-drop":
        m = re.search(r"drop\s+index\s+(?:if\s+exists\s+)?([\w.\"]+)", stmt, re.IGNORECASE)
        name = m.group(1).split(".")[-1].strip('"') if m else ""
        if name and re.search(rf'drop\s+constraint\s+(?:if\s+exists\s+)?"?{re.escape(name)}"?\s*;', before, re.IGNORECASE):
            return "DROP INDEX IF EXISTS after its constraint was dropped (a no-op)"
    if rule == "policy-without-rls":
        m = re.search(r" on (\S+) does nothing", message)
        table = m.group(1).split(".")[-1].strip('"') if m else ""
        if table and not re.search(rf'create\s+table\s+(?:if\s+not\s+exists\s+)?(?:"?\w+"?\.)?"?{re.escape(table)}"?\s*\(',
                                   history, re.IGNORECASE):
            return "policy on a table no migration creates (RLS state unknown)"
    if rule == "changing-column-type" and " to timestamptz " in message:
        m = re.search(r"changing \S+\.(\w+) to", message)
        col = m.group(1) if m else ""
        if col and re.search(rf'"?{col}"?\s+timestamp(?:\s+without\s+time\s+zone)?\s*(?:,|not|null|default|\))',
                             history, re.IGNORECASE) and not re.search(rf'"?{col}"?\s+"?date"?\b', history, re.IGNORECASE):
            return "timestamp -> timestamptz (no rewrite with the session in UTC)"
    if rule == "concurrently-with-other-statements":
        parts = [x.strip() for x in "\n".join(lines).split(";") if x.strip()]
        if all(re.match(r"(create\s+(?:unique\s+)?index\s+concurrently|comment\s+on\s+index)", x, re.IGNORECASE)
               for x in parts):
            return "a file of CREATE INDEX CONCURRENTLY (and COMMENT ON INDEX): the CLI applies it"
    if rule == "statements-after-commit" and re.search(r"add\s+value", before, re.IGNORECASE):
        return "COMMIT after ALTER TYPE ... ADD VALUE: the CLI applies it"
    if (rule == "constraint-missing-not-valid" and "REFERENCES on the new column" in message
            and not re.search(r"\bdefault\b|foreign\s+key", stmt, re.IGNORECASE)):
        return "REFERENCES on a new column with no DEFAULT (PostgreSQL skips the validation)"
    return None


# report --------------------------------------------------------------------------------------
def excerpt(project: Project, file: str, line: int, end_line: int) -> str:
    try:
        lines = (project.folder / file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[max(line - 1, 0):min(max(end_line, line), line + 2)])


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    import orchestrator

    print(f"measuring orchestrator from {orchestrator.__file__}", flush=True)
    try:
        from importlib.metadata import version

        pglast = version("pglast")
    except Exception:  # noqa: BLE001 - informational only
        pglast = "?"
    specs = args.projects or [f"{n}:{d}" for n, d in PROJECTS]
    projects = [resolve_project(s) for s in specs]
    mapping = squawk_mapping()
    binary, squawk_error = (None, "disabled (--no-squawk)") if args.no_squawk else squawk_binary(args.squawk)
    out: dict[str, Any] = {"orchestrator": orchestrator.__file__, "pglast": pglast, "python": sys.version.split()[0],
                           "squawk": squawk_version(binary) if binary else None, "squawk_error": squawk_error,
                           "squawk_binary": binary,
                           "mapping": mapping, "projects": [], "started": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime())}
    audit = None
    if not args.no_audit:
        try:
            audit = Audit()
        except Exception as exc:  # noqa: BLE001 - the audit is optional: report why it did not run
            out["audit_error"] = f"{type(exc).__name__}: {exc}"
    tmp = Path(tempfile.mkdtemp(prefix="lint-eval-"))
    try:
        for project in projects:
            out["projects"].append(evaluate_project(project, tmp, args, binary, mapping, audit))
    finally:
        if audit is not None:
            audit.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out["summary"] = summarize(out, mapping, args.samples)
    return out


def evaluate_project(project: Project, tmp: Path, args: argparse.Namespace, binary: str | None,
                     mapping: dict[str, list[str]], audit: Audit | None) -> dict[str, Any]:
    row: dict[str, Any] = {"name": project.name}
    try:
        extract(project, tmp)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"{project.name}: skipped ({exc})", flush=True)
        return {**row, "error": str(exc)}
    row.update(commit=project.commit, subdir=project.subdir, files=len(project.files))
    print(f"{project.name}: {len(project.files)} files in {project.subdir} @ {project.commit[:10]}", flush=True)
    if not project.files:
        return row
    ours = run_ours(project, args.rounds)
    ours.update(time_cli_and_squawk(project, binary, args.rounds))
    row["ours"] = ours
    if isinstance(ours["cli_findings"], str) or ours["cli_findings"] != len(ours["whole"]):
        print(f"  the CLI reported {ours['cli_findings']} findings, in-process {len(ours['whole'])}", flush=True)
    if binary:
        sq = run_squawk(binary, project)
        sq["time"] = ours["time_squawk"]
        for v in sq["violations"]:
            rules = mapping.get(v["rule"]) or ([EXTRA_SQUAWK[v["rule"]]] if v["rule"] in EXTRA_SQUAWK else None)
            if rules:
                v["ours"] = rules
                v["match_fbf"] = match(v, ours["fbf"], rules)
                v["match_whole"] = match(v, ours["whole"], rules)
                if v["match_fbf"] != "line":
                    v["excerpt"] = excerpt(project, v["file"], v["line"], v["end_line"])
                    table = new_in_file(project, v["file"], v["line"], v["end_line"])
                    if table:
                        v["excused"] = f"{table} is created earlier in the same file (new, empty)"
        row["squawk"] = sq
    history = "\n".join("\n".join(_code(path.read_text(encoding="utf-8", errors="replace"))) for path in project.files)
    for f in ours["fbf"]:
        if f["severity"] == "error":
            f["known_false"] = known_false(project, f, history)
    if audit is not None:
        try:
            state = audit.project(project)
        except Exception as exc:  # noqa: BLE001 - keep the other projects' results
            row["audit_error"] = f"{type(exc).__name__}: {exc}"
        else:
            row["audit"] = {"baseline_ok": state["baseline_ok"], "baseline_error": state["baseline_error"],
                            "files_applied": len(state["files"]),
                            "files_failed": sorted(n for n, r in state["files"].items() if not r["ok"]),
                            "errors": {n: r["errors"][:5] for n, r in state["files"].items() if not r["ok"]}}
            for mode in ("whole", "fbf"):
                for f in ours[mode]:
                    if f["rule"] in AUDITED:
                        f["verdict"], f["why"] = verdict(f, state, mode)
                        if f["verdict"] == "false":
                            f["excerpt"] = excerpt(project, f["file"], f["line"], f["end_line"])
    return row


def summarize(out: dict[str, Any], mapping: dict[str, list[str]], samples: int = 0) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = collections.defaultdict(lambda: collections.Counter())
    squawk_rules: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    speed = collections.Counter()
    files = failing = failing_whole = 0
    false_findings: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    errors_fbf: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    per_project: list[dict[str, Any]] = []
    known: dict[str, list[str]] = collections.defaultdict(list)
    failing_true: set[tuple[str, str]] = set()
    for p in out["projects"]:
        if "ours" not in p:
            continue
        ours = p["ours"]
        files += p["files"]
        # a `lint: {fail_on: error}` step fails a file when any finding on it is at error (file by file:
        # each file as the pending migration it once was)
        errs = collections.defaultdict(set)
        for f in ours["fbf"]:
            if f["severity"] == "error":
                errs[f["file"]].add(f["rule"])
                errors_fbf[f["rule"]].append({"project": p["name"], **f})
                if f.get("known_false"):
                    rules[f["rule"]]["known_false"] += 1
                    known[f["known_false"]].append(f"{p['name']} {f['file']}:{f['line']}")
                else:
                    failing_true.add((p["name"], f["file"]))
        failing += len(errs)
        for file_rules in errs.values():
            for rule in file_rules:
                rules[rule]["files_failing"] += 1
            if len(file_rules) == 1:
                rules[next(iter(file_rules))]["files_failing_alone"] += 1
        whole_errs = {f["file"] for f in ours["whole"] if f["severity"] == "error"}
        failing_whole += len(whole_errs)
        per_project.append({"project": p["name"], "files": p["files"], "failing_fbf": len(errs),
                            "failing_whole": len(whole_errs)})
        for mode in ("whole", "fbf"):
            for f in ours[mode]:
                c = rules[f["rule"]]
                c[mode] += 1
                c[f"{mode}_{f['severity']}"] += 1
                if "verdict" in f:
                    c[f"{mode}_{f['verdict']}"] += 1
                    if f["verdict"] == "false" and mode == "fbf":
                        false_findings.append({"project": p["name"], **{k: f[k] for k in (
                            "rule", "file", "line", "message", "why", "excerpt")}})
        speed["ours_inproc"] += ours["time_whole_inproc"]
        speed["ours_cli"] += ours["time_whole_cli"]
        speed["ours_cli_min"] += ours["min_whole_cli"]
        speed["ours_cli_cpu"] += ours["cpu_whole_cli"]
        speed["ours_fbf_inproc"] += ours["time_fbf_inproc"]
        sq = p.get("squawk")
        if sq:
            speed["squawk"] += sq["time"]
            speed["squawk_min"] += ours["min_squawk"]
            speed["squawk_cpu"] += ours["cpu_squawk"]
            for v in sq["violations"]:
                s = squawk_rules[v["rule"]]
                s["count"] += 1
                if "ours" in v:
                    s[f"fbf_{v['match_fbf']}"] += 1
                    s[f"whole_{v['match_whole']}"] += 1
                    s["excused"] += "excused" in v
                    c = rules[v["ours"][0]]
                    c["squawk"] += 1
                    c["squawk_fbf_line"] += v["match_fbf"] == "line"
                    c["squawk_fbf_file"] += v["match_fbf"] != "miss"
                    c["squawk_whole_line"] += v["match_whole"] == "line"
                    c["squawk_excused"] += "excused" in v
                    if v["match_fbf"] != "line":
                        missed.append({"project": p["name"], "squawk_rule": v["rule"], "ours": v["ours"],
                                       "file": v["file"], "line": v["line"], "message": v["message"],
                                       "same_file_only": v["match_fbf"] == "file",
                                       "excused": v.get("excused"), "excerpt": v.get("excerpt", "")})
    table = []
    for rule in sorted(rules):
        c = rules[rule]
        sev = sorted(k.split("_", 1)[1] for k in c if k.startswith("fbf_") and k.split("_", 1)[1] in (
            "error", "warning", "info", "note"))
        row: dict[str, Any] = {"rule": rule, "severity": "/".join(sev) or "-", "whole": c["whole"], "fbf": c["fbf"],
                               "whole_error": c["whole_error"], "fbf_error": c["fbf_error"],
                               "files_failing": c["files_failing"], "files_failing_alone": c["files_failing_alone"],
                               "squawk": c["squawk"], "squawk_excused": c["squawk_excused"],
                               "known_false": c["known_false"]}
        if c["squawk"]:
            row["recall_line"] = round(c["squawk_fbf_line"] / c["squawk"], 3)
            row["recall_file"] = round(c["squawk_fbf_file"] / c["squawk"], 3)
            row["recall_line_whole"] = round(c["squawk_whole_line"] / c["squawk"], 3)
            kept = c["squawk"] - c["squawk_excused"]
            if kept:
                row["recall_line_excused"] = round(c["squawk_fbf_line"] / kept, 3)
        for mode in ("whole", "fbf"):
            judged = c[f"{mode}_true"] + c[f"{mode}_false"]
            row[f"{mode}_audited"] = judged
            row[f"{mode}_audit_true"] = c[f"{mode}_true"]
            row[f"{mode}_unaudited"] = c[f"{mode}_unaudited"]
            if judged:
                row[f"{mode}_precision"] = round(c[f"{mode}_true"] / judged, 3)
        table.append(row)
    sq_table = [{"squawk_rule": r, "ours": " ".join(mapping.get(r, [EXTRA_SQUAWK.get(r, "")])).strip() or None,
                 "parity_mapping": r in mapping, **dict(c)} for r, c in sorted(squawk_rules.items())]
    ratio = {"cli_median": round(speed["ours_cli"] / speed["squawk"], 2),
             "cli_min": round(speed["ours_cli_min"] / speed["squawk_min"], 2),
             "cli_cpu": round(speed["ours_cli_cpu"] / speed["squawk_cpu"], 2) if speed["squawk_cpu"] else None,
             "inproc_median": round(speed["ours_inproc"] / speed["squawk"], 2)} if speed["squawk"] else {}
    rng = random.Random(10)
    sampled = {rule: (rows if len(rows) <= samples else rng.sample(rows, samples))
               for rule, rows in sorted(errors_fbf.items())} if samples else {}
    return {"rules": table, "squawk_rules": sq_table, "files": files, "files_failing_error_fbf": failing,
            "share_failing_error_fbf": round(failing / files, 3) if files else None,
            "files_failing_error_whole": failing_whole, "per_project": per_project,
            "files_failing_error_fbf_without_known_false": len(failing_true), "known_false": dict(known),
            "speed_seconds": {k: round(v, 3) for k, v in speed.items()}, "ratio_ours_over_squawk": ratio,
            "false_findings": false_findings, "missed_vs_squawk": missed, "error_samples": sampled}


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def print_report(out: dict[str, Any]) -> None:
    s = out["summary"]
    sq_name = f"{out['squawk']} ({out.get('squawk_binary')})" if out["squawk"] else "-"
    print(f"\norchestrator: {out['orchestrator']}  pglast {out['pglast']}  squawk: {sq_name} {out['squawk_error']}")
    print(f"\n{'project':45} {'files':>5}  {'whole':>5} {'fbf':>5} {'squawk':>6}  {'ours s':>6} {'cli s':>6} "
          f"{'sq s':>6}  {'fail err':>8}  {'pg failed files':>15}")
    for p in out["projects"]:
        if "ours" not in p:
            print(f"{p['name']:45} {'-':>5}  {p.get('error', '')[:60]}")
            continue
        sq = p.get("squawk") or {}
        au = p.get("audit") or {}
        pp = next(x for x in s["per_project"] if x["project"] == p["name"])
        print(f"{p['name']:45} {p['files']:5}  {len(p['ours']['whole']):5} {len(p['ours']['fbf']):5} "
              f"{len(sq.get('violations', [])) if sq else '-':>6}  {p['ours']['time_whole_inproc']:6.2f} "
              f"{p['ours']['time_whole_cli']:6.2f} {fmt(sq.get('time')):>6}  {pp['failing_fbf']:>8}  "
              f"{len(au.get('files_failed', [])) if au else '-':>5}/{au.get('files_applied', '-')}")
    print(f"\n{'rule':34} {'sev':>13} {'whole':>6} {'fbf':>6} {'fbf err':>7} {'false':>5} {'files':>5} {'alone':>5} "
          f"{'squawk':>6} {'excus':>5} {'rec@line':>8} {'rec@file':>8} {'rec-exc':>7} {'aud(f)':>6} {'prec(f)':>7}")
    total = collections.Counter()
    for r in s["rules"]:
        total.update({k: r[k] for k in ("whole", "fbf", "fbf_error", "known_false", "squawk", "squawk_excused")})
        print(f"{r['rule']:34} {r['severity']:>13} {r['whole']:6} {r['fbf']:6} {r['fbf_error']:7} {r['known_false']:5} "
              f"{r['files_failing']:5} {r['files_failing_alone']:5} {r['squawk']:6} {r['squawk_excused']:5} "
              f"{fmt(r.get('recall_line')):>8} {fmt(r.get('recall_file')):>8} {fmt(r.get('recall_line_excused')):>7} "
              f"{r['fbf_audited'] or '-':>6} {fmt(r.get('fbf_precision')):>7}")
    print(f"{'TOTAL':34} {'':>13} {total['whole']:6} {total['fbf']:6} {total['fbf_error']:7} {total['known_false']:5} "
          f"{'':5} {'':5} "
          f"{total['squawk']:6} {total['squawk_excused']:5}")
    print("(false: error findings of a known certainly-false class, tests/lint/test_real_findings.py; "
          "files: files failing fail_on=error with this rule among their errors; alone: with this rule only; "
          "excus: squawk findings we miss at their line on a table created earlier in the same file; rec-exc: recall@line without them)")
    if s["squawk_rules"]:
        print(f"\n{'squawk rule':42} {'ours':45} {'count':>5} {'fbf line':>8} {'fbf file':>8} {'miss':>5} {'excus':>5}")
        for r in s["squawk_rules"]:
            mark = "" if r["parity_mapping"] else " (info)" if r["ours"] else ""
            print(f"{r['squawk_rule']:42} {(r['ours'] or '-') + mark:45} {r['count']:5} {r.get('fbf_line', 0):8} "
                  f"{r.get('fbf_file', 0):8} {r.get('fbf_miss', 0):5} {r.get('excused', 0):5}")
    print(f"\nfiles: {s['files']}; failing fail_on=error file by file: {s['files_failing_error_fbf']} "
          f"({fmt(s['share_failing_error_fbf'])}); whole folder: {s['files_failing_error_whole']}; file by file without "
          f"known-false findings: {s['files_failing_error_fbf_without_known_false']}")
    sp = s["speed_seconds"]
    print(f"speed (sums over projects; our CLI and squawk alternate in the same rounds): wall median ours CLI "
          f"{sp.get('ours_cli', 0):.2f}s vs squawk {sp.get('squawk', 0):.2f}s; wall min {sp.get('ours_cli_min', 0):.2f}s "
          f"vs {sp.get('squawk_min', 0):.2f}s; CPU {sp.get('ours_cli_cpu', 0):.2f}s vs {sp.get('squawk_cpu', 0):.2f}s; "
          f"ours in-process {sp.get('ours_inproc', 0):.2f}s; ratio ours/squawk {s['ratio_ours_over_squawk']}; "
          f"file-by-file in-process {sp.get('ours_fbf_inproc', 0):.2f}s; load average {os.getloadavg()[0]:.1f}")
    print(f"false findings (file by file, PostgreSQL says): {len(s['false_findings'])}; "
          f"squawk findings we miss at their line (file by file): {len(s['missed_vs_squawk'])}, "
          f"{sum(1 for m in s['missed_vs_squawk'] if m['excused'])} of them on a table new in that file")
    for f in s["false_findings"]:
        print(f"  FALSE {f['rule']} {f['project']} {f['file']}:{f['line']}: {f['why']}")
    for cls, where in s["known_false"].items():
        print(f"known false: {cls}: {len(where)}")
        for w in where:
            print(f"  {w}")
    for rule, rows in s["error_samples"].items():
        print(f"\nsample of {rule} at error (file by file), {len(rows)}:")
        for f in rows:
            print(f"  {f['project']} {f['file']}:{f['line']}: {f['message'][:150]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", nargs="+", metavar="OWNER/NAME[:SUBDIR]", help="default: the built-in list")
    ap.add_argument("--json", type=Path, help="write every finding, match and verdict here")
    ap.add_argument("--no-squawk", action="store_true")
    ap.add_argument("--no-audit", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds for the whole-folder runs")
    ap.add_argument("--squawk", help="a squawk binary to use instead of installing squawk-cli with npm")
    ap.add_argument("--samples", type=int, default=0, metavar="N",
                    help="print N error findings per rule (file by file) to audit by hand")
    args = ap.parse_args()
    started = time.perf_counter()
    out = evaluate(args)
    out["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
