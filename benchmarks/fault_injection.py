"""Fault injection against the local target: does the orchestrator survive each fault properly?

    python benchmarks/fault_injection.py [--only NAME[,NAME|GLOB...]] [--json out.json] [--keep] [--list]

One LocalTarget (throwaway Postgres, Management API simulator, Deno gateway) serves every scenario;
a second one is started only for the scenarios that stop Postgres mid-run. Each scenario gets its own
git project (the three-function layout of tests/functions/conftest.py, with its own function names
and environment), injects its fault (simulator faults, signals, broken CLIs, broken git, a stopped
Postgres, a damaged journal ...) during real runs of `python -m orchestrator` as a subprocess, then
checks:

  (a) exit   every command's exit code is in the scenario's expected class (0 ok, 1 step failed,
             2 bad input, 4 stopped, 129/130/143 interrupted, -9 for the SIGKILLed one), never 3,
             never a Python traceback, never a hang (the harness stops a command after its limit);
  (b) message  a line starting with `error:`/`warning:` or the run summary, naming what failed
             (the scenario lists the words: a function name, an endpoint, a variable, ...);
  (c) accurate  journal and deploy ledger against reality at the end of the scenario's sequence:
             every version the simulator has of the scenario's functions is in the ledger and known
             to a journal, nothing is recorded that never went live, the ledger's newest row of each
             function is its live version (and not `rolled_back`); migrations the journals say were
             applied are exactly those in supabase_migrations.schema_migrations;
  (d) leftovers  once a command has exited, no process it started still runs (every process whose
             environment carries the scenario's FI_MARK: the CLI by the journal's `cli_start` pid, the
             shell scripts' children too) and no CLI database session is left busy; a SIGKILLed run's
             CLI gets 60 s to finish on its own. Leftovers are then stopped by pid.

Which `orchestrator` is measured is the one `python -m orchestrator` imports with this process's
PYTHONPATH (printed as `orchestrator.__file__`); the harness itself (target, simulator client) is
always this checkout's. Scenarios using a playbook key the measured code refuses (`cli_timeout`)
are failed as "not supported". Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HARNESS_ROOT = HERE.parent
sys.path.insert(0, str(HARNESS_ROOT))  # the harness is this checkout's; the measured code runs in subprocesses

import psycopg
from psycopg.rows import dict_row

from orchestrator.local.client import SimClient
from orchestrator.local.postgres import PostgresCluster
from orchestrator.local.target import LocalTarget
from orchestrator.tools import local_supabase

PY = sys.executable
GIT_ENV = {"GIT_AUTHOR_NAME": "Fault Bench", "GIT_AUTHOR_EMAIL": "fault@example.com",
           "GIT_COMMITTER_NAME": "Fault Bench", "GIT_COMMITTER_EMAIL": "fault@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}
SHARED = 'export const greet = (who: string): string => `hello ${who}`;\n'
GOOD = 'import { greet } from "../_shared/greet.ts";\nDeno.serve((_req) => new Response(greet("NAME")));\n'
CHANGED = 'import { greet } from "../_shared/greet.ts";\nDeno.serve((_req) => new Response(greet("NAME, v2")));\n'
BROKEN = ('import { greet } from "../_shared/greet.ts";\n'
          'Deno.serve((_req) => { throw new Error("NAME is broken: " + greet("x")); });\n')
SLOW_MIGRATIONS = {
    "20240101000001_a.sql": "create table a (id int);\n",
    "20240101000002_slow.sql": "create table b (id int);\nselect pg_sleep(5);\n",
    "20240101000003_c.sql": "create table c (id int);\n",
    "20240101000004_d.sql": "create table d (id int);\n",
}
FAST_MIGRATIONS = {
    "20240101000001_a.sql": "create table a (id int);\n",
    "20240101000002_b.sql": "create table b (id int);\n",
}
DEPLOY = "/v1/projects/*/functions/deploy"
LIST = "/v1/projects/*/functions"
KEYS = "/v1/projects/*/api-keys"
LOGS = "/v1/projects/*/analytics/endpoints/logs"
QUERY = "/v1/projects/*/database/query"
CLI_APPS = ("@effect/sql-pg",)  # the application_name both supabase CLIs give their database session
SUMMARY = re.compile(r"\bRun \d{8}T\d{6}Z-[0-9a-f]{6}: ")
TRACEBACK = "Traceback (most recent call last)"


def fn_get(name: str) -> str:
    return f"/v1/projects/*/functions/{name}"


def version_of(name: str) -> str:
    match = re.match(r"^(\d+)_", name.rsplit("/", 1)[-1])
    return match.group(1) if match else name


def one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **GIT_ENV})
    if check and done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


# ----------------------------------------------------------------------------------------------
# what one command did


@dataclass
class Trigger:
    """When `cond()` first holds while the command runs, `act(proc)` runs (triggers fire in order)."""

    label: str
    cond: Callable[[], bool]
    act: Callable[[subprocess.Popen[bytes]], None]
    required: bool = True  # False: the command may end before it is needed (a second interrupt)


@dataclass
class Cmd:
    label: str
    argv: list[str]
    expect: tuple[int, ...]
    mention: list[str] | None  # None: no message expected (a SIGKILLed run)
    code: int | None = None  # None: hung, stopped by the harness
    output: str = ""
    seconds: float = 0.0
    unfired: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)

    @property
    def got(self) -> str:
        return "hung" if self.code is None else str(self.code)

    def exit_problem(self) -> str | None:
        if self.code is None:
            return f"{self.label}: hung (no exit within the limit; stopped by the harness)"
        if self.code == 3:
            return f"{self.label}: exit 3 (internal error): {self.error_line()}"
        if TRACEBACK in self.output:
            return f"{self.label}: a Python traceback in the output"
        if self.code not in self.expect:
            return f"{self.label}: exit {self.code}, expected {'/'.join(map(str, self.expect))}: {self.error_line()}"
        return None

    def error_line(self) -> str:
        errors = [ln for ln in self.output.splitlines() if ln.startswith("error:")]
        return one_line(errors[-1] if errors else (self.output.strip().splitlines() or ["(no output)"])[-1], 200)

    def message_problem(self) -> str | None:
        if self.mention is None:
            return None
        lines = self.output.splitlines()
        said = [ln for ln in lines if ln.startswith(("error:", "warning:"))]
        summary = next((i for i, ln in enumerate(lines) if SUMMARY.search(ln)), None)
        if summary is not None:
            said += lines[summary:]
        if not said:
            return f"{self.label}: no `error:` line and no run summary"
        text = " ".join(" ".join(said).split()).lower()
        missing = [m for m in self.mention if not any(alt.lower() in text for alt in m.split("|"))]
        if missing:
            return f"{self.label}: the message does not name {', '.join(repr(m) for m in missing)}: {self.error_line()}"
        return None


@dataclass
class Result:
    name: str
    fault: str
    commands: list[Cmd]
    exit_ok: bool
    message_ok: bool
    accurate: bool
    leftovers_ok: bool
    reasons: list[str]
    seconds: float
    unsupported: bool = False

    @property
    def survived(self) -> bool:
        return self.exit_ok and self.message_ok and self.accurate and self.leftovers_ok and not self.unsupported

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "fault": self.fault, "survived": self.survived, "exit_ok": self.exit_ok,
                "message_ok": self.message_ok, "accurate": self.accurate, "leftovers_ok": self.leftovers_ok,
                "unsupported": self.unsupported, "reasons": self.reasons, "seconds": round(self.seconds, 1),
                "commands": [{"label": c.label, "argv": c.argv, "expect": list(c.expect), "exit": c.code,
                              "seconds": round(c.seconds, 1), "unfired_triggers": c.unfired,
                              "leftovers": c.leftovers, "output_tail": c.output[-3000:]} for c in self.commands]}


# ----------------------------------------------------------------------------------------------
# the bench: one target, a HOME, the measured checkout


class Bench:
    def __init__(self, work: Path, measured_path: str) -> None:
        self.work = work
        self.home = work / "home"
        self.home.mkdir(parents=True)
        self.pythonpath = measured_path
        self.cli3 = local_supabase(3)
        self.cli2 = local_supabase(2)
        if self.cli3 is None:
            raise SystemExit("supabase CLI 3 not installed under .tools/: run scripts/install-tools")
        state = work / "target"
        state.mkdir()
        state.chmod(0o755)  # the postgres user must reach the cluster below it when we run as root
        self.target = LocalTarget(state / "state", rate_limit=1_000_000).start()
        self._pg_target: LocalTarget | None = None
        self.marks: list[str] = []  # every scenario's FI_MARK: what is left of them is stopped at the end

    def pg_target(self) -> LocalTarget:
        """The second target, whose Postgres the Postgres scenarios stop (we started it: by pid)."""
        if self._pg_target is None:
            state = self.work / "pg-target"
            state.mkdir()
            state.chmod(0o755)
            self._pg_target = LocalTarget(state / "state", rate_limit=1_000_000).start()
        return self._pg_target

    def stop(self, keep: bool) -> None:
        needles = {f"FI_MARK={m}".encode() for m in self.marks}
        for proc in Path("/proc").iterdir():
            try:
                mine = proc.name.isdigit() and bool(needles & set((proc / "environ").read_bytes().split(b"\0")))
                if mine:
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                continue
        for target in (self._pg_target, self.target):
            if target is not None:
                try:
                    target.stop(keep=keep)
                except Exception as exc:  # noqa: BLE001 - stop the other one anyway
                    print(f"could not stop {target}: {exc}", file=sys.stderr)


def stop_postgres(target: LocalTarget) -> None:
    assert target.info is not None
    PostgresCluster(base_dir=Path(target.info.postgres_dir), pid=target.info.postgres_pid).stop(remove=False)


def start_postgres(target: LocalTarget) -> None:
    """Start the stopped cluster again on its port; the target then stops the new postmaster."""
    assert target.info is not None
    pg = PostgresCluster(base_dir=Path(target.info.postgres_dir), port=target.info.db_port)
    pg.start()
    target.info = dataclasses.replace(target.info, postgres_pid=pg.pid)


def postgres_up(target: LocalTarget) -> bool:
    try:
        with psycopg.connect(target.db_url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


# ----------------------------------------------------------------------------------------------
# one scenario's project and commands


class Run:
    def __init__(self, bench: Bench, name: str) -> None:
        self.bench, self.name = bench, name
        self.dir = bench.work / "scenarios" / name
        self.root = self.dir / "repo"
        self.root.mkdir(parents=True)
        self.prefix = "f" + secrets.token_hex(3)
        self.names = [f"{self.prefix}-{n}" for n in ("alpha", "beta", "gamma")]
        self.env = f"env_{self.prefix}"
        self.mark = self.prefix
        bench.marks.append(self.mark)
        self.commands: list[Cmd] = []
        self.features: set[str] = set()
        self.notes: list[str] = []
        self.mig_db: str | None = None  # the scenario's own database for migrations
        self.migrations: dict[str, str] = {}
        self.extra_env: dict[str, str] = {}
        self.use(bench.target)
        self.db_url_in_playbook = True
        self._before: set[Path] = set()

    # -- the target --------------------------------------------------------------------------

    def use(self, target: LocalTarget) -> None:
        self.target = target
        self.client: SimClient = target.client
        self.ledger_url = target.db_url

    @property
    def db_url(self) -> str:
        if not self.db_url_in_playbook:
            return ""
        return self.mig_db or self.target.db_url

    def own_database(self) -> str:
        """A fresh database on the target's cluster for this scenario's migrations (and its ledger)."""
        name = "fi_" + self.prefix[1:]
        with psycopg.connect(self.target.db_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        base = self.target.db_url
        self.mig_db = re.sub(r"/postgres\?", f"/{name}?", base, count=1)
        self.ledger_url = self.mig_db
        return self.mig_db

    def inject(self, method: str, path: str, count: int = 1, status: int | None = 500, latency: float = 0.0,
               hang: bool = False) -> None:
        self.client.inject_fault(method, path, count=count, status=status, latency=latency, hang=hang)

    # -- the project ---------------------------------------------------------------------------

    def write(self, name: str, template: str, root: Path | None = None) -> None:
        folder = (root or self.root) / "supabase" / "functions" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.ts").write_text(template.replace("NAME", name))

    def layout(self, root: Path | None = None) -> None:
        root = root or self.root
        shared = root / "supabase" / "functions" / "_shared"
        shared.mkdir(parents=True, exist_ok=True)
        (shared / "greet.ts").write_text(SHARED)
        (root / "supabase" / "config.toml").write_text('project_id = "fault-bench"\n')
        # as `supabase init` writes it: the CLI keeps local state (.temp/linked-project.json) there
        (root / "supabase" / ".gitignore").write_text(".branches\n.temp\n.env\n")
        for name in self.names:
            self.write(name, GOOD, root)
        if self.migrations:
            folder = root / "supabase" / "migrations"
            folder.mkdir(parents=True, exist_ok=True)
            for file, sql in self.migrations.items():
                (folder / file).write_text(sql)

    def init_git(self) -> None:
        git(self.root, "init", "-q", "-b", "main")
        git(self.root, "config", "user.name", "Fault Bench")
        git(self.root, "config", "user.email", "fault@example.com")

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def playbook(self, *, functions: int | list[str] | None = 2, migrations: bool = False,
                 verify: bool = False, settle: str = "0s", logs: bool = True, smoke: bool = True,
                 inconclusive: str | None = None, pause: str = "never", on_failure: str = "rollback",
                 fn_timeout: str | None = None, mig_timeout: str | None = None, approval: bool = False,
                 project_dir: str | None = None, root: Path | None = None) -> Path:
        lines = ["version: 1", "name: fault-injection"]
        if project_dir:
            lines.append(f"project_dir: {project_dir}")
        lines += ["environments:", f"  {self.env}:", "    project_ref: ${REF}", "    api_url: ${API_URL}",
                  "    functions_url: ${FUNCTIONS_URL}"]
        if self.db_url_in_playbook:  # (`${DB_URL:-}` left empty is refused: "must start with postgresql://")
            lines.append("    db_url: ${DB_URL}")
        if approval:
            lines.append("    requires_approval: true")
        lines.append("steps:")
        if migrations:
            opts = ["include_all: false"] + ([f"cli_timeout: {mig_timeout}"] if mig_timeout else [])
            lines.append(f"  - migrations: {{{', '.join(opts)}}}")
            if mig_timeout:
                self.features.add("cli_timeout")
        if verify:
            lines += ["  - verify:", "      - {name: one row, sql: \"select 1 as one\", expect_rows: 1}"]
        if functions:
            names = self.names[:functions] if isinstance(functions, int) else functions
            lines += ["  - functions:", f"      names: [{', '.join(names)}]", "      checks:",
                      f"        settle: {settle}"]
            if smoke:
                lines.append("        smoke: {method: GET}")
            if logs:
                lines.append("        logs: {window: 60s, max_errors: 0}")
            if inconclusive:
                lines.append(f"        inconclusive: {inconclusive}")
            lines += [f"      pause: {pause}", f"      on_failure: {on_failure}"]
            if fn_timeout:
                lines.append(f"      cli_timeout: {fn_timeout}")
                self.features.add("cli_timeout")
        path = (root or self.root) / "orchestrator.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def basic(self, functions: int | list[str] = 2, **playbook: Any) -> list[str]:
        """Layout, playbook, git init, commit A. The function names."""
        self.layout()
        self.playbook(functions=functions, **playbook)
        self.init_git()
        self.commit("A")
        return self.names

    def cli_script(self, name: str, body: str) -> Path:
        path = self.dir / name
        path.write_text("#!/bin/sh\n" + body.replace("REAL", str(self.bench.cli3)))
        path.chmod(0o755)
        return path

    # -- running the orchestrator ---------------------------------------------------------------

    def environ(self, **extra: str) -> dict[str, str]:
        t = self.target
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("SUPABASE_", "ORCHESTRATOR_", "PYTHONPATH", "CI"))}
        env = {**base, **GIT_ENV, "REF": t.project_ref, "API_URL": t.api_url, "FUNCTIONS_URL": t.functions_url,
               "DB_URL": self.db_url, "SUPABASE_ACCESS_TOKEN": t.access_token, "CI": "",
               "SUPABASE_CLI": str(self.bench.cli3), "HOME": str(self.bench.home), "PYTHONPATH": self.bench.pythonpath,
               "FI_MARK": self.mark, "NO_COLOR": "1", **self.extra_env, **extra}
        return {k: v for k, v in env.items() if v is not None}

    def orch(self, *args: str, expect: tuple[int, ...], mention: list[str] | None = None,
             triggers: Iterable[Trigger] = (), timeout: float = 150.0, env: dict[str, str] | None = None,
             cwd: Path | None = None, killed: bool = False, label: str | None = None) -> Cmd:
        argv = [PY, "-m", "orchestrator", *args]
        cmd = Cmd(label or f"#{len(self.commands) + 1} {args[0]}", argv[1:], expect, mention)
        self.commands.append(cmd)
        self._before = set(self.journal_files())
        pending = list(triggers)
        started = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd or self.root, env=self.environ(**(env or {})), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: proc.stdout.read1(65536), b"")),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        hung = False
        while proc.poll() is None:
            if pending:
                try:
                    ready = pending[0].cond()
                except Exception:  # noqa: BLE001 - a condition that cannot be read yet is not met
                    ready = False
                if ready:
                    pending.pop(0).act(proc)
                    continue
            if time.monotonic() - started > timeout:
                hung = True
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                break
            time.sleep(0.05)
        reader.join(timeout=10)
        cmd.code = None if hung else proc.returncode
        cmd.output = b"".join(chunks).decode(errors="replace")
        cmd.seconds = time.monotonic() - started
        cmd.unfired = [t.label for t in pending if t.required]
        cmd.leftovers = self.leftovers(grace=60.0 if killed else 2.0)
        return cmd

    def next_run(self, *, mention: list[str] | None, label: str = "#2 next run",
                 args: tuple[str, ...] | None = None) -> Cmd:
        """The run after a killed one. If it is refused because the dead run's deploy lease has not
        expired yet (exit 4, newer code), that counts against it; the lease is then broken
        (`unlock --env E --yes`) and the run repeated, so journal and ledger can still be judged."""
        args = args or ("run", "orchestrator.yaml", "--env", self.env, "--yes")
        cmd = self.orch(*args, expect=(0,), mention=mention, label=label)
        if cmd.code == 4 and "being deployed by" in " ".join(cmd.output.split()):
            self.orch("unlock", "--env", self.env, "--playbook", "orchestrator.yaml", "--yes", expect=(0,),
                      label="#3 unlock")
            cmd = self.orch(*args, expect=(0,), mention=mention, label="#4 again after unlock")
        return cmd

    def run(self, *, yes: bool = True, **kw: Any) -> Cmd:
        """`run orchestrator.yaml --env E --yes` (CI-like: no terminal; --yes applies the migrations)."""
        return self.orch("run", "orchestrator.yaml", "--env", self.env, *(["--yes"] if yes else []), **kw)

    # -- triggers --------------------------------------------------------------------------------

    def reached(self, index: int = 0) -> Callable[[], bool]:
        """The index-th injected fault has seen all its calls (a request is being held or failed)."""
        def cond() -> bool:
            left = self.client.faults_left()
            return len(left) > index and left[index] == 0
        return cond

    def event(self, kind: str, **match: Any) -> Callable[[], bool]:
        """An event of the command's own journal (one created after it started)."""
        def cond() -> bool:
            for path in self.journal_files():
                if path in self._before:
                    continue
                for e in read_journal(path)[0]:
                    if e.get("event") == kind and all(e.get(k) == v for k, v in match.items()):
                        return True
            return False
        return cond

    def sleeping(self) -> Callable[[], bool]:
        """The slow migration is running in the scenario's database."""
        def cond() -> bool:
            assert self.mig_db is not None
            with psycopg.connect(self.mig_db, autocommit=True, connect_timeout=2) as conn:
                row = conn.execute("select count(*) from pg_stat_activity where query like '%pg_sleep(5)%' "
                                   "and pid <> pg_backend_pid()").fetchone()
            return bool(row and row[0])
        return cond

    @staticmethod
    def after(cond: Callable[[], bool], seconds: float) -> Callable[[], bool]:
        """cond, then `seconds` more."""
        since: list[float] = []

        def later() -> bool:
            if not since:
                if not cond():
                    return False
                since.append(time.monotonic())
            return time.monotonic() - since[0] >= seconds
        return later

    @staticmethod
    def send(sig: int) -> Callable[[subprocess.Popen[bytes]], None]:
        def act(proc: subprocess.Popen[bytes]) -> None:
            proc.send_signal(sig)
        return act

    def injecting(self, *faults: tuple[Any, ...]) -> Callable[[subprocess.Popen[bytes]], None]:
        def act(_proc: subprocess.Popen[bytes]) -> None:
            for fault in faults:
                method, path, count, status, *rest = fault
                kw = rest[0] if rest else {}
                self.inject(method, path, count, status, **kw)
        return act

    # -- what is left, what is recorded ------------------------------------------------------------

    def journal_files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*.jsonl") if p.parent.name == "runs"
                      and p.parent.parent.name == ".orchestrator")

    def marked_processes(self) -> list[tuple[int, str]]:
        found = []
        needle = f"FI_MARK={self.mark}".encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                if needle not in (proc / "environ").read_bytes().split(b"\0"):
                    continue
                state = (proc / "stat").read_text().rsplit(") ", 1)[-1]
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if not state.startswith("Z"):
                found.append((int(proc.name), cmdline.strip()))
        return found

    def cli_pids(self) -> set[int]:
        pids = set()
        for path in self.journal_files():
            for e in read_journal(path)[0]:
                if e.get("event") == "cli_start" and isinstance(e.get("pid"), int):
                    pids.add(int(e["pid"]))
        return pids

    def cli_sessions(self) -> list[str]:
        if self.mig_db is None:
            return []
        try:
            with psycopg.connect(self.mig_db, autocommit=True, connect_timeout=2) as conn:
                rows = conn.execute("select pid, left(query, 60) from pg_stat_activity where pid <> pg_backend_pid() "
                                    "and state <> 'idle' and (application_name = any(%s) or query like '%%pg_sleep(%%')",
                                    (list(CLI_APPS),)).fetchall()
        except psycopg.Error:
            return []
        return [f"db session {pid} ({one_line(q, 40)})" for pid, q in rows]

    def leftovers(self, grace: float) -> list[str]:
        """What the finished command left running; waits up to `grace` s, then stops it (by pid)."""
        deadline = time.monotonic() + grace
        while True:
            procs, sessions = self.marked_processes(), self.cli_sessions()
            if (not procs and not sessions) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        clis = self.cli_pids()
        found = [f"pid {pid}{' (CLI, journal cli_start)' if pid in clis else ''}: {one_line(cmd, 60)}"
                 for pid, cmd in procs] + sessions
        for pid, _ in procs:  # ours (they carry our mark): stop them so the next scenario starts clean
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
        if sessions:  # let the CLI's orphaned session finish (or fail) before anything is compared
            end = time.monotonic() + 15
            while self.cli_sessions() and time.monotonic() < end:
                time.sleep(0.25)
        return found


