"""Promotion gates (issue 11): production with `requires_passed: [staging]` takes only a release
(commit, migrations, function inputs) that staging's own database records as succeeded."""

from __future__ import annotations

from fn_helpers import CHANGED, Project, git

GATED = """\
version: 1
name: promotion
environments:
  {env}:
    project_ref: ${{REF}}
    api_url: ${{API_URL}}
    functions_url: ${{FUNCTIONS_URL}}
    db_url: ${{DB_URL}}
  {env}_prod:
    project_ref: ${{REF}}
    api_url: ${{API_URL}}
    functions_url: ${{FUNCTIONS_URL}}
    db_url: ${{DB_URL}}
    requires_passed: [{env}]
    requires_approval: true
steps:
  - functions:
      names: [{names}]
      checks: {{settle: 0s, smoke: {{method: GET}}}}
"""


def test_production_takes_only_what_staging_passed(project: Project) -> None:
    alpha, beta, _ = project.names
    staging, production = project.env, f"{project.env}_prod"
    (project.root / "orchestrator.yaml").write_text(GATED.format(env=staging, names=f"{alpha}, {beta}"))
    project.commit("A")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", production, "--approve")
    assert code == 1, out
    assert f"{production} requires this release to have passed in {staging} first" in " ".join(out.split())
    assert project.sim.function_versions(alpha) == []  # refused before touching anything

    code, out = project.invoke("run", "orchestrator.yaml", "--env", staging)
    assert code == 0, out
    code, out = project.invoke("run", "orchestrator.yaml", "--env", production, "--redeploy", "--approve")
    assert code == 0, out
    assert f"{production}: release" in out and f"passed in {staging}" in out
    # who shipped what, approved by whom: from another clone, out of the environment's own database
    clone = project.root.parent / "second-clone"
    git(project.root.parent, "clone", "-q", str(project.root), str(clone))
    code, out = project.invoke("history", "--env", production, "--playbook", "orchestrator.yaml", cwd=clone)
    assert code == 0 and "(--approve)" in out and "succeeded" in out, out

    project.write(beta, CHANGED)  # a new commit lands after staging passed
    project.commit("B")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", production, "--approve")
    assert code == 1 and "has no successful run of it" in out, out
    code, out = project.invoke("run", "orchestrator.yaml", "--env", staging, "--env", production, "--approve")
    assert code == 0, out  # one staged run: staging passes B, then production takes it
