"""What a run ran against: HEAD, the uncommitted paths, each migration file's digest and each
listed function's inputs hash. Journaled at run start; `resume` compares it with the tree it finds
and refuses to go on when they differ (a migration edited after it failed, a function changed)."""

from __future__ import annotations

import hashlib
from typing import Any

from orchestrator.errors import OrchestratorError
from orchestrator.playbook.models import Playbook


def tree_state(pb: Playbook) -> dict[str, Any]:
    """The fingerprint; parts that cannot be read (no git) are left out."""
    from orchestrator.adapters.git import Git
    from orchestrator.function_inputs import working_inputs

    state: dict[str, Any] = {"migrations": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                            for p in pb.project.migration_files()}}
    try:
        git = Git.at(pb.project.root)
        state["head"] = git.head()
        state["dirty"] = sorted(p for p in git.dirty_paths() if not _cli_state(p))
        top = git.top.resolve()
        rel = pb.project.root.resolve().relative_to(top).as_posix()
        prefix = "" if rel == "." else rel + "/"
        names = sorted({n for s in pb.steps if s.kind == "functions" for n in s.config.names})
        state["functions"] = {n: working_inputs(git, pb.project.root, prefix, n)[1] for n in names}
    except (OrchestratorError, ValueError):
        pass
    return state


def _cli_state(path: str) -> bool:
    """Files the supabase CLI writes for itself (supabase/.temp/linked-project.json, .branches)."""
    return "supabase/.temp/" in f"/{path}" or "supabase/.branches/" in f"/{path}"


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What changed, one line each (empty: the same tree)."""
    out = []
    if before.get("head") != now.get("head"):
        out.append(f"HEAD moved from {str(before.get('head'))[:12]} to {str(now.get('head'))[:12]}")
    for kind in ("migrations", "functions"):
        old, new = before.get(kind) or {}, now.get(kind) or {}
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                what = "added" if name not in old else "removed" if name not in new else "changed"
                out.append(f"{kind[:-1]} {name} {what}")
    if before.get("dirty") != now.get("dirty"):
        gone = sorted(set(now.get("dirty") or []) ^ set(before.get("dirty") or []))
        out.append(f"uncommitted changes differ: {', '.join(gone[:8])}{' ...' if len(gone) > 8 else ''}")
    return out
