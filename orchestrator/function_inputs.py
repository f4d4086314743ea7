"""A function's inputs: exactly what `supabase functions deploy NAME` uploads for it, found offline.

The CLI uploads the entrypoint's local import graph (relative imports anywhere in the project,
bare specifiers through the function's import map or deno.json(c)), the import map itself and the
files `static_files` matches; it reads the function's settings from `[functions.NAME]` in
config.toml. The same definition serves the ledger hash, `plan`, `last-good` and rollback, for the
working tree and for any commit (through the `Source` callbacks). Remote specifiers (`jsr:`,
`npm:`, `https:`, `node:`) are names, not files. Paths are project-relative and POSIX.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.jsonc import strip_jsonc

if TYPE_CHECKING:
    from orchestrator.adapters.git import Git

SUPABASE = "supabase"
FUNCTIONS = f"{SUPABASE}/functions"
CONFIG = f"{SUPABASE}/config.toml"
ENTRYPOINTS = ("index.ts", "index.js", "index.tsx", "index.jsx", "index.mjs")
MAP_NAMES = ("deno.json", "deno.jsonc", "import_map.json")  # in the function's folder
# The one shared fallback. supabase/functions/deno.json is NOT read for a function: measured with
# supabase 3.1.0 and 2.122.1, a bare import aliased only there uploads nothing (and no warning).
SHARED_MAP = f"{FUNCTIONS}/import_map.json"
SETTINGS = ("verify_jwt", "import_map", "entrypoint", "static_files")  # what a deploy reads
_PARSED = {".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".cjs", ".cts"}
# import x from "s"; export {x} from "s"; import "s"; import("s"); import type ... from "s"
_SPECIFIER = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\1""")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)")  # jsr:, npm:, node:, https:, file: ...

Read = Callable[[str], bytes | None]


@dataclass(frozen=True)
class Source:
    """A project tree: the working folder or one commit."""

    read: Read  # project-relative path -> bytes, None when absent
    files_under: Callable[[str], list[str]]  # every file under a project-relative folder


@dataclass(frozen=True)
class FunctionInputs:
    name: str
    files: tuple[str, ...]  # what the CLI uploads
    settings: dict[str, Any]  # the function's [functions.NAME] keys a deploy reads
    missing: tuple[str, ...]  # imported but absent (the CLI would warn and deploy without them)
    project_id: str = ""
    import_map: str = ""  # the map file the CLI reads for it ("" when none)

    @property
    def settings_text(self) -> str:
        return json.dumps(self.settings, sort_keys=True)

    def minimal_config(self) -> str:
        """A config.toml holding only what deploying this function needs (nothing that could fail
        an unrelated check of a newer or older CLI: templates, keys, [inbucket], seeds...)."""
        settings = dict(self.settings)
        if self.uses_folder_import_map:
            # supabase 3 refuses a function folder's import_map.json unless config.toml names it
            # ("import_map.json in a function directory is no longer supported", measured with
            # 3.1.0); named, both CLIs upload the same files, so older commits still deploy.
            settings["import_map"] = "./" + posixpath.relpath(self.import_map, SUPABASE)
        lines = [f"project_id = {_toml(self.project_id or 'rollback')}", "", f"[functions.{_toml(self.name)}]"]
        lines += [f"{key} = {_toml(value)}" for key, value in sorted(settings.items())]
        return "\n".join(lines) + "\n"

    @property
    def uses_folder_import_map(self) -> bool:
        """The CLI would read the function folder's import_map.json without config.toml naming it."""
        return "import_map" not in self.settings and self.import_map == f"{FUNCTIONS}/{self.name}/import_map.json"


def resolve(name: str, source: Source) -> FunctionInputs:
    config = _config(source.read(CONFIG))
    settings = {k: v for k, v in config.get("functions", {}).get(name, {}).items() if k in SETTINGS}
    entry = _entrypoint(name, settings, source.read)
    maps, aliases = _import_map(name, settings, source.read)
    files, missing = _graph([entry, *maps, *_map_targets(aliases, source.files_under)], aliases, source.read)
    static = _static_files(settings.get("static_files", []), source.files_under)
    project_id = str(config.get("project_id", ""))
    return FunctionInputs(name, tuple(sorted({*files, *static})), settings, tuple(sorted(missing)), project_id,
                          maps[0] if maps else "")


def disabled(name: str, source: Source) -> bool:
    """`[functions.NAME] enabled = false`: both CLIs skip the function ("Skipping disabled Function",
    exit 0, nothing deployed; measured with 3.1.0 and 2.122.1)."""
    return _config(source.read(CONFIG)).get("functions", {}).get(name, {}).get("enabled") is False