def read_journal(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Events of a journal, and how many lines were unreadable (a cut or damaged line)."""
    events, bad = [], 0
    try:
        raw = path.read_bytes()
    except OSError:
        return [], 1
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(event, dict):
            events.append(event)
    return events, bad


# ----------------------------------------------------------------------------------------------
# (c): journal and ledger against reality


_RECONCILED_LIVE = re.compile(r"^(\S+): version (\d+) went live")
_RECONCILED_PUSH = re.compile(r"a db push was in flight: applied (.*?); not applied (.*)$")


def check_accuracy(r: Run) -> list[str]:
    problems: list[str] = []
    events = [e for path in r.journal_files() for e in read_journal(path)[0]]
    problems += check_functions(r, events)
    if r.migrations:
        problems += check_migrations(r, events)
    return problems


def ledger_rows(r: Run) -> list[dict[str, Any]] | str:
    try:
        with psycopg.connect(r.ledger_url, row_factory=dict_row, connect_timeout=5) as conn:
            present = conn.execute("select to_regclass('supabase_orchestrator.deploy_ledger') is not null as p"
                                   ).fetchone()
            if not present or not present["p"]:
                return []
            return conn.execute("select id, function_name, platform_version, outcome, run_id, "
                                "to_jsonb(l) ->> 'note' as note from supabase_orchestrator.deploy_ledger l "
                                "where environment = %s order by id", (r.env,)).fetchall()
    except psycopg.Error as exc:
        return f"ledger unreadable: {one_line(str(exc), 80)}"


def check_functions(r: Run, events: list[dict[str, Any]]) -> list[str]:
    problems = []
    slugs = [s for s in r.client.function_slugs() if s.startswith(r.prefix + "-")]
    live = {s: [v.version for v in r.client.function_versions(s)] for s in slugs}
    rows = ledger_rows(r)
    if isinstance(rows, str):
        return [rows] if live else []
    recorded = {(row["function_name"], row["platform_version"]) for row in rows}
    for slug, versions in live.items():
        for v in versions:
            if (slug, v) not in recorded:
                problems.append(f"{short(r, slug)} v{v} went live but is not in the ledger")
    for row in rows:
        if row["platform_version"] not in live.get(row["function_name"], []):
            problems.append(f"ledger row {row['id']} ({short(r, row['function_name'])} v{row['platform_version']}, "
                            f"{row['outcome']}) never went live")
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        newest[row["function_name"]] = row
    for slug, row in newest.items():
        current = live.get(slug, [None])[-1]
        if row["platform_version"] != current:
            problems.append(f"the ledger's newest {short(r, slug)} row says v{row['platform_version']} "
                            f"({row['outcome']}); v{current} is live")
        elif row["outcome"] == "rolled_back":
            problems.append(f"the ledger says live {short(r, slug)} v{current} was rolled back")
    known: set[tuple[str, int]] = set()
    for e in events:
        fn, version = e.get("function"), e.get("version")
        if e.get("event") in ("deployed", "rollback") or (e.get("event") == "interrupted" and e.get("outcome") == "live"):
            if isinstance(fn, str) and isinstance(version, int):
                if version not in live.get(fn, []):
                    problems.append(f"journal {e['event']} event says {short(r, fn)} v{version}; it never went live")
                known.add((fn, version))
        elif e.get("event") == "reconciled":
            for message in e.get("messages") or []:
                found = _RECONCILED_LIVE.match(str(message))
                if found:
                    known.add((found[1], int(found[2])))
    for slug, versions in live.items():
        for v in versions:
            if (slug, v) not in known:
                problems.append(f"no journal says {short(r, slug)} v{v} went live")
    return problems


def short(r: Run, slug: str) -> str:
    return slug.removeprefix(r.prefix + "-")


def check_migrations(r: Run, events: list[dict[str, Any]]) -> list[str]:
    assert r.mig_db is not None
    try:
        with psycopg.connect(r.mig_db, connect_timeout=5) as conn:
            exists = conn.execute("select to_regclass('supabase_migrations.schema_migrations') is not null").fetchone()
            history = {str(row[0]) for row in conn.execute(
                "select version from supabase_migrations.schema_migrations")} if exists and exists[0] else set()
    except psycopg.Error as exc:
        return [f"migration history unreadable: {one_line(str(exc), 80)}"]
    ours = {version_of(f) for f in r.migrations}
    history &= ours
    claimed: set[str] = set()
    for e in events:
        kind = e.get("event")
        applied: list[Any] = []
        if kind == "step_end" and e.get("kind") == "migrations":
            applied = (e.get("details") or {}).get("applied") or []
        elif kind == "migrations" or (kind == "interrupted" and e.get("in_flight") == "db push"):
            applied = e.get("applied") or []
        elif kind == "reconciled":
            for message in e.get("messages") or []:
                found = _RECONCILED_PUSH.search(str(message))
                if found and found[1] != "none":
                    applied += [a.strip() for a in found[1].split(",")]
        claimed |= {version_of(str(a)) for a in applied}
    problems = [f"migration {v} is in schema_migrations but no journal says it was applied"
                for v in sorted(history - claimed)]
    problems += [f"a journal says migration {v} was applied; schema_migrations lacks it" for v in sorted(claimed - history)]
    return problems


# ----------------------------------------------------------------------------------------------
# the scenarios

Scenario = Callable[[Run], None]
SCENARIOS: list[tuple[str, str, Scenario]] = []


def scenario(name: str, fault: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS.append((name, fault, fn))
        return fn
    return register


def summary_only() -> list[str]:
    return []


# -- Management API faults during the functions step ---------------------------------------------

@scenario("deploy-503-burst", "POST functions/deploy answers 503 twice")
def _deploy_503(r: Run) -> None:
    r.basic(2)
    r.inject("POST", DEPLOY, 2, 503)
    r.run(expect=(0,), mention=summary_only())


@scenario("deploy-502-burst-cli-v2", "POST functions/deploy answers 502 once (supabase 2.122.1)")
def _deploy_502_v2(r: Run) -> None:
    r.basic(2)
    r.extra_env["SUPABASE_CLI"] = str(r.bench.cli2 or r.bench.cli3)
    r.inject("POST", DEPLOY, 1, 502)
    r.run(expect=(0,), mention=summary_only())


@scenario("deploy-429-burst", "POST functions/deploy answers 429 three times")
def _deploy_429(r: Run) -> None:
    r.basic(2)
    r.inject("POST", DEPLOY, 3, 429)
    r.run(expect=(0,), mention=summary_only())


@scenario("deploy-500-persistent", "POST functions/deploy answers 500 every time")
def _deploy_500(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 30, 500)
    r.run(expect=(1,), mention=[a, "deploy"])


@scenario("deploy-hang-cli-timeout", "POST functions/deploy hangs; functions cli_timeout: 8s")
def _deploy_hang(r: Run) -> None:
    a, *_ = r.basic(2, fn_timeout="8s")
    r.inject("POST", DEPLOY, 1, 500, hang=True)
    r.run(expect=(0, 1), mention=[a])


@scenario("functions-list-500-burst", "GET functions (list) answers 500 twice")
def _list_500(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LIST, 2, 500)
    r.run(expect=(0,), mention=summary_only())


@scenario("functions-list-502-persistent", "GET functions (list) answers 502 every time")
def _list_502(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LIST, 40, 502)
    r.run(expect=(1,), mention=["/functions", "502"])


@scenario("functions-list-hang", "GET functions (list) hangs once (client timeout, retry)")
def _list_hang(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LIST, 1, 500, hang=True)
    r.run(expect=(0,), mention=summary_only(), timeout=180)


@scenario("function-get-502-burst", "GET functions/{slug} answers 502 three times after the deploy")
def _get_502(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("GET", fn_get(a), 3, 502)
    r.run(expect=(0,), mention=summary_only())


@scenario("function-get-429-burst", "GET functions/{slug} answers 429 three times")
def _get_429(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("GET", fn_get(a), 3, 429)
    r.run(expect=(0,), mention=summary_only())


@scenario("function-get-503-persistent", "GET functions/{slug} answers 503 every time: the deploy went live, "
          "the API cannot confirm it; then a clean run")
def _get_503(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("GET", fn_get(a), 100, 503)
    r.run(expect=(1,), mention=[a])
    r.client.clear_faults()
    r.run(expect=(0,), mention=summary_only(), label="#2 next run")


@scenario("function-get-404-stale", "GET functions/{slug} keeps answering 404 after the deploy (stale read); "
          "then a clean run")
def _get_404(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("GET", fn_get(a), 1000, 404)
    r.run(expect=(1,), mention=[a])
    r.client.clear_faults()
    r.run(expect=(0,), mention=summary_only(), label="#2 next run")


@scenario("function-get-hang", "GET functions/{slug} hangs once")
def _get_hang(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("GET", fn_get(a), 1, 500, hang=True)
    r.run(expect=(0,), mention=summary_only(), timeout=180)


@scenario("api-keys-500-persistent", "GET api-keys answers 500 every time (smoke needs the anon key)")
def _keys_500(r: Run) -> None:
    r.basic(2)
    r.inject("GET", KEYS, 60, 500)
    r.run(expect=(0,), mention=["anon key|api-keys"])


@scenario("api-keys-429-burst", "GET api-keys answers 429 twice")
def _keys_429(r: Run) -> None:
    r.basic(2)
    r.inject("GET", KEYS, 2, 429)
    r.run(expect=(0,), mention=summary_only())


@scenario("api-keys-hang", "GET api-keys hangs once")
def _keys_hang(r: Run) -> None:
    r.basic(2)
    r.inject("GET", KEYS, 1, 500, hang=True)
    r.run(expect=(0,), mention=summary_only(), timeout=180)


@scenario("logs-500-persistent", "GET analytics/endpoints/logs answers 500 every time (inconclusive: pass)")
def _logs_500(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LOGS, 60, 500)
    r.run(expect=(0,), mention=["logs"])


@scenario("logs-503-burst", "GET analytics/endpoints/logs answers 503 twice")
def _logs_503(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LOGS, 2, 503)
    r.run(expect=(0,), mention=summary_only())


@scenario("logs-hang", "GET analytics/endpoints/logs hangs once")
def _logs_hang(r: Run) -> None:
    r.basic(2)
    r.inject("GET", LOGS, 1, 500, hang=True)
    r.run(expect=(0,), mention=summary_only(), timeout=180)


@scenario("logs-fail-after-deploy-rollback", "logs endpoint fails after a changed deploy (inconclusive: fail): "
          "automatic rollback, whose checks fail too")
def _logs_after(r: Run) -> None:
    a, *_ = r.basic(2, inconclusive="fail")
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    r.write(a, CHANGED)
    r.commit("B")
    r.run(expect=(1,), mention=[a, "logs"], label="#2 run",
          triggers=[Trigger("logs fail after the deploy", r.event("deployed", function=a),
                            r.injecting(("GET", LOGS, 200, 500)))])


@scenario("api-unreachable", "the Management API does not answer (connection refused)")
def _api_down(r: Run) -> None:
    r.basic(2)
    closed = f"http://127.0.0.1:{_closed_port()}"
    r.run(expect=(1,), mention=["Management API|connect"], env={"API_URL": closed})


@scenario("token-rejected", "the access token is rejected (401)")
def _token(r: Run) -> None:
    r.basic(2)
    r.run(expect=(1,), mention=["SUPABASE_ACCESS_TOKEN"], env={"SUPABASE_ACCESS_TOKEN": "sbp_" + "0" * 40})


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the ledger channel (database/query without db_url) ------------------------------------------

def _after_deploy_query_fault(r: Run, *faults: tuple[Any, ...]) -> Trigger:
    """The deploy is held 1.5 s on the server; once it arrived, the query endpoint gets `faults`:
    the first query after the deploy is the ledger's DDL, the second its insert."""
    r.inject("POST", DEPLOY, 1, None, latency=1.5)
    return Trigger("database/query fault once the deploy arrived", r.reached(0), r.injecting(*faults))


@scenario("ledger-write-500-after-deploy", "database/query answers 500 right after a deploy went live (no db_url); "
          "then a clean run")
def _ledger_500(r: Run) -> None:
    r.db_url_in_playbook = False
    a, *_ = r.basic(2)
    r.run(expect=(1,), mention=[a, "ledger"], triggers=[_after_deploy_query_fault(r, ("POST", QUERY, 1, 500))])
    r.client.clear_faults()
    r.run(expect=(0,), mention=[a], label="#2 next run")


@scenario("ledger-write-hang-after-deploy", "database/query hangs right after a deploy went live (no db_url); "
          "then a clean run")
def _ledger_hang(r: Run) -> None:
    r.db_url_in_playbook = False
    a, *_ = r.basic(2)
    r.run(expect=(1,), mention=[a, "ledger"], timeout=180,
          triggers=[_after_deploy_query_fault(r, ("POST", QUERY, 1, 500, {"hang": True}))])
    r.client.clear_faults()
    r.run(expect=(0,), mention=[a], label="#2 next run")


@scenario("ledger-write-late", "database/query answers after the client gave up (35 s) but writes the row "
          "(no db_url); then a clean run")
def _ledger_late(r: Run) -> None:
    r.db_url_in_playbook = False
    a, *_ = r.basic(2)
    r.run(expect=(1,), mention=[a, "ledger"], timeout=180,
          triggers=[_after_deploy_query_fault(r, ("POST", QUERY, 1, None),  # the DDL passes
                                              ("POST", QUERY, 1, None, {"latency": 35.0}))])  # the insert
    time.sleep(6)  # the held insert lands
    r.client.clear_faults()
    r.run(expect=(0,), mention=summary_only(), label="#2 next run")


@scenario("ledger-write-503-burst", "database/query answers 503 twice right after a deploy (no db_url)")
def _ledger_503(r: Run) -> None:
    r.db_url_in_playbook = False
    r.basic(2)
    r.run(expect=(0,), mention=summary_only(), triggers=[_after_deploy_query_fault(r, ("POST", QUERY, 2, 503))])


@scenario("ledger-outcome-update-500", "database/query answers 500 to the outcome update after the checks "
          "(no db_url)")
def _ledger_update(r: Run) -> None:
    r.db_url_in_playbook = False
    a, *_ = r.basic(2)
    r.inject("GET", LOGS, 1, None, latency=1.5)  # alpha's log check is held: no query can run meanwhile
    r.run(expect=(1,), mention=[a, "ledger"],
          triggers=[Trigger("query fault during alpha's log check", r.reached(0), r.injecting(("POST", QUERY, 1, 500)))])


@scenario("db-query-503-burst", "database/query answers 503 three times from the start (verify + ledger reads, "
          "no db_url)")
def _query_503(r: Run) -> None:
    r.db_url_in_playbook = False
    r.basic(2, verify=True)
    r.inject("POST", QUERY, 3, 503)
    r.run(expect=(0,), mention=summary_only())


@scenario("db-query-500-persistent", "database/query answers 500 every time (verify step, no db_url)")
def _query_500(r: Run) -> None:
    r.db_url_in_playbook = False
    r.basic(2, verify=True)
    r.inject("POST", QUERY, 50, 500)
    r.run(expect=(1,), mention=["database/query"])


# -- interrupts --------------------------------------------------------------------------------

def _push_project(r: Run, migrations: dict[str, str] = SLOW_MIGRATIONS, **playbook: Any) -> None:
    r.migrations = dict(migrations)
    r.own_database()
    r.layout()
    r.playbook(functions=None, migrations=True, **playbook)
    r.init_git()
    r.commit("A")


def _push_signal(r: Run, sig: int, code: int) -> None:
    _push_project(r)
    r.run(expect=(code,), mention=["db push"], triggers=[Trigger("signal during db push", r.sleeping(), r.send(sig))])


@scenario("sigint-during-db-push", "SIGINT to the orchestrator while db push runs a pg_sleep(5) migration")
def _push_int(r: Run) -> None:
    _push_signal(r, signal.SIGINT, 130)


@scenario("sigterm-during-db-push", "SIGTERM to the orchestrator while db push runs a pg_sleep(5) migration")
def _push_term(r: Run) -> None:
    _push_signal(r, signal.SIGTERM, 143)


@scenario("sigkill-during-db-push", "SIGKILL to the orchestrator during db push; then the next run reconciles")
def _push_kill(r: Run) -> None:
    _push_project(r)
    r.run(expect=(-9,), mention=None, killed=True,
          triggers=[Trigger("SIGKILL during db push", r.sleeping(), r.send(signal.SIGKILL))])
    r.next_run(mention=["did not finish|db push"])


def _deploy_signal(r: Run, sig: int, code: int) -> None:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 1, None, latency=6.0)
    r.run(expect=(code,), mention=[a], triggers=[Trigger("signal during the deploy", r.after(r.reached(0), 0.5),
                                                         r.send(sig))])


