"""The real supabase CLI 3.1.0 and 2.122.1 against a throwaway Postgres and a logging HTTP server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest

from orchestrator.adapters.supabase_cli import (
    CliResult,
    SupabaseCli,
    Target,
    explain_push_error,
    parse_dry_run,
)
from orchestrator.errors import CommandFailed
from orchestrator.local.postgres import PostgresCluster, free_port
from orchestrator.redact import Redactor
from orchestrator.tools import local_supabase

pytestmark = [pytest.mark.cli, pytest.mark.postgres]

REF = "abcdefghijklmnopqrst"
TOKEN = "sbp_" + "c0ffee42" * 5  # the CLI checks the format: sbp_ + 40 hex
ONE, TWO = "20240101000000_one.sql", "20240102000000_two.sql"


class Recorder:
    """What the child printed and what the adapter recorded: all of it must be secret-free."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.calls: list[dict[str, Any]] = []

    def text(self) -> str:
        return "\n".join(self.lines) + json.dumps(self.calls)


@pytest.fixture(params=[3, 2], ids=["v3", "v2"])
def major(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    migrations = tmp_path / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / ONE).write_text("create table one (id int);\n")
    (migrations / TWO).write_text("create table two (id int);\n")
    fn = tmp_path / "supabase" / "functions" / "hello"
    fn.mkdir(parents=True)
    (fn / "index.ts").write_text('Deno.serve(() => new Response("hi"));\n')
    return tmp_path


def make(major: int, project: Path, rec: Recorder, **kw: Any) -> SupabaseCli:
    binary = local_supabase(major)
    if binary is None:
        pytest.fail(f"supabase v{major} missing: run scripts/install-tools")
    env = {"PATH": os.environ["PATH"], "HOME": str(project), "SUPABASE_ACCESS_TOKEN": TOKEN}
    return SupabaseCli(binary, workdir=project, env=env, redactor=Redactor(), on_call=rec.calls.append,
                       on_output=rec.lines.append, **kw)


def no_tls(url: str) -> str:
    """The throwaway server has no TLS; v2 refuses to fall back to plaintext on its own."""
    return url if "sslmode=" in url else url + "?sslmode=disable"


