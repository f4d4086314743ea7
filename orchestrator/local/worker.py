"""One Deno process serving one deployed function version on a port of 127.0.0.1.

Deno runs with `--cached-only` and an empty DENO_DIR: imports the sandbox can't fetch
(jsr:, npm:, https:) fail at boot with Deno's own message, which lands in `function_logs`.
The process sees only the function's environment (SUPABASE_URL, keys, secrets), never ours.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from orchestrator.local.postgres import free_port

BOOT_TIMEOUT = 30.0
LogSink = Callable[[str, str], None]  # (level, message)


class BootError(Exception):
    pass


class Worker:
    def __init__(self, deno: Path, bootstrap: Path, root: Path, entry: Path, env: dict[str, str],
                 runtime: Path, sink: LogSink, import_map: Path | None = None) -> None:
        self.port = free_port()
        self.ready = threading.Event()
        self._sink = sink
        self._pid_file = runtime / "pids" / "pending"
        argv = [str(deno), "run", "--cached-only", "--no-prompt", "--no-config", "--no-lock",
                "--allow-net", "--allow-env", "--allow-sys", f"--allow-read={root},{bootstrap.parent}",
                *([f"--import-map={import_map}"] if import_map else []), str(bootstrap)]
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(runtime),
                    "DENO_DIR": str(runtime / "deno-dir"), "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1",
                    **env, "__SIM_PORT": str(self.port), "__SIM_ENTRY": entry.as_uri()}
        self.proc = subprocess.Popen(argv, env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=root, start_new_session=True)
        self._record_pid(runtime)
        threading.Thread(target=self._read_stdout, args=(self.proc.stdout,), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self.proc.stderr,), daemon=True).start()

    def _record_pid(self, runtime: Path) -> None:
        """A file per live deno pid, so `local down` can reap them if the simulator was killed."""
        self._pid_file = runtime / "pids" / str(self.proc.pid)
        self._pid_file.parent.mkdir(parents=True, exist_ok=True)
        self._pid_file.write_text("deno\n")

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.02):
            if self.proc.poll() is not None:
                self.proc.wait()
                raise BootError(f"worker exited with code {self.proc.returncode} before serving")
            if time.monotonic() > deadline:
                self.stop()
                raise BootError(f"worker did not start serving within {timeout:.0f}s")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pid_file.unlink(missing_ok=True)

    def _read_stdout(self, stream: IO[bytes] | None) -> None:
        assert stream is not None
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.startswith("\x1e"):
                self._tagged(line[1:])
            elif line:
                self._sink("log", line)

    def _tagged(self, payload: str) -> None:
        try:
            item = json.loads(payload)
        except json.JSONDecodeError:
            self._sink("log", payload)
            return
        if item.get("level") == "ready":
            self.ready.set()
        else:
            self._sink(str(item.get("level", "log")), str(item.get("msg", "")))

    def _read_stderr(self, stream: IO[bytes] | None) -> None:
        # Deno writes uncaught exceptions and boot failures here: error level, line by line.
        assert stream is not None
        for raw in stream:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self._sink("error", line)
