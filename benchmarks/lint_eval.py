"""Evaluate the migration linter on real Supabase projects: findings, recall vs squawk, precision vs PostgreSQL.

    python benchmarks/lint_eval.py [--projects owner/name[:subdir] ...] [--json out.json]
                                   [--no-squawk] [--no-audit] [--rounds 3] [--squawk PATH]

A benchmark, not a CI test. For each project (read from its git mirror, /work/.mirror/owner+name/repo,
made with the agent `fetch` tool; a path to a bare git directory works too) the migrations folder of
HEAD is extracted into a temp dir (nothing is copied into this repository), then:

1. our linter runs in-process (`orchestrator.lint.lint_paths`) on the whole folder, as
   `orchestrator lint supabase/migrations` does by default, and file by file as each file once was the
   pending migration: the folder as it was then (that file and the ones before it) with `only=[file]`;
   the CLI (`python -m orchestrator.lint --format json`) is timed too;
2. squawk (npm `squawk-cli`, installed into a temp prefix) runs on the same files with
   `--reporter json --pg-version 15.0`; its rules are mapped to ours with SQUAWK_TO_OURS from
   tests/lint/test_squawk_parity.py and our recall is computed (same file and line +-1, or same file);
3. a throwaway PostgreSQL 15 cluster with a minimal Supabase baseline applies each project's
   migrations in CLI order (one database per project) and judges `syntax-error` (did PostgreSQL
   parse every statement of the file?) and `policy-without-rls` / `rls-not-enabled` (is RLS on for
   the table after the whole history?).

Measures whichever `orchestrator` is importable: set PYTHONPATH to measure another checkout.
"""

from __future__ import annotations

import argparse
import ast
import collections
import inspect
import json
import os
import re
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
    from orchestrator.lint import expand

    project.files = expand([project.folder]) if chosen else []


# our linter ----------------------------------------------------------------------------------
def finding_row(f: Any) -> dict[str, Any]:
    return {"rule": f.rule, "severity": getattr(f.severity, "value", str(f.severity)), "file": Path(f.path).name,
            "line": f.line, "end_line": max(getattr(f, "end_line", 0) or 0, f.line), "message": f.message,
            "rewrite": getattr(f, "rewrite", None)}


def run_ours(project: Project, rounds: int) -> dict[str, Any]:
    from orchestrator.lint import LintConfig, lint_paths

    cfg = LintConfig()
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
    cli = []
    argv = [sys.executable, "-m", "orchestrator.lint", "--format", "json", "--fail-on", "never", "supabase/migrations"]
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, cwd=project.root, capture_output=True, check=False)
        cli.append(time.perf_counter() - start)
    return {"whole": whole, "fbf": fbf, "time_whole_inproc": statistics.median(times),
            "time_fbf_inproc": fbf_time, "time_whole_cli": statistics.median(cli)}


# squawk --------------------------------------------------------------------------------------
def squawk_binary(given: str | None) -> tuple[str | None, str]:
    if given:
        return given, ""
    binary = SQUAWK_PREFIX / "node_modules" / ".bin" / "squawk"
    if not binary.exists():
        if shutil.which("npm") is None:
            return None, "npm not found"
        done = subprocess.run(["npm", "install", "--prefix", str(SQUAWK_PREFIX), "squawk-cli"], capture_output=True,
                              text=True, check=False, timeout=600)
        if done.returncode != 0 or not binary.exists():
            return None, f"npm install squawk-cli failed: {done.stderr.strip()[-500:]}"
    return str(binary), ""


def squawk_version(binary: str) -> str:
    return subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def run_squawk(binary: str, project: Project, rounds: int) -> dict[str, Any]:
    rel = [str(p.relative_to(project.root)) for p in project.files]
    argv = [binary, "--reporter", "json", "--pg-version", "15.0", *rel]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=project.root, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
    try:
        raw = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return {"error": (done.stdout + done.stderr)[-500:], "violations": [], "time": statistics.median(times)}
    rows = [{"rule": v.get("rule_name"), "file": Path(v.get("file", "")).name, "line": int(v.get("line", 0)) + 1,
             "end_line": int(v.get("line_end", v.get("line", 0))) + 1, "message": v.get("message", "")} for v in raw]
    return {"violations": rows, "time": statistics.median(times)}


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
        for path in project.files:
            if CLI_NAME.match(path.name):
                applied[path.name] = self.apply(db, path)
        rls = {}
        for line in self.query(db, "select n.nspname || '.' || c.relname, c.relrowsecurity from pg_class c "
                                   "join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p')"
                                   ).splitlines():
            name, _, on = line.rpartition("|")
            rls[name] = on == "t"
        return {"db": db, "baseline_ok": base.returncode == 0, "baseline_error": base.stderr[-300:],
                "files": applied, "rls": rls}

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


