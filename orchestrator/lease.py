"""One deployer per environment: a lease in the environment's own database, next to the ledger.

Kept where every deployer of the environment already reaches (db_url, else the Management API's
query endpoint), so two CI runners or two engineers on different machines see the same lease. A
holder renews it every HEARTBEAT_S; a holder that died stops renewing and the lease expires after
TTL_S. Values are bound as parameters, never spliced into SQL.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import OrchestratorError, StoppedByHuman
from orchestrator.ledger import Query

TTL_S = 120
HEARTBEAT_S = 30.0
POLL_S = 2.0

SCHEMA_SQL = """
create schema if not exists supabase_orchestrator;
revoke all on schema supabase_orchestrator from public;
create table if not exists supabase_orchestrator.lease (
  environment text primary key,
  holder text not null,
  host text not null,
  run_id text not null,
  started timestamptz not null default now(),
  heartbeat timestamptz not null default now(),
  expires timestamptz not null
);
-- which process on which machine boot holds it: a holder killed on this very machine is known dead
alter table supabase_orchestrator.lease add column if not exists pid integer;
alter table supabase_orchestrator.lease add column if not exists boot_id text;
"""
# Take the lease when it is free, expired, or already ours (a resumed run of the same id).
ACQUIRE_SQL = """
insert into supabase_orchestrator.lease as l (environment, holder, host, run_id, expires, pid, boot_id)
values ($1, $2, $3, $4, now() + make_interval(secs => $5::int), $6::int, $7)
on conflict (environment) do update
  set holder = excluded.holder, host = excluded.host, run_id = excluded.run_id, started = now(),
      heartbeat = now(), expires = excluded.expires, pid = excluded.pid, boot_id = excluded.boot_id
  where l.expires < now() or l.run_id = excluded.run_id
returning run_id
"""
HOLDER_SQL = ("select holder, host, run_id, started::text as started, heartbeat::text as heartbeat, "
              "expires::text as expires, expires < now() as expired, to_jsonb(lease) ->> 'pid' as pid, "
              "to_jsonb(lease) ->> 'boot_id' as boot_id from supabase_orchestrator.lease where environment = $1")
DEAD_SQL = "delete from supabase_orchestrator.lease where environment = $1 and run_id = $2"
RENEW_SQL = ("update supabase_orchestrator.lease set heartbeat = now(), expires = now() + make_interval(secs => $3::int) "
             "where environment = $1 and run_id = $2 returning run_id")
RELEASE_SQL = "delete from supabase_orchestrator.lease where environment = $1 and run_id = $2"
BREAK_SQL = "delete from supabase_orchestrator.lease where environment = $1 returning run_id"


@dataclass(frozen=True)
class Holder:
    holder: str
    host: str
    run_id: str
    started: str
    heartbeat: str
    expires: str
    pid: str = ""
    boot_id: str = ""

    def dead_here(self) -> bool:
        """Held by a process of this machine's current boot that no longer exists (killed, crashed)."""
        if not self.pid.isdigit() or not self.boot_id or self.boot_id != boot_id():
            return False
        try:
            os.kill(int(self.pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        return (f"{self.holder} on {self.host}, run {self.run_id}, since {self.started[:19]} "
                f"(last heartbeat {self.heartbeat[:19]}, expires {self.expires[:19]})")


class Lease:
    """`with Lease(...).held(timeout):` runs the block as the environment's only deployer."""

    def __init__(self, query: Query, environment: str, run_id: str, user: str | None = None) -> None:
        self.query, self.environment, self.run_id = query, environment, run_id
        self.user = user or getpass.getuser()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: str | None = None  # why the heartbeat failed, if it did
        self.taken_over: Holder | None = None  # a dead holder on this machine whose lease was taken

    def acquire(self, timeout: float, on_wait: Callable[[Holder], None] | None = None) -> None:
        """Take the lease, waiting up to `timeout` seconds; StoppedByHuman (exit 4) naming the holder."""
        self.query(SCHEMA_SQL, ())
        deadline = time.monotonic() + max(timeout, 0.0)
        told = False
        while True:
            rows = self.query(ACQUIRE_SQL, (self.environment, self.user, socket.gethostname(), self.run_id, TTL_S,
                                            os.getpid(), boot_id()))
            if rows:
                break
            holder = self.holder()
            if holder is None:
                continue  # released between the two queries: try again at once
            if holder.dead_here():
                self.query(DEAD_SQL, (self.environment, holder.run_id))
                self.taken_over = holder
                continue
            if time.monotonic() >= deadline:
                raise StoppedByHuman(
                    f"{self.environment} is being deployed by {holder.describe()}. Wait for it (--lock-timeout "
                    f"SECONDS waits), or if that run is dead and you are sure, `orchestrator unlock --env "
                    f"{self.environment}`; an abandoned lease expires {TTL_S}s after its last heartbeat")
            if on_wait is not None and not told:
                on_wait(holder)
                told = True
            time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0.05)))
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"lease-{self.environment}")
        self._thread.start()

    def holder(self) -> Holder | None:
        rows = self.query(HOLDER_SQL, (self.environment,))
        if not rows:
            return None
        row = rows[0]
        return Holder(*(str(row.get(k) or "") for k in ("holder", "host", "run_id", "started", "heartbeat", "expires",
                                                         "pid", "boot_id")))

    @property
    def held(self) -> bool:
        return self._thread is not None

    def release(self) -> None:
        if not self.held:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.query(RELEASE_SQL, (self.environment, self.run_id))
        except OrchestratorError:
            pass  # it expires on its own

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                if not self.query(RENEW_SQL, (self.environment, self.run_id, TTL_S)):
                    self.lost = "the lease was broken by someone else"
                    return
            except OrchestratorError as exc:  # a blip: the next beat may work; the TTL gives room
                self.lost = str(exc)


def boot_id() -> str:
    """This machine's current boot (Linux); empty elsewhere, which never matches."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def break_lease(query: Query, environment: str) -> str | None:
    """Remove the environment's lease (after a human confirmed); the run id it belonged to."""
    query(SCHEMA_SQL, ())
    rows = query(BREAK_SQL, (environment,))
    return str(rows[0]["run_id"]) if rows else None

