"""LocalTarget: a throwaway Postgres, the Management API simulator and the functions gateway.

`start()` runs everything detached (Postgres via pg_ctl, the simulator in its own session) and
writes `target.json` into the state dir, so another process can `attach()` and `stop()` it.
Processes are stopped by the pids we recorded, never by name.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

from orchestrator.adapters.cli_profile import write_profile
from orchestrator.files import private_dir, write_private
from orchestrator.local.client import SimClient
from orchestrator.local.keys import new_keys
from orchestrator.local.postgres import PostgresCluster
from orchestrator.local.processes import alive, terminate
from orchestrator.tools import REPO_ROOT

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class TargetInfo:
    """What target.json records (no secrets: the token lives in settings.json, mode 0600)."""

    project_ref: str
    api_url: str
    functions_url: str
    db_port: int
    simulator_pid: int
    postgres_pid: int
    postgres_dir: str
    profile: str


def _ref() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(20))


def _settings(ref: str, pg: PostgresCluster) -> dict[str, Any]:
    return {"project_ref": ref, "access_token": "sbp_" + secrets.token_hex(20), **new_keys(ref),
            "db_url": _no_tls(pg.url()), "db_port": pg.port, "functions_url": ""}


def _no_tls(url: str) -> str:
    """The throwaway cluster has no TLS; supabase 2.x refuses its URL without sslmode=disable."""
    return url if "sslmode=" in url else url + ("&" if "?" in url else "?") + "sslmode=disable"


class LocalTarget:
    def __init__(self, state_dir: Path | None = None, *, rate_limit: int = 120, rate_window: float = 60.0) -> None:
        self._owns_dir = state_dir is None
        # Absolute: the simulator runs with the state dir as its working directory.
        self.state_dir = (state_dir or Path(tempfile.mkdtemp(prefix="orch-local-"))).absolute()
        self.rate_limit, self.rate_window = rate_limit, rate_window
        self.info: TargetInfo | None = None
        self.settings: dict[str, Any] = {}
        self._client: SimClient | None = None

    def __repr__(self) -> str:
        return f"LocalTarget({self.state_dir})"

    # -- what callers use ---------------------------------------------------------------------

    @property
    def project_ref(self) -> str:
        return str(self.settings["project_ref"])

    @property
    def access_token(self) -> str:
        return str(self.settings["access_token"])

    @property
    def anon_key(self) -> str:
        return str(self.settings["anon_key"])

    @property
    def service_role_key(self) -> str:
        return str(self.settings["service_role_key"])

    @property
    def publishable_key(self) -> str:
        return str(self.settings["publishable_key"])

    @property
    def jwt_secret(self) -> str:
        return str(self.settings["jwt_secret"])

    @property
    def db_url(self) -> str:
        return str(self.settings["db_url"])

    @property
    def api_url(self) -> str:
        return self._info.api_url

    @property
    def functions_url(self) -> str:
        return self._info.functions_url

    @property
    def profile_path(self) -> Path:
        """The SUPABASE_PROFILE file that sends the supabase CLI to the simulator."""
        return Path(self._info.profile)

    @property
    def client(self) -> SimClient:
        if self._client is None:
            self._client = SimClient(self.api_url, self.access_token)
        return self._client

    def cli_env(self) -> dict[str, str]:
        """Environment for running the real supabase CLI against this target."""
        return {"SUPABASE_ACCESS_TOKEN": self.access_token, "SUPABASE_PROFILE": str(self.profile_path)}

    @property
    def _info(self) -> TargetInfo:
        if self.info is None:
            raise RuntimeError("the local target is not running (call start() or attach())")
        return self.info

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        private_dir(self.state_dir)
        # Its own temp dir: the server runs as `postgres` when we are root, and must be able to
        # reach its data even when the state dir sits under a private (0700) folder.
        pg = PostgresCluster(base_dir=Path(tempfile.mkdtemp(prefix="orch-local-pg-")))
        try:
            pg.start()
            self.settings = _settings(_ref(), pg)
            self._write_private("settings.json", self.settings)
            self.info = self._start_simulator(pg)
        except BaseException:
            pg.stop(remove=False)
            shutil.rmtree(pg.base_dir or "", ignore_errors=True)
            raise
        (self.state_dir / "target.json").write_text(json.dumps(asdict(self.info), indent=1))
        return self

    @classmethod
    def attach(cls, state_dir: Path) -> LocalTarget:
        """A handle on a target started by another process (`orchestrator local up`)."""
        target = cls(state_dir)
        target._owns_dir = False
        target.settings = json.loads((state_dir / "settings.json").read_text())
        target.info = TargetInfo(**json.loads((state_dir / "target.json").read_text()))
        return target

    def stop(self, keep: bool = False) -> None:
        """Stop what we started (by pid); remove the state dir unless keep."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.info is not None:
            terminate(self.info.simulator_pid, "orchestrator.local.simulator")
            self._reap_workers()
            if alive(self.info.postgres_pid, "postgres"):  # never signal a recycled pid
                PostgresCluster(base_dir=Path(self.info.postgres_dir), pid=self.info.postgres_pid).stop(remove=False)
            if not keep:
                shutil.rmtree(self.info.postgres_dir, ignore_errors=True)
            self.info = None
        if not keep:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def running(self) -> dict[str, bool]:
        info = self._info
        return {"simulator": alive(info.simulator_pid, "orchestrator.local.simulator"),
                "postgres": alive(info.postgres_pid, "postgres")}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(keep=not self._owns_dir and self.state_dir.exists())

    # -- internals ----------------------------------------------------------------------------

    def _write_private(self, name: str, data: dict[str, Any]) -> Path:
        path = self.state_dir / name
        return write_private(path, json.dumps(data))

    def _start_simulator(self, pg: PostgresCluster) -> TargetInfo:
        ready = self.state_dir / "ready.json"
        ready.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "orchestrator.local.simulator", "--state-dir", str(self.state_dir / "sim"),
                "--settings", str(self.state_dir / "settings.json"), "--ready-file", str(ready),
                "--rate-limit", str(self.rate_limit), "--rate-window", str(self.rate_window)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                                          os.environ.get("PYTHONPATH")]))}
        with (self.state_dir / "simulator.log").open("ab") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                    cwd=self.state_dir, start_new_session=True)
        ports = self._wait_ready(proc, ready)
        api_url = f"http://127.0.0.1:{ports['api_port']}"
        profile = write_profile(self.state_dir, api_url=api_url, project_host="localhost", name="local")
        return TargetInfo(self.project_ref, api_url, f"http://127.0.0.1:{ports['gateway_port']}/functions/v1",
                          pg.port, proc.pid, pg.pid, str(pg.base_dir), str(profile))

    def _wait_ready(self, proc: subprocess.Popen[bytes], ready: Path) -> dict[str, int]:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists() or not ready.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                terminate(proc.pid, "orchestrator.local.simulator")
                tail = (self.state_dir / "simulator.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the simulator did not start (exit {proc.poll()}):\n{tail}")
            time.sleep(0.02)
        return dict(json.loads(ready.read_text()))

    def _reap_workers(self) -> None:
        """Deno workers left behind if the simulator died without stopping them."""
        for pid_file in (self.state_dir / "sim" / "runtime" / "pids").glob("[0-9]*"):
            terminate(int(pid_file.name), "deno")
            pid_file.unlink(missing_ok=True)
