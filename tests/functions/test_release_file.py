"""Release files (issue 11): `plan --out` writes what would ship; `run --release` ships exactly that,
or nothing when the checkout differs (exit 2, saying what)."""

from __future__ import annotations

import json

from fn_helpers import CHANGED, Project, git


def test_run_ships_the_planned_release_or_nothing(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit = project.commit("A")
    release = project.root.parent / "release.json"
    code, out = project.invoke("plan", "orchestrator.yaml", "--env", project.env, "--out", str(release))
    assert code == 0, out
    planned = json.loads(release.read_text())
    assert planned["commit"] == commit and set(planned["functions"]) == {alpha, beta}
    assert planned["environment"] == project.env and planned["release"] in out

    project.write(beta, CHANGED)  # lands after the plan was reviewed
    project.commit("B")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--release", str(release))
    assert code == 2, out
    flat = " ".join(out.split())
    assert "this checkout is not that release" in flat and f"function {beta} changed" in flat and "HEAD moved" in flat
    assert project.sim.function_versions(alpha) == []  # nothing shipped

    code, out = project.invoke("run", "orchestrator.yaml", "--env", "other", "--release", str(release))
    assert code == 2, out  # not an environment of the playbook, or not the release's

    git(project.root, "checkout", "-q", commit)  # back to the reviewed commit
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--release", str(release))
    assert code == 0, out
    assert "checkout matches release" in out and len(project.sim.function_versions(beta)) == 1
