"""A failed automatic rollback is recorded as such (issue 12): the ledger row of the failed deploy
used to say `rolled_back` before the rollback was even tried, and the run exited 2 "bad input" while
the broken version stayed live."""

from __future__ import annotations

from fn_helpers import BROKEN, Project, git


def test_a_rollback_to_a_commit_this_clone_lost_is_rollback_failed(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    # the good commit disappears from this clone (a force-pushed, squashed history)
    git(project.root, "commit", "-q", "--amend", "-m", "A, squashed")
    git(project.root, "reflog", "expire", "--expire=now", "--all")
    git(project.root, "gc", "-q", "--prune=now")
    project.write(beta, BROKEN)
    project.commit("B")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--redeploy")
    assert code == 1, out
    flat = " ".join(out.split())
    assert f"{beta}: the rollback to" in flat and "FAILED" in flat
    assert f"the failing version 2 is still LIVE in {project.env}" in flat
    rows = [(r["function_name"], r["outcome"]) for r in project.ledger()]
    assert rows[-1] == (beta, "rollback_failed") and (beta, "rolled_back") not in rows
    assert any(e["event"] == "rollback_failed" and e["live_version"] == 2 for e in project.journal())
    assert len(project.sim.function_versions(beta)) == 2  # nothing else was deployed
