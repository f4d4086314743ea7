"""The Typer app: parse options, call `orchestrator.commands.<verb>`. Nothing else lives here.

Command modules are imported inside each command so `orchestrator --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from orchestrator.commands.common import Session

# Plain click help and tracebacks: typer's rich help alone costs ~140 ms of start-up
# (rich.markdown, pygments), and our own errors never show a traceback anyway.
app = typer.Typer(name="orchestrator", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Ship Supabase projects safely: migrations via db push, edge functions one at a time.")
local_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="A local target: Postgres, a Management API simulator, "
                                                   "and a Deno functions gateway on 127.0.0.1.")
app.add_typer(local_app, name="local")

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to confirmations; pauses continue.")]
NonInteractive = Annotated[bool, typer.Option("--non-interactive",
                                              help="Never prompt: a question without --yes fails (exit 4).")]
EnvFile = Annotated[Path | None, typer.Option("--env-file", help="Read ${VAR} values from this dotenv file.")]
Output = Annotated[str, typer.Option("--output", "-o", help="text or json.")]
PlaybookDir = Annotated[Path | None, typer.Option("--playbook-dir", help="Where to look for PLAYBOOK.")]
PlaybookArg = Annotated[str, typer.Argument(help="Playbook file (or its name under playbooks/).")]
AllowRolledBack = Annotated[bool, typer.Option(
    "--allow-rolled-back", help="Deploy a function even if these exact inputs were rolled back before.")]
Redeploy = Annotated[bool, typer.Option(
    "--redeploy", help="Deploy functions whose inputs equal the live deploy's too (default: skip them).")]
PromptTimeout = Annotated[str, typer.Option(
    "--prompt-timeout", help="How long any question waits for an answer before the run stops (exit 4), "
                             "unless the step sets its own timeout: 30s, 10m, 1h.")]
LockTimeout = Annotated[float, typer.Option(
    "--lock-timeout", min=0, max=86400, help="Seconds to wait when another run is deploying to the environment "
                                            "(default 0: exit 4 at once, naming it).")]


def _dispatch(action: str, yes: bool, non_interactive: bool, env_file: Path | None, output: str,
              playbook_dir: Path | None, approve: bool = False, allow_rolled_back: bool = False,
              redeploy: bool = False, lock_timeout: float = 0.0, prompt_timeout: str = "30m",
              **kwargs: object) -> None:
    import importlib

    from orchestrator.commands.common import Common, session
    from orchestrator.console import Console
    from orchestrator.error_handler import guarded

    if output not in {"text", "json"}:
        Console().error(f"--output {output!r}: use text or json")
        raise typer.Exit(2)
    from orchestrator.durations import parse_duration

    try:
        waits = parse_duration(prompt_timeout)
    except ValueError as exc:
        Console().error(f"--prompt-timeout {prompt_timeout!r}: {exc}")
        raise typer.Exit(2) from None
    common = Common(yes, non_interactive, env_file, output, playbook_dir, approve,  # type: ignore[arg-type]
                    allow_rolled_back, redeploy, lock_timeout, waits)

    def call() -> int:
        s: Session = session(common)
        module = importlib.import_module(f"orchestrator.commands.{action.split('.')[0]}")
        return int(getattr(module, action.split(".")[-1])(s, **kwargs))

    fallback = Console(json_mode=output == "json")
    raise typer.Exit(guarded(fallback, call))


@app.command()
def validate(playbook: PlaybookArg,
             env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Check only these.")] = None,
             yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
             output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """Parse and check the playbook and the project it points at; change nothing."""
    _dispatch("validate", yes, non_interactive, env_file, output, playbook_dir, playbook=playbook, envs=env or [])


@app.command()
def plan(playbook: PlaybookArg, env: Annotated[str, typer.Option("--env", "-e", help="Environment.")],
         out: Annotated[Path | None, typer.Option("--out", help="Write the release (what a run would ship) to "
                                                  "this JSON file, for `run --release`.")] = None,
         yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
         output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """What a run would do: pending migrations, functions, secret names. Changes nothing."""
    _dispatch("plan", yes, non_interactive, env_file, output, playbook_dir, playbook=playbook, env=env, out=out)


@app.command()
def run(playbook: PlaybookArg,
        env: Annotated[list[str], typer.Option("--env", "-e", help="Environment; repeat for a staged rollout.")],
        approve: Annotated[bool, typer.Option("--approve", help="Approve environments with "
                                                                "requires_approval.")] = False,
        allow_rolled_back: AllowRolledBack = False, redeploy: Redeploy = False, lock_timeout: LockTimeout = 0.0,
        prompt_timeout: PromptTimeout = "30m",
        release: Annotated[Path | None, typer.Option("--release", help="Ship exactly this release (from `plan "
                                                     "--out`); refused if the checkout differs.")] = None,
        yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
        output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """Run the steps against each environment in turn; stop at the first failure."""
    _dispatch("run", yes, non_interactive, env_file, output, playbook_dir, approve, allow_rolled_back, redeploy,
              lock_timeout, prompt_timeout, playbook=playbook, envs=env, release=release)


@app.command()
def resume(run_id: Annotated[str, typer.Argument(help="The run id printed by `run`.")],
           project_dir: Annotated[Path | None, typer.Option("--project-dir")] = None,
           approve: Annotated[bool, typer.Option("--approve")] = False,
           allow_rolled_back: AllowRolledBack = False, redeploy: Redeploy = False,
           lock_timeout: LockTimeout = 0.0, prompt_timeout: PromptTimeout = "30m",
           allow_changes: Annotated[bool, typer.Option(
               "--allow-changes", help="Resume although HEAD, the tree, a migration or a function changed.")] = False,
           yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
           output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """Continue a failed or interrupted run from the step that did not finish."""
    _dispatch("resume", yes, non_interactive, env_file, output, playbook_dir, approve, allow_rolled_back, redeploy,
              lock_timeout, prompt_timeout, run_id=run_id, project_dir=project_dir, allow_changes=allow_changes)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the playbook format."""
    _dispatch("schema", False, True, None, "text", None)


