"""The functions rollout against the local target: a real git project with three functions and a
shared folder, the real supabase CLI 3.1.0, the simulator and its Deno gateway, a real Postgres.

One target serves the whole session; each test gets its own function names (a random prefix) and
its own environment name, so the simulator's functions and the ledger rows never mix between tests.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.journal import read_events
from orchestrator.local.client import SimClient
from orchestrator.local.target import LocalTarget
from orchestrator.tools import REPO_ROOT
from tests.conftest import require_local_target

GIT_ENV = {"GIT_AUTHOR_NAME": "Test Engineer", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test Engineer", "GIT_COMMITTER_EMAIL": "test@example.com",
           "GIT_CONFIG_NOSYSTEM": "1"}
SHARED = 'export const greet = (who: string): string => `hello ${who}`;\n'
GOOD = ('import { greet } from "../_shared/greet.ts";\n'
        'Deno.serve((_req) => new Response(greet("{name}")));\n')
BROKEN = ('import { greet } from "../_shared/greet.ts";\n'
          'Deno.serve((_req) => {{ throw new Error("{name} is broken: " + greet("x")); }});\n')
CHANGED = ('import { greet } from "../_shared/greet.ts";\n'
           'Deno.serve((_req) => new Response(greet("{name}, v2")));\n')

PLAYBOOK = """\
version: 1
name: functions-e2e
environments:
  {env}:
    project_ref: ${{REF}}
    api_url: ${{API_URL}}
    functions_url: ${{FUNCTIONS_URL}}
    db_url: ${{DB_URL}}
steps:
  - functions:
      names: [{names}]
      checks:
        settle: 0s
        smoke: {{method: GET}}
        logs: {{window: 60s, max_errors: 0}}
      pause: {pause}
      on_failure: {on_failure}
"""


@dataclass
class Project:
    """A git repository holding supabase/functions/{alpha,beta,gamma} (prefixed) and a playbook."""

    root: Path
    env: str
    names: list[str]
    target: LocalTarget

    @property
    def sim(self) -> SimClient:
        return self.target.client

    def environ(self, **extra: str) -> dict[str, str]:
        t = self.target
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "ORCHESTRATOR_"))}
        return {**base, **GIT_ENV, "REF": t.project_ref, "API_URL": t.api_url, "FUNCTIONS_URL": t.functions_url,
                "DB_URL": t.db_url, "SUPABASE_ACCESS_TOKEN": t.access_token, "CI": "", **extra}

    def write(self, name: str, template: str) -> None:
        folder = self.root / "supabase" / "functions" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.ts").write_text(template.replace("{name}", name).replace("{{", "{").replace("}}", "}"))

    def playbook(self, *, names: list[str] | None = None, pause: str = "never", on_failure: str = "rollback",
                 file: str = "orchestrator.yaml") -> Path:
        path = self.root / file
        path.write_text(PLAYBOOK.format(env=self.env, names=", ".join(names or self.names), pause=pause,
                                        on_failure=on_failure))
        return path

    @contextmanager
    def faults(self, *faults: tuple[str, str, int, int]) -> Iterator[None]:
        """Inject (method, path glob, count, status) faults for the block, then clear them all."""
        for method, path, count, status in faults:
            self.sim.inject_fault(method, path, count=count, status=status)
        try:
            yield
        finally:
            self.sim.clear_faults()

    def commit(self, message: str) -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def invoke(self, *args: str, cwd: Path | None = None, **extra: str) -> tuple[int, str]:
        """`orchestrator ARGS` in this process (no terminal), from `cwd` (default: the project)."""
        here = Path.cwd()
        os.chdir(cwd or self.root)
        try:
            result = CliRunner().invoke(app, list(args), env=self.environ(**extra), catch_exceptions=False)
        finally:
            os.chdir(here)
        return result.exit_code, result.output

    def journal(self, root: Path | None = None) -> list[dict[str, Any]]:
        newest = max(((root or self.root) / ".orchestrator" / "runs").glob("*.jsonl"))
        return list(read_events(newest))

    def ledger(self) -> list[dict[str, Any]]:
        with psycopg.connect(self.target.db_url, row_factory=dict_row) as conn:
            return conn.execute("select function_name, action, git_commit, outcome, platform_version, run_id "
                                "from supabase_orchestrator.deploy_ledger where environment = %s order by id",
                                (self.env,)).fetchall()

    def live_files(self, name: str) -> dict[str, bytes]:
        versions = self.sim.function_versions(name)
        return self.sim.function_files(name, versions[-1].version)

    def files_at(self, commit: str, name: str) -> dict[str, bytes]:
        """What a deploy of `name` at `commit` uploads: its folder and the shared folder."""
        out = git(self.root, "ls-tree", "-r", "--name-only", commit, "supabase/functions/" + name,
                  "supabase/functions/_shared")
        return {p.removeprefix("supabase/functions/"): _show(self.root, commit, p) for p in out.splitlines()}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def _show(repo: Path, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True,
                          capture_output=True).stdout


def orchestrator_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator", *args]


def pythonpath() -> str:
    return os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))


def dump(events: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(e) for e in events if e["event"] != "output")


class Terminal:
    """`python -m orchestrator ARGS` on a pseudo-terminal: stdin is a tty, so prompts are real."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        term_env = {**env, "PYTHONPATH": pythonpath(), "TERM": "dumb", "COLUMNS": "200", "NO_COLOR": "1"}
        self.proc = subprocess.Popen(orchestrator_argv(*args), cwd=cwd, env=term_env, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True)
        os.close(slave)
        self.master, self.text, self.pos = master, "", 0

    def expect(self, wanted: str, timeout: float = 120.0) -> str:
        """Read until `wanted` appears after what earlier calls consumed; return the text up to it."""
        deadline = time.monotonic() + timeout
        while wanted not in self.text[self.pos:]:
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"no {wanted!r} from the orchestrator; it printed:\n{self.text[-4000:]}")
        end = self.text.index(wanted, self.pos) + len(wanted)
        seen, self.pos = self.text[self.pos:end], end
        return seen

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 120.0) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while self._read(deadline - time.monotonic()):
            pass
        code = self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return code, self.text

    def _read(self, remaining: float) -> bool:
        """False at end of output (or when time is up)."""
        if remaining <= 0:
            self.proc.kill()
            return False
        ready, _, _ = select.select([self.master], [], [], remaining)
        if not ready:
            return self._read(0)
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.text += data.decode(errors="replace")
        return bool(data)


def started_target(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[LocalTarget]:
    """A local target of its own for a fixture to yield from, stopped and removed afterwards."""
    require_local_target()
    state = tmp_path_factory.mktemp(name)
    state.chmod(0o755)  # the postgres user must reach the cluster below it when we run as root
    started = LocalTarget(state / "state").start()
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(state, ignore_errors=True)
