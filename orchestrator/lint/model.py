"""The records the linter passes around: severities, rules' metadata, findings, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

STDIN = "<stdin>"  # how SQL read from stdin without a file name is shown


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


@dataclass(frozen=True)
class RuleInfo:
    """What a rule checks and why: the source of `docs/lint-rules.md` and of each finding's advice."""

    id: str
    severity: Severity
    category: str
    summary: str
    why: str
    fix: str
    bad: str
    good: str


@dataclass(frozen=True)
class Finding:
    """One problem at file:line:col (1-based). `source` is the offending line of SQL."""

    rule: str
    severity: Severity
    path: str
    line: int
    col: int
    message: str
    why: str = ""
    fix: str = ""
    rewrite: str | None = None
    source: str = ""
    end_line: int = 0

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.rule)


@dataclass(frozen=True)
class LintReport:
    """All findings of one lint run, sorted by file and position; their paths are relative to
    `root` (the folder the run was given, or the current one) when inside it."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...] = field(default_factory=tuple)
    root: Path | None = None

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)

    def exit_code(self, fail_on: str) -> int:
        """0 clean, 1 findings at or above `fail_on` (error | warning | never)."""
        if fail_on == "never":
            return 0
        return 1 if self.at_or_above(Severity(fail_on)) else 0

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}


@dataclass(frozen=True)
class Text:
    """SQL that is not read from its file (stdin, an editor's unsaved buffer), linted as if it were
    the file `path`: it takes that file's place (and name) in the set, whether or not it exists.
    Without a path it is shown as `<stdin>` and its name is not judged."""

    data: bytes
    path: Path | None = None
