"""`orchestrator tools install|status`: the pinned supabase CLI and Deno, and where they are found."""

from __future__ import annotations

from pathlib import Path

from orchestrator import tools
from orchestrator.console import Console


def status(console: Console) -> int:
    """0 when every tool is found, 1 when one is missing (the message says how to install it)."""
    rows = []
    for name, tool in tools.TOOLS.items():
        found = tools.find(name)
        version = tools.version_of(found.path) if found else None
        rows.append({"name": name, "pinned": tool.package, "path": str(found.path) if found else None,
                     "source": found.source if found else None, "version": version, "purpose": tool.purpose})
    console.table("Tools", ["tool", "pinned", "found", "version", "from", "for"],
                  [(r["name"], r["pinned"], r["path"] or "NOT FOUND", r["version"] or "-", r["source"] or "-",
                    r["purpose"]) for r in rows])
    missing = [str(r["name"]) for r in rows if r["path"] is None]
    if missing:
        console.warn(f"not found: {', '.join(missing)}; {tools.INSTALL_HINT} (into {tools.tools_dir()}), or put "
                     "them on PATH")
    if console.json_mode:
        console.emit_json({"tools": rows, "install_dir": str(tools.tools_dir()), "missing": missing})
    return 1 if missing else 0


def install(console: Console, target: Path | None = None, test_tools: bool = False) -> int:
    names = [*tools.TOOLS, *(tools.TEST_TOOLS if test_tools else {})]
    where = (target or tools.tools_dir()).absolute()
    installed = tools.install(where, names, echo=console.info)
    console.ok(f"{len(installed)} tool(s) in {where}")
    if console.json_mode:
        console.emit_json({"install_dir": str(where), "installed": [str(p) for p in installed]})
    return 0
