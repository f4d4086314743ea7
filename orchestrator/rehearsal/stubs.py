"""Declared stand-ins for the extensions hosted Supabase has and this machine cannot install.

Each stub is a real PostgreSQL extension (a control file and an install script under
`sql/stubs/`) that `installation.private_installation` puts in the extension folder of a private
copy of the server, never in the system's. So `create extension pg_net` in a migration runs
unchanged, lands in `pg_extension`, owns its objects and can be dropped, and a report can name every
stub a replay used, with what it does not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["STUBS", "STUB_MARK", "Stub", "control_text"]

STUB_MARK = "STUB (supabase-orchestrator rehearsal)"  # first words of every stub's comment


@dataclass(frozen=True)
class Stub:
    name: str
    version: str  # the version hosted reports, so `extversion` checks in migrations still hold
    schema: str | None  # the control file's fixed schema; None: `with schema` (or search_path) decides
    lacks: str  # what the stub does not do, as a report says it
    relocatable: bool = False
    majors: tuple[int, ...] = (15, 17)  # hosted majors that offer the extension
    requires: tuple[str, ...] = ()

    def script(self) -> str:
        return resources.files(__package__).joinpath("sql", "stubs", f"{self.name}.sql").read_text()


def control_text(stub: Stub) -> str:
    """The extension's control file."""
    comment = f"{STUB_MARK}: {stub.lacks}".replace("'", "''")
    lines = [f"comment = '{comment}'", f"default_version = '{stub.version}'",
             "superuser = true", f"relocatable = {'true' if stub.relocatable else 'false'}"]
    if stub.schema:
        lines.append(f"schema = '{stub.schema}'")
    if stub.requires:
        lines.append(f"requires = '{', '.join(stub.requires)}'")
    return "\n".join(lines) + "\n"


STUBS: dict[str, Stub] = {s.name: s for s in (
    # pg_net's objects live in `net` whatever `with schema` says (projects write both)
    Stub("pg_net", "0.14.0", None,
         "requests are queued in net.http_request_queue, never sent; no responses arrive"),
    Stub("supabase_vault", "0.3.1", "vault", "secrets are stored as plain text, not encrypted"),
    Stub("pg_graphql", "1.5.11", "graphql", "graphql.resolve answers an error; no query runs"),
    Stub("pgjwt", "0.2.0", None, "our SQL rewrite (HS256/384/512 sign and verify), not upstream's",
         majors=(15,), requires=("pgcrypto",)),
    Stub("pg_jsonschema", "0.3.3", None, "no validation: every schema is valid, every instance matches",
         relocatable=True),
    Stub("http", "1.6", None, "calls are recorded in http_stub_requests and answered 503; nothing is sent",
         relocatable=True),
    Stub("pgmq", "1.4.4", "pgmq", "our PL/pgSQL rewrite; no partitioned queues, no notify_insert, no FIFO reads"),
    Stub("plv8", "3.1.10", "pg_catalog", "bodies are stored unchecked; calling a plv8 function fails",
         majors=(15,)),
    Stub("pg_cron", "1.6", "pg_catalog", "jobs are recorded in cron.job, never run (offered only where the "
         "server has no real pg_cron)"),
    Stub("hypopg", "1.4.1", None, "no hypothetical index is ever created (offered only where the server has "
         "no real hypopg)", relocatable=True),
    Stub("plpgsql_check", "2.7.11", None, "checks nothing, reports no finding (offered only where the server "
         "has no real plpgsql_check)", relocatable=True),
    Stub("index_advisor", "0.2.0", None, "returns no advice", relocatable=True),
    Stub("wrappers", "0.4.4", None, "FDW DDL works, nothing is fetched: any query on a foreign table fails",
         relocatable=True),
    # `supabase db dump` of a PG 15 project writes these two `create extension` lines whether or not
    # the project uses them; the stub is the extension and its schema only, so any use of one of their
    # functions fails with "function ... does not exist" (baseline.UNSTUBBABLE says why no more)
    Stub("pgsodium", "3.1.8", "pgsodium", "empty: no function, no key, nothing is encrypted", majors=(15,)),
    Stub("pg_tle", "1.4.0", "pgtle", "empty: no pgtle.install_extension, no trusted language extensions"),
)}
