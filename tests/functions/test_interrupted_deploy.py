"""A deploy interrupted by SIGTERM, or the orchestrator killed outright (issue 12). The deploy request
the CLI already sent completes on the server seconds later (the simulator's latency stands in for a
slow upload): the version that goes live must end up in the journal and the ledger, on exit for
SIGTERM, and at the next command on that environment after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from fn_helpers import Project, orchestrator_argv, pythonpath

from orchestrator.journal import read_events

DEPLOY = "/v1/projects/*/functions/deploy"


def _start(project: Project) -> subprocess.Popen[str]:
    env = {**project.environ(), "PYTHONPATH": pythonpath()}
    return subprocess.Popen(orchestrator_argv("run", "orchestrator.yaml", "--env", project.env), cwd=project.root,
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _events(project: Project) -> list[dict[str, Any]]:
    runs = sorted((project.root / ".orchestrator" / "runs").glob("*.jsonl"))
    return [e for path in runs for e in read_events(path)]


def _wait_for_deploy_call(project: Project, proc: subprocess.Popen[str], name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        if (project.root / ".orchestrator" / "runs").is_dir():
            started = [e for e in _events(project) if e["event"] == "cli_start" and "deploy" in e["argv"]
                       and name in e["argv"]]
            if started and project.sim.faults_left() == [0]:  # the request reached the "slow" server
                time.sleep(0.5)
                return started[0]
        time.sleep(0.1)
    raise AssertionError("the deploy never started")


def _wait_gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)  # the CLI we started (its own process group), by pid


def test_sigterm_during_a_deploy_records_the_version_that_went_live(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    project.commit("A")
    project.sim.inject_fault("POST", DEPLOY, count=1, status=None, latency=6.0)
    proc = _start(project)
    _wait_for_deploy_call(project, proc, alpha)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 143, out
    versions = project.sim.function_versions(alpha)
    assert len(versions) == 1, out  # the request completed on the server after the CLI was stopped
    assert project.sim.function_versions(beta) == []  # nothing after the interrupt
    (stopped,) = [e for e in _events(project) if e["event"] == "interrupted"]
    assert (stopped["function"], stopped["outcome"], stopped["version"]) == (alpha, "live", versions[0].version)
    assert [(r["function_name"], r["outcome"], r["platform_version"]) for r in project.ledger()] == [
        (alpha, "live", versions[0].version)]
    assert f"{alpha}: version {versions[0].version} went LIVE before the deploy was stopped" in out


def test_after_sigkill_the_next_command_records_what_went_live(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit = project.commit("A")
    project.sim.inject_fault("POST", DEPLOY, count=1, status=None, latency=4.0)
    proc = _start(project)
    cli = _wait_for_deploy_call(project, proc, alpha)
    proc.kill()  # SIGKILL: no handler runs; the CLI, in its own session, carries on
    proc.communicate(timeout=30)
    _wait_gone(int(cli["pid"]))
    assert len(project.sim.function_versions(alpha)) == 1 and project.ledger() == []  # live, unrecorded
    killed = next(e["run_id"] for e in _events(project) if e["event"] == "run_start")

    code, out = project.invoke("plan", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    assert f"run {killed} did not finish" in out and f"{alpha}: version 1 went live in that run" in out
    assert project.ledger() == []  # plan changes nothing

    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    assert f"run {killed} did not finish" in out and "recorded now as live" in out
    rows = project.ledger()
    assert (rows[0]["function_name"], rows[0]["outcome"], rows[0]["run_id"], rows[0]["git_commit"]) == (
        alpha, "live", killed, commit)
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0 and "did not finish" not in out, out  # reconciled once
    assert Path(project.root / ".orchestrator" / "runs" / f"{killed}.reconciled").is_file()
