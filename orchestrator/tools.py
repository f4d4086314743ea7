"""The outside tools the orchestrator drives, pinned, and where they are found.

- `supabase` (the CLI, npm package supabase@3.1.0): migrations and deploys. 2.122.1 is installed
  beside it for the v2 tests of a checkout.
- `deno` (npm package deno): runs functions in the local target's gateway.

Where, first match wins: SUPABASE_CLI (supabase only), ORCHESTRATOR_TOOLS_DIR, the `.tools/`
folder of a checkout (scripts/setup), the per-user cache `orchestrator tools install` fills
($XDG_CACHE_HOME/supabase-orchestrator/tools), then PATH. Each install dir holds
<folder>/node_modules/.bin/<binary>, the layout `npm install` gives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = "run `orchestrator tools install`"


@dataclass(frozen=True)
class Tool:
    folder: str  # below an install dir
    package: str  # npm spec, pinned
    binary: str
    purpose: str


TOOLS = {
    "supabase": Tool("supabase-3", "supabase@3.1.0", "supabase", "migrations and function deploys"),
    "deno": Tool("deno", "deno@2.9.6", "deno", "the local target's functions gateway"),
}
TEST_TOOLS = {"supabase-2": Tool("supabase-2", "supabase@2.122.1", "supabase", "the v2 tests of a checkout")}


@dataclass(frozen=True)
class Found:
    path: Path
    source: str  # where it was found, for `tools status` and messages


def user_tools_dir(environ: Mapping[str, str] = os.environ) -> Path:
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "supabase-orchestrator" / "tools"


def install_dirs(environ: Mapping[str, str] = os.environ) -> list[Path]:
    if environ.get("ORCHESTRATOR_TOOLS_DIR"):
        return [Path(environ["ORCHESTRATOR_TOOLS_DIR"])]
    checkout = [REPO_ROOT / ".tools"] if (REPO_ROOT / "pyproject.toml").is_file() else []
    return [*checkout, user_tools_dir(environ)]


def tools_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where `tools install` puts tools by default: the first install dir."""
    return install_dirs(environ)[0]


def find(name: str, environ: Mapping[str, str] = os.environ, *, on_path: bool = True) -> Found | None:
    tool = {**TOOLS, **TEST_TOOLS}[name]
    for folder in install_dirs(environ):
        path = folder / tool.folder / "node_modules" / ".bin" / tool.binary
        if path.exists():
            return Found(path, str(folder))
    found = shutil.which(tool.binary, path=environ.get("PATH", os.defpath)) if on_path and name in TOOLS else None
    return Found(Path(found), "PATH") if found else None


def local_supabase(major: int = 3) -> Path | None:
    found = find("supabase" if major == 3 else f"supabase-{major}")
    return found.path if found else None


def local_deno() -> Path | None:
    found = find("deno")
    return found.path if found else None


def version_of(path: Path) -> str | None:
    """`<binary> --version`'s first line, or None when it does not run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else None


def install(target: Path, names: list[str], *, echo: Callable[[str], None]) -> list[Path]:
    """`npm install` each pinned tool into target/<folder> (npm ships the binaries inside optional
    platform packages: nothing else is downloaded). Already installed at the pin: left alone."""
    npm = shutil.which("npm")
    if npm is None:
        raise InputError("`orchestrator tools install` needs npm (Node.js): install it (apt-get install nodejs "
                         "npm, brew install node), or put `supabase` and `deno` on PATH yourself")
    done = []
    for name in names:
        tool = {**TOOLS, **TEST_TOOLS}[name]
        folder = target / tool.folder
        binary = folder / "node_modules" / ".bin" / tool.binary
        spec = tool.package.rsplit("@", 1)[1]
        if binary.exists() and _installed_spec(folder) == spec:
            echo(f"{tool.package}: already in {folder}")
            done.append(binary)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(f'{{"name": "orchestrator-tool-{tool.folder}", "private": true}}\n')
        result = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", tool.package],
                                cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
        if result.returncode != 0 or not binary.exists():
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-8:])
            raise InputError(f"npm install {tool.package} in {folder} failed (exit {result.returncode}):\n{tail}")
        (folder / ".spec").write_text(spec + "\n")
        echo(f"{tool.package}: installed {binary}")
        done.append(binary)
    return done


def _installed_spec(folder: Path) -> str | None:
    try:
        return (folder / ".spec").read_text().strip().strip('"')
    except OSError:
        return None