def _config(data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        return tomllib.loads(data.decode(errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}


def _from_supabase(path: str) -> str:
    """config.toml paths are relative to supabase/ (`./functions/x/index.ts`)."""
    return posixpath.normpath(posixpath.join(SUPABASE, path))


def _entrypoint(name: str, settings: dict[str, Any], read: Read) -> str:
    if isinstance(settings.get("entrypoint"), str):
        return _from_supabase(settings["entrypoint"])
    folder = f"{FUNCTIONS}/{name}"
    return next((f"{folder}/{e}" for e in ENTRYPOINTS if read(f"{folder}/{e}") is not None), f"{folder}/index.ts")


def _import_map(name: str, settings: dict[str, Any], read: Read) -> tuple[list[str], list[tuple[str, str]]]:
    """The map files the CLI sends (config's import_map, the function's deno.json(c)/import_map.json,
    the shared one in supabase/functions) and the aliases, targets resolved to project paths.

    A deno.json(c) with no `imports`/`scopes` but an `importMap` names the real map, relative to
    itself; the CLI uploads both and resolves through the named one (supabase/cli
    pkg/function/deno.go; seen in a public project with 87 functions doing this)."""
    named = [_from_supabase(settings["import_map"])] if isinstance(settings.get("import_map"), str) else []
    candidates = named + [f"{FUNCTIONS}/{name}/{m}" for m in MAP_NAMES] + [SHARED_MAP]
    for path in candidates:
        parsed = _json(read(path))
        if parsed is None:
            continue
        pointer = parsed.get("importMap")
        if not parsed.get("imports") and not parsed.get("scopes") and isinstance(pointer, str) and pointer:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), pointer))
            return [path, target], _aliases(target, _json(read(target)) or {})
        return [path], _aliases(path, parsed)
    return [], []


def _json(data: bytes | None) -> dict[str, Any] | None:
    """A JSON or JSONC object; {} when the file exists but is not one; None when it is absent."""
    if data is None:
        return None
    try:
        parsed = json.loads(strip_jsonc(data.decode(errors="replace")))
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _aliases(path: str, parsed: dict[str, Any]) -> list[tuple[str, str]]:
    imports = parsed.get("imports")
    base = posixpath.dirname(path)
    found = [(k, v if _REMOTE.match(v) else posixpath.normpath(posixpath.join(base, v)) + ("/" if v.endswith("/") else ""))
             for k, v in (imports if isinstance(imports, dict) else {}).items()
             if isinstance(k, str) and isinstance(v, str)]
    return sorted(found, key=lambda kv: -len(kv[0]))  # the longest matching prefix wins, as in Deno


def _map_targets(aliases: list[tuple[str, str]], files_under: Callable[[str], list[str]]) -> list[str]:
    """Every local target of the import map is uploaded, used or not: a folder with all its files
    (measured with both CLIs: an unused `./other/never.ts` entry and a folder's unused files go up)."""
    found: list[str] = []
    for _, target in aliases:
        if _REMOTE.match(target):
            continue
        if target.startswith("../"):  # outside the project folder: missing, as the CLI cannot read it
            found.append(target.rstrip("/"))
            continue
        found += files_under(target.rstrip("/")) if target.endswith("/") else [target]
    return found


def outside(inputs: FunctionInputs) -> list[str]:
    """What the function imports from outside the project folder (a monorepo's `packages/`): both
    CLIs fail the deploy on it (`failed to read file: open ../../packages/...: invalid argument`,
    measured with 3.1.0 and 2.122.1 on a clean checkout of a public monorepo)."""
    return [m for m in inputs.missing if m.startswith("../")]


def _graph(roots: list[str], aliases: list[tuple[str, str]], read: Read) -> tuple[set[str], set[str]]:
    files: set[str] = set()
    missing: set[str] = set()
    queue = list(roots)
    while queue:
        path = queue.pop()
        if path in files or path in missing:
            continue
        data = read(path) if not path.startswith("../") else None
        if data is None:
            missing.add(path)
            continue
        files.add(path)
        if posixpath.splitext(path)[1] in _PARSED:
            queue += [t for t in _targets(path, data.decode(errors="replace"), aliases) if t not in files]
    return files, missing


def _targets(path: str, text: str, aliases: list[tuple[str, str]]) -> Iterable[str]:
    for match in _SPECIFIER.finditer(text):
        target = _local(path, match.group(2), aliases)
        if target is not None:
            yield target


