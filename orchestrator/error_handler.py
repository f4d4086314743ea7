"""Turn exceptions into exit codes (pre-commit style): input 2, step 1, human 4, ^C 130, bug 3.

A bug writes a log with versions and the traceback, so a user can attach it to a report.
"""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from orchestrator import __version__, interrupts
from orchestrator.console import Console
from orchestrator.errors import InputError, OrchestratorError
from orchestrator.files import private_dir, write_private
from orchestrator.redact import redact_known

REPORT_VERSION = 1  # of every --output json document; bump on an incompatible change
OUTCOMES = {0: "succeeded", 1: "failed", 2: "bad input", 3: "internal error", 4: "stopped"}
CRASH_LOG = Path.home() / ".cache" / "supabase-orchestrator" / "crash.log"


def guarded(ui: Console, action: Callable[[], int], *, command: str | None = None, debug: bool = False) -> int:
    """Run `action`; map what it raises to an exit code. With --output json, stdout gets exactly one
    JSON document whatever happens: the command's own, else one saying how it ended."""
    code, error = _exit_code(ui, action, debug)
    if ui.json_mode and not ui.emitted:
        ui.emit_json(ended(command, code, error))
    return code


def ended(command: str | None, code: int, error: str | None) -> dict[str, object]:
    """The JSON document of a command that wrote none of its own: how it ended."""
    return {"report_version": REPORT_VERSION, "command": command, "orchestrator": __version__,
            "exit_code": code, "outcome": outcome(code), "error": error}


def outcome(code: int) -> str:
    return OUTCOMES.get(code, "interrupted" if code > 128 else "internal error")


def _exit_code(ui: Console, action: Callable[[], int], debug: bool) -> tuple[int, str | None]:
    try:
        with interrupts.handled():
            return action(), None
    except OrchestratorError as exc:
        ui.error(str(exc))
        return exc.exit_code, ui.redact(str(exc))
    except interrupts.Interrupts as exc:
        ui.error(interrupts.describe(exc))
        return interrupts.exit_code(exc), interrupts.describe(exc)
    except BrokenPipeError:  # `orchestrator ... | head`: the reader left; say nothing more, as cat does
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141, "stdout closed"
    except Exception as exc:  # noqa: BLE001 - the last line of defence: log it, exit 3
        log = _write_crash_log(ui)
        if debug:
            ui.error(redact_known(ui.redact(traceback.format_exc())))
        message = redact_known(ui.redact(f"internal error: {type(exc).__name__}: {exc}. Details: {log}. "
                                         "Please report it."))
        ui.error(message)
        return 3, message


def _write_crash_log(ui: Console) -> Path:
    """The traceback, redacted twice over: the run's secrets and every secret this process saw
    (the traceback's messages may carry a key read a moment before the crash). Mode 0600."""
    text = (f"orchestrator {__version__}\npython {sys.version}\nplatform {platform.platform()}\n"
            f"argv {sys.argv}\n\n{traceback.format_exc()}")
    text = redact_known(ui.redact(text))
    try:
        private_dir(CRASH_LOG.parent)
        write_private(CRASH_LOG, text)
    except InputError:
        return Path("(no crash log: cannot write " + str(CRASH_LOG) + ")")
    return CRASH_LOG
