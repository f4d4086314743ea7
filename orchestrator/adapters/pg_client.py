"""The PostgreSQL client programs (pg_dump, pg_restore, psql): found once, run with the password
in PGPASSWORD (never in argv), their errors redacted and explained.

A server newer than the local client cannot be dumped by it: that is a clear error naming the
package to install.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from orchestrator.errors import InputError, StepFailed


def client_bin(what: str) -> Path:
    """The folder of pg_dump/pg_restore/psql (PG_BIN, the PostgreSQL 15 install, then PATH)."""
    from orchestrator.local.postgres import find_pg_bin

    try:
        return find_pg_bin("pg_dump")
    except FileNotFoundError:
        raise InputError(f"{what}: pg_dump not found; install the PostgreSQL client (postgresql-client-15) or "
                         "set PG_BIN") from None


def password(url: str) -> str | None:
    pw = urlsplit(url).password
    return unquote(pw) if pw else None


def without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1@", url)


def run_pg(binary: Path, args: list[str], url: str, *, redact: Callable[[str], str], timeout: float,
           what: str) -> subprocess.CompletedProcess[str]:
    """Run a client program against `url` (given in args without its password)."""
    env = {**os.environ, "PGPASSWORD": password(url) or "", "PGCONNECT_TIMEOUT": "10"}
    try:
        done = subprocess.run([str(binary), *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{what}: {binary.name} did not finish within {timeout:g}s") from None
    if done.returncode != 0:
        error = redact(done.stderr.strip())
        newer = re.search(r"server version: (\d+)[.\d]*; \S+ version: (\d+)", error)
        if newer:
            raise InputError(f"{what}: the server runs PostgreSQL {newer.group(1)}, the local {binary.name} is "
                             f"{newer.group(2)}: install postgresql-client-{newer.group(1)} or set PG_BIN")
        raise StepFailed(f"{what}: {binary.name} exited {done.returncode}: {error[-800:]}")
    return done
