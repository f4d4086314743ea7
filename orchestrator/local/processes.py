"""Stopping the processes the local target started: by pid, never by name, and only while the
pid still runs the program we started (a pid can be reused once ours has exited)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def alive(pid: int, marker: str) -> bool:
    """True if pid runs and its command line mentions marker (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1]
    except OSError:
        return False
    return marker in cmdline and not state.startswith("Z")


def terminate(pid: int, marker: str, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send `sig`, wait up to `timeout`, then SIGKILL; reap it if it is our child."""
    if not alive(pid, marker):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid, marker):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    try:  # our own child: collect its exit status so it leaves no zombie
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
