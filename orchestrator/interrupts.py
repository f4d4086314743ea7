"""Signals that stop a run: Ctrl-C (SIGINT) raises KeyboardInterrupt; SIGTERM (a cancelled CI job)
and SIGHUP (a closed terminal) raise `Terminated`, so both unwind the same way: the supabase CLI's
process group is stopped, what was in flight is read back and journaled, the exit is 128+signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread. A BaseException, like KeyboardInterrupt, so no
    `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


Interrupts = (KeyboardInterrupt, Terminated)


def exit_code(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, Terminated) else 130


def describe(exc: BaseException) -> str:
    return f"stopped by {exc}" if isinstance(exc, Terminated) else "interrupted (Ctrl-C)"


@contextmanager
def handled() -> Iterator[None]:
    """SIGTERM/SIGHUP raise Terminated while the block runs (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, _frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {s: signal.signal(s, _raise) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
