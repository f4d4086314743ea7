"""`orchestrator local up|status|down`: the local target (Postgres, API simulator, functions gateway).

`up` leaves everything running after the command returns and writes an env file a playbook can
read with `--env-file`; `down` stops exactly what `up` started (by the pids in the state dir).
"""

from __future__ import annotations

from pathlib import Path

from orchestrator import tools
from orchestrator.console import Console
from orchestrator.errors import InputError
from orchestrator.files import private_dir, write_private
from orchestrator.journal import ensure_ignored
from orchestrator.local.target import LocalTarget

# Names a playbook's environment can reference as ${LOCAL_PROJECT_REF} etc.
ENV_NAMES = ("LOCAL_PROJECT_REF", "LOCAL_API_URL", "LOCAL_DB_URL", "LOCAL_FUNCTIONS_URL", "LOCAL_ANON_KEY",
             "SUPABASE_ACCESS_TOKEN", "SUPABASE_PROFILE")
_SECRET_NAMES = {"LOCAL_DB_URL", "LOCAL_ANON_KEY", "SUPABASE_ACCESS_TOKEN"}


def env_values(target: LocalTarget) -> dict[str, str]:
    return {"LOCAL_PROJECT_REF": target.project_ref, "LOCAL_API_URL": target.api_url,
            "LOCAL_DB_URL": target.db_url, "LOCAL_FUNCTIONS_URL": target.functions_url,
            "LOCAL_ANON_KEY": target.anon_key, "SUPABASE_ACCESS_TOKEN": target.access_token,
            "SUPABASE_PROFILE": str(target.profile_path)}


def _is_up(state_dir: Path) -> bool:
    if not (state_dir / "target.json").exists():
        return False
    return any(LocalTarget.attach(state_dir).running().values())


def state_home(given: Path | None, cwd: Path | None = None) -> Path:
    """The state dir, absolute. By default `.orchestrator/local` of the project holding the current
    folder, so `up` at the root and `status`/`down` in supabase/functions/x find the same target."""
    if given is not None:
        return given.absolute()
    here = (cwd or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / ".orchestrator" / "local" / "target.json").exists() or (folder / "supabase").is_dir():
            return folder / ".orchestrator" / "local"
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder / ".orchestrator" / "local"
    return here / ".orchestrator" / "local"


def up(state_dir: Path | None, env_file: Path | None = None, *, rate_limit: int = 120,
       console: Console | None = None) -> int:
    """Start the local target detached; write `env_file` (mode 0600). 0 on success, 2 if already up."""
    out = console or Console()
    state_dir = state_home(state_dir)
    env_file = (env_file or state_dir / "local.env").absolute()
    if _is_up(state_dir):
        raise InputError(f"a local target is already running in {state_dir}; "
                         f"run `orchestrator local down` first")
    if tools.find("deno") is None:  # every function would answer 503: refuse rather than say "ok"
        raise InputError(f"deno not found: the local target runs functions with Deno; {tools.INSTALL_HINT}, or "
                         "put `deno` on PATH (`orchestrator tools status` shows where tools are looked for)")
    if state_dir.parent.name == ".orchestrator":  # throwaway credentials: never in the user's commits
        private_dir(state_dir.parent)
        ensure_ignored(state_dir.parent.parent)
    target = LocalTarget(state_dir, rate_limit=rate_limit).start()
    values = env_values(target)
    _write_env(env_file, values)
    shown = {name: "(in env file)" if name in _SECRET_NAMES else value for name, value in values.items()}
    for name, value in shown.items():
        out.info(f"{name}={value}")
    out.ok(f"local target up; settings in {env_file} (use --env-file {env_file})")
    if out.json_mode:
        out.emit_json({"state_dir": str(state_dir), "env_file": str(env_file), "settings": shown})
    return 0


def status(state_dir: Path | None, *, console: Console | None = None) -> int:
    """Print what runs; 0 if everything is up, 1 if something stopped, 2 if nothing was started."""
    out = console or Console()
    state_dir = state_home(state_dir)
    if not (state_dir / "target.json").exists():
        out.info(f"no local target in {state_dir}")
        if out.json_mode:
            out.emit_json({"state_dir": str(state_dir), "running": {}, "exit_code": 2})
        return 2
    target = LocalTarget.attach(state_dir)
    running = target.running()
    for name, alive in running.items():
        out.info(f"{name}: {'running' if alive else 'stopped'}")
    out.info(f"project {target.project_ref}  api {target.api_url}  functions {target.functions_url}")
    slugs = target.client.function_slugs() if all(running.values()) else None
    if slugs is not None:
        out.info(f"functions deployed: {', '.join(slugs) or 'none'}")
    if out.json_mode:
        out.emit_json({"state_dir": str(state_dir), "running": running, "project_ref": target.project_ref,
                       "api_url": target.api_url, "functions_url": target.functions_url, "functions": slugs,
                       "exit_code": 0 if slugs is not None else 1})
    return 0 if slugs is not None else 1


def down(state_dir: Path | None, keep: bool = False, *, console: Console | None = None) -> int:
    """Stop what `up` started (by pid) and remove its data unless keep. 0 even if nothing ran."""
    out = console or Console()
    state_dir = state_home(state_dir)
    if not (state_dir / "target.json").exists():
        out.info(f"no local target in {state_dir}")
        if not keep and (state_dir / "settings.json").exists():
            LocalTarget(state_dir).stop()
        return 0
    LocalTarget.attach(state_dir).stop(keep=keep)
    out.ok(f"local target stopped{'; data kept in ' + str(state_dir) if keep else ''}")
    if out.json_mode:
        out.emit_json({"state_dir": str(state_dir), "stopped": True, "kept": keep})
    return 0


def _write_env(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, "# written by `orchestrator local up`; throwaway local credentials\n"
                  + "".join(f"{name}={values[name]}\n" for name in ENV_NAMES))
