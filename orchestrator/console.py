"""The one module that prints. rich is imported here and nowhere else.

Text mode writes human output to stderr-free stdout with rich; JSON mode keeps stdout for
the single JSON report and sends human progress lines to stderr. Everything printed goes
through the run's Redactor first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console as RichConsole
from rich.markup import escape
from rich.table import Table

Styler = Callable[[str], str]


class Console:
    """Human output. `json_mode` moves progress to stderr so stdout holds one JSON document."""

    def __init__(self, *, json_mode: bool = False, redact: Styler = lambda s: s,
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.redact = redact
        out = stdout or sys.stdout
        err = stderr or sys.stderr
        # Off a terminal (CI logs, pipes) rich would assume 80 columns and squash the tables.
        width = None if out.isatty() else 160
        self._out = RichConsole(file=err if json_mode else out, highlight=False, soft_wrap=True, width=width)
        self._err = RichConsole(file=err, highlight=False, soft_wrap=True)
        self._raw_out = out

    @property
    def is_terminal(self) -> bool:
        return self._out.is_terminal

    def line(self, text: str = "", style: str | None = None) -> None:
        self._out.print(escape(self.redact(text)), style=style)

    def info(self, text: str) -> None:
        self.line(text)

    def step(self, text: str) -> None:
        self.line(f"==> {text}", style="bold cyan")

    def ok(self, text: str) -> None:
        self.line(f"ok  {text}", style="green")

    def warn(self, text: str) -> None:
        self._err.print(escape(self.redact(f"warning: {text}")), style="yellow")

    def error(self, text: str) -> None:
        self._err.print(escape(self.redact(f"error: {text}")), style="bold red")

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        t = Table(title=title, title_justify="left")
        for c in columns:
            t.add_column(c)
        for row in rows:
            t.add_row(*(escape(self.redact("" if v is None else str(v))) for v in row))
        self._out.print(t)

    @contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner while something slow runs (a plain line when not on a terminal)."""
        if not self._out.is_terminal:
            self.line(f"... {text}", style="dim")
            yield
            return
        with self._out.status(escape(self.redact(text))):
            yield

    def ask(self, question: str) -> str:
        """Read one line from the terminal; callers decide whether prompting is allowed."""
        return self._out.input(escape(self.redact(question)) + " ")

    def emit_json(self, payload: Any) -> None:
        self._raw_out.write(self.redact(json.dumps(payload, indent=2, default=str)) + "\n")
        self._raw_out.flush()

    def plain(self, text: str) -> None:
        """Write text to stdout as is (schema, lint reports): no markup, still redacted."""
        self._raw_out.write(self.redact(text) + ("" if text.endswith("\n") else "\n"))
        self._raw_out.flush()
