"""Where the project-local tools installed by scripts/install-tools live.

Layout: .tools/supabase-3 (supabase@3.1.0), .tools/supabase-2 (supabase@2.122.1),
.tools/deno (deno from npm). ORCHESTRATOR_TOOLS_DIR overrides the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def tools_dir() -> Path:
    return Path(os.environ.get("ORCHESTRATOR_TOOLS_DIR") or REPO_ROOT / ".tools")


def local_tool(folder: str, binary: str) -> Path | None:
    path = tools_dir() / folder / "node_modules" / ".bin" / binary
    return path if path.exists() else None


def local_supabase(major: int = 3) -> Path | None:
    return local_tool(f"supabase-{major}", "supabase")


def local_deno() -> Path | None:
    return local_tool("deno", "deno")