@scenario("sigint-during-deploy", "SIGINT while the deploy request is in flight (6 s on the server)")
def _deploy_int(r: Run) -> None:
    _deploy_signal(r, signal.SIGINT, 130)


@scenario("sigterm-during-deploy", "SIGTERM while the deploy request is in flight")
def _deploy_term(r: Run) -> None:
    _deploy_signal(r, signal.SIGTERM, 143)


@scenario("sighup-during-deploy", "SIGHUP (terminal closed) while the deploy request is in flight")
def _deploy_hup(r: Run) -> None:
    _deploy_signal(r, signal.SIGHUP, 129)


@scenario("double-sigint-during-deploy", "SIGINT during the deploy, and again 1.5 s later (during the read-back)")
def _deploy_int2(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 1, None, latency=6.0)
    first = r.after(r.reached(0), 0.5)
    r.run(expect=(130,), mention=[a], triggers=[
        Trigger("first SIGINT", first, r.send(signal.SIGINT)),
        Trigger("second SIGINT", r.after(lambda: True, 1.5), r.send(signal.SIGINT), required=False)])


@scenario("sigkill-during-deploy", "SIGKILL while the deploy request is in flight; then the next run reconciles")
def _deploy_kill(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 1, None, latency=4.0)
    r.run(expect=(-9,), mention=None, killed=True,
          triggers=[Trigger("SIGKILL during the deploy", r.after(r.reached(0), 0.5), r.send(signal.SIGKILL))])
    r.next_run(mention=[a, "did not finish"])


