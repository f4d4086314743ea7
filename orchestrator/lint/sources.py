"""Which files to lint: expand paths, pick pending ones, or the ones changed since a git ref.

Nothing here imports pglast, so the CLI and the playbook can use it at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.lint.rules.files import version_of


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders as their `*.sql` files (not recursive, like the CLI), sorted by name."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            found.update(dict.fromkeys(sorted(path.glob("*.sql"))))
        elif path.is_file():
            found[path] = None
        else:
            raise InputError(f"{path}: no such file or directory; pass migration files or a folder")
    return sorted(found, key=lambda p: p.name)  # the CLI's order: names as text, not versions as numbers


def among_history(paths: Sequence[Path]) -> tuple[list[Path], list[Path] | None]:
    """What to read and which files to report. A file inside a supabase/migrations folder is read
    with that whole folder (its history: tables created earlier hold rows, RLS enabled earlier
    counts); the files so named (and those of named folders) are then reported as one pending
    batch. `None`: no file needed its folder, report everything read as before."""
    folders = [p.parent for p in paths if p.is_file() and is_migrations_folder(p.parent)]
    if not folders:
        return list(paths), None
    return list(dict.fromkeys([*paths, *folders])), expand(paths)


def is_migrations_folder(folder: Path) -> bool:
    """`supabase/migrations` of some project (the CLI reads migrations there and nowhere else)."""
    folder = folder.absolute()
    return folder.name == "migrations" and folder.parent.name == "supabase" and folder.is_dir()


def filter_pending(files: Sequence[Path], applied_versions: Iterable[str]) -> list[Path]:
    """The files whose version an environment has not applied yet (misnamed files stay: lint them)."""
    done = set(applied_versions)
    return [p for p in files if version_of(p) not in done]


def changed_since(ref: str, paths: Sequence[Path], cwd: Path) -> set[Path]:
    """Files under `paths` added or changed since git `ref` (commits, staged, unstaged, untracked)."""
    from orchestrator.adapters.git import Git  # the project's one git chokepoint

    git = Git.at(cwd)
    top = git.top.resolve()
    rel = [str((cwd / p).resolve().relative_to(top)) for p in paths]
    return {(top / name).resolve() for name in git.changed_files(ref, rel)}
