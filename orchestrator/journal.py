"""The run journal: one JSON object per line under <project>/.orchestrator/runs/<run_id>.jsonl.

Every event passes through the run's Redactor before it is written; `resume` reads it back.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from orchestrator.errors import InputError
from orchestrator.files import open_private, private_dir, write_private

RUNS_DIR = Path(".orchestrator") / "runs"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Journal:
    path: Path
    run_id: str
    redact: Callable[[str], str]
    _file: TextIO | None = None

    @classmethod
    def create(cls, project_root: Path, redact: Callable[[str], str], run_id: str | None = None) -> Journal:
        run_id = run_id or new_run_id()
        path = project_root / RUNS_DIR / f"{run_id}.jsonl"
        private_dir(project_root / ".orchestrator")
        private_dir(path.parent)
        ensure_ignored(project_root)
        return cls(path=path, run_id=run_id, redact=redact)

    def write(self, event: str, **fields: Any) -> None:
        if self._file is None:
            self._file = os.fdopen(open_private(self.path, "a"), "a", encoding="utf-8")
        record = {"ts": now_iso(), "run_id": self.run_id, "event": event, **fields}
        self._file.write(self.redact(json.dumps(record, default=str)) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def ensure_ignored(project_root: Path) -> None:
    """Journals hold run details that are per-machine: keep them out of the user's commits."""
    ignore = project_root / ".orchestrator" / ".gitignore"
    if not ignore.exists():
        write_private(ignore, "# written by orchestrator: run journals are local\n*\n")


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """The events of a journal. A last line cut short (the process was killed while writing it) is
    skipped; anything else unreadable is exit 2 naming the file and line."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the journal ({exc.strerror})") from None
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw.decode("utf-8"))
        except ValueError:
            if number - 1 == last:  # cut short by a kill: everything before it is intact
                return
            raise InputError(f"{path}:{number}: not a journal line (damaged journal?)") from None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise InputError(f"{path}:{number}: not a journal event")
        yield event


RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")


def find_run(project_root: Path, run_id: str) -> Path:
    if not RUN_ID.match(run_id):
        raise InputError(f"{run_id!r} is not a run id (like 20261201T093000Z-1a2b3c, printed by `run`)")
    path = project_root / RUNS_DIR / f"{run_id}.jsonl"
    if not path.is_file():
        raise InputError(f"no journal for run {run_id} under {project_root / RUNS_DIR}")
    return path


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start