@scenario("sigkill-during-deploy-then-resume", "SIGKILL while the deploy request is in flight; then `resume`")
def _deploy_kill_resume(r: Run) -> None:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 1, None, latency=4.0)
    r.run(expect=(-9,), mention=None, killed=True,
          triggers=[Trigger("SIGKILL during the deploy", r.after(r.reached(0), 0.5), r.send(signal.SIGKILL))])
    run_id = r.journal_files()[0].stem
    r.next_run(mention=[a, "did not finish"], label="#2 resume", args=("resume", run_id, "--yes"))


def _checks_signal(r: Run, sig: int, code: int | None) -> None:
    a, *_ = r.basic(2, settle="20s")
    live = r.after(r.event("deployed", function=a), 1.5)
    if code is None:
        r.run(expect=(-9,), mention=None, killed=True, triggers=[Trigger("SIGKILL during settle", live, r.send(sig))])
        r.next_run(mention=summary_only())
    else:
        r.run(expect=(code,), mention=[a], triggers=[Trigger("signal during settle", live, r.send(sig))])


@scenario("sigint-during-checks", "SIGINT while the checks settle (20 s)")
def _checks_int(r: Run) -> None:
    _checks_signal(r, signal.SIGINT, 130)


@scenario("sigterm-during-checks", "SIGTERM while the checks settle")
def _checks_term(r: Run) -> None:
    _checks_signal(r, signal.SIGTERM, 143)