def _local(importer: str, spec: str, aliases: list[tuple[str, str]]) -> str | None:
    """The project path an import names, or None for a remote specifier."""
    if spec.startswith(("./", "../", "/")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    for key, target in aliases:
        if spec == key or (key.endswith("/") and spec.startswith(key)):
            mapped = target + spec[len(key):] if key.endswith("/") else target
            return None if _REMOTE.match(mapped) else posixpath.normpath(mapped)
    return None  # a bare name with no alias, or jsr:/npm:/https:


def _static_files(patterns: Any, files_under: Callable[[str], list[str]]) -> list[str]:
    if not isinstance(patterns, list) or not patterns:
        return []
    regexes = [re.compile(_glob(_from_supabase(str(p)))) for p in patterns]
    return [f for f in files_under(SUPABASE) if any(r.fullmatch(f) for r in regexes)]


def _glob(pattern: str) -> str:
    """Go's glob semantics (the CLI's): `*` and `?` stay within one folder; `**` crosses folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return "".join(out)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string (JSON escapes are valid TOML escapes)


# -- the two trees, through the git adapter -------------------------------------------------------


def disk_source(project_root: Path) -> Source:
    """The project folder on disk without git (validation, before anything runs)."""

    def read(path: str) -> bytes | None:
        target = project_root / path
        return target.read_bytes() if target.is_file() else None

    def files_under(folder: str) -> list[str]:
        base = project_root / folder
        return sorted(p.relative_to(project_root).as_posix() for p in base.rglob("*") if p.is_file())

    return Source(read, files_under)


def working_source(git: Git, project_root: Path, prefix: str) -> Source:
    """The project folder on disk (what a deploy from here would upload), ignored files left out."""

    def files_under(folder: str) -> list[str]:
        return [f.removeprefix(prefix) for f in git.working_files([prefix + folder])]

    return Source(disk_source(project_root).read, files_under)


def commit_source(git: Git, commit: str, prefix: str) -> Source:
    """The project folder as it was at `commit`: one tree listing, blobs read when asked for."""
    entries = {e.path.removeprefix(prefix): e for e in git.ls_tree(commit, [prefix.rstrip("/")] if prefix else [])
               if e.kind == "blob" and e.path.startswith(prefix)}

    def read(path: str) -> bytes | None:
        entry = entries.get(path)
        return None if entry is None else git.blob(entry.object_id)

    def files_under(folder: str) -> list[str]:
        return sorted(p for p in entries if p.startswith(folder.rstrip("/") + "/"))

    return Source(read, files_under)


def inputs_hash(files_hash: str, inputs: FunctionInputs) -> str:
    """The ledger's content hash: the uploaded files' hash and the function's deploy settings."""
    return hashlib.sha256(f"{files_hash}\n{inputs.settings_text}".encode()).hexdigest()


def working_inputs(git: Git, project_root: Path, prefix: str, name: str) -> tuple[FunctionInputs, str]:
    """The function's inputs in the working folder, and their content hash."""
    inputs = resolve(name, working_source(git, project_root, prefix))
    paths = [prefix + f for f in inputs.files]
    return inputs, inputs_hash(git.working_hash(paths) if paths else "", inputs)


def commit_inputs(git: Git, commit: str, prefix: str, name: str) -> tuple[FunctionInputs, str]:
    """The function's inputs at `commit`, and their content hash (equal to the working one when
    the files and settings are the same)."""
    inputs = resolve(name, commit_source(git, commit, prefix))
    paths = [prefix + f for f in inputs.files]
    return inputs, inputs_hash(git.tree_hash(commit, paths) if paths else "", inputs)


# -- what the CLI is given -------------------------------------------------------------------------


@contextmanager
def staged(inputs: FunctionInputs, write: Callable[[Path, list[str]], object], prefix: str = "") -> Iterator[Path]:
    """A temporary project holding exactly what deploying `inputs` uploads and a config.toml with
    only this function's settings; yields its project folder. `write(root, paths)` puts the files
    (`prefix` + project-relative paths) under `root`. Nothing else of the project's config.toml
    (templates, signing keys, `[inbucket]`, keys one CLI version added or dropped) can block the
    deploy, and a forward deploy and a rollback of the same commit give the CLI the same folder."""
    with tempfile.TemporaryDirectory(prefix=f"orch-deploy-{inputs.name}-") as tmp:
        root = Path(tmp)
        write(root, [prefix + f for f in inputs.files])
        workdir = root / prefix if prefix else root
        (workdir / CONFIG).parent.mkdir(parents=True, exist_ok=True)
        (workdir / CONFIG).write_text(inputs.minimal_config())
        yield workdir


def copy_from(project_root: Path) -> Callable[[Path, list[str]], None]:
    """`staged`'s writer for the working folder: the files as they are on disk now."""

    def write(root: Path, paths: list[str]) -> None:
        for path in paths:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project_root / path, root / path)
    return write
