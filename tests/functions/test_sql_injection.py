"""Ledger values are bound, never spliced into SQL (issue 12). With standard_conforming_strings=off
a backslash escapes a quote, so the old quote-doubling let a git user.name end the string literal
and run its own statements, through both channels (db_url and the Management API's query)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import pytest
from fn_helpers import Project, git

from orchestrator.adapters.database import Database
from orchestrator.adapters.management_api import ManagementApi
from orchestrator.ledger import Ledger
from orchestrator.local.target import LocalTarget
from orchestrator.redact import Redactor

# ends the literal under standard_conforming_strings=off, completes the insert, drops the ledger
PAYLOAD = "Eve\\', null); drop table supabase_orchestrator.deploy_ledger; --"
Channel = Callable[[str, Sequence[Any]], list[dict[str, Any]]]


@pytest.fixture
def old_strings(target: LocalTarget) -> Iterator[None]:
    with psycopg.connect(target.db_url, autocommit=True) as conn:
        conn.execute("alter database postgres set standard_conforming_strings = off")
    try:
        yield
    finally:
        with psycopg.connect(target.db_url, autocommit=True) as conn:
            conn.execute("alter database postgres reset standard_conforming_strings")


def _channels(target: LocalTarget) -> dict[str, Channel]:
    db = Database(target.db_url, Redactor())
    api = ManagementApi(target.access_token, target.api_url)
    return {"db_url": lambda sql, params: db.query(sql, params, read_only=False),
            "api": lambda sql, params: api.run_query(target.project_ref, sql, params)}


@pytest.mark.parametrize("channel", ["db_url", "api"])
@pytest.mark.usefixtures("old_strings")
def test_quotes_and_backslashes_in_values_stay_values(target: LocalTarget, channel: str) -> None:
    query = _channels(target)[channel]
    assert query("show standard_conforming_strings", ())[0]["standard_conforming_strings"] == "off"
    env = f"inj_{channel}"
    ledger = Ledger(query, env)
    weird_fn = "fn'\\\"; --"
    entry = ledger.record(function=weird_fn, action="deploy", commit="c0ffee", content_hash="h\\'", version=3,
                          outcome="live", user=PAYLOAD, run_id="r'1\\")
    assert entry is not None
    ledger.set_outcome(entry, "ok", note="it's \\'fine\\'")
    rows = ledger.entries(weird_fn)
    assert [(r.function_name, r.deployed_by, r.content_hash, r.run_id, r.note, r.outcome) for r in rows] == [
        (weird_fn, PAYLOAD, "h\\'", "r'1\\", "it's \\'fine\\'", "ok")]
    assert ledger.entries("fn' or '1'='1") == []  # a name is a name, not a condition
    assert set(ledger.latest_all()) >= {weird_fn}


@pytest.mark.usefixtures("old_strings")
def test_a_deploy_by_a_hostile_git_user_is_recorded_as_typed(project: Project) -> None:
    alpha = project.names[0]
    project.playbook(names=[alpha])
    project.commit("A")
    git(project.root, "config", "user.name", PAYLOAD)
    code, out = project.invoke("run", "orchestrator.yaml", "--env", project.env)
    assert code == 0, out
    (row,) = project.ledger()  # the table is still there, with the one deploy
    assert row["outcome"] == "ok"
    with psycopg.connect(project.target.db_url) as conn:
        by = conn.execute("select deployed_by from supabase_orchestrator.deploy_ledger where environment = %s",
                          (project.env,)).fetchone()
    assert by is not None and by[0].startswith(PAYLOAD)
    code, out = project.invoke("history", alpha, "--env", project.env, "--playbook", "orchestrator.yaml")
    assert code == 0 and alpha in out, out
