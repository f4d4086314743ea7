"""The log check on the live logs endpoint: an error the smoke call cannot see is caught; the logs
API failing is a check result (never a crash with a live, unrecorded version); one token per
environment."""

from __future__ import annotations

import json
import shutil

import pytest
from fn_helpers import Project

from orchestrator.local.target import LocalTarget

# Answers 200 (the smoke call passes) but logs an error: only the log check can see it.
QUIETLY_BROKEN = ('import { greet } from "../_shared/greet.ts";\n'
                  'Deno.serve((_req) => {{ console.error("{name}: payment provider rejected the key"); '
                  'return new Response(greet("{name}")); }});\n')


def test_an_error_only_the_logs_show_is_caught_and_rolled_back(project: Project) -> None:
    alpha, beta, gamma = project.names
    good = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(beta, QUIETLY_BROKEN)
    project.commit("B: beta logs an error")
    project.sim.clear_request_log()
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 1, out
    assert "payment provider rejected the key" in " ".join(out.split())
    assert project.live_files(beta) == project.files_at(good, beta)  # rolled back to A
    assert len(project.sim.function_versions(gamma)) == 1  # never touched by the second run
    endpoints = [r["endpoint"] for r in project.sim.request_log()]
    assert "logs.get" in endpoints and "logs.all" not in endpoints
    outcomes = [(r["function_name"], r["action"], r["outcome"]) for r in project.ledger()][3:]
    assert outcomes == [(beta, "deploy", "rolled_back"), (beta, "rollback", "ok")]  # alpha unchanged: skipped
    assert len(project.sim.function_versions(alpha)) == 1


@pytest.mark.parametrize("on_failure, inconclusive, code, outcome", [
    ("continue", "pass", 0, "ok"),  # inconclusive passes (with a warning) by default
    ("abort", "fail", 1, "failed"),  # the playbook says inconclusive fails: on_failure decides
])
def test_the_logs_api_failing_is_a_check_result_and_the_version_is_recorded(
        project: Project, on_failure: str, inconclusive: str, code: int, outcome: str) -> None:
    alpha, beta, _ = project.names
    path = project.playbook(names=[alpha, beta], on_failure=on_failure)
    path.write_text(path.read_text().replace("logs: {window: 60s, max_errors: 0}",
                                             f"logs: {{window: 60s, max_errors: 0}}\n        inconclusive: {inconclusive}"))
    project.commit("A")
    with project.faults(("GET", "/v1/projects/*/analytics/endpoints/logs", 50, 500)):
        got, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert got == code, out
    assert "could not read the logs" in " ".join(out.split())
    ledger = project.ledger()
    assert (ledger[0]["function_name"], ledger[0]["outcome"]) == (alpha, outcome)
    assert ledger[0]["platform_version"] == project.sim.function_versions(alpha)[-1].version
    journal = project.journal()
    assert [e["function"] for e in journal if e["event"] == "deployed"][:1] == [alpha]
    assert any(e["event"] == "log_check_error" for e in journal)
    assert "Traceback" not in out