PlaybookOpt = Annotated[str | None, typer.Option("--playbook", "-p", help="Environment settings from this "
                                                    "playbook (default: orchestrator.yaml, else the only one "
                                                    "in playbooks/).")]


@app.command()
def rollback(function: Annotated[str, typer.Argument(help="The function to redeploy.")],
             env: Annotated[str, typer.Option("--env", "-e", help="Environment.")],
             to: Annotated[str, typer.Option("--to", help="A commit, tag or branch, or last-good (from the "
                                                          "deploy ledger).")],
             playbook: PlaybookOpt = None,
             project_ref: Annotated[str | None, typer.Option(
                 "--project-ref", help="No playbook at hand: this project (API URL from ORCHESTRATOR_API_URL)."
             )] = None,
             lock_timeout: LockTimeout = 0.0, prompt_timeout: PromptTimeout = "30m",
             yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
             output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """Emergency: redeploy one function exactly as it was at an earlier commit."""
    _dispatch("rollback", yes, non_interactive, env_file, output, playbook_dir, lock_timeout=lock_timeout,
              prompt_timeout=prompt_timeout,
              function=function, env=env, to=to, playbook=playbook, project_ref=project_ref)


@app.command()
def unlock(env: Annotated[str, typer.Option("--env", "-e", help="Environment.")],
           playbook: PlaybookOpt = None,
           yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
           output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """Break an environment's deploy lease (a run that died and left it), after confirmation."""
    _dispatch("unlock", yes, non_interactive, env_file, output, playbook_dir, env=env, playbook=playbook)


@app.command()
def history(function: Annotated[str | None, typer.Argument(help="Only this function.")] = None,
            env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
            playbook: PlaybookOpt = None,
            yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
            output: Output = "text", playbook_dir: PlaybookDir = None) -> None:
    """What was deployed where, from which commit, when, by whom, with what outcome."""
    _dispatch("history", yes, non_interactive, env_file, output, playbook_dir, env=env, function=function,
              playbook=playbook)


StateDir = Annotated[Path, typer.Option("--state-dir", help="Where the local target keeps its data and pids.")]
DEFAULT_STATE = Path(".orchestrator/local")


def _local(action: str, **kwargs: object) -> None:
    from orchestrator.commands import local
    from orchestrator.console import Console
    from orchestrator.error_handler import guarded

    ui = Console()
    raise typer.Exit(guarded(ui, lambda: int(getattr(local, action)(console=ui, **kwargs))))


@local_app.command("up")
def local_up(state_dir: StateDir = DEFAULT_STATE,
             env_file: Annotated[Path | None, typer.Option("--env-file", help="Write the settings here "
                                                              "(default: STATE_DIR/local.env).")] = None,
             rate_limit: Annotated[int, typer.Option("--rate-limit", help="Requests per minute per "
                                                     "endpoint.")] = 120) -> None:
    """Start Postgres, the Management API simulator and the functions gateway on 127.0.0.1."""
    _local("up", state_dir=state_dir, env_file=env_file or state_dir / "local.env", rate_limit=rate_limit)


@local_app.command("status")
def local_status(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Show what the local target runs."""
    _local("status", state_dir=state_dir)


@local_app.command("down")
def local_down(state_dir: StateDir = DEFAULT_STATE,
               keep: Annotated[bool, typer.Option("--keep", help="Keep the data directory.")] = False) -> None:
    """Stop everything `local up` started (by process id) and remove its data unless --keep."""
    _local("down", state_dir=state_dir, keep=keep)


@app.command()
def lint(paths: Annotated[list[Path] | None, typer.Argument(
             help="Files or folders (default: supabase/migrations), or - alone for SQL from stdin. A file "
                  "in a supabase/migrations folder is judged with the rest of that folder as history "
                  "(tables created earlier hold rows, RLS enabled in another file counts); the files named "
                  "are the pending ones, pushed together.")] = None,
         fmt: Annotated[str, typer.Option("--format", "-f", help="text, json, github or sarif; github and "
                                          "sarif paths are relative to the git repository root.")] = "text",
         since: Annotated[str | None, typer.Option("--since", help="Only files added or changed since "
                                                      "this git ref.")] = None,
         fail_on: Annotated[str, typer.Option("--fail-on", help="error, warning or never.")] = "error",
         project_dir: Annotated[Path, typer.Option("--project-dir", help="Folder holding supabase/ and "
                                                   "pyproject.toml.")] = Path("."),
         stdin_filename: Annotated[str | None, typer.Option(
             "--stdin-filename", help="File name for the SQL read from -, in reports and for the file-name "
                                      "rules. Named into a supabase/migrations folder (a bare name: the "
                                      "project's), it is judged in that file's place among the folder's "
                                      "files, the only pending one. Without it: <stdin>, judged alone, its "
                                      "name not checked.")] = None) -> None:
    """Lint migration files: locks, destructive changes, transactions, RLS, PL/pgSQL bodies, history."""
    from orchestrator.commands.lint import lint as lint_command
    from orchestrator.console import Console
    from orchestrator.error_handler import guarded

    ui = Console()
    raise typer.Exit(guarded(ui, lambda: lint_command(list(paths or []), fmt=fmt, since=since,
                                                      project_dir=project_dir, fail_on=fail_on, console=ui,
                                                      stdin_filename=stdin_filename)))
