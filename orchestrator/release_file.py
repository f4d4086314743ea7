"""Release files: `plan --out release.json` writes what a run would ship to one environment; `run
--release release.json` ships exactly that or nothing (exit 2 saying what differs).

A release holds: the environment, the commit, the playbook's hash, the release id (commit +
migration digests + function input hashes, as `requires_passed` compares them), each pending
migration with its digest, each function's inputs hash, the secret names with value digests (never
values), and the orchestrator version.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from orchestrator import __version__
from orchestrator.errors import InputError
from orchestrator.fingerprint import differences

FORMAT = 1


def build(*, env: str, playbook_sha: str, tree: dict[str, Any], release: str, pending: list[str],
          secrets: dict[str, str]) -> dict[str, Any]:
    migrations = tree.get("migrations") or {}
    return {"format": FORMAT, "environment": env, "commit": tree.get("head"), "playbook_sha256": playbook_sha,
            "release": release, "orchestrator": __version__,
            "pending_migrations": [{"file": p, "sha256": migrations.get(Path(p).name)} for p in pending],
            "functions": tree.get("functions") or {},
            "secrets": {n: hashlib.sha256(v.encode()).hexdigest() for n, v in secrets.items()},
            "tree": tree}


def write(path: Path, release: dict[str, Any]) -> None:
    try:
        path.write_text(json.dumps(release, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise InputError(f"--out {path}: cannot write ({exc.strerror})") from None


def read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--release {path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(f"--release {path}: not a release file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("tree"), dict):
        raise InputError(f"--release {path}: not a release file written by `orchestrator plan --out`")
    return data


def check(path: Path, release: dict[str, Any], *, env: str, playbook_sha: str, tree: dict[str, Any]) -> None:
    """Refuse (exit 2) unless this checkout is exactly the release's."""
    problems = []
    if release.get("environment") != env:
        problems.append(f"it was planned for {release.get('environment')!r}, not {env!r}")
    if release.get("playbook_sha256") != playbook_sha:
        problems.append("the playbook changed")
    problems += differences(release["tree"], tree)
    if problems:
        raise InputError(f"--release {path}: this checkout is not that release:\n  " + "\n  ".join(problems)
                         + "\nCheck out its commit " + str(release.get("commit") or "?")[:12] + ", or plan again")


def pending_of(release: dict[str, Any]) -> list[str]:
    return [str(m.get("file")) for m in release.get("pending_migrations") or [] if isinstance(m, dict)]
