"""The simulator's state: one project, its functions (every deployed version), secrets, logs.

Everything lives under one state directory so a test, the demo or `orchestrator local status`
can read it back: `functions/<slug>/<version>/files/...` holds each version's uploaded files,
`state.json` the metadata, `logs.jsonl` the log rows (see logs.py). One lock guards it all;
the simulator serves requests on many threads.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Version:
    """One deployed version of a function: what was uploaded and when."""

    version: int
    sha256: str
    deployed_at: float
    entrypoint_path: str
    files: tuple[str, ...]  # relative paths under the version's files/ folder
    verify_jwt: bool = True
    import_map_path: str = ""  # relative, like entrypoint_path; "" when the deploy named none
    static_patterns: tuple[str, ...] = ()


@dataclass
class Function:
    id: str
    slug: str
    name: str
    created_at: float
    versions: list[Version] = field(default_factory=list)

    @property
    def current(self) -> Version:
        return self.versions[-1]

    def as_api(self) -> dict[str, Any]:
        """The Management API's FunctionResponse shape."""
        cur = self.current
        found = {
            "id": self.id, "slug": self.slug, "name": self.name, "status": "ACTIVE",
            "version": cur.version, "created_at": int(self.created_at * 1000),
            "updated_at": int(cur.deployed_at * 1000), "verify_jwt": cur.verify_jwt,
            "import_map": bool(cur.import_map_path), "entrypoint_path": self.source_uri(cur.entrypoint_path),
            "ezbr_sha256": cur.sha256,
        }
        if cur.import_map_path:  # optional string: absent, never null (supabase CLI 3.1.0 rejects null)
            found["import_map_path"] = self.source_uri(cur.import_map_path)
        return found

    def source_uri(self, path: str) -> str:
        """Hosted reports paths inside its build folder: file:///tmp/user_fn_<ref>_<id>_<version>/source/<path>."""
        return f"file:///tmp/user_fn_{self.id}_{self.current.version}/source/{path}"


def files_hash(files: dict[str, bytes]) -> str:
    """Order-independent content hash of a set of files (path and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.functions: dict[str, Function] = {}
        self.secrets: dict[str, tuple[str, float]] = {}
        root.mkdir(parents=True, exist_ok=True)
        self._load()

    # -- functions ----------------------------------------------------------------------------

    def deploy(self, slug: str, name: str, entrypoint: str, files: dict[str, bytes],
               verify_jwt: bool = True, import_map_path: str = "", static_patterns: tuple[str, ...] = ()) -> Function:
        with self.lock:
            fn = self.functions.get(slug)
            if fn is None:
                fn = Function(str(uuid.uuid4()), slug, name or slug, time.time())
                self.functions[slug] = fn
            number = fn.current.version + 1 if fn.versions else 1
            self._write_files(slug, number, files)
            fn.versions.append(Version(number, files_hash(files), time.time(), entrypoint,
                                       tuple(sorted(files)), verify_jwt, import_map_path, static_patterns))
            self._save()
            return fn

    def version_dir(self, slug: str, version: int) -> Path:
        return self.root / "functions" / slug / str(version) / "files"

    def read_files(self, slug: str, version: int) -> dict[str, bytes]:
        fn = self.functions[slug]
        ver = next(v for v in fn.versions if v.version == version)
        base = self.version_dir(slug, version)
        return {path: (base / path).read_bytes() for path in ver.files}

    def delete(self, slug: str) -> bool:
        with self.lock:
            gone = self.functions.pop(slug, None) is not None
            self._save()
            return gone

    def _write_files(self, slug: str, version: int, files: dict[str, bytes]) -> None:
        base = self.version_dir(slug, version)
        for path, data in files.items():
            target = (base / path).resolve()
            if not target.is_relative_to(base.resolve()):
                raise ValueError(f"file path escapes the function folder: {path}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

    # -- secrets ------------------------------------------------------------------------------

    def set_secrets(self, pairs: dict[str, str]) -> None:
        with self.lock:
            now = time.time()
            self.secrets.update({k: (v, now) for k, v in pairs.items()})
            self._save()

    def delete_secrets(self, names: list[str]) -> None:
        with self.lock:
            for name in names:
                self.secrets.pop(name, None)
            self._save()

    def secret_values(self) -> dict[str, str]:
        with self.lock:
            return {k: v for k, (v, _) in self.secrets.items()}

    # -- persistence --------------------------------------------------------------------------

    def _save(self) -> None:
        data = {
            "functions": {s: {"id": f.id, "slug": f.slug, "name": f.name, "created_at": f.created_at,
                              "versions": [asdict(v) for v in f.versions]}
                          for s, f in self.functions.items()},
            "secrets": {k: list(v) for k, v in self.secrets.items()},
        }
        tmp = self.root / "state.json.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        tmp.chmod(0o600)  # secret values live here
        tmp.replace(self.root / "state.json")

    def _load(self) -> None:
        path = self.root / "state.json"
        if not path.exists():
            return
        data = json.loads(path.read_text())
        for slug, raw in data["functions"].items():
            versions = [Version(**{**v, "files": tuple(v["files"]),
                                   "static_patterns": tuple(v.get("static_patterns", ()))}) for v in raw["versions"]]
            self.functions[slug] = Function(raw["id"], slug, raw["name"], raw["created_at"], versions)
        self.secrets = {k: (v[0], v[1]) for k, v in data["secrets"].items()}
