"""Which files make up one edge function: its folder, the shared folders it imports
(`supabase/functions/_shared/`...), the import maps, and `supabase/config.toml`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

FUNCTIONS = "supabase/functions"
CONFIG = "supabase/config.toml"
IMPORT_MAPS = (f"{FUNCTIONS}/import_map.json", f"{FUNCTIONS}/deno.json", f"{FUNCTIONS}/deno.jsonc")
# `from "../_shared/cors.ts"`, `import("../../functions/_shared/x.ts")`: a relative import that leaves
# the function's folder and enters a sibling folder starting with "_" (the CLI's convention).
_SHARED = re.compile(r"""['"](?:\.\./)+(?:functions/)?(_[\w.-]+)/""")
_SOURCES = {".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts", ".json"}


def shared_folders(function_dir: Path, functions_dir: Path,
                   fetch: Callable[[str], object] = lambda name: None) -> list[str]:
    """Names of `_*` folders the function imports, followed transitively through those folders.

    `fetch(name)` is called before a folder is looked at, so a caller rebuilding the tree from an
    older commit can export each shared folder as it is discovered.
    """
    found: set[str] = set()
    queue = [function_dir]
    while queue:
        folder = queue.pop()
        for path in folder.rglob("*"):
            if path.suffix not in _SOURCES or not path.is_file():
                continue
            for name in _SHARED.findall(path.read_text(errors="replace")):
                if name not in found:
                    fetch(name)
                if name not in found and (functions_dir / name).is_dir():
                    found.add(name)
                    queue.append(functions_dir / name)
    return sorted(found)


def function_paths(name: str, shared: list[str]) -> list[str]:
    """Paths (relative to the project root) whose content defines the function; hashed in the ledger."""
    return [f"{FUNCTIONS}/{name}", *(f"{FUNCTIONS}/{s}" for s in shared), *IMPORT_MAPS]


def deploy_paths(name: str, shared: list[str]) -> list[str]:
    """What a rebuilt project folder needs to deploy the function: its files plus config.toml."""
    return [*function_paths(name, shared), CONFIG]


def project_paths(name: str, project_root: Path) -> list[str]:
    functions_dir = project_root / FUNCTIONS
    return function_paths(name, shared_folders(functions_dir / name, functions_dir))