@scenario("sigkill-during-checks", "SIGKILL while the checks settle; then the next run")
def _checks_kill(r: Run) -> None:
    _checks_signal(r, signal.SIGKILL, None)


@scenario("sigterm-during-rollback", "SIGTERM while the automatic rollback's deploy is in flight")
def _rollback_term(r: Run) -> None:
    a, *_ = r.basic(2)
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    r.write(a, BROKEN)
    r.commit("B broken")
    r.run(expect=(143,), mention=[a], label="#2 run", triggers=[
        Trigger("hold the rollback's deploy", r.event("function", function=a),
                r.injecting(("POST", DEPLOY, 1, None, {"latency": 6.0}))),
        Trigger("SIGTERM during the rollback deploy", r.after(r.reached(0), 0.5), r.send(signal.SIGTERM))])


# -- the supabase CLI --------------------------------------------------------------------------

@scenario("cli-not-executable", "SUPABASE_CLI is a file without the execute bit")
def _cli_noexec(r: Run) -> None:
    r.basic(2)
    path = r.dir / "supabase"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o644)
    r.run(expect=(2,), mention=["SUPABASE_CLI"], env={"SUPABASE_CLI": str(path)})


@scenario("cli-missing", "SUPABASE_CLI names no file")
def _cli_missing(r: Run) -> None:
    r.basic(2)
    r.run(expect=(2,), mention=["SUPABASE_CLI"], env={"SUPABASE_CLI": str(r.dir / "no-such-supabase")})


