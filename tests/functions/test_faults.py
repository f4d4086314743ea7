"""Rate limits and server errors from the simulator: retried until the run succeeds; a deploy
that keeps failing stops the run with a message naming the function."""

from __future__ import annotations

import pytest
from fn_helpers import Project

import orchestrator.steps  # noqa: F401 - the step registry first, in the CLI's import order (see report)
from orchestrator import rollout


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollout, "DEPLOY_BACKOFF_S", 0.05)


def test_429_and_5xx_bursts_are_retried_and_the_run_succeeds(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    project.commit("A")
    sim = project.sim
    sim.clear_request_log()
    with project.faults(("POST", "/v1/projects/*/functions/deploy", 2, 503),
                        ("GET", f"/v1/projects/*/functions/{beta}", 2, 502),
                        ("GET", "/v1/projects/*/analytics/endpoints/logs", 2, 429)):
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    statuses = [(r["endpoint"], r["status"]) for r in sim.request_log()]
    assert statuses.count(("functions.deploy", 503)) == 2 and statuses.count(("functions.deploy", 201)) == 2
    assert statuses.count(("functions.get", 502)) == 2 and statuses.count(("logs.get", 429)) == 2
    retries = [e for e in project.journal() if e["event"] == "retry"]
    assert [(e["function"], e["attempt"]) for e in retries] == [(alpha, 1), (alpha, 2)]
    assert [len(sim.function_versions(n)) for n in (alpha, beta)] == [1, 1]  # no duplicate deploys


def test_a_deploy_that_keeps_failing_stops_the_run(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    project.commit("A")
    with project.faults(("POST", "/v1/projects/*/functions/deploy", 10, 500)):
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 1, out
    assert f"{alpha}: deploy to {project.env} kept failing (4 attempts)" in " ".join(out.split())
    assert "later functions were not deployed" in " ".join(out.split())
    assert project.sim.function_versions(alpha) == [] and project.sim.function_versions(beta) == []
