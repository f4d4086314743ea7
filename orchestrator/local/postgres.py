"""A throwaway PostgreSQL 15 cluster on 127.0.0.1, for tests and the local target.

`initdb` into a directory, start on a free port, stop by the postmaster's process id,
remove the directory. When running as root, the server runs as the `postgres` user
(PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from orchestrator.local.processes import terminate

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/pgsql/bin")


def find_pg_bin(program: str = "initdb") -> Path:
    """The directory holding `program` (initdb/pg_ctl/postgres, or the pg_dump/psql clients): PG_BIN,
    the PostgreSQL 15 install, then PATH."""
    for candidate in (os.environ.get("PG_BIN", ""), *PG_BIN_CANDIDATES):
        if candidate and (Path(candidate) / program).exists():
            return Path(candidate)
    found = shutil.which(program)
    if found:
        return Path(found).parent
    raise FileNotFoundError("PostgreSQL server binaries not found; install postgresql-15 or set PG_BIN")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _chown_for_server(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


@dataclass
class PostgresCluster:
    """One running cluster. Use `start()` / `stop()` or as a context manager."""

    base_dir: Path | None = None
    bin_dir: Path | None = None  # the server's binaries (default: find_pg_bin())
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    user: str = "postgres"
    port: int = 0
    pid: int = 0
    _owns_dir: bool = False

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    def url(self, database: str = "postgres") -> str:
        # the throwaway server has no TLS; the CLI (pgx) must not try it
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def start(self) -> Self:
        bin_dir = self.bin_dir or find_pg_bin()
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="orch-pg-"))
            self._owns_dir = True
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o755)
        _chown_for_server(self.base_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(bin_dir)
        self.port = self.port or free_port()
        self._pg_ctl_start(bin_dir)
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        return self

    def _initdb(self, bin_dir: Path) -> None:
        pwfile = self.base_dir / "pwfile"  # type: ignore[operator]
        pwfile.write_text(self.password + "\n")
        _chown_for_server(pwfile)
        argv = [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", self.user, "--pwfile", str(pwfile),
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]
        subprocess.run(_as_server_user(argv), check=True, capture_output=True, text=True)
        pwfile.unlink()

    def _pg_ctl_start(self, bin_dir: Path) -> None:
        sock = self.base_dir  # unix socket next to the data, never /var/run
        opts = f"-p {self.port} -h 127.0.0.1 -k {sock} -c fsync=off -c full_page_writes=off"
        argv = [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", opts, "-l",
                str(self.base_dir / "server.log"), "-w", "-t", "60", "start"]  # type: ignore[operator]
        result = subprocess.run(_as_server_user(argv), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = (self.base_dir / "server.log").read_text(errors="replace")[-2000:]  # type: ignore[operator]
            raise RuntimeError(f"postgres failed to start: {result.stderr.strip()}\n{log}")

    def stop(self, remove: bool = True) -> None:
        """Fast shutdown of the postmaster we started, then remove the data we created."""
        if self.pid:
            # SIGINT: PostgreSQL's fast shutdown
            terminate(self.pid, "postgres", sig=signal.SIGINT, timeout=30)
            self.pid = 0
        if remove and self._owns_dir and self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
