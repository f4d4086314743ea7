"""The pause prompt on a real pseudo-terminal (continue, roll back, show logs, abort), and the
same playbook without a terminal: exit 4 before anything is deployed."""

from __future__ import annotations

from fn_helpers import BROKEN, Project, Terminal


def _pty_run(project: Project) -> Terminal:
    return Terminal(["run", "orchestrator.yaml", "--env", project.env], project.root, project.environ())


def test_continue_deploys_everything_even_past_a_failure(project: Project) -> None:
    alpha, beta, gamma = project.names
    project.write(beta, BROKEN)
    project.playbook(pause="each")
    commit = project.commit("B")
    term = _pty_run(project)
    term.expect(f"{alpha} deployed; checks pass. Next?")
    term.send("c")
    term.expect(f"{beta} FAILED its checks. Next?")
    term.send("c")
    term.expect(f"{gamma} deployed; checks pass. Next?")
    term.send("c")
    code, text = term.finish()
    assert code == 0, text
    assert [(r["function_name"], r["git_commit"], r["outcome"]) for r in project.ledger()] == [
        (alpha, commit, "ok"), (beta, commit, "failed"), (gamma, commit, "ok")]


def test_roll_back_at_the_pause_after_showing_the_logs(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit_a = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(beta, BROKEN)
    project.playbook(names=[alpha, beta], pause="each")
    project.commit("B")
    term = _pty_run(project)
    term.expect(f"{alpha}: unchanged since version 1")  # skipped: no deploy, no pause
    term.expect(f"{beta} FAILED its checks. Next?")
    term.send("l")
    assert "is broken" in term.expect("Next?")  # the log lines, then the question again
    term.send("r")
    code, text = term.finish()
    assert code == 1, text
    assert f"rolled back to {commit_a[:12]}" in text
    assert project.live_files(beta) == project.files_at(commit_a, beta)
    decisions = [e["decision"] for e in project.journal() if e["event"] == "function"]
    assert decisions == ["skip", "r"]


def test_abort_at_the_first_pause_stops_with_exit_4(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(pause="each")
    project.commit("A")
    term = _pty_run(project)
    term.expect(f"{alpha} deployed; checks pass. Next?")
    term.send("a")
    code, text = term.finish()
    assert code == 4, text
    assert f"stopped after {alpha}" in text
    assert project.sim.function_versions(beta) == []
    assert [r["outcome"] for r in project.ledger()] == ["ok"]  # alpha went out, and the ledger says so


def test_pause_each_without_terminal_or_yes_exits_4_before_deploying(project: Project) -> None:
    project.playbook(pause="each")
    project.commit("A")
    project.sim.clear_request_log()
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 4, out
    assert "--yes" in out and "pause: each" in out
    assert not [r for r in project.sim.request_log() if r["endpoint"] == "functions.deploy"]
    assert not [e for e in project.journal() if e["event"] == "cli"]  # not even the CLI's --version
