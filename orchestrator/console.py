"""The one module that prints. rich is imported here and nowhere else.

Text mode writes human output to stdout; JSON mode keeps stdout for the single JSON report and
sends human progress lines to stderr. Everything printed goes through the run's Redactor first.
Off a terminal, lines are written as plain text (rich would strip the styles anyway), so a
command that prints no table never pays for importing rich (~30 ms of start-up).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from orchestrator.redact import redact_known

if TYPE_CHECKING:
    from rich.console import Console as RichConsole
    from rich.table import Table

Styler = Callable[[str], str]
WIDTH_OFF_TERMINAL = 160  # rich would assume 80 columns in CI logs and pipes, and squash tables


class Console:
    """Human output. `json_mode` moves progress to stderr so stdout holds one JSON document."""

    def __init__(self, *, json_mode: bool = False, redact: Styler = redact_known,
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.redact = redact
        self._raw_out = stdout or sys.stdout
        self._raw_err = stderr or sys.stderr
        self._human = self._raw_err if json_mode else self._raw_out
        self._rich: dict[str, RichConsole] = {}
        self.emitted = False  # the one JSON document of --output json was written

    @property
    def is_terminal(self) -> bool:
        return _isatty(self._human)

    def _console(self, which: str) -> RichConsole:
        if which not in self._rich:
            from rich.console import Console as RichConsole

            file = self._human if which == "out" else self._raw_err
            width = None if _isatty(file) else WIDTH_OFF_TERMINAL
            self._rich[which] = RichConsole(file=file, highlight=False, soft_wrap=True, width=width)
        return self._rich[which]

    def _print(self, which: str, text: str, style: str | None) -> None:
        text = self.redact(text)
        file = self._human if which == "out" else self._raw_err
        if not _isatty(file):
            file.write(text + "\n")
            file.flush()
            return
        from rich.markup import escape

        self._console(which).print(escape(text), style=style)

    def line(self, text: str = "", style: str | None = None) -> None:
        self._print("out", text, style)

    def info(self, text: str) -> None:
        self.line(text)

    def step(self, text: str) -> None:
        self.line(f"==> {text}", style="bold cyan")

    def detail(self, text: str) -> None:
        """--verbose / --debug lines: what the CLI printed, the API requests."""
        self.line(f"    {text}", style="dim")

    def ok(self, text: str) -> None:
        self.line(f"ok  {text}", style="green")

    def warn(self, text: str) -> None:
        self._print("err", f"warning: {text}", "yellow")

    def error(self, text: str) -> None:
        self._print("err", f"error: {text}", "bold red")

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:

        console = self._console("out")
        cells = [[self.redact("" if v is None else str(v)) for v in row] for row in rows]
        terminal = _isatty(self._human)
        t = _fitting_table(title, columns, cells, console.width if terminal else 100_000)
        if not terminal:  # logs and pipes: as wide as the table needs, no wrapping at all
            wide = console.options.update_width(100_000)
            console.width = max(WIDTH_OFF_TERMINAL, console.measure(t, options=wide).maximum)
        console.print(t)

    @contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner while something slow runs (a plain line when not on a terminal)."""
        if not self.is_terminal:
            self.line(f"... {text}", style="dim")
            yield
            return
        from rich.markup import escape

        with self._console("out").status(escape(self.redact(text))):
            yield

    def emit_json(self, payload: Any) -> None:
        self.emitted = True
        self._raw_out.write(self.redact(json.dumps(payload, indent=2, default=str)) + "\n")
        self._raw_out.flush()

    def block(self, text: str) -> None:
        """Several lines of human text as they are (a lint report inside a run): the human stream."""
        self._human.write(self.redact(text) + ("" if text.endswith("\n") else "\n"))
        self._human.flush()

    def plain(self, text: str) -> None:
        """Write text to stdout as is (schema, lint reports): no markup, still redacted."""
        self._raw_out.write(self.redact(text) + ("" if text.endswith("\n") else "\n"))
        self._raw_out.flush()


def _fitting_table(title: str, columns: Sequence[str], cells: list[list[str]], width: int) -> Table:
    """Cells wrap (fold), never end in `…`. Names, versions and commits are single words: the
    leftmost columns get room for their longest word (up to 40) so they stay whole, as many as
    still fit in `width` (rich crops a table whose minimum widths exceed it: tried, not assumed)."""
    from rich.markup import escape
    from rich.table import Table

    words = [min(max([len(c), *(len(w) for row in cells for w in row[i].split())]), 40)
             for i, c in enumerate(columns)]
    for keep in range(len(columns), -1, -1):
        t = Table(title=title, title_justify="left")
        for i, c in enumerate(columns):
            t.add_column(c, overflow="fold", min_width=words[i] if i < keep else None)
        for row in cells:
            t.add_row(*(escape(v) for v in row))
        if keep == 0 or _rendered_width(t, width) <= width:
            return t
    raise AssertionError("unreachable")  # pragma: no cover - keep == 0 always returns


def _rendered_width(table: Table, width: int) -> int:
    """How wide rich draws `table` when asked for `width`, on a console wide enough not to crop it."""
    import io

    from rich.console import Console as RichConsole

    probe = RichConsole(file=io.StringIO(), width=100_000, color_system=None)
    table.width = width
    try:
        lines = probe.render_lines(table, probe.options, pad=False)
    finally:
        table.width = None
    return max((sum(len(seg.text) for seg in line) for line in lines), default=0)


def _isatty(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False
