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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.playbook.source import Located


class OrchestratorError(Exception):
    exit_code = 3


class InputError(OrchestratorError):
    exit_code = 2


class PlaybookError(InputError):
    """Playbook problems, each located as `file:line: key.path: message` (one per line)."""

    def __init__(self, file: str, problems: Sequence[Located]) -> None:
        self.file, self.problems = file, list(problems)
        lines = [_located(file, p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"{file}: ... and {len(self.problems) - MAX_PROBLEMS} more problem(s)")
        super().__init__("\n".join(lines))


MAX_PROBLEMS = 50  # a file with 20,000 bad values once produced an 8 MB message
MAX_LINE = 400
_UNPRINTABLE = {c: f"\\x{c:02x}" for c in (*range(32), *range(0x7f, 0xa0))} | {0x2028: "\\u2028",
                                                                                  0x2029: "\\u2029"}


def _located(file: str, problem: Located) -> str:
    """One line per problem, whatever keys and values hold (line breaks, control characters)."""
    where = f"{file}:{problem.line}" if problem.line else file
    text = f"{where}: {problem.path}: {problem.message}" if problem.path else f"{where}: {problem.message}"
    text = text.translate(_UNPRINTABLE)
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + "..."


class StepFailed(OrchestratorError):
    exit_code = 1
    details: dict[str, Any] = {}  # noqa: RUF012 - what the step measured before failing (the run report)

    def with_details(self, details: dict[str, Any]) -> StepFailed:
        self.details = details
        return self


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