@scenario("cli-bad-interpreter", "SUPABASE_CLI is executable but its interpreter does not exist")
def _cli_interp(r: Run) -> None:
    r.basic(2)
    path = r.dir / "supabase"
    path.write_text("#!/nonexistent/interpreter\n")
    path.chmod(0o755)
    r.run(expect=(2,), mention=["supabase CLI|SUPABASE_CLI"], env={"SUPABASE_CLI": str(path)})


@scenario("cli-bad-version", "SUPABASE_CLI prints no version")
def _cli_version(r: Run) -> None:
    r.basic(2)
    path = r.cli_script("supabase", 'echo "supabase: command ready"\nexit 0\n')
    r.run(expect=(2,), mention=["version"], env={"SUPABASE_CLI": str(path)})


@scenario("cli-hangs-everything", "SUPABASE_CLI is `sleep 1000` (even --version); migrations cli_timeout: 3s")
def _cli_hang_all(r: Run) -> None:
    _push_project(r, FAST_MIGRATIONS, mig_timeout="3s")
    path = r.cli_script("supabase", "sleep 1000\n")
    r.run(expect=(1,), mention=["timed out|supabase"], env={"SUPABASE_CLI": str(path)}, timeout=90)


@scenario("cli-dry-run-hangs", "db push --dry-run hangs (a wrapper: `sleep 1000`); migrations cli_timeout: 3s")
def _cli_hang_dry_run(r: Run) -> None:
    _push_project(r, FAST_MIGRATIONS, mig_timeout="3s")
    path = r.cli_script("supabase", 'case " $* " in *" --dry-run "*) sleep 1000;; esac\nexec REAL "$@"\n')
    r.run(expect=(1,), mention=["timed out|db push"], env={"SUPABASE_CLI": str(path)}, timeout=90)


