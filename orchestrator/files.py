"""Private files: journals, env files, crash logs and the state dir are for this user only.

`os.open(..., 0o600)` only sets the mode of a file it creates: an older file keeps 0644, so the
mode is set again on the open descriptor.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from orchestrator.errors import InputError


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700; exit 2 naming it when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)
    except OSError as exc:
        raise InputError(f"cannot create {path} ({exc.strerror}); make the folder writable or run "
                         "from a checkout you own") from None
    return path


def open_private(path: Path, mode: str = "w") -> int:
    """A descriptor of `path` opened for writing ('w' truncates, 'a' appends), mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o600)
        if stat.S_ISREG(os.fstat(fd).st_mode):  # never a device: `plan` journals to /dev/null
            os.fchmod(fd, 0o600)
    except OSError as exc:
        raise InputError(f"cannot write {path} ({exc.strerror}); make the folder writable") from None
    return fd


def write_private(path: Path, text: str) -> Path:
    with os.fdopen(open_private(path), "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
