"""`orchestrator rollback`: last-good from the shared ledger, the same answer from a fresh clone,
--project-ref without a playbook, and the confirmation rules."""

from __future__ import annotations

from pathlib import Path

from fn_helpers import CHANGED, Project, git


def test_last_good_from_a_fresh_clone_picks_the_same_commit_and_files(project: Project, tmp_path: Path) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(beta, CHANGED)
    commit_b = project.commit("B: beta changed (and turns out to be wrong)")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    assert project.live_files(beta) == project.files_at(commit_b, beta)

    # In the original clone, without a terminal and without --yes: shown, not done, exit 4.
    code, out = project.invoke("rollback", beta, "--env", project.env, "--to", "last-good")
    assert code == 4, out
    assert commit_a[:12] in out and "--yes" in out and "Test Engineer" in out
    assert f"supabase/functions/{beta}/index.ts" in out  # which files differ from what is live
    assert project.live_files(beta) == project.files_at(commit_b, beta)

    clone = tmp_path / "fresh-clone"
    git(tmp_path, "clone", "-q", str(project.root), str(clone))
    code, out = project.invoke("rollback", beta, "--env", project.env, "--to", "last-good", "--yes", cwd=clone)
    assert code == 0, out
    assert project.live_files(beta) == project.files_at(commit_a, beta)
    assert git(clone, "status", "--porcelain") == "" and git(clone, "rev-parse", "HEAD") == commit_b
    last = project.ledger()[-1]
    assert (last["function_name"], last["action"], last["git_commit"], last["outcome"]) == (
        beta, "rollback", commit_a, "ok")
    events = project.journal(clone)
    assert events[0]["command"] == "rollback" and events[-1]["exit_code"] == 0
    assert [e["commit"] for e in events if e["event"] == "rollback"] == [commit_a]


def test_project_ref_without_a_playbook_uses_the_api_for_the_ledger(project: Project, tmp_path: Path) -> None:
    alpha = project.names[0]
    project.playbook(names=[alpha])
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(alpha, CHANGED)
    project.commit("B")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    bare = tmp_path / "bare"
    git(tmp_path, "clone", "-q", str(project.root), str(bare))
    (bare / "orchestrator.yaml").unlink()  # no playbook at hand

    code, out = project.invoke("rollback", alpha, "--env", project.env, "--to", "last-good", "--yes",
                               "--project-ref", project.target.project_ref, cwd=bare,
                               ORCHESTRATOR_API_URL=project.target.api_url)
    assert code == 0, out
    assert project.live_files(alpha) == project.files_at(commit_a, alpha)
    assert project.ledger()[-1]["git_commit"] == commit_a


def test_unknown_revision_and_missing_settings_are_input_errors(project: Project) -> None:
    alpha = project.names[0]
    project.commit("A")
    code, out = project.invoke("rollback", alpha, "--env", project.env, "--to", "no-such-ref", "--yes")
    assert code == 2 and "unknown git revision 'no-such-ref'" in out
    (project.root / "orchestrator.yaml").unlink()
    code, out = project.invoke("rollback", alpha, "--env", project.env, "--to", "HEAD", "--yes")
    assert code == 2 and "no orchestrator.yaml" in out


def test_rollback_when_the_live_commit_is_not_in_this_clone(project: Project) -> None:
    """The live deploy came from a CI merge commit this clone never had: say so and carry on."""
    alpha = project.names[0]
    project.playbook(names=[alpha])
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(alpha, CHANGED)
    project.commit("B")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    git(project.root, "reset", "-q", "--hard", commit_a)
    git(project.root, "reflog", "expire", "--expire=now", "--all")
    git(project.root, "gc", "-q", "--prune=now")  # B is gone from this clone
    code, out = project.invoke("rollback", alpha, "--env", project.env, "--to", commit_a, "--yes")
    assert code == 0, out
    assert "is not in this clone" in " ".join(out.split())
    assert project.live_files(alpha) == project.files_at(commit_a, alpha)


def test_rollbacks_stick(project: Project) -> None:
    """The rolled-back deploy is marked bad: last-good never returns to it, and a routine run
    refuses to redeploy the same inputs unless told to."""
    _, beta, gamma = project.names
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(beta, CHANGED)
    commit_b = project.commit("B")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0

    code, out = project.invoke("rollback", beta, "--env", project.env, "--to", "last-good", "--yes")
    assert code == 0 and project.live_files(beta) == project.files_at(commit_a, beta), out
    marked = [r for r in project.ledger() if r["function_name"] == beta and r["git_commit"] == commit_b]
    assert [r["outcome"] for r in marked] == ["rolled_back"]
    versions = len(project.sim.function_versions(beta))
    code, out = project.invoke("rollback", beta, "--env", project.env, "--to", "last-good", "--yes")
    assert code == 2 and "no earlier good deploy" in out, out  # not back to B
    assert len(project.sim.function_versions(beta)) == versions

    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    flat = " ".join(out.split())
    assert code == 1 and "were rolled back" in flat and "--allow-rolled-back" in flat and "Test Engineer" in flat
    assert len(project.sim.function_versions(beta)) == versions and len(project.sim.function_versions(gamma)) == 1
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--allow-rolled-back")
    assert code == 0, out
    assert project.live_files(beta) == project.files_at(commit_b, beta)


def test_a_rollback_to_a_commit_where_the_function_was_disabled_is_refused(project: Project) -> None:
    """A clean checkout of that commit deploys nothing for it (the CLI prints "Skipping disabled
    Function" and exits 0); the staged config holds no `enabled`, so the rollback would have put
    up code the team had switched off."""
    alpha = project.names[0]
    project.playbook(names=[alpha])
    config = project.root / "supabase" / "config.toml"
    plain = config.read_text()
    config.write_text(plain + f"[functions.{alpha}]\nenabled = false\n")
    commit_a = project.commit("A: alpha switched off")
    config.write_text(plain)
    commit_b = project.commit("B: alpha back on")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    code, out = project.invoke("rollback", alpha, "--env", project.env, "--to", commit_a, "--yes")
    assert code == 2, out
    assert f"{alpha} is disabled at {commit_a[:12]}" in " ".join(out.split())
    assert project.live_files(alpha) == project.files_at(commit_b, alpha)
    assert [e["action"] for e in project.ledger()] == ["deploy"]
