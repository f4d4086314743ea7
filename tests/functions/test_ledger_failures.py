"""What is live is always known (issue 12): when the ledger cannot be written right after a deploy,
the message names the live version, the journal holds it, and the next run writes it to the ledger.
The failure is real: a trigger makes Postgres refuse the insert, as a full disk or a lost
connection would."""

from __future__ import annotations

import psycopg
import pytest
from fn_helpers import Project

from orchestrator.adapters.database import Database
from orchestrator.ledger import Ledger
from orchestrator.redact import Redactor

REFUSE = """
create or replace function supabase_orchestrator.refuse() returns trigger language plpgsql as $$
begin raise exception 'could not extend file: No space left on device'; end $$;
create trigger refuse before insert on supabase_orchestrator.deploy_ledger
  for each row execute function supabase_orchestrator.refuse();
"""


def _ledger(project: Project) -> Ledger:
    db = Database(project.target.db_url, Redactor())
    return Ledger(lambda sql, params: db.query(sql, params, read_only=False), project.env)


def test_a_ledger_write_that_fails_after_a_deploy_is_reported_and_recorded_next_run(project: Project) -> None:
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit = project.commit("A")
    _ledger(project).ensure()
    with psycopg.connect(project.target.db_url, autocommit=True) as conn:
        conn.execute(REFUSE)
    try:
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    finally:
        with psycopg.connect(project.target.db_url, autocommit=True) as conn:
            conn.execute("drop trigger refuse on supabase_orchestrator.deploy_ledger")
    assert code == 1, out
    flat = " ".join(out.split())
    assert f"{alpha}: version 1 is LIVE in {project.env} but could not be written to the deploy ledger" in flat
    assert "No space left on device" in flat and "the next run on this environment writes it" in flat
    assert [len(project.sim.function_versions(n)) for n in (alpha, beta)] == [1, 0]  # stopped there
    failed_run = next(e["run_id"] for e in project.journal() if e["event"] == "run_start")
    assert any(e["event"] == "deployed" and e["function"] == alpha for e in project.journal())
    assert project.ledger() == []

    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    assert f"run {failed_run} ended leaving work to check" in out
    assert f"{alpha}: version 1 went live in that run and was not in the ledger; recorded now" in out
    rows = [(r["function_name"], r["platform_version"], r["run_id"], r["git_commit"]) for r in project.ledger()]
    assert (alpha, 1, failed_run, commit) in rows  # written late, from the failed run's journal


def test_a_deploy_the_api_cannot_confirm_is_named_and_recorded_by_the_next_run(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI deployed, but the API kept answering 404 for the function (a stale read): the version
    went live unrecorded and the message did not name the function (fault benchmark)."""
    from orchestrator import rollout

    monkeypatch.setattr(rollout, "VERSION_WAIT_S", 2.0)
    alpha, beta, _ = project.names
    project.playbook(names=[alpha, beta])
    commit = project.commit("A")
    with project.faults(("GET", f"/v1/projects/*/functions/{alpha}", 200, 404)):
        code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 1, out
    assert f"{alpha}: the CLI deployed it to {project.env}, but the API could not confirm" in " ".join(out.split())
    assert len(project.sim.function_versions(alpha)) == 1 and project.ledger() == []
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    assert f"{alpha}: version 1 went live in that run and was not in the ledger; recorded now" in out
    assert (alpha, "live", commit) in [(r["function_name"], r["outcome"], r["git_commit"]) for r in project.ledger()][:1]