@scenario("cli-push-hangs", "db push hangs (a wrapper: `sleep 1000` for the real push); migrations cli_timeout: 3s")
def _cli_hang_push(r: Run) -> None:
    _push_project(r, FAST_MIGRATIONS, mig_timeout="3s")
    path = r.cli_script("supabase", 'case " $* " in *" --dry-run "*) exec REAL "$@";; '
                                    '*" db push "*) sleep 1000;; esac\nexec REAL "$@"\n')
    r.run(expect=(1,), mention=["timed out"], env={"SUPABASE_CLI": str(path)}, timeout=90)


@scenario("cli-deploy-hangs", "functions deploy hangs (`sleep 1000`); functions cli_timeout: 3s")
def _cli_hang_deploy(r: Run) -> None:
    a, *_ = r.basic(2, fn_timeout="3s")
    path = r.cli_script("supabase", 'case " $* " in *" functions deploy "*) sleep 1000;; esac\nexec REAL "$@"\n')
    r.run(expect=(1,), mention=[a, "timed out"], env={"SUPABASE_CLI": str(path)}, timeout=120)


@scenario("cli-segfault-on-deploy", "the CLI dies of SIGSEGV during functions deploy")
def _cli_segv(r: Run) -> None:
    a, *_ = r.basic(2)
    path = r.cli_script("supabase", 'case " $* " in *" functions deploy "*) kill -SEGV $$;; esac\nexec REAL "$@"\n')
    r.run(expect=(1,), mention=[a], env={"SUPABASE_CLI": str(path)})


@scenario("migration-sql-error", "the second migration fails (relation does not exist)")
def _mig_error(r: Run) -> None:
    _push_project(r, {"20240101000001_a.sql": "create table a (id int);\n",
                      "20240101000002_b.sql": "insert into missing_table values (1);\n",
                      "20240101000003_c.sql": "create table c (id int);\n"})
    r.run(expect=(1,), mention=["20240101000002_b.sql", "missing_table"])


# -- files and git -------------------------------------------------------------------------------

@scenario("orchestrator-dir-is-a-file", ".orchestrator is a regular file (the journal cannot be created)")
def _dir_file(r: Run) -> None:
    r.basic(2)
    (r.root / ".orchestrator").write_text("not a folder\n")
    r.run(expect=(2,), mention=[".orchestrator"])


@scenario("runs-dir-is-a-file", ".orchestrator/runs is a regular file")
def _runs_file(r: Run) -> None:
    r.basic(2)
    (r.root / ".orchestrator").mkdir()
    (r.root / ".orchestrator" / "runs").write_text("not a folder\n")
    r.run(expect=(2,), mention=[".orchestrator/runs"])


@scenario("git-no-commits", "the project is a git repository without commits")
def _git_empty(r: Run) -> None:
    r.layout()
    r.playbook()
    r.init_git()
    r.run(expect=(2,), mention=["commit"])


@scenario("git-corrupt-head", "the HEAD commit's object file is deleted (broken repository)")
def _git_corrupt(r: Run) -> None:
    r.basic(2)
    head = git(r.root, "rev-parse", "HEAD")
    (r.root / ".git" / "objects" / head[:2] / head[2:]).unlink()
    r.run(expect=(1, 2), mention=["git|commit"])


@scenario("function-folder-deleted", "a function's folder is deleted in a later commit (the playbook still names it)")
def _folder_deleted(r: Run) -> None:
    _, b, _ = r.basic(2)
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    shutil.rmtree(r.root / "supabase" / "functions" / b)
    r.commit("B deletes beta")
    r.run(expect=(2,), mention=[b], label="#2 run")


@scenario("rollback-commit-gone", "the automatic rollback's commit is gone from the clone (history rewritten)")
def _rollback_gone(r: Run) -> None:
    a, *_ = r.basic(2)
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    r.write(a, BROKEN)
    git(r.root, "checkout", "-q", "--orphan", "rewritten")
    r.commit("B broken, history rewritten")
    git(r.root, "branch", "-D", "main")
    git(r.root, "branch", "-m", "main")
    git(r.root, "reflog", "expire", "--expire=now", "--all")
    git(r.root, "gc", "-q", "--prune=now")
    r.run(expect=(1,), mention=[a, "rollback"], label="#2 run")


@scenario("rollback-folder-missing", "the last good commit has no such function folder where the project now "
          "lives (project moved into apps/web)")
def _rollback_moved(r: Run) -> None:
    a, *_ = r.basic(2)
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    new = r.root / "apps" / "web"
    new.mkdir(parents=True)
    for item in ("supabase", "orchestrator.yaml"):
        shutil.move(str(r.root / item), str(new / item))
    r.write(a, BROKEN, root=new)
    r.playbook(project_dir=".", root=new)
    r.commit("B moves the project and breaks alpha")
    r.orch("run", "apps/web/orchestrator.yaml", "--env", r.env, "--yes", expect=(1,), mention=[a, "rollback"], label="#2 run")


@scenario("rollback-deploy-fails", "the automatic rollback's deploy fails (POST deploy 500 every time)")
def _rollback_deploy(r: Run) -> None:
    a, *_ = r.basic(2)
    r.run(expect=(0,), mention=summary_only(), label="#1 good run")
    r.write(a, BROKEN)
    r.commit("B broken")
    r.run(expect=(1,), mention=[a, "rollback"], label="#2 run", triggers=[
        Trigger("deploys fail once the checks failed", r.event("function", function=a),
                r.injecting(("POST", DEPLOY, 40, 500)))])


# -- journals and resume ---------------------------------------------------------------------------

def _failed_run(r: Run) -> str:
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 30, 500)
    r.run(expect=(1,), mention=[a], label="#1 failing run")
    r.client.clear_faults()
    return r.journal_files()[0].stem