def verdict(f: dict[str, Any], state: dict[str, Any]) -> tuple[str, str]:
    """('true' | 'false' | 'unaudited', why) for one finding of an audited rule."""
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
    if name not in state["rls"]:
        return "unaudited", f"{name} does not exist after the whole history"
    if state["rls"][name]:
        return "false", f"{name} has relrowsecurity on after the whole history"
    return "true", f"{name} has relrowsecurity off after the whole history"


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
    out["summary"] = summarize(out, mapping)
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
    row["ours"] = ours
    if binary:
        sq = run_squawk(binary, project, args.rounds)
        for v in sq["violations"]:
            rules = mapping.get(v["rule"]) or ([EXTRA_SQUAWK[v["rule"]]] if v["rule"] in EXTRA_SQUAWK else None)
            if rules:
                v["ours"] = rules
                v["match_fbf"] = match(v, ours["fbf"], rules)
                v["match_whole"] = match(v, ours["whole"], rules)
                if v["match_fbf"] == "miss":
                    v["excerpt"] = excerpt(project, v["file"], v["line"], v["end_line"])
        row["squawk"] = sq
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
                        f["verdict"], f["why"] = verdict(f, state)
                        if f["verdict"] == "false":
                            f["excerpt"] = excerpt(project, f["file"], f["line"], f["end_line"])
    return row


