"""A broken function is caught, rolled back from git, and the rest of the rollout stops."""

from __future__ import annotations

import itertools

from fn_helpers import BROKEN, Project, dump


def test_broken_second_function_is_caught_rolled_back_and_third_never_deployed(project: Project) -> None:
    alpha, beta, gamma = project.names
    commit_a = project.commit("A: three good functions")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    project.write(beta, BROKEN)
    commit_b = project.commit("B: beta throws at request time")
    project.sim.clear_request_log()

    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)

    assert code == 1, out
    assert "rolled back to " + commit_a[:12] in out and f"not deployed: {gamma}" in out, out
    # live beta is exactly commit A's files again (its folder and the shared folder it imports)
    assert project.live_files(beta) == project.files_at(commit_a, beta)
    assert [v.version for v in project.sim.function_versions(beta)] == [1, 2, 3]
    assert len(project.sim.function_versions(gamma)) == 1  # never deployed by run B
    assert len(project.sim.function_versions(alpha)) == 1  # unchanged since A and live: skipped

    events = project.journal()
    functions = [e for e in events if e["event"] == "function"]
    assert [(e["function"], e["checks"], e["decision"]) for e in functions] == [
        (alpha, "unchanged", "skip"), (beta, "fail", "r")], dump(events)
    reasons = " ".join(functions[1]["reasons"])
    assert "smoke GET" in reasons and "-> 500" in reasons  # the smoke call caught it ...
    assert "error(s) in the logs" in reasons and "is broken" in reasons  # ... and so did the logs
    [rollback] = [e for e in events if e["event"] == "rollback"]
    assert (rollback["function"], rollback["commit"], rollback["outcome"]) == (beta, commit_a, "ok")
    [step_end] = [e for e in events if e["event"] == "step_end"]
    assert step_end["status"] == "rolled_back" and events[-1]["exit_code"] == 1

    run_b = events[0]["run_id"]
    assert [(r["function_name"], r["action"], r["git_commit"], r["outcome"]) for r in project.ledger()
            if r["run_id"] == run_b] == [
        (beta, "deploy", commit_b, "rolled_back"), (beta, "rollback", commit_a, "ok")]

    # strictly one deploy at a time, each a single function, never the CLI's bulk activation
    log = project.sim.request_log()
    deploys = [r for r in log if r["endpoint"] == "functions.deploy"]
    assert len(deploys) == 2
    assert all(later["start"] >= earlier["end"] for earlier, later in itertools.pairwise(deploys))
    assert not [r for r in log if r["endpoint"] == "functions.bulk-update"]
    cli_deploys = [e["argv"] for e in events if e["event"] == "cli" and "deploy" in e["argv"]]
    assert [argv[argv.index("deploy") + 1] for argv in cli_deploys] == [beta, beta]
    assert all(argv[argv.index("deploy") + 2].startswith("--") for argv in cli_deploys)  # one name each


def test_history_lists_the_ledger_as_table_and_json(project: Project) -> None:
    alpha = project.names[0]
    project.playbook(names=[alpha])
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0

    code, out = project.invoke("history", "--env", project.env, alpha)
    assert code == 0, out
    assert alpha in out and commit_a[:12] in out and "deploy" in out and "Test Engineer" in out

    code, out = project.invoke("history", alpha, "--output", "json")  # every environment of the playbook
    assert code == 0, out
    import json

    [entry] = json.loads(out)["entries"]
    assert (entry["function_name"], entry["git_commit"], entry["outcome"], entry["platform_version"]) == (
        alpha, commit_a, "ok", 1)


def test_unchanged_functions_are_skipped_unless_their_inputs_or_settings_change(project: Project) -> None:
    alpha, beta, gamma = project.names
    project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0 and out.count("unchanged since version 1") == 3, out
    assert [len(project.sim.function_versions(n)) for n in project.names] == [1, 1, 1]
    config = project.root / "supabase" / "config.toml"
    config.write_text(config.read_text() + f"[functions.{beta}]\nverify_jwt = false\n")  # a setting only
    project.commit("B: beta without JWT verification")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    assert [len(project.sim.function_versions(n)) for n in project.names] == [1, 2, 1]
    assert project.sim.function_versions(beta)[-1].verify_jwt is False
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env, "--redeploy")[0] == 0
    assert [len(project.sim.function_versions(n)) for n in (alpha, beta, gamma)] == [2, 3, 2]
