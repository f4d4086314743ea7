"""The rule registry: metadata per rule id, statement checkers per node kind, file checkers.

A checker is a plain function that yields `Hit`s. Importing the rule modules (see `load_rules`)
fills the registry; `engine` walks each file once and calls the checkers for each node kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.lint.config import LintConfig
from orchestrator.lint.model import RuleInfo, Severity

if TYPE_CHECKING:  # sqlfile imports pglast; the registry itself must stay cheap to import
    from orchestrator.lint.sqlfile import SqlFile, Stmt


@dataclass(frozen=True)
class Unless:
    """Drop the hit when a fact holds: `before` this statement, in this file `or_later`, or `anywhere`."""

    key: str
    scope: str = "before"
    test: str = "exists"


@dataclass(frozen=True)
class Hit:
    """One finding of a rule at a byte offset. `severity`: below the rule's own when the harm depends
    on something the linter cannot see (the message then says what)."""

    rule: str
    offset: int
    message: str
    rewrite: str | None = None
    unless: tuple[Unless, ...] = ()
    severity: Severity | None = None


@dataclass
class FileCtx:
    """What a checker may read while one file is walked in order."""

    sql: SqlFile
    cfg: LintConfig
    facts: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)

    def record(self, key: str, value: str = "") -> None:
        self.facts[key] = value
        self.events.append((key, value))


StmtCheck = Callable[["Stmt", FileCtx], Iterable[Hit]]
FileCheck = Callable[[FileCtx], Iterable[Hit]]
FactRecorder = Callable[["Stmt", FileCtx], None]

RULES: dict[str, RuleInfo] = {}
BY_KIND: dict[str, list[StmtCheck]] = {}
FACTS: dict[str, list[FactRecorder]] = {}
FILE_CHECKS: list[FileCheck] = []


def rule(id: str, severity: str, category: str, summary: str, *, why: str, fix: str,
         bad: str, good: str) -> str:
    """Register a rule's metadata; returns the id for the checker to use."""
    RULES[id] = RuleInfo(id, Severity(severity), category, summary, why.strip(), fix.strip(),
                         bad.strip(), good.strip())
    return id


def on(*kinds: str) -> Callable[[StmtCheck], StmtCheck]:
    """Register a statement checker for these node kinds (`IndexStmt`, `AlterTableStmt`, ...)."""
    def register(fn: StmtCheck) -> StmtCheck:
        for kind in kinds:
            BY_KIND.setdefault(kind, []).append(fn)
        return fn
    return register


def facts(*kinds: str) -> Callable[[FactRecorder], FactRecorder]:
    """Register a fact recorder: runs after the checkers of a statement that runs at migration time."""
    def register(fn: FactRecorder) -> FactRecorder:
        for kind in kinds:
            FACTS.setdefault(kind, []).append(fn)
        return fn
    return register


def after_file(fn: FileCheck) -> FileCheck:
    FILE_CHECKS.append(fn)
    return fn


def load_rules() -> dict[str, RuleInfo]:
    """Import every rule module once (they register themselves) and return the metadata."""
    from orchestrator.lint.rules import (  # noqa: F401
        destructive,
        files,
        locks,
        meta,
        supabase,
        tables,
        transactions,
        typing_rules,
    )
    return RULES


def new_table(table: str) -> Unless:
    """Skip when the table was created earlier in the migrations being linted (it is empty)."""
    return Unless(f"table:{table}", "new")


def new_column(table: str, column: str) -> Unless:
    return Unless(f"column:{table}.{column}", "new")


def cmds(stmt: Stmt) -> list[dict[str, Any]]:
    """The AlterTableCmd bodies of an ALTER TABLE."""
    return stmt.cmds