@scenario("resume-journal-cut-last-line", "`resume` of a failed run whose journal's last line is cut mid-line")
def _resume_cut(r: Run) -> None:
    run_id = _failed_run(r)
    path = r.journal_files()[0]
    data = path.read_bytes().rstrip(b"\n")
    last = data.rsplit(b"\n", 1)[-1]
    path.write_bytes(data[:len(data) - len(last) // 2])
    r.orch("resume", run_id, "--yes", expect=(0,), mention=summary_only(), label="#2 resume")


@scenario("resume-journal-damaged-middle", "`resume` of a journal damaged in the middle (a line cut in half)")
def _resume_damaged(r: Run) -> None:
    run_id = _failed_run(r)
    path = r.journal_files()[0]
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][:len(lines[2]) // 2]
    path.write_bytes(b"\n".join(lines))
    r.orch("resume", run_id, "--yes", expect=(2,), mention=[f"{run_id}.jsonl:3"], label="#2 resume")


# -- humans that are not there ---------------------------------------------------------------------

@scenario("approval-without-terminal", "requires_approval, no --approve, no terminal")
def _approval(r: Run) -> None:
    r.basic(2, approval=True)
    r.run(expect=(4,), mention=["--approve"], yes=False)


@scenario("pause-each-without-terminal", "pause: each, no --yes, no terminal")
def _pause_each(r: Run) -> None:
    r.basic(2, pause="each")
    r.run(expect=(4,), mention=["pause"], yes=False)


# -- Postgres stops (a second target) --------------------------------------------------------------

@scenario("postgres-stops-during-deploy", "the target's Postgres stops while a deploy is in flight (ledger "
          "unreachable); Postgres back, then the next run")
def _pg_deploy(r: Run) -> None:
    t = r.bench.pg_target()
    r.use(t)
    a, *_ = r.basic(2)
    r.inject("POST", DEPLOY, 1, None, latency=3.0)
    try:
        r.run(expect=(1,), mention=[a, "ledger"],
              triggers=[Trigger("stop Postgres during the deploy", r.reached(0), lambda _p: stop_postgres(t))])
    finally:
        r.client.clear_faults()
        if not postgres_up(t):
            start_postgres(t)
    r.run(expect=(0,), mention=[a], label="#2 next run")


@scenario("postgres-stops-during-db-push", "the target's Postgres stops during db push; Postgres back, then "
          "the next run")
def _pg_push(r: Run) -> None:
    t = r.bench.pg_target()
    r.use(t)
    _push_project(r)
    try:
        r.run(expect=(1,), mention=["db push|migration"],
              triggers=[Trigger("stop Postgres during db push", r.sleeping(), lambda _p: stop_postgres(t))])
    finally:
        if not postgres_up(t):
            start_postgres(t)
    r.run(expect=(0,), mention=summary_only(), label="#2 next run")


@scenario("postgres-down-at-start", "the target's Postgres is down when the run starts (migrations + functions); "
          "Postgres back, then the next run")
def _pg_down(r: Run) -> None:
    t = r.bench.pg_target()
    r.use(t)
    r.migrations = dict(FAST_MIGRATIONS)
    r.own_database()
    r.layout()
    r.playbook(functions=2, migrations=True)
    r.init_git()
    r.commit("A")
    stop_postgres(t)
    try:
        r.run(expect=(1,), mention=["db push|connect|database"])
    finally:
        start_postgres(t)
    r.run(expect=(0,), mention=summary_only(), label="#2 next run")


# ----------------------------------------------------------------------------------------------
# running and reporting


def run_scenario(bench: Bench, name: str, fault: str, fn: Scenario) -> Result:
    r = Run(bench, name)
    started = time.monotonic()
    reasons: list[str] = []
    crashed = None
    try:
        bench.target.client.clear_faults()
        fn(r)
    except Exception as exc:  # noqa: BLE001 - a harness problem is reported as the scenario's failure
        crashed = f"harness: {type(exc).__name__}: {one_line(str(exc), 200)}"
    finally:
        for target in (bench.target, bench._pg_target):
            if target is not None:
                try:
                    target.client.clear_faults()
                except Exception:  # noqa: BLE001, S110 - a stopped target has no faults to clear
                    pass
    exit_problems = [p for c in r.commands if (p := c.exit_problem())]
    exit_problems += [f"{c.label}: fault not delivered (trigger '{t}' never fired)" for c in r.commands for t in c.unfired]
    message_problems = [p for c in r.commands if (p := c.message_problem())]
    try:
        accuracy = check_accuracy(r)
    except Exception as exc:  # noqa: BLE001
        accuracy = [f"harness could not check: {type(exc).__name__}: {one_line(str(exc), 120)}"]
    leftover = [f"{c.label}: left running: {'; '.join(c.leftovers)}" for c in r.commands if c.leftovers]
    unsupported = "cli_timeout" in r.features and any(
        c.code == 2 and "cli_timeout" in c.output for c in r.commands)
    if crashed:
        reasons.append(crashed)
    if unsupported:
        reasons.insert(0, "not supported (the playbook key cli_timeout is refused)")
    reasons += exit_problems + message_problems + accuracy + leftover
    return Result(name, fault, r.commands, not exit_problems and not crashed, not message_problems, not accuracy,
                  not leftover, reasons, time.monotonic() - started, unsupported)


def measured_orchestrator() -> tuple[str, str]:
    """(orchestrator.__file__ of the measured code, the PYTHONPATH that selects it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([PY, "-c", "import orchestrator; print(orchestrator.__file__)"], cwd=tmp, env=env,
                              capture_output=True, text=True, check=True)
    where = done.stdout.strip()
    return where, str(Path(where).resolve().parent.parent)


def checkout_state(path: str) -> str:
    """`git describe`-like: the commit of the measured checkout and whether it has local changes."""
    done = subprocess.run(["git", "-C", path, "log", "-1", "--format=%h"], capture_output=True, text=True, check=False)
    if done.returncode:
        return "not a git checkout"
    dirty = subprocess.run(["git", "-C", path, "status", "--porcelain", "--untracked-files=no", "--", "orchestrator"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return f"commit {done.stdout.strip()}" + (", orchestrator/ has uncommitted changes" if dirty else "")


def print_table(results: list[Result]) -> None:
    head = ("scenario", "expected", "got", "message", "accurate", "leftovers", "verdict")
    rows = [(r.name, ",".join("/".join(map(str, c.expect)) for c in r.commands) or "-",
             ",".join(c.got for c in r.commands) or "-", "ok" if r.message_ok else "NO",
             "ok" if r.accurate else "NO", "none" if r.leftovers_ok else "YES",
             "survived" if r.survived else ("not supported" if r.unsupported else "FAILED")) for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for row in (head, *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM, SIGHUP: stop what we started, report what ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated scenario names or globs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the projects, journals and target state")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    chosen = SCENARIOS
    if args.only:
        patterns = [p.strip() for p in args.only.split(",") if p.strip()]
        chosen = [s for s in SCENARIOS if any(fnmatch.fnmatchcase(s[0], p) for p in patterns)]
    if args.list or not chosen:
        for name, fault, _ in SCENARIOS:
            print(f"{name:40} {fault}")
        return 0 if args.list else 2
    # A bench started in the background of a non-interactive shell inherits SIGINT ignored (nohup:
    # SIGHUP too), and so would every orchestrator it starts: the signal scenarios need the default
    # dispositions back (a handler here becomes SIG_DFL in the children).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    where, pythonpath = measured_orchestrator()
    print(f"measured: orchestrator.__file__ = {where} ({checkout_state(pythonpath)})")
    print(f"harness:  {HARNESS_ROOT} (local target, simulator); python {PY}")
    work = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    work.chmod(0o755)
    results: list[Result] = []
    started = time.monotonic()
    bench = Bench(work, pythonpath)
    try:
        for i, (name, fault, fn) in enumerate(chosen, 1):
            print(f"[{i}/{len(chosen)}] {name} ...", end="", file=sys.stderr, flush=True)
            result = run_scenario(bench, name, fault, fn)
            results.append(result)
            verdict = "survived" if result.survived else "FAILED: " + one_line("; ".join(result.reasons), 200)
            print(f" {result.seconds:.0f}s {verdict}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: reporting what ran", file=sys.stderr)
    finally:
        bench.stop(keep=args.keep)
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    print()
    print_table(results)
    failed = [r for r in results if not r.survived]
    if failed:
        print("\nfailures:")
        for r in failed:
            print(f"- {r.name} ({r.fault}):")
            for reason in r.reasons:
                print(f"    {one_line(reason, 400)}")
    survived = sum(r.survived for r in results)
    print(f"\nmeasured at the end: {checkout_state(pythonpath)}")
    print(f"survived {survived} of {len(results)} with a clear message and an accurate journal "
          f"({elapsed / 60:.1f} min; exit ok {sum(r.exit_ok for r in results)}, message ok "
          f"{sum(r.message_ok for r in results)}, accurate {sum(r.accurate for r in results)}, no leftovers "
          f"{sum(r.leftovers_ok for r in results)}, not supported {sum(r.unsupported for r in results)})")
    if args.json:
        args.json.write_text(json.dumps({"orchestrator": where, "seconds": round(elapsed, 1),
                                         "survived": survived, "total": len(results),
                                         "results": [r.as_json() for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
