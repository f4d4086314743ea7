"""`orchestrator local up|status|down`: detached processes, env file, nothing left behind."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dotenv import dotenv_values

from orchestrator.commands import local
from orchestrator.console import Console
from orchestrator.errors import InputError
from orchestrator.local import multipart
from tests.local.conftest import _missing


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(stdout=out, stderr=out), out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


def _boot_a_worker(env: dict[str, str | None]) -> None:
    api, ref, token = env["LOCAL_API_URL"], env["LOCAL_PROJECT_REF"], env["SUPABASE_ACCESS_TOKEN"]
    content_type, body = multipart.build([
        multipart.Part("metadata", None, "application/json", b'{"entrypoint_path": "w/index.ts", "name": "w"}'),
        multipart.Part("file", "w/index.ts", "text/plain", b'Deno.serve(() => new Response("w"));'),
    ])
    httpx.post(f"{api}/v1/projects/{ref}/functions/deploy?slug=w", content=body,
               headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}).raise_for_status()
    answer = httpx.get(f"{env['LOCAL_FUNCTIONS_URL']}/w", headers={"Authorization": f"Bearer {env['LOCAL_ANON_KEY']}"})
    assert answer.text == "w"


def test_up_status_down_leave_nothing_behind(tmp_path: Path) -> None:
    if reason := _missing():
        pytest.skip(reason)
    state, env_file = tmp_path / "state", tmp_path / "local.env"
    console, out = _console()
    assert local.up(state, env_file, console=console) == 0
    try:
        env = dotenv_values(env_file)
        assert set(local.ENV_NAMES) <= set(env)
        assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
        printed = out.getvalue()
        assert env["LOCAL_PROJECT_REF"] in printed and str(env["SUPABASE_ACCESS_TOKEN"]) not in printed
        assert str(env["LOCAL_DB_URL"]) not in printed
        with pytest.raises(InputError):
            local.up(state, env_file, console=console)
        _boot_a_worker(env)
        assert local.status(state, console=console) == 0
        info = json.loads((state / "target.json").read_text())
        workers = [int(p.name) for p in (state / "sim/runtime/pids").glob("[0-9]*")]
        assert len(workers) == 1
    finally:
        assert local.down(state, console=console) == 0

    assert not any(_alive(pid) for pid in [info["simulator_pid"], info["postgres_pid"], *workers])
    assert not state.exists() and not Path(info["postgres_dir"]).exists()
    assert local.status(state, console=console) == 2
    assert local.down(state, console=console) == 0  # idempotent


def test_down_keep_leaves_the_data(tmp_path: Path) -> None:
    if reason := _missing():
        pytest.skip(reason)
    state = tmp_path / "state"
    console, _ = _console()
    local.up(state, tmp_path / "local.env", console=console)
    info = json.loads((state / "target.json").read_text())
    local.down(state, keep=True, console=console)
    assert not _alive(info["simulator_pid"]) and not _alive(info["postgres_pid"])
    assert (state / "settings.json").exists()
    assert local.status(state, console=console) == 1
    assert Path(info["postgres_dir"], "data", "PG_VERSION").exists()
    local.down(state, console=console)


def _orchestrator(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command exactly as a user types it, from `cwd` (this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False)


def test_up_status_down_with_their_defaults_from_any_folder_of_the_project(tmp_path: Path) -> None:
    """`local up` in the project, `status` and `down` from a function's folder: one target, found by
    its default state dir; nothing relative reaches the simulator (it once crashed with exit 3)."""
    if reason := _missing():
        pytest.skip(reason)
    project = tmp_path / "project"
    deep = project / "supabase" / "functions" / "hello"
    deep.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    up = _orchestrator("local", "up", cwd=project)
    state = project / ".orchestrator" / "local"
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert (state / "target.json").exists() and (state / "local.env").exists()
        assert "*" in (project / ".orchestrator" / ".gitignore").read_text()  # credentials stay out of git
        status = subprocess.run(["git", "status", "--porcelain"], cwd=project, text=True, capture_output=True,
                            check=True)
        assert ".orchestrator" not in status.stdout
        shown = _orchestrator("local", "status", cwd=deep)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert "simulator: running" in shown.stdout and "postgres: running" in shown.stdout
        info = json.loads((state / "target.json").read_text())
    finally:
        down = _orchestrator("local", "down", cwd=deep)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not state.exists()
    assert not _alive(info["simulator_pid"]) and not _alive(info["postgres_pid"])
