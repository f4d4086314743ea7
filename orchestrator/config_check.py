"""What the project's supabase/config.toml means to the supabase CLI the orchestrator would run.

The orchestrator never hands the CLI the project's config.toml: a deploy gets a staged folder with
the function's own settings, `db push` a folder with the migrations and `[db] major_version`, other
commands a neutral folder. So a config.toml the installed CLI refuses (supabase 3.1.0 refuses
`[inbucket]`, measured on 5 of 6 real projects) does not block a run. It does break the team's
own `supabase start`, `functions serve` and `config push`, and the settings the deploys do read
come from it: `validate` and `plan` say what the CLI thinks of it, in the CLI's own words.

The CLI is asked through `supabase services`: a read-only command that loads config.toml, prints
what is wrong with it on stderr and needs no network or Docker (with no access token it lists the
local image versions only). Errors stop the CLI's loader, so it names the first problem only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from orchestrator.errors import InputError, OrchestratorError
from orchestrator.function_inputs import CONFIG, disk_source, resolve
from orchestrator.playbook.models import ProjectInfo
from orchestrator.redact import SECRET_ENV_VARS, Redactor

CHECK_TIMEOUT_S = 60.0
_SCRATCH = (".temp", ".branches")  # what the CLI writes below supabase/


def config_notes(project: ProjectInfo, names: Sequence[str], environ: Mapping[str, str],
                 redactor: Redactor | None = None) -> list[str]:
    """Warnings about config.toml and the listed functions' import maps (empty when all is well)."""
    return folder_map_notes(project, names) + cli_notes(project, environ, redactor or Redactor())


def folder_map_notes(project: ProjectInfo, names: Sequence[str]) -> list[str]:
    source = disk_source(project.root)
    found = [resolve(n, source) for n in names if (project.functions_dir / n).is_dir()]
    return [f"{i.import_map}: supabase 3 no longer reads a function folder's import_map.json on its own; the "
            f"orchestrator names it in the config it deploys {i.name} with, but rename it to deno.json (supabase's "
            f"advice) or set functions.{i.name}.import_map in config.toml"
            for i in found if i.uses_folder_import_map]


def cli_notes(project: ProjectInfo, environ: Mapping[str, str], redactor: Redactor) -> list[str]:
    from orchestrator.adapters.supabase_cli import SupabaseCli

    if not (project.root / CONFIG).is_file():
        return []
    try:
        binary = SupabaseCli.locate(project.root, environ)
    except InputError as exc:
        return [f"{CONFIG} was not checked against the supabase CLI: {exc}"]
    with tempfile.TemporaryDirectory(prefix="orch-config-check-") as tmp:
        # No token and an empty home: the CLI cannot reach a project, so it only reads files. It
        # reads them through a view of the project, because it also writes (supabase/.temp/cli-latest).
        home, view = Path(tmp) / "home", Path(tmp) / "project"
        home.mkdir()
        _view(project.root, view)
        env = {k: v for k, v in environ.items() if k not in SECRET_ENV_VARS} | {"HOME": str(home),
                                                                               "SUPABASE_HOME": str(home)}
        cli = SupabaseCli(binary, workdir=view, env=env, redactor=redactor, timeout=CHECK_TIMEOUT_S)
        try:
            version = ".".join(map(str, cli.version))
            result = cli.run(["--output-format", "json", "services"], check=False)
        except OrchestratorError as exc:
            return [f"{CONFIG} was not checked against the supabase CLI ({binary}): {str(exc).splitlines()[0]}"]
    said = [line.strip().replace(str(view), str(project.root)) for line in result.stderr.splitlines()
            if "config" in line.lower()]
    return [f"{CONFIG}: supabase {version} " + (f"warns: {line.removeprefix('WARN:').strip()}" if line.startswith("WARN")
                                                else f"refuses it: {line} (the orchestrator's deploys and pushes do not "
                                                     "read it, but `supabase start`, `functions serve` and `config "
                                                     "push` will fail)")
            for line in said]


def _view(root: Path, into: Path) -> None:
    """`root` seen through symbolic links, with the CLI's scratch folders of supabase/ left out."""
    into.mkdir()
    for entry in root.iterdir():
        if entry.name == "supabase" and entry.is_dir():
            (into / "supabase").mkdir()
            for child in entry.iterdir():
                if child.name not in _SCRATCH:
                    (into / "supabase" / child.name).symlink_to(child)
        else:
            (into / entry.name).symlink_to(entry)