def test_each_environment_uses_its_own_token(project: Project, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Two projects that accept different tokens, in one `run --env a --env b`."""
    alpha = project.names[0]
    state = tmp_path_factory.mktemp("second-target")
    state.chmod(0o755)
    second = LocalTarget(state / "state").start()
    try:
        first = project.target
        (project.root / "orchestrator.yaml").write_text(_two_env_playbook(alpha))
        project.commit("A")
        environ = {"A_REF": first.project_ref, "A_API": first.api_url, "A_FN": first.functions_url,
                   "A_DB": first.db_url, "A_TOKEN": first.access_token,
                   "B_REF": second.project_ref, "B_API": second.api_url, "B_FN": second.functions_url,
                   "B_DB": second.db_url, "B_TOKEN": second.access_token,
                   "SUPABASE_ACCESS_TOKEN": "sbp_" + "9" * 40}  # the fallback, accepted by neither
        first.client.clear_request_log()
        code, out = project.invoke("run", "orchestrator.yaml", "--env", "a", "--env", "b", **environ)
        assert code == 0, out
        for target in (first, second):
            log = target.client.request_log()
            assert log and not [r for r in log if r["status"] == 401], log
            assert len(target.client.function_versions(alpha)) == 1
        assert first.access_token not in out and second.access_token not in out
    finally:
        second.stop()
        shutil.rmtree(state, ignore_errors=True)


def test_a_rejected_token_names_its_variable(project: Project) -> None:
    (project.root / "orchestrator.yaml").write_text(_two_env_playbook(project.names[0]))
    project.commit("A")
    t = project.target
    code, out = project.invoke("run", "orchestrator.yaml", "--env", "a", A_REF=t.project_ref, A_API=t.api_url,
                               A_FN=t.functions_url, A_DB=t.db_url, A_TOKEN="sbp_" + "8" * 40,
                               B_REF="x" * 20, B_API=t.api_url, B_FN="", B_DB="", B_TOKEN="")
    assert code == 1, out
    assert "A_TOKEN (environments.a.access_token) was rejected" in " ".join(out.split())
    assert "8" * 40 not in out


def test_a_literal_token_in_the_playbook_is_refused(project: Project) -> None:
    path = project.playbook()
    path.write_text(path.read_text().replace("    db_url: ${DB_URL}\n",
                                             "    db_url: ${DB_URL}\n    access_token: sbp_abc\n"))
    code, out = project.invoke("validate", "orchestrator.yaml")
    assert code == 2
    assert "orchestrator.yaml:9: environments." in out and "access_token: write the token as ${VARIABLE}" in out
    assert "sbp_abc" not in out


def _two_env_playbook(name: str) -> str:
    envs = "".join(f"""
  {e}:
    project_ref: ${{{e.upper()}_REF}}
    api_url: ${{{e.upper()}_API}}
    functions_url: ${{{e.upper()}_FN:-https://x.test}}
    db_url: ${{{e.upper()}_DB:-postgresql://u@127.0.0.1:1/x}}
    access_token: ${{{e.upper()}_TOKEN}}""" for e in ("a", "b"))
    return f"""version: 1
name: two-accounts
environments:{envs}
steps:
  - functions:
      names: [{name}]
      checks: {{settle: 0s, smoke: {{method: GET}}}}
      pause: never
"""


# The CLI (3.1.0, measured) exits 0 on a deploy that lacks an imported file, and only prints
# "WARN: failed to read file: open ...: no such file or directory".
MISSING_IMPORT = ('import { greet } from "../_shared/greet.ts";\n'
                  'import { extra } from "../_shared/not-committed.ts";\n'
                  'Deno.serve((_req) => new Response(greet("{name}") + extra));\n')


def test_an_incomplete_upload_is_a_failed_deploy_even_without_checks(project: Project) -> None:
    alpha, beta, _ = project.names
    path = project.playbook(names=[alpha, beta])
    path.write_text(path.read_text().replace("        smoke: {method: GET}\n", "").replace(
        "        logs: {window: 60s, max_errors: 0}\n", ""))
    good = project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(alpha, MISSING_IMPORT)
    project.commit("B: alpha imports a file nobody committed")
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 1, out
    flat = " ".join(out.split())
    assert "could not upload every file" in flat and "_shared/not-committed.ts" in flat
    assert project.live_files(alpha) == project.files_at(good, alpha)  # rolled back
    assert [(r["function_name"], r["outcome"]) for r in project.ledger()][2:] == [
        (alpha, "rolled_back"), (alpha, "ok")]
    assert len(project.sim.function_versions(beta)) == 1


def test_continue_moves_on_and_the_run_fails_with_every_result(project: Project) -> None:
    """on_failure: continue: a failed deploy and a failed check both move on; the run exits 1 and
    the JSON report lists every function's result."""
    alpha, beta, gamma = project.names
    project.playbook(on_failure="continue")
    project.commit("A")
    assert project.invoke("run", "orchestrator.yaml", "--env", project.env)[0] == 0
    project.write(beta, QUIETLY_BROKEN)
    project.commit("B: beta logs errors")
    with project.faults(("POST", "/v1/projects/*/functions/deploy", 1, 400)):  # alpha's deploy is refused
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env, "--output", "json",
                                   "--redeploy")
    assert code == 1, out
    report = json.loads(out[out.index('{\n  "report_version"'):])
    [step] = [s for s in report["steps"] if s["kind"] == "functions"]
    results = {r["function"]: (r["checks"], r["failed"]) for r in step["details"]["functions"]}
    assert results == {alpha: ("deploy failed", True), beta: ("fail", True), gamma: ("pass", False)}
    assert step["status"] == "failed" and "2 of 3 function(s) failed" in step["summary"]
    assert len(project.sim.function_versions(gamma)) == 2  # deployed after both failures
