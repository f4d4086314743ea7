"""Unit tests: the ledger's last-good choice (on a real Postgres) and dirty detection."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from orchestrator.adapters import database
from orchestrator.ledger import Ledger
from orchestrator.redact import Redactor


@pytest.fixture
def ledger(fresh_db: str) -> Ledger:
    return Ledger(lambda sql, params: database.query(fresh_db, sql, params, redactor=Redactor(), read_only=False),
                  "staging")


def _add(ledger: Ledger, commit: str, content: str, outcome: str = "ok", *, action: str = "deploy",
         dirty: bool = False, function: str = "f") -> None:
    ledger.record(function=function, action=action, commit=commit, content_hash=content, version=None,
                  outcome=outcome, user="me", run_id="r", dirty=dirty)


def test_empty_ledger_reads_without_creating_the_schema(ledger: Ledger) -> None:
    assert ledger.entries() == [] and ledger.last_good("f") is None and ledger.last_ok("f") is None
    assert ledger.query("select to_regclass('supabase_orchestrator.deploy_ledger') is null as absent", ()) == [
        {"absent": True}]


def test_last_good_is_the_newest_ok_deploy_before_the_current_with_other_content(ledger: Ledger) -> None:
    _add(ledger, "c1", "h1")
    _add(ledger, "c2", "h2")
    _add(ledger, "c3", "h3")
    assert ledger.last_good("f").git_commit == "c2"  # type: ignore[union-attr]


def test_last_good_skips_failed_rolled_back_dirty_and_same_content(ledger: Ledger) -> None:
    _add(ledger, "c1", "h1")
    _add(ledger, "c2", "h2", "failed")
    _add(ledger, "c3", "h3", "rolled_back")
    _add(ledger, "c4", "h4", dirty=True)  # not reproducible from git
    _add(ledger, "c5", "h5")
    _add(ledger, "c6", "h5")  # same files as the current one: rolling back to it changes nothing
    _add(ledger, "c6", "h5")
    assert ledger.last_good("f").git_commit == "c1"  # type: ignore[union-attr]


def test_after_a_rollback_last_good_is_the_one_before_it(ledger: Ledger) -> None:
    _add(ledger, "c1", "h1")
    _add(ledger, "c2", "h2")
    _add(ledger, "c3", "h3", "rolled_back")
    _add(ledger, "c2", "h2", action="rollback")
    assert ledger.last_good("f").git_commit == "c1"  # type: ignore[union-attr]
    assert ledger.last_ok("f").action == "rollback"  # type: ignore[union-attr]


def test_functions_and_environments_are_kept_apart(ledger: Ledger) -> None:
    _add(ledger, "c1", "h1")
    _add(ledger, "c2", "h2", function="other")
    production = Ledger(ledger.query, "production")
    _add(production, "p1", "h9")
    _add(ledger, "c3", "h3")
    assert ledger.last_good("f").git_commit == "c1"  # type: ignore[union-attr]
    assert production.last_good("f") is None and [e.git_commit for e in production.entries()] == ["p1"]


def test_quotes_in_values_are_stored_literally(ledger: Ledger) -> None:
    ledger.record(function="f", action="deploy", commit="c1", content_hash="h", version=3, outcome="ok",
                  user="O'Brien <ob@example.com>'); drop table x; --", run_id=None)
    [entry] = ledger.entries("f")
    assert entry.deployed_by.startswith("O'Brien") and entry.platform_version == 3 and entry.run_id is None


def test_last_ok_all_matches_last_ok_per_function(ledger: Ledger) -> None:
    assert ledger.last_ok_all() == {}
    _add(ledger, "c1", "h1")
    _add(ledger, "c2", "h2", "failed")
    _add(ledger, "o1", "h1", function="other", dirty=True)
    _add(ledger, "o2", "h2", function="other")
    _add(ledger, "o3", "h3", "rolled_back", function="other")
    found = ledger.last_ok_all()
    assert {k: v.git_commit for k, v in found.items()} == {"f": "c1", "other": "o2"}
    assert found == {"f": ledger.last_ok("f"), "other": ledger.last_ok("other")}


def test_dirty_detection_matches_folders_not_prefixes() -> None:
    from orchestrator.steps.functions import _touches

    paths = ["supabase/functions/create-task", "supabase/functions/_shared"]
    assert _touches(["supabase/functions/create-task/index.ts"], paths)
    assert _touches(["supabase/functions/_shared/respond.ts"], paths)
    assert not _touches(["supabase/functions/create-task-v2/index.ts"], paths)
    assert not _touches(["README.md"], paths)


def test_a_ledger_from_the_previous_version_is_upgraded_once(fresh_db: str) -> None:
    """Its outcome check lacked 'live' and it had no note column; reads work before the upgrade."""
    def run(sql: str, params: Sequence[object] = ()) -> list[dict[str, object]]:
        return database.query(fresh_db, sql, params, redactor=Redactor(), read_only=False)

    run("create schema supabase_orchestrator; create table supabase_orchestrator.deploy_ledger ("
        "id bigserial primary key, environment text not null, function_name text not null, action text not null,"
        " git_commit text not null, content_hash text not null, platform_version integer,"
        " dirty boolean not null default false,"
        " outcome text not null check (outcome in ('ok', 'failed', 'rolled_back')),"
        " deployed_at timestamptz not null default now(), deployed_by text not null, run_id text);"
        "insert into supabase_orchestrator.deploy_ledger (environment, function_name, action, git_commit,"
        " content_hash, outcome, deployed_by) values ('staging', 'f', 'deploy', 'c0', 'h0', 'ok', 'me')")
    old = Ledger(run, "staging")
    assert [(e.git_commit, e.note) for e in old.entries()] == [("c0", None)]
    _add(old, "c1", "h1", "live")
    _add(old, "c2", "h2", "rollback_failed")  # the outcome this version added
    oid = run("select oid from pg_constraint where conname = 'deploy_ledger_outcome_check'")[0]["oid"]
    Ledger(run, "staging").ensure()  # a later run: the constraint is left alone
    assert run("select oid from pg_constraint where conname = 'deploy_ledger_outcome_check'")[0]["oid"] == oid