def history(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select version from supabase_migrations.schema_migrations order by 1").fetchall()
    return [r[0] for r in rows]


def test_version_is_read_once_then_cached_on_disk(major: int, project: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.adapters import supabase_cli

    monkeypatch.setattr(supabase_cli, "_VERSION_CACHE", tmp_path / "cli-versions.json")
    expected = (3, 1, 0) if major == 3 else (2, 122, 1)
    rec = Recorder()
    cli = make(major, project, rec)
    assert cli.version == expected
    assert cli.version and [c["event"] for c in rec.calls] == ["cli_start", "cli"]
    again = Recorder()
    assert make(major, project, again).version == expected
    assert again.calls == []  # a second process would not pay for `supabase --version`


def test_push_two_migrations(major: int, project: Path, fresh_db: str, pg_cluster: PostgresCluster,
                             capfd: pytest.CaptureFixture[str]) -> None:
    rec = Recorder()
    cli = make(major, project, rec)
    target = Target(db_url=no_tls(fresh_db))
    assert parse_dry_run(cli.db_push(target, dry_run=True).output) == [ONE, TWO]
    cli.db_push(target)
    assert history(fresh_db) == ["20240101000000", "20240102000000"]
    assert parse_dry_run(cli.db_push(target, dry_run=True).output) == []
    listed = json.loads(cli.migration_list(target).stdout)
    assert [m["remote"] for m in listed["migrations"]] == ["20240101000000", "20240102000000"]
    out, err = capfd.readouterr()
    for text in (rec.text(), out, err):
        assert pg_cluster.password not in text and TOKEN not in text
    assert all(pg_cluster.password not in " ".join(c["argv"]) for c in rec.calls)


def test_out_of_order_and_include_all(major: int, project: Path, fresh_db: str) -> None:
    cli = make(major, project, Recorder())
    target = Target(db_url=no_tls(fresh_db))
    cli.db_push(target)
    (project / "supabase/migrations/20231231000000_zero.sql").write_text("create table zero (id int);\n")
    with pytest.raises(CommandFailed) as info:
        cli.db_push(target, dry_run=True)
    assert "Found local migration files to be inserted before the last migration" in info.value.output_tail
    assert "include_all: true" in info.value.hint and "20231231000000_zero.sql" in info.value.hint
    assert explain_push_error(info.value.output_tail) == info.value.hint
    cli.db_push(target, include_all=True)
    assert history(fresh_db) == ["20231231000000", "20240101000000", "20240102000000"]


def test_history_mismatch(major: int, project: Path, fresh_db: str) -> None:
    cli = make(major, project, Recorder())
    target = Target(db_url=no_tls(fresh_db))
    cli.db_push(target)
    (project / "supabase/migrations" / TWO).unlink()
    result = cli.run(cli.db_push_args(target), target=target, check=False)
    assert result.returncode != 0
    hint = explain_push_error(result.output)
    assert hint is not None and "migration repair --status reverted 20240102000000" in hint


def test_canary_password_to_dead_port(major: int, project: Path, capfd: pytest.CaptureFixture[str]) -> None:
    canary = "canaryPw-7f3e9a"
    rec = Recorder()
    cli = make(major, project, rec, timeout=60)
    url = f"postgresql://postgres:{canary}@127.0.0.1:{free_port()}/postgres?sslmode=disable"
    with pytest.raises(CommandFailed) as info:
        cli.db_push(Target(db_url=url))
    out, err = capfd.readouterr()
    for text in (str(info.value), rec.text(), out, err):
        assert canary not in text and TOKEN not in text
    assert rec.calls and rec.calls[-1]["exit_code"] != 0


class FakeApi(BaseHTTPRequestHandler):
    """Just enough Management API for list/deploy/secrets; logs every request."""

    log: list[dict[str, Any]]

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.log.append({"method": self.command, "path": self.path, "auth": self.headers.get("authorization"),
                         "body": body})
        path = self.path.split("?")[0]
        payload: Any = []
        status = 200
        if path == f"/v1/projects/{REF}":
            payload = {"id": REF, "ref": REF, "name": "demo", "organization_id": "org", "region": "local",
                       "status": "ACTIVE_HEALTHY", "created_at": "2024-01-01T00:00:00Z"}
        elif path.endswith("/functions/deploy"):
            status, payload = 201, {"id": "f1", "slug": "hello", "name": "hello", "status": "ACTIVE", "version": 1,
                                    "created_at": 0, "updated_at": 0}
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    log: list[dict[str, Any]] = []
    handler = type("Handler", (FakeApi,), {"log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads, server.block_on_close = True, False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log
    server.shutdown()
    server.server_close()


def test_profile_secrets_and_deploy(major: int, project: Path, fake_api: tuple[str, list[dict[str, Any]]],
                                    capfd: pytest.CaptureFixture[str]) -> None:
    api_url, log = fake_api
    rec = Recorder()
    cli = make(major, project, rec)
    target = Target(project_ref=REF, api_url=api_url)
    assert json.loads(cli.functions_list(target).stdout)["functions"] == []
    secret = "canary-secret $HOME #x \"q\" \\ end"
    quoted = "canary-secret it's' \\ a'b $x"
    cli.secrets_set(target, {"MY_SECRET": secret, "OTHER": "multi\nline #x", "QUOTED": quoted})
    deployed: CliResult = cli.functions_deploy("hello", target)
    assert deployed.returncode == 0
    paths = [(e["method"], e["path"]) for e in log]
    assert ("GET", f"/v1/projects/{REF}/functions") in paths
    assert ("POST", f"/v1/projects/{REF}/functions/deploy?slug=hello") in paths
    assert all(e["auth"] == f"Bearer {TOKEN}" for e in log)
    sent = next(json.loads(e["body"]) for e in log if e["path"] == f"/v1/projects/{REF}/secrets")
    assert sent == [{"name": "MY_SECRET", "value": secret}, {"name": "OTHER", "value": "multi\nline #x"},
                    {"name": "QUOTED", "value": quoted}]
    out, err = capfd.readouterr()
    for text in (rec.text(), out, err):
        assert "canary-secret" not in text and TOKEN not in text


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    script = tmp_path / "slow-supabase"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\necho started\nwait\n")
    script.chmod(0o755)
    rec = Recorder()
    cli = SupabaseCli(script, workdir=tmp_path, env={"PATH": os.environ["PATH"]}, redactor=Redactor(),
                      on_call=rec.calls.append, on_output=rec.lines.append)
    with pytest.raises(CommandFailed, match="timed out after 1.5s"):
        cli.run(["--version"], timeout=1.5)
    assert rec.lines == ["started"] and rec.calls[-1]["timed_out"] is True
    assert not _alive(int(pidfile.read_text()))


def test_a_slow_cli_says_it_is_still_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hanging CLI used to mean 15 minutes of silence; now a line every HEARTBEAT_S."""
    from orchestrator.adapters import supabase_cli

    monkeypatch.setattr(supabase_cli, "HEARTBEAT_S", 0.3)
    script = tmp_path / "slow-supabase"
    script.write_text("#!/bin/sh\nsleep 300\n")
    script.chmod(0o755)
    rec = Recorder()
    cli = SupabaseCli(script, workdir=tmp_path, env={"PATH": os.environ["PATH"]}, redactor=Redactor(),
                      on_call=rec.calls.append, on_output=rec.lines.append)
    with pytest.raises(CommandFailed, match="timed out after 1.2s"):
        cli.run(["db", "push"], timeout=1.2)
    beats = [line for line in rec.lines if "still running after" in line]
    assert len(beats) >= 2 and beats[0].startswith("... supabase db push: still running after")


def test_an_interrupt_stops_the_cli_process_group_and_is_recorded(tmp_path: Path) -> None:
    """The CLI has its own session: a Ctrl-C at the terminal never reaches it unless forwarded."""
    import signal

    pidfile = tmp_path / "grandchild.pid"
    script = tmp_path / "slow-supabase"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\necho started\nwait\n")
    script.chmod(0o755)
    rec = Recorder()
    cli = SupabaseCli(script, workdir=tmp_path, env={"PATH": os.environ["PATH"]}, redactor=Redactor(),
                      on_call=rec.calls.append, on_output=rec.lines.append)

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            cli.run(["db", "push"], timeout=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert rec.calls[0]["event"] == "cli_start" and rec.calls[0]["pid"] > 0
    assert rec.calls[-1]["interrupted"] is True
    assert not _alive(int(pidfile.read_text()))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}
