"""The Supabase baseline: what a hosted project's database holds before its first migration.

    baseline = apply_baseline("postgresql://postgres:...@127.0.0.1:5432/postgres", major=15)

installs into an empty database, as a superuser, the roles (`sql/roles.sql`), the schemas and the
extensions every hosted project has (`sql/schemas.sql`), the auth and storage tables
(`sql/auth_storage_tables.sql`), then functions, grants, default privileges, realtime and the
`supabase_realtime` publication (`sql/database.sql`), then the hosted extensions this server lacks
as declared stubs (`stubs.STUBS`, offered by `installation.private_installation`).
The facts come from Supabase's public image definitions (supabase/postgres), supabase/auth and
supabase/storage; the SQL is ours.

Known differences from hosted: the replay connects as a superuser named `postgres` (hosted's
`postgres` is not one; supautils grants it what migrations need), so a migration that only fails
for lack of privilege on hosted passes here; pgsodium and pg_tle are empty stubs (dumps create
them; using them fails by name); no supautils, no event triggers of the image (the grants they
would make are made directly); realtime.messages has no daily partitions (realtime makes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import psycopg

from orchestrator.rehearsal.stubs import STUB_MARK, STUBS, Stub

# PostgreSQL's error for an extension this server cannot install: the name is group 1 or 2.
MISSING_EXTENSION = re.compile(r'extension "([^"]+)" is not available|'
                               r'could not open extension control file "[^"]*/([^/"]+)\.control"')

__all__ = [
    "STUBS",
    "Baseline",
    "Installed",
    "Stub",
    "apply_baseline",
    "available_extensions",
    "diagnose_extension",
    "install_extension_or_stub",
    "installed_stubs",
]

Installed = Literal["real", "stub"]
SCRIPTS = ("roles.sql", "schemas.sql", "auth_storage_tables.sql", "database.sql")
SUPPORTED_MAJORS = (15, 17)

# Extensions a new hosted project has enabled, beyond those of schemas.sql, by major version
ENABLED: dict[int, tuple[tuple[str, str], ...]] = {
    15: (("pg_graphql", "graphql"), ("supabase_vault", "vault"), ("pgjwt", "extensions")),
    17: (("pg_graphql", "graphql"), ("supabase_vault", "vault")),
}

# Extensions hosted Supabase offers (supabase/postgres ansible/vars.yml and nix/ext); NOT_ON_17:
# those its PG 17 images dropped
HOSTED = frozenset({
    "address_standardizer", "address_standardizer_data_us", "amcheck", "autoinc", "bloom", "btree_gin",
    "btree_gist", "citext", "cube", "dblink", "dict_int", "dict_xsyn", "earthdistance", "fuzzystrmatch",
    "hstore", "http", "hypopg", "index_advisor", "insert_username", "intagg", "intarray", "isn", "lo",
    "ltree", "moddatetime", "old_snapshot", "pageinspect", "pg_buffercache", "pg_cron",
    "pg_freespacemap", "pg_graphql", "pg_hashids", "pg_jsonschema", "pg_net", "pg_partman",
    "pg_plan_filter", "pg_prewarm", "pg_repack", "pg_stat_monitor", "pg_stat_statements", "pg_surgery",
    "pg_tle", "pg_trgm", "pg_visibility", "pg_walinspect", "pgaudit", "pgcrypto", "pgjwt", "pgmq",
    "pgroonga", "pgroonga_database", "pgrouting", "pgrowlocks", "pgsodium", "pgstattuple", "pgtap",
    "plcoffee", "pljava", "plls", "plpgsql", "plpgsql_check", "plv8", "postgis", "postgis_raster",
    "postgis_sfcgal", "postgis_tiger_geocoder", "postgis_topology", "postgres_fdw", "refint", "rum",
    "safeupdate", "seg", "sslinfo", "supabase_vault", "tablefunc", "tcn", "timescaledb",
    "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp", "vector", "wal2json", "wrappers",
    "xml2",
})
NOT_ON_17 = {"timescaledb", "plv8", "plcoffee", "plls", "pgjwt"}

# Where a real one comes from on Debian 12: apt packages (PG 15 only: Debian 12 has no PG 17),
# and pgvector, which scripts/install-rehearsal builds from Debian's source package for 15 and 17
APT = {"pg_cron": "postgresql-15-cron", "postgis": "postgresql-15-postgis-3", "hypopg": "postgresql-15-hypopg",
       "plpgsql_check": "postgresql-15-plpgsql-check", "pgaudit": "postgresql-15-pgaudit",
       "pg_repack": "postgresql-15-repack", "rum": "postgresql-15-rum", "pgrouting": "postgresql-15-pgrouting",
       "pgtap": "postgresql-15-pgtap", "pg_partman": "postgresql-15-partman"}


# Hosted extensions no stub can stand in for: their point is behaviour a stub would only fake
UNSTUBBABLE = {
    "pg_tle": "installs extensions from SQL at run time through C hooks; a stub would make every "
              "`create extension` of a TLE fail later and further from the cause",
    "pgsodium": "server-side encryption with keys the server derives; a stub would store secrets unencrypted "
                "under functions that claim to encrypt",
    "timescaledb": "hypertables change how tables store and partition rows",
    "pgroonga": "a full-text index access method", "pg_hashids": "no stub written yet",
    "pg_stat_monitor": "needs shared_preload_libraries", "postgis_sfcgal": "needs the SFCGAL library",
}


@dataclass(frozen=True)
class Baseline:
    major: int
    roles: tuple[str, ...]
    schemas: tuple[str, ...]
    extensions: dict[str, Installed]  # every extension the baseline created, real or stub

    @property
    def stubs(self) -> list[str]:
        return sorted(name for name, kind in self.extensions.items() if kind == "stub")


def apply_baseline(conninfo: str, *, major: int = 15) -> Baseline:
    """Install the baseline into an empty database; needs a superuser connection."""
    if major not in SUPPORTED_MAJORS:
        raise ValueError(f"no Supabase baseline for PostgreSQL {major}: hosted runs {SUPPORTED_MAJORS}")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for script in SCRIPTS:
            with conn.transaction():
                conn.execute(_sql(script))  # our own files, no parameters
        extensions = _baseline_extensions(conn)
        for name, schema in ENABLED[major]:
            kind = install_extension_or_stub(conn, name, schema=schema)
            if kind is None:
                raise RuntimeError(f"baseline: {diagnose_extension(name, major)}")
            extensions[name] = kind
        return Baseline(major, _names(conn, "select rolname from pg_roles where rolname !~ '^pg_'"),
                        _names(conn, "select nspname from pg_namespace where nspname !~ '^(pg_|information_schema)'"),
                        extensions)


def available_extensions(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, Installed]:
    """Every extension this server can create: real, or one of our stubs (by its control comment)."""
    rows = conn.execute("select name, coalesce(comment, '') from pg_available_extensions").fetchall()
    return {str(name): ("stub" if str(comment).startswith(STUB_MARK) else "real") for name, comment in rows}


def install_extension_or_stub(conn: psycopg.Connection[tuple[object, ...]], name: str, *,
                              schema: str | None = None) -> Installed | None:
    """`create extension if not exists`; what was used, or None when the server has neither."""
    kind = available_extensions(conn).get(name)
    if kind is None:
        return None
    clause = f" with schema {_ident(schema)}" if schema and _schema_free(name) else ""
    conn.execute(f"create extension if not exists {_ident(name)}{clause} cascade")
    return kind


def installed_stubs(conn: psycopg.Connection[tuple[object, ...]]) -> list[str]:
    """The stub extensions present in the database (created by the baseline or by migrations)."""
    kinds = available_extensions(conn)
    rows = conn.execute("select extname from pg_extension order by 1").fetchall()
    return [str(name) for (name,) in rows if kinds.get(str(name)) == "stub"]


def diagnose_extension(name: str, major: int) -> str:
    """Why `create extension NAME` cannot succeed in a rehearsal, and whose problem that is."""
    if name not in HOSTED:
        return (f"extension {name!r} is not offered by Supabase: the migration fails on a hosted project too "
                "(a repository bug, or a self-hosted-only extension)")
    if major >= 17 and name in NOT_ON_17:
        return f"extension {name!r} is not offered by Supabase on PostgreSQL {major} (it is on 15)"
    if name in UNSTUBBABLE:
        return f"extension {name!r} (hosted has it) cannot be stubbed honestly: {UNSTUBBABLE[name]}"
    if name == "vector":
        return f"extension 'vector' (hosted has it) is not installed here: run scripts/install-rehearsal {major}"
    if name in APT and major == 15:
        return f"extension {name!r} (hosted has it) is not installed here: apt-get install {APT[name]}"
    if name in APT:
        return f"extension {name!r} (hosted has it) has no Debian 12 package for PostgreSQL {major}"
    return f"extension {name!r} (hosted has it) is neither installed here nor stubbed"


def _baseline_extensions(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, Installed]:
    kinds = available_extensions(conn)
    rows = conn.execute("select extname from pg_extension where extname <> 'plpgsql'").fetchall()
    return {str(name): kinds.get(str(name), "real") for (name,) in rows}


def _schema_free(name: str) -> bool:
    stub = STUBS.get(name)
    return stub is None or stub.schema is None


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath("sql", name).read_text()


def _names(conn: psycopg.Connection[tuple[object, ...]], query: str) -> tuple[str, ...]:
    return tuple(sorted(str(row[0]) for row in conn.execute(query)))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
