"""`orchestrator local up|status|down`: the local target (Postgres, API simulator, functions gateway).

`up` leaves everything running after the command returns and writes an env file a playbook can
read with `--env-file`; `down` stops exactly what `up` started (by the pids in the state dir).
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.console import Console
from orchestrator.errors import InputError
from orchestrator.files import write_private
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


def up(state_dir: Path, env_file: Path, *, rate_limit: int = 120, console: Console | None = None) -> int:
    """Start the local target detached; write `env_file` (mode 0600). 0 on success, 2 if already up."""
    out = console or Console()
    if _is_up(state_dir):
        raise InputError(f"a local target is already running in {state_dir}; "
                         f"run `orchestrator local down` first")
    target = LocalTarget(state_dir, rate_limit=rate_limit).start()
    values = env_values(target)
    _write_env(env_file, values)
    for name, value in values.items():
        out.info(f"{name}={'(in env file)' if name in _SECRET_NAMES else value}")
    out.ok(f"local target up; settings in {env_file} (use --env-file {env_file})")
    return 0


def status(state_dir: Path, *, console: Console | None = None) -> int:
    """Print what runs; 0 if everything is up, 1 if something stopped, 2 if nothing was started."""
    out = console or Console()
    if not (state_dir / "target.json").exists():
        out.info(f"no local target in {state_dir}")
        return 2
    target = LocalTarget.attach(state_dir)
    running = target.running()
    for name, alive in running.items():
        out.info(f"{name}: {'running' if alive else 'stopped'}")
    out.info(f"project {target.project_ref}  api {target.api_url}  functions {target.functions_url}")
    if all(running.values()):
        slugs = target.client.function_slugs()
        out.info(f"functions deployed: {', '.join(slugs) or 'none'}")
        return 0
    return 1


def down(state_dir: Path, keep: bool = False, *, console: Console | None = None) -> int:
    """Stop what `up` started (by pid) and remove its data unless keep. 0 even if nothing ran."""
    out = console or Console()
    if not (state_dir / "target.json").exists():
        out.info(f"no local target in {state_dir}")
        if not keep and (state_dir / "settings.json").exists():
            LocalTarget(state_dir).stop()
        return 0
    LocalTarget.attach(state_dir).stop(keep=keep)
    out.ok(f"local target stopped{'; data kept in ' + str(state_dir) if keep else ''}")
    return 0


def _write_env(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, "# written by `orchestrator local up`; throwaway local credentials\n"
                  + "".join(f"{name}={values[name]}\n" for name in ENV_NAMES))
