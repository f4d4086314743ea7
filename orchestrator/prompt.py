"""Asking a human: confirmations, choices, pauses with timeouts.

The rules (spec): `--yes` answers yes and lets pauses continue; `--non-interactive` (implied
without a terminal) never prompts: a question without `--yes` stops the run with exit 4 and
names the flag to pass. Nothing waits forever: every question has a timeout (the step's own, else
`--prompt-timeout`, default 30 minutes), and answers come from a fixed set: anything else asks again.
"""

from __future__ import annotations

import select
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from orchestrator.console import Console
from orchestrator.durations import format_duration
from orchestrator.errors import StoppedByHuman

NO_TERMINAL = ("no terminal to ask (non-interactive); pass --yes to {action}, "
               "or run from a terminal without --non-interactive")


DEFAULT_TIMEOUT = 30 * 60.0
_YES, _NO = {"y", "yes"}, {"n", "no", ""}
_CONTINUE, _ABORT = {"", "c", "continue"}, {"a", "abort"}


@dataclass
class Prompter:
    ui: Console
    yes: bool = False
    interactive: bool = True
    stdin: TextIO = sys.stdin
    timeout: float = DEFAULT_TIMEOUT  # for questions without a timeout of their own

    def confirm(self, question: str, *, action: str = "confirm") -> None:
        """Return if confirmed; raise StoppedByHuman (exit 4) otherwise, also when nobody answers."""
        if self.yes:
            self.ui.line(f"{question} yes (--yes)")
            return
        self._require_terminal(question, action)
        while True:
            answer = self._read(f"{question} [y/N]", self.timeout)
            if answer is _TIMED_OUT:
                raise StoppedByHuman(f"no answer within {format_duration(self.timeout)}: {question}")
            if answer.strip().lower() in _YES:
                return
            if answer.strip().lower() in _NO:
                raise StoppedByHuman(f"not confirmed: {question}")
            self.ui.warn("answer y or n")

    def choose(self, question: str, choices: Mapping[str, str], *, default_on_yes: str,
               timeout: float | None = None, on_timeout: str | None = None) -> str:
        """One key of `choices` (key -> label). --yes picks `default_on_yes`."""
        if self.yes:
            self.ui.line(f"{question} -> {choices[default_on_yes]} (--yes)")
            return default_on_yes
        self._require_terminal(question, f"choose '{choices[default_on_yes]}'")
        menu = "  ".join(f"[{k}] {v}" for k, v in choices.items())
        timeout = self.timeout if timeout is None else timeout
        while True:
            raw = self._read(f"{question}\n{menu}", timeout)
            if raw is _TIMED_OUT:
                if on_timeout is None:
                    raise StoppedByHuman(f"no answer within {format_duration(timeout or 0)}: {question}")
                return on_timeout
            answer = raw.strip().lower()
            if answer in choices:
                return answer
            self.ui.warn(f"answer one of: {', '.join(choices)}")

    def pause(self, message: str, *, timeout: float | None, on_timeout: str) -> None:
        """Wait for Enter. On timeout: `continue` goes on, `abort` stops with exit 4."""
        if self.yes:
            self.ui.line(f"pause: {message} (continuing: --yes)")
            return
        self._require_terminal(f"pause: {message}", "continue through pauses")
        timeout = self.timeout if timeout is None else timeout
        limit = f" (waits {format_duration(timeout)}, then {on_timeout}s)"
        while True:
            answer = self._read(f"pause: {message}\nPress Enter (or c) to continue, a to abort{limit}:", timeout)
            if answer is _TIMED_OUT:
                if on_timeout == "continue":
                    self.ui.warn(f"pause timed out after {format_duration(timeout)}; continuing")
                    return
                raise StoppedByHuman(f"pause timed out after {format_duration(timeout)}: {message}")
            if answer.strip().lower() in _CONTINUE:
                return
            if answer.strip().lower() in _ABORT:
                raise StoppedByHuman(f"stopped at pause: {message}")
            self.ui.warn("press Enter (or c) to continue, or a to abort")

    def _require_terminal(self, question: str, action: str) -> None:
        if not self.interactive:
            raise StoppedByHuman(f"{question}: " + NO_TERMINAL.format(action=action))

    def _read(self, prompt: str, timeout: float | None) -> str:
        self.ui.line(prompt, style="bold")
        if timeout is not None:
            ready, _, _ = select.select([self.stdin], [], [], timeout)
            if not ready:
                return _TIMED_OUT
        line = self.stdin.readline()
        if line == "":
            raise StoppedByHuman("input closed while waiting for an answer")
        return line


class _TimedOut(str):
    pass


_TIMED_OUT = _TimedOut("")
