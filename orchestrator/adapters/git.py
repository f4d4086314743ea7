"""The one module that runs git: `Git` over one repository (`git -C <root> ...`).

Everything reads through plumbing (`ls-tree`, `cat-file --batch`, `hash-object`) so that
rollback can rebuild a function folder as it was at any commit without touching the user's
working tree, index or branch. Paths are repository-relative POSIX strings and are taken
literally (GIT_LITERAL_PATHSPECS), never as globs.

Content hashes (`tree_hash`, `working_hash`) are sha256 over the sorted `<blob id>\\t<path>` lines
of every file under the given paths. The working-tree side hashes files with `git hash-object`
(so clean/autocrlf filters apply as on `git add`) over tracked and untracked-but-not-ignored files,
which makes a clean checkout of commit C hash exactly like `tree_hash(C, ...)`. File modes are
left out on purpose: a deploy does not carry the executable bit, and core.fileMode=false
checkouts would otherwise disagree.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from orchestrator.errors import CommandFailed, InputError

_TAIL = 2000  # characters of stderr kept in an error
_TIMEOUT = 120.0
_GIT_ENV = {
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # `status` must not take index.lock while the user works
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_PAGER": "cat",
}
_SYMLINK, _SUBMODULE = "120000", "160000"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author: str
    email: str
    date: datetime
    subject: str


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    kind: str  # blob | commit (submodule)
    object_id: str
    path: str


def _run_git(cwd: Path | None, args: Sequence[str], *, input: bytes | None = None,
             ok: Iterable[int] = (0,)) -> subprocess.CompletedProcess[bytes]:
    argv = ["git", *(["-C", str(cwd)] if cwd else []), *args]
    env = {**os.environ, **_GIT_ENV}
    try:
        done = subprocess.run(argv, input=input, capture_output=True, env=env, timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH: install git and retry") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(argv, -1, f"timed out after {_TIMEOUT:.0f}s") from None
    if done.returncode not in tuple(ok):
        tail = done.stderr.decode(errors="replace")[-_TAIL:]
        raise CommandFailed(argv, done.returncode, tail)
    return done


def _split0(data: bytes) -> list[str]:
    return [p for p in data.decode(errors="surrogateescape").split("\0") if p]


def _norm(paths: Iterable[str]) -> list[str]:
    """Repository-relative POSIX paths without './' or trailing '/'; refuses '..' and absolute paths."""
    out = []
    for raw in paths:
        p = PurePosixPath(raw.replace(os.sep, "/"))
        if p.is_absolute() or ".." in p.parts:
            raise InputError(f"{raw}: expected a path inside the repository, relative to its root")
        out.append(p.as_posix())
    return out


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(r == "." or path == r or path.startswith(r + "/") for r in roots)


def _missing(found: Sequence[str], paths: Sequence[str]) -> list[str]:
    return [p for p in _norm(paths) if not any(_under(f, [p]) for f in found)]


def _hash_lines(pairs: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for path, object_id in sorted(pairs):
        digest.update(f"{object_id}\t{path}\n".encode(errors="surrogateescape"))
    return digest.hexdigest()


class Git:
    """A repository whose top level is `top`. Errors are InputError (bad ref or path) or CommandFailed."""

    def __init__(self, top: Path) -> None:
        self.top = Path(top)

    def __repr__(self) -> str:
        return f"Git({str(self.top)!r})"

    @staticmethod
    def root(path: Path) -> Path:
        """The top level of the repository containing `path`."""
        start = path if path.is_dir() else path.parent
        done = _run_git(start, ["rev-parse", "--show-toplevel"], ok=(0, 128))
        if done.returncode:
            raise InputError(f"{path} is not inside a git repository: run `git init` or pass a project in one")
        return Path(done.stdout.decode().strip())

    @classmethod
    def at(cls, path: Path) -> Git:
        """The repository containing `path`."""
        return cls(cls.root(path))

    def _git(self, *args: str, input: bytes | None = None, ok: Iterable[int] = (0,)) -> subprocess.CompletedProcess[bytes]:
        return _run_git(self.top, args, input=input, ok=ok)

    def _out(self, *args: str) -> str:
        return self._git(*args).stdout.decode(errors="replace").strip()

    # -- where are we ----------------------------------------------------------------------------

    def head(self) -> str:
        return self.resolve("HEAD")

    def current_branch(self) -> str | None:
        """The checked-out branch, or None when HEAD is detached."""
        done = self._git("symbolic-ref", "--quiet", "--short", "HEAD", ok=(0, 1))
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def dirty_paths(self, paths: Sequence[str] = ()) -> list[str]:
        """Modified, staged, deleted and untracked (not ignored) paths, optionally limited to `paths`."""
        out = self._git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *_norm(paths)).stdout
        fields = _split0(out)
        dirty, i = [], 0
        while i < len(fields):
            status, path = fields[i][:2], fields[i][3:]
            dirty.append(path)
            i += 2 if status[0] in "RC" else 1  # a rename's source path follows as its own field
        return sorted(dirty)

    def resolve(self, ref: str) -> str:
        """The commit sha `ref` names; InputError if it names no commit."""
        done = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", ok=(0, 1, 128))
        if done.returncode:
            raise InputError(f"unknown git revision {ref!r} in {self.top}: check the commit, tag or branch "
                             "name (`git log --oneline`) and that it has been fetched")
        return done.stdout.decode().strip()

    def commit_info(self, ref: str) -> CommitInfo:
        sha = self.resolve(ref)
        fields = self._out("show", "-s", "--format=%H%x00%an%x00%ae%x00%aI%x00%s", sha).split("\0")
        return CommitInfo(fields[0], fields[1], fields[2], datetime.fromisoformat(fields[3]), fields[4])

    def user(self) -> str:
        """`Name <email>` from git config, else the OS user: who deployed, for the ledger."""
        name = self._git("config", "user.name", ok=(0, 1)).stdout.decode().strip()
        email = self._git("config", "user.email", ok=(0, 1)).stdout.decode().strip()
        if name and email:
            return f"{name} <{email}>"
        return name or email or getpass.getuser()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        a, d = self.resolve(ancestor), self.resolve(descendant)
        return self._git("merge-base", "--is-ancestor", a, d, ok=(0, 1)).returncode == 0

    # -- content at a commit ---------------------------------------------------------------------

    def ls_tree(self, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
        """Every file under `paths` at `commit` (recursive)."""
        sha = self.resolve(commit)
        out = self._git("ls-tree", "-r", "-z", "--full-tree", sha, "--", *_norm(paths)).stdout
        entries = []
        for line in _split0(out):
            meta, path = line.split("\t", 1)
            mode, kind, object_id = meta.split(" ")
            entries.append(TreeEntry(mode, kind, object_id, path))
        return entries

    def missing_paths(self, commit: str, paths: Sequence[str]) -> list[str]:
        """Those of `paths` that hold no file at `commit`."""
        return _missing([e.path for e in self.ls_tree(commit, paths)], paths)

    def export_paths(self, commit: str, paths: Sequence[str], dest: Path, *, missing_ok: bool = False) -> list[str]:
        """Write the files under `paths` as they were at `commit` into `dest/<path>`; returns the
        paths written. Reads objects only: the working tree, index and HEAD are untouched.
        A path that did not exist at that commit is an InputError unless `missing_ok`."""
        entries = [e for e in self.ls_tree(commit, paths) if e.kind == "blob"]
        missing = _missing([e.path for e in entries], paths)
        if missing and not missing_ok:
            short = self.resolve(commit)[:12]
            raise InputError(f"not in commit {short}: {', '.join(missing)} (did the folder exist then? "
                             f"see `git log --oneline -- {missing[0]}`)")
        for entry, data in zip(entries, self._blobs([e.object_id for e in entries]), strict=True):
            self._write(dest / entry.path, entry.mode, data)
        return [e.path for e in entries]

    def show_file(self, commit: str, path: str) -> bytes | None:
        """One file's content at `commit`, or None if it did not exist."""
        entries = [e for e in self.ls_tree(commit, [path]) if e.path == _norm([path])[0] and e.kind == "blob"]
        return self._blobs([entries[0].object_id])[0] if entries else None

    def blob(self, object_id: str) -> bytes:
        return self._blobs([object_id])[0]

    def _blobs(self, object_ids: Sequence[str]) -> list[bytes]:
        """Contents of many blobs through one `git cat-file --batch`."""
        if not object_ids:
            return []
        out = self._git("cat-file", "--batch", input="".join(f"{o}\n" for o in object_ids).encode()).stdout
        blobs, pos = [], 0
        for _ in object_ids:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split(b" ")[2])
            blobs.append(out[header_end + 1 : header_end + 1 + size])
            pos = header_end + 1 + size + 1  # content is followed by a newline
        return blobs

    @staticmethod
    def _write(target: Path, mode: str, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        if mode == _SYMLINK:
            target.symlink_to(data.decode(errors="surrogateescape"))
            return
        target.write_bytes(data)
        if mode == "100755":
            target.chmod(0o755)

    # -- hashes and differences ------------------------------------------------------------------

    def tree_hash(self, commit: str, paths: Sequence[str]) -> str:
        """A stable content hash of the files under `paths` at `commit` (see the module docstring)."""
        return _hash_lines((e.path, e.object_id) for e in self.ls_tree(commit, paths) if e.kind != "commit")

    def working_hash(self, paths: Sequence[str]) -> str:
        """The same hash over the working tree: equals `tree_hash(C, paths)` when the files match C."""
        files = self.working_files(paths)
        regular = [f for f in files if not (self.top / f).is_symlink()]
        ids = dict(zip(regular, self._hash_objects(regular), strict=True))
        for link in (f for f in files if f not in ids):  # a symlink's blob is its target path
            ids[link] = self._hash_bytes(os.readlink(self.top / link).encode(errors="surrogateescape"))
        return _hash_lines(ids.items())

    def working_files(self, paths: Sequence[str]) -> list[str]:
        """Tracked and untracked-but-not-ignored files under `paths` that exist on disk."""
        out = self._git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *_norm(paths)).stdout
        names = sorted(set(_split0(out)))
        return [n for n in names if (self.top / n).is_symlink() or (self.top / n).is_file()]

    def _hash_objects(self, files: Sequence[str]) -> list[str]:
        if not files:
            return []
        done = self._git("hash-object", "--stdin-paths", input="".join(f"{f}\n" for f in files).encode())
        return done.stdout.decode().split()

    def _hash_bytes(self, data: bytes) -> str:
        return self._git("hash-object", "--stdin", input=data).stdout.decode().strip()

    def changed_files(self, since_ref: str, paths: Sequence[str] = ()) -> list[str]:
        """Files under `paths` added or modified since `since_ref`: commits after it, staged and
        unstaged edits, and untracked files. Deleted files are left out (there is nothing to read)."""
        sha = self.resolve(since_ref)
        diff = self._git("diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", sha, "--", *_norm(paths))
        untracked = self._git("ls-files", "-z", "--others", "--exclude-standard", "--", *_norm(paths))
        return sorted(set(_split0(diff.stdout)) | set(_split0(untracked.stdout)))

    def files_differ(self, commit_a: str, commit_b: str, paths: Sequence[str] = ()) -> list[str]:
        """Files under `paths` that differ between two commits (added, modified or deleted)."""
        a, b = self.resolve(commit_a), self.resolve(commit_b)
        out = self._git("diff", "--name-only", "-z", "--no-renames", a, b, "--", *_norm(paths)).stdout
        return sorted(_split0(out))

    # -- small refs and notes (state another clone can fetch) ------------------------------------

    def read_ref(self, name: str) -> str | None:
        done = self._git("rev-parse", "--verify", "--quiet", name, ok=(0, 1))
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def update_ref(self, name: str, object_id: str, *, expect_old: str | None = None) -> None:
        """Point `name` (e.g. refs/orchestrator/...) at `object_id`; compare-and-swap with `expect_old`."""
        self._git("update-ref", name, object_id, *([expect_old] if expect_old is not None else []))

    def note(self, commit: str, notes_ref: str) -> str | None:
        done = self._git("notes", "--ref", notes_ref, "show", self.resolve(commit), ok=(0, 1))
        return done.stdout.decode() if done.returncode == 0 else None

    def set_note(self, commit: str, notes_ref: str, text: str) -> None:
        """Attach (replace) a note on `commit` under `notes_ref`; no working-tree change."""
        self._git("notes", "--ref", notes_ref, "add", "-f", "-F", "-", self.resolve(commit), input=text.encode())
