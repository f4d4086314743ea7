"""Direct Postgres access (psycopg) for environments with a db_url: the one module that opens
database connections. Used for verify assertions, the migration history and the deploy ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from orchestrator.errors import StepFailed
from orchestrator.redact import Redactor

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 10


class Database:
    """One connection per environment and run, opened on first use.

    A SCRAM login costs 10-30 ms; a rollback reads and writes the ledger several times, so the
    connection is kept. Every query runs in its own transaction; read-only ones (the default:
    a verify assertion must never change data) declare it, and Postgres enforces it.
    """

    def __init__(self, url: str, redactor: Redactor, timeout_s: float = 60) -> None:
        self.url, self.redactor, self.timeout_s = url, redactor, timeout_s
        self._conn: psycopg.Connection[Any] | None = None

    def query(self, sql: str, params: Sequence[Any] = (), *, read_only: bool = True) -> list[dict[str, Any]]:
        """Rows of `sql`; with `params`, one statement whose $1..$n psycopg binds (server side)."""
        import psycopg
        from psycopg.rows import dict_row

        try:
            conn = self._connect()
            with conn.transaction():
                if read_only:
                    conn.execute("set transaction read only")
                if params:
                    cur: Any = psycopg.RawCursor(conn, row_factory=dict_row)
                    cur.execute(sql, list(params))
                else:
                    cur = conn.execute(sql.encode())  # bytes: no placeholder parsing of `%` in user SQL
                return [dict(r) for r in cur.fetchall()] if cur.description else []
        except psycopg.Error as exc:
            raise StepFailed(f"SQL failed on {self.redactor(self.url)}: {self.redactor(str(exc)).strip()}") from None

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg
        from psycopg.rows import dict_row

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True,
                                         options=f"-c statement_timeout={int(self.timeout_s * 1000)}",
                                         row_factory=dict_row)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def query(db_url: str, sql: str, params: Sequence[Any] = (), *, redactor: Redactor, read_only: bool = True,
          timeout_s: float = 60) -> list[dict[str, Any]]:
    """One query on a connection of its own."""
    db = Database(db_url, redactor, timeout_s)
    try:
        return db.query(sql, params, read_only=read_only)
    finally:
        db.close()
