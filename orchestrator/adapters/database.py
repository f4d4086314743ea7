"""Direct Postgres access (psycopg) for environments with a db_url: the one module that opens
database connections. Used for verify assertions and reading the migration history."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import StepFailed
from orchestrator.redact import Redactor

CONNECT_TIMEOUT_S = 10


def query(db_url: str, sql: str, *, redactor: Redactor, read_only: bool = True,
          timeout_s: float = 60) -> list[dict[str, Any]]:
    """Run one SQL text and return the last statement's rows as dicts.

    Read-only by default: a verify assertion must never change data.
    """
    import psycopg
    from psycopg.rows import dict_row

    options = f"-c statement_timeout={int(timeout_s * 1000)}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    try:
        with psycopg.connect(db_url, connect_timeout=CONNECT_TIMEOUT_S, options=options,
                             row_factory=dict_row, autocommit=True) as conn:
            cur = conn.execute(sql.encode())
            rows = cur.fetchall() if cur.description else []
            return [dict(r) for r in rows]
    except psycopg.Error as exc:
        raise StepFailed(f"SQL failed on {redactor(db_url)}: {redactor(str(exc)).strip()}") from None
