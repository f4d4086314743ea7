"""The one exception tree of the orchestrator.

    OrchestratorError            exit 3: a bug or an unexpected state (the default)
    ├── InputError               exit 2: bad playbook, flags, environment or project layout
    │   └── PlaybookError        ... with file, line and key path
    ├── StepFailed               exit 1: a deploy, a check, a migration failed
    │   ├── CommandFailed        ... a subprocess exited non-zero (redacted argv, code, tail)
    │   └── ApiError             ... the Management API answered an error
    ├── StoppedByHuman           exit 4: a human stopped, an approval was refused, a pause timed out
    └── UnsafeCommandError       exit 3: code asked the CLI adapter for a refused command

Every message says what failed, where, and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence


class OrchestratorError(Exception):
    exit_code = 3


class InputError(OrchestratorError):
    exit_code = 2


class PlaybookError(InputError):
    """A playbook problem located at `file:line: key.path: message`."""

    def __init__(self, file: str, line: int | None, path: str, message: str) -> None:
        self.file, self.line, self.path, self.message = file, line, path, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


class StepFailed(OrchestratorError):
    exit_code = 1


class CommandFailed(StepFailed):
    """A subprocess failed. All fields are already redacted."""

    def __init__(self, argv: Sequence[str], returncode: int, output_tail: str, hint: str = "") -> None:
        self.argv, self.returncode, self.output_tail, self.hint = list(argv), returncode, output_tail, hint
        msg = f"`{' '.join(argv)}` exited with {returncode}"
        if output_tail.strip():
            msg += ":\n" + output_tail.rstrip()
        if hint:
            msg += f"\nhint: {hint}"
        super().__init__(msg)


class ApiError(StepFailed):
    """The Management API answered with an error; the message names endpoint and status."""

    def __init__(self, method: str, endpoint: str, status: int | None, detail: str) -> None:
        self.method, self.endpoint, self.status, self.detail = method, endpoint, status, detail
        code = status if status is not None else "no response"
        super().__init__(f"Management API {method} {endpoint} -> {code}: {detail}")


class StoppedByHuman(OrchestratorError):
    exit_code = 4


class UnsafeCommandError(OrchestratorError):
    """The supabase CLI adapter refused to run a command (db reset, --prune, ...)."""
