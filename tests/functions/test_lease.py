"""One deployer per environment (issue 11): a lease in the environment's database. A second run is
refused (exit 4, naming the holder) while a first one deploys, and goes ahead after it; a lease left
by a dead run expires; `unlock` breaks one after confirmation."""

from __future__ import annotations

import subprocess
import time

import psycopg
from fn_helpers import Project, orchestrator_argv, pythonpath

from orchestrator.lease import SCHEMA_SQL

DEPLOY = "/v1/projects/*/functions/deploy"


def _lease_row(project: Project, expires: str) -> None:
    with psycopg.connect(project.target.db_url, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)
        conn.execute("insert into supabase_orchestrator.lease (environment, holder, host, run_id, expires) "
                     f"values (%s, 'ci-bot', 'runner-7', '20260101T000000Z-dead00', now() + interval '{expires}') "
                     "on conflict (environment) do update set expires = excluded.expires", (project.env,))


def test_a_second_run_waits_its_turn(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    project.commit("A")
    project.sim.inject_fault("POST", DEPLOY, count=1, status=None, latency=8.0)
    env = {**project.environ(), "PYTHONPATH": pythonpath()}
    first = subprocess.Popen(orchestrator_argv("run", "orchestrator.yaml", "--env", project.env), cwd=project.root,
                             env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    try:
        deadline = time.monotonic() + 90
        while project.sim.faults_left() != [0]:  # the first run is in its (slow) deploy
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0]
            time.sleep(0.2)
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
        assert code == 4, out
        assert f"{project.env} is being deployed by" in " ".join(out.split()) and "run 2" in out
        assert len(project.sim.function_versions(beta)) == 0  # the second run deployed nothing
    finally:
        first_out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, first_out
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--redeploy")
    assert code == 0, out  # the lease was released at the end of the first run


def test_a_dead_runs_lease_expires_and_unlock_breaks_a_live_one(project: Project) -> None:
    alpha = project.names[0]
    project.playbook(names=[alpha])
    project.commit("A")
    _lease_row(project, "-1 minute")  # a run that died two minutes ago: its lease has expired
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    _lease_row(project, "10 minutes")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--redeploy")
    assert code == 4 and "ci-bot on runner-7, run 20260101T000000Z-dead00" in " ".join(out.split()), out
    code, out = project.invoke("unlock", "--env", project.env, "--playbook", "orchestrator.yaml")
    assert code == 4, out  # no terminal and no --yes: the question fails, nothing is broken
    code, out = project.invoke("unlock", "--env", project.env, "--playbook", "orchestrator.yaml", "--yes")
    assert code == 0 and "broken (it belonged to run 20260101T000000Z-dead00)" in out, out
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--redeploy")
    assert code == 0, out