def summarize(out: dict[str, Any], mapping: dict[str, list[str]]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = collections.defaultdict(lambda: collections.Counter())
    squawk_rules: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    speed = collections.Counter()
    files = failing = failing_whole = 0
    false_findings: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    for p in out["projects"]:
        if "ours" not in p:
            continue
        ours = p["ours"]
        files += p["files"]
        errs = {f["file"] for f in ours["fbf"] if f["severity"] == "error"}
        failing += len(errs)
        failing_whole += len({f["file"] for f in ours["whole"] if f["severity"] == "error"})
        for mode in ("whole", "fbf"):
            for f in ours[mode]:
                c = rules[f["rule"]]
                c[mode] += 1
                if "verdict" in f:
                    c[f"{mode}_{f['verdict']}"] += 1
                    if f["verdict"] == "false" and mode == "fbf":
                        false_findings.append({"project": p["name"], **{k: f[k] for k in (
                            "rule", "file", "line", "message", "why", "excerpt")}})
        speed["ours_inproc"] += ours["time_whole_inproc"]
        speed["ours_cli"] += ours["time_whole_cli"]
        speed["ours_fbf_inproc"] += ours["time_fbf_inproc"]
        sq = p.get("squawk")
        if sq:
            speed["squawk"] += sq["time"]
            for v in sq["violations"]:
                s = squawk_rules[v["rule"]]
                s["count"] += 1
                if "ours" in v:
                    s[f"fbf_{v['match_fbf']}"] += 1
                    s[f"whole_{v['match_whole']}"] += 1
                    rules[v["ours"][0]]["squawk"] += 1
                    rules[v["ours"][0]]["squawk_fbf_line"] += v["match_fbf"] == "line"
                    rules[v["ours"][0]]["squawk_fbf_file"] += v["match_fbf"] != "miss"
                    if v["match_fbf"] == "miss":
                        missed.append({"project": p["name"], "squawk_rule": v["rule"], "ours": v["ours"],
                                       "file": v["file"], "line": v["line"], "message": v["message"],
                                       "excerpt": v.get("excerpt", "")})
    table = []
    for rule in sorted(rules):
        c = rules[rule]
        row: dict[str, Any] = {"rule": rule, "whole": c["whole"], "fbf": c["fbf"], "squawk": c["squawk"]}
        if c["squawk"]:
            row["recall_line"] = round(c["squawk_fbf_line"] / c["squawk"], 3)
            row["recall_file"] = round(c["squawk_fbf_file"] / c["squawk"], 3)
        for mode in ("whole", "fbf"):
            judged = c[f"{mode}_true"] + c[f"{mode}_false"]
            row[f"{mode}_audited"] = judged
            row[f"{mode}_unaudited"] = c[f"{mode}_unaudited"]
            if judged:
                row[f"{mode}_precision"] = round(c[f"{mode}_true"] / judged, 3)
        table.append(row)
    sq_table = [{"squawk_rule": r, "ours": " ".join(mapping.get(r, [EXTRA_SQUAWK.get(r, "")])).strip() or None,
                 "parity_mapping": r in mapping, **dict(c)} for r, c in sorted(squawk_rules.items())]
    ratio = {k: round(speed[k] / speed["squawk"], 2) for k in ("ours_inproc", "ours_cli")} if speed["squawk"] else {}
    return {"rules": table, "squawk_rules": sq_table, "files": files, "files_failing_error_fbf": failing,
            "share_failing_error_fbf": round(failing / files, 3) if files else None,
            "files_failing_error_whole": failing_whole,
            "speed_seconds": {k: round(v, 3) for k, v in speed.items()}, "ratio_ours_over_squawk": ratio,
            "false_findings": false_findings, "missed_vs_squawk": missed}


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def print_report(out: dict[str, Any]) -> None:
    s = out["summary"]
    print(f"\norchestrator: {out['orchestrator']}  pglast {out['pglast']}  squawk: {out['squawk'] or out['squawk_error']}")
    print(f"\n{'project':45} {'files':>5}  {'whole':>5} {'fbf':>5} {'squawk':>6}  {'ours s':>6} {'cli s':>6} "
          f"{'sq s':>6}  {'pg failed files':>15}")
    for p in out["projects"]:
        if "ours" not in p:
            print(f"{p['name']:45} {'-':>5}  {p.get('error', '')[:60]}")
            continue
        sq = p.get("squawk") or {}
        au = p.get("audit") or {}
        print(f"{p['name']:45} {p['files']:5}  {len(p['ours']['whole']):5} {len(p['ours']['fbf']):5} "
              f"{len(sq.get('violations', [])) if sq else '-':>6}  {p['ours']['time_whole_inproc']:6.2f} "
              f"{p['ours']['time_whole_cli']:6.2f} {fmt(sq.get('time')):>6}  "
              f"{len(au.get('files_failed', [])) if au else '-':>5}/{au.get('files_applied', '-')}")
    print(f"\n{'rule':36} {'whole':>6} {'fbf':>6} {'squawk':>6} {'rec@line':>8} {'rec@file':>8} "
          f"{'aud(w)':>6} {'prec(w)':>7} {'aud(f)':>6} {'prec(f)':>7}")
    total = collections.Counter()
    for r in s["rules"]:
        total.update({k: r[k] for k in ("whole", "fbf", "squawk")})
        print(f"{r['rule']:36} {r['whole']:6} {r['fbf']:6} {r['squawk']:6} {fmt(r.get('recall_line')):>8} "
              f"{fmt(r.get('recall_file')):>8} {r['whole_audited'] or '-':>6} {fmt(r.get('whole_precision')):>7} "
              f"{r['fbf_audited'] or '-':>6} {fmt(r.get('fbf_precision')):>7}")
    print(f"{'TOTAL':36} {total['whole']:6} {total['fbf']:6} {total['squawk']:6}")
    if s["squawk_rules"]:
        print(f"\n{'squawk rule':42} {'ours':45} {'count':>5} {'fbf line':>8} {'fbf file':>8} {'miss':>5}")
        for r in s["squawk_rules"]:
            mark = "" if r["parity_mapping"] else " (info)" if r["ours"] else ""
            print(f"{r['squawk_rule']:42} {(r['ours'] or '-') + mark:45} {r['count']:5} {r.get('fbf_line', 0):8} "
                  f"{r.get('fbf_file', 0):8} {r.get('fbf_miss', 0):5}")
    print(f"\nfiles: {s['files']}; failing fail_on=error file by file: {s['files_failing_error_fbf']} "
          f"({fmt(s['share_failing_error_fbf'])}); whole folder: {s['files_failing_error_whole']}")
    sp = s["speed_seconds"]
    print(f"speed (sum over projects, medians): ours in-process {sp.get('ours_inproc', 0):.2f}s, ours CLI "
          f"{sp.get('ours_cli', 0):.2f}s, squawk {sp.get('squawk', 0):.2f}s; ratio ours/squawk {s['ratio_ours_over_squawk']}; "
          f"file-by-file in-process {sp.get('ours_fbf_inproc', 0):.2f}s")
    print(f"false findings (file by file, PostgreSQL says): {len(s['false_findings'])}; "
          f"squawk findings we miss (file by file): {len(s['missed_vs_squawk'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", nargs="+", metavar="OWNER/NAME[:SUBDIR]", help="default: the built-in list")
    ap.add_argument("--json", type=Path, help="write every finding, match and verdict here")
    ap.add_argument("--no-squawk", action="store_true")
    ap.add_argument("--no-audit", action="store_true")
    ap.add_argument("--rounds", type=int, default=3, help="timing rounds for the whole-folder runs")
    ap.add_argument("--squawk", help="a squawk binary to use instead of installing squawk-cli with npm")
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
