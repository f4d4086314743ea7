"""What each environment ran: one row per run and environment in the environment's own database
(next to the deploy ledger), so a promotion gate can ask staging, from any clone or CI runner,
whether this very release passed there.

A release is identified by its content: the commit plus every migration's digest and every listed
function's inputs hash (see fingerprint.tree_state). Values are bound, never spliced.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from orchestrator.ledger import Query

SCHEMA_SQL = """
create schema if not exists supabase_orchestrator;
revoke all on schema supabase_orchestrator from public;
create table if not exists supabase_orchestrator.runs (
  id bigserial primary key,
  environment text not null,
  run_id text not null,
  release text not null,
  git_commit text,
  outcome text not null,
  approved_by text,
  run_by text not null,
  finished_at timestamptz not null default now()
);
"""
RECORD_SQL = ("insert into supabase_orchestrator.runs (environment, run_id, release, git_commit, outcome, approved_by, "
              "run_by) values ($1, $2, $3, $4, $5, $6, $7)")
PASSED_SQL = ("select run_id, git_commit, run_by, approved_by, finished_at::text as finished_at "
              "from supabase_orchestrator.runs where environment = $1 and release = $2 and outcome = 'succeeded' "
              "order by id desc limit 1")
EXISTS_SQL = "select to_regclass('supabase_orchestrator.runs') is not null as present"


def release_id(tree: dict[str, Any]) -> str:
    """The content of a release: commit, migrations and function inputs (not the dirty-path list)."""
    body = {k: tree.get(k) for k in ("head", "migrations", "functions")}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Passed:
    run_id: str
    git_commit: str
    run_by: str
    approved_by: str | None
    finished_at: str


def record(query: Query, *, environment: str, run_id: str, release: str, commit: str | None, outcome: str,
           approved_by: str | None, run_by: str) -> None:
    query(SCHEMA_SQL, ())
    query(RECORD_SQL, (environment, run_id, release, commit, outcome, approved_by, run_by))


def passed(query: Query, environment: str, release: str) -> Passed | None:
    """The newest successful run of `release` in `environment`, as its own database records it."""
    if not _present(query):
        return None
    rows = query(PASSED_SQL, (environment, release))
    if not rows:
        return None
    r = rows[0]
    return Passed(str(r["run_id"]), str(r.get("git_commit") or ""), str(r["run_by"]),
                  r.get("approved_by") and str(r["approved_by"]), str(r["finished_at"]))


RECENT_SQL = ("select environment, run_id, release, git_commit, outcome, approved_by, run_by, "
              "finished_at::text as finished_at from supabase_orchestrator.runs where environment = $1 "
              "order by id desc limit $2::integer")


def recent(query: Query, environment: str, limit: int = 20) -> list[dict[str, Any]]:
    """The environment's newest runs: who ran which release, approved by whom, how it ended."""
    if not _present(query):
        return []
    return [dict(r) for r in query(RECENT_SQL, (environment, int(limit)))]


def _present(query: Query) -> bool:
    """Reading changes nothing: a database no run has recorded into has no table to read."""
    rows = query(EXISTS_SQL, ())
    return bool(rows and rows[0].get("present"))
