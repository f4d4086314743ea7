"""The deploy ledger: every deploy and rollback, per environment and function.

Stored in the environment's own database (schema `supabase_orchestrator`, never exposed by the
REST API), written through the same channel as the migrations (db_url or the Management API's
database/query). Why there: it must be shared: another engineer with a fresh clone, or CI, must
get the same `last-good`; the database is the one place every deployer of that environment
already reaches, it needs no `git push` of notes, and it lives and dies with the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# (sql with $1..$n placeholders, their values) -> rows. Values are never spliced into SQL text: the
# database channel binds them (psycopg), the Management API's query endpoint takes `parameters`.
Query = Callable[[str, Sequence[Any]], list[dict[str, Any]]]

SCHEMA_SQL = """
create schema if not exists supabase_orchestrator;
revoke all on schema supabase_orchestrator from public;
create table if not exists supabase_orchestrator.deploy_ledger (
  id bigserial primary key,
  environment text not null,
  function_name text not null,
  action text not null check (action in ('deploy', 'rollback')),
  git_commit text not null,
  content_hash text not null,
  platform_version integer,
  dirty boolean not null default false,
  outcome text not null,
  deployed_at timestamptz not null default now(),
  deployed_by text not null,
  run_id text
);
-- 'live': the version went live and its checks have not finished (or never will: the run died).
-- 'rollback_failed': it failed, a rollback was tried and did not go live: this version still is.
-- Ledgers made by earlier versions have a narrower check: replace it, once (adding a check scans
-- the table under an exclusive lock, which no run should pay again).
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'deploy_ledger_outcome_check'
                 and conrelid = 'supabase_orchestrator.deploy_ledger'::regclass
                 and pg_get_constraintdef(oid) like '%rollback_failed%') then
    alter table supabase_orchestrator.deploy_ledger drop constraint if exists deploy_ledger_outcome_check;
    alter table supabase_orchestrator.deploy_ledger add constraint deploy_ledger_outcome_check
      check (outcome in ('live', 'ok', 'failed', 'rolled_back', 'rollback_failed'));
  end if;
end $$;
-- why an outcome was set (the reason a deploy was rolled back)
alter table supabase_orchestrator.deploy_ledger add column if not exists note text;
"""
BAD = ("rolled_back", "failed", "rollback_failed")
OUTCOMES = ("live", "ok", "failed", "rolled_back", "rollback_failed")
COLUMNS = ("id, environment, function_name, action, git_commit, content_hash, platform_version, dirty, "
           "outcome, deployed_at::text as deployed_at, deployed_by, run_id, "
           # read through the row's JSON: a ledger written before `note` existed has no such column
           "to_jsonb(deploy_ledger) ->> 'note' as note")


@dataclass(frozen=True)
class Entry:
    id: int
    environment: str
    function_name: str
    action: str
    git_commit: str
    content_hash: str
    platform_version: int | None
    dirty: bool
    outcome: str
    deployed_at: str
    deployed_by: str
    run_id: str | None
    note: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Entry:
        return cls(**{k: row.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


@dataclass
class Ledger:
    query: Query
    environment: str
    _ready: bool = False  # this process ran the DDL (creates or upgrades the table): skip it from now on
    _present: bool = False  # the table is known to exist: skip the existence check

    def ensure(self) -> None:
        if not self._ready:
            self.query(SCHEMA_SQL, ())
            self._ready = True

    def record(self, *, function: str, action: str, commit: str, content_hash: str, version: int | None,
               outcome: str, user: str, run_id: str | None, dirty: bool = False, note: str | None = None) -> int | None:
        """Insert one row; its id (None if the channel returned no rows)."""
        self.ensure()
        rows = self.query("insert into supabase_orchestrator.deploy_ledger (environment, function_name, action, "
                          "git_commit, content_hash, platform_version, dirty, outcome, deployed_by, run_id, note) "
                          "values ($1, $2, $3, $4, $5, $6::integer, $7::boolean, $8, $9, $10, $11) returning id",
                          (self.environment, function, action, commit, content_hash, version, dirty, outcome,
                           user, run_id, note))
        return int(rows[0]["id"]) if rows and rows[0].get("id") is not None else None

    def set_outcome(self, entry_id: int, outcome: str, note: str | None = None) -> None:
        """The checks of a recorded deploy finished (ok, failed, rolled_back), or it was rolled back."""
        assert outcome in OUTCOMES, outcome
        self.query("update supabase_orchestrator.deploy_ledger set outcome = $1, note = coalesce($2, note) "
                   "where id = $3::bigint and environment = $4", (outcome, note, int(entry_id), self.environment))

    def latest_all(self) -> dict[str, Entry]:
        """The newest entry of every function (what the ledger believes is live)."""
        if not self._exists():
            return {}
        rows = self.query(f"select distinct on (function_name) {COLUMNS} from supabase_orchestrator.deploy_ledger "
                          "where environment = $1 order by function_name, id desc", (self.environment,))
        return {e.function_name: e for e in map(Entry.from_row, rows)}

    def rolled_back(self) -> dict[tuple[str, str], Entry]:
        """(function, content hash) -> the newest deploy of those inputs that was rolled back."""
        if not self._exists():
            return {}
        rows = self.query(f"select distinct on (function_name, content_hash) {COLUMNS} "
                          "from supabase_orchestrator.deploy_ledger "
                          "where environment = $1 and outcome = 'rolled_back' "
                          "order by function_name, content_hash, id desc", (self.environment,))
        return {(e.function_name, e.content_hash): e for e in map(Entry.from_row, rows)}

    def entries(self, function: str | None = None, limit: int = 200) -> list[Entry]:
        if not self._exists():
            return []
        rows = self.query(f"select {COLUMNS} from supabase_orchestrator.deploy_ledger "
                          "where environment = $1 and ($2::text is null or function_name = $2) "
                          "order by id desc limit $3::integer", (self.environment, function or None, int(limit)))
        return [Entry.from_row(r) for r in rows]

    def last_good(self, function: str) -> Entry | None:
        """The newest good deploy before the current (newest) one, with different content."""
        history = self.entries(function)
        if not history:
            return None
        current = history[0]
        bad = {e.content_hash for e in history if e.outcome in BAD}  # never back to inputs that failed
        return next((e for e in history[1:] if e.outcome == "ok" and not e.dirty
                     and e.content_hash != current.content_hash and e.content_hash not in bad), None)

    def last_ok(self, function: str) -> Entry | None:
        return next((e for e in self.entries(function) if e.outcome == "ok" and not e.dirty), None)

    def last_ok_all(self) -> dict[str, Entry]:
        """last_ok of every function, in one query (the functions step reads them all up front)."""
        if not self._exists():
            return {}
        rows = self.query(f"select distinct on (function_name) {COLUMNS} from supabase_orchestrator.deploy_ledger "
                          "where environment = $1 and outcome = 'ok' and not dirty "
                          "order by function_name, id desc", (self.environment,))
        return {e.function_name: e for e in map(Entry.from_row, rows)}

    def _exists(self) -> bool:
        """Reading must not create the schema (plan and history change nothing). That the table
        exists says nothing of its version: the first write still runs the DDL, which upgrades it."""
        if not (self._ready or self._present):
            found = self.query("select to_regclass('supabase_orchestrator.deploy_ledger') is not null as present", ())
            self._present = bool(found and found[0].get("present"))
        return self._ready or self._present
