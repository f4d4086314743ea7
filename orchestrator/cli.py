"""The Typer app: parse options, call `orchestrator.commands.<verb>`. Nothing else lives here.

Command modules are imported inside each command so `orchestrator --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from orchestrator.commands.common import Session

# Plain click help and tracebacks: typer's rich help alone costs ~140 ms of start-up
# (rich.markdown, pygments), and our own errors never show a traceback anyway.
app = typer.Typer(name="orchestrator", no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Ship Supabase projects safely: migrations via db push, edge functions one at a time.")
local_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="A local target: Postgres, a Management API simulator, "
                                                   "and a Deno functions gateway on 127.0.0.1.")
app.add_typer(local_app, name="local")
tools_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="The pinned supabase CLI and Deno: install them, see where they are found.")
app.add_typer(tools_app, name="tools")

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to confirmations; pauses continue.")]
NonInteractive = Annotated[bool, typer.Option("--non-interactive",
                                              help="Never prompt: a question without --yes fails (exit 4).")]
EnvFile = Annotated[Path | None, typer.Option("--env-file", help="Read ${VAR} values from this dotenv file.")]


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


Output = Annotated[OutputFormat, typer.Option("--output", "-o", help="json: exactly one JSON document on "
                                              "stdout, whatever the exit code; progress goes to stderr.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Stream the supabase CLI's output (redacted) "
                                       "as it runs.")]
Debug = Annotated[bool, typer.Option("--debug", help="--verbose, plus every Management API request and "
                                     "the traceback of an internal error.")]
PlaybookDir = Annotated[Path | None, typer.Option("--playbook-dir", help="Where to look for PLAYBOOK.")]
PlaybookArg = Annotated[str, typer.Argument(help="Playbook file (or its name under playbooks/).")]
Approve = Annotated[bool, typer.Option("--approve", help="Approve environments with requires_approval.")]
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
ReportJunit = Annotated[Path | None, typer.Option("--report-junit", help="Also write the run report as JUnit "
                                                  "XML (one test case per step and per function).")]
ReportMarkdown = Annotated[Path | None, typer.Option(
    "--report-markdown", help="Also write the run report as Markdown (under GitHub Actions it is appended to "
                              "$GITHUB_STEP_SUMMARY anyway).")]

# Options every playbook command shares; the rest of a command's parameters go to its function.
_COMMON = ("yes", "non_interactive", "env_file", "output", "playbook_dir", "approve", "allow_rolled_back",
           "redeploy", "lock_timeout", "prompt_timeout", "verbose", "debug", "report_junit", "report_markdown")


def _version(value: bool) -> None:
    if value:
        from orchestrator import __version__

        typer.echo(f"orchestrator {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Ship Supabase projects safely: migrations via db push, edge functions one at a time."""


def _dispatch(action: str, given: dict[str, Any]) -> None:
    """Build the session from the common options in `given`; call commands.<action> with the rest."""
    import importlib

    from orchestrator.commands.common import Common, session
    from orchestrator.console import Console
    from orchestrator.durations import parse_duration
    from orchestrator.error_handler import guarded

    options = {k: (v.value if isinstance(v, Enum) else v) for k, v in given.items() if k in _COMMON}
    kwargs = {k: v for k, v in given.items() if k not in _COMMON}
    fallback = Console(json_mode=options.get("output") == "json")
    try:
        options["prompt_timeout"] = parse_duration(str(options.get("prompt_timeout", "30m")))
    except ValueError as exc:
        raise typer.Exit(guarded(fallback, _bad(f"--prompt-timeout {given['prompt_timeout']!r}: {exc}"),
                                 command=action)) from None
    common = Common(**options)

    def call() -> int:
        s: Session = session(common, fallback)
        module = importlib.import_module(f"orchestrator.commands.{action.split('.')[0]}")
        return int(getattr(module, action.split(".")[-1])(s, **kwargs))

    raise typer.Exit(guarded(fallback, call, command=action, debug=common.debug))


def _bad(message: str) -> Callable[[], int]:
    def fail() -> int:
        from orchestrator.errors import InputError

        raise InputError(message)
    return fail


@app.command()
def validate(playbook: PlaybookArg,
             envs: Annotated[list[str] | None, typer.Option("--env", "-e", help="Check only these.")] = None,
             yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
             output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
             debug: Debug = False) -> None:
    """Parse and check the playbook and the project it points at; change nothing."""
    _dispatch("validate", {**locals(), "envs": envs or []})


@app.command()
def plan(playbook: PlaybookArg, env: Annotated[str, typer.Option("--env", "-e", help="Environment.")],
         out: Annotated[Path | None, typer.Option("--out", help="Write the release (what a run would ship) to "
                                                  "this JSON file, for `run --release`.")] = None,
         yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
         output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
         debug: Debug = False) -> None:
    """What a run would do: pending migrations, functions, secret names. Changes nothing."""
    _dispatch("plan", locals())


@app.command()
def rehearse(playbook: Annotated[str | None, typer.Argument(help="Playbook file (or its name under playbooks/).")]
             = None,
             env: Annotated[str | None, typer.Option("--env", "-e", help="Environment (with PLAYBOOK).")] = None,
             project_dir: Annotated[Path | None, typer.Option(
                 "--project-dir", help="Without PLAYBOOK: replay this project's whole migration history on a fresh "
                                       "PostgreSQL with the Supabase baseline (stub extensions are named).")] = None,
             yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
             output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
             debug: Debug = False) -> None:
    """Apply the pending migrations to a throwaway copy of the environment's schema (needs db_url), with
    the real db push, and measure each statement's locks and rewrites; or, with --project-dir, replay
    the whole history on a Supabase baseline. Changes nothing."""
    _dispatch("rehearse", locals())


@app.command()
def run(playbook: PlaybookArg,
        envs: Annotated[list[str], typer.Option("--env", "-e", help="Environment; repeat for a staged rollout.")],
        approve: Approve = False, allow_rolled_back: AllowRolledBack = False, redeploy: Redeploy = False,
        lock_timeout: LockTimeout = 0.0, prompt_timeout: PromptTimeout = "30m",
        release: Annotated[Path | None, typer.Option("--release", help="Ship exactly this release (from `plan "
                                                     "--out`); refused if the checkout differs.")] = None,
        report_junit: ReportJunit = None, report_markdown: ReportMarkdown = None,
        yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
        output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
        debug: Debug = False) -> None:
    """Run the steps against each environment in turn; stop at the first failure."""
    _dispatch("run", locals())


@app.command()
def resume(run_id: Annotated[str, typer.Argument(help="The run id printed by `run`.")],
           project_dir: Annotated[Path | None, typer.Option("--project-dir")] = None,
           approve: Approve = False, allow_rolled_back: AllowRolledBack = False, redeploy: Redeploy = False,
           lock_timeout: LockTimeout = 0.0, prompt_timeout: PromptTimeout = "30m",
           allow_changes: Annotated[bool, typer.Option(
               "--allow-changes", help="Resume although HEAD, the tree, a migration or a function changed.")] = False,
           report_junit: ReportJunit = None, report_markdown: ReportMarkdown = None,
           yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
           output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
           debug: Debug = False) -> None:
    """Continue a failed or interrupted run from the step that did not finish."""
    _dispatch("resume", locals())


@app.command()
def schema(report: Annotated[bool, typer.Option("--report", help="The JSON Schema of the run report "
                                                "(`run --output json`) instead.")] = False) -> None:
    """Print the JSON Schema of the playbook format (or of the run report)."""
    _dispatch("schema", {"non_interactive": True, "report": report})


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
             output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
             debug: Debug = False) -> None:
    """Emergency: redeploy one function exactly as it was at an earlier commit."""
    _dispatch("rollback", locals())


@app.command()
def unlock(env: Annotated[str, typer.Option("--env", "-e", help="Environment.")],
           playbook: PlaybookOpt = None,
           yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
           output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
           debug: Debug = False) -> None:
    """Break an environment's deploy lease (a run that died and left it), after confirmation."""
    _dispatch("unlock", locals())


@app.command()
def history(function: Annotated[str | None, typer.Argument(help="Only this function.")] = None,
            env: Annotated[str | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
            playbook: PlaybookOpt = None,
            yes: Yes = False, non_interactive: NonInteractive = False, env_file: EnvFile = None,
            output: Output = OutputFormat.text, playbook_dir: PlaybookDir = None, verbose: Verbose = False,
            debug: Debug = False) -> None:
    """What was deployed where, from which commit, when, by whom, with what outcome."""
    _dispatch("history", locals())


StateDir = Annotated[Path | None, typer.Option(
    "--state-dir", help="Where the local target keeps its data and pids (default: .orchestrator/local in the "
                        "project: the nearest folder up from here holding supabase/, else the git root).")]


def _plain(module: str, action: str, output: OutputFormat, **kwargs: object) -> None:
    """A command with no playbook session (local, tools): its console, the error handler, exit."""
    import importlib

    from orchestrator.console import Console
    from orchestrator.error_handler import guarded

    ui = Console(json_mode=output == OutputFormat.json)
    command = getattr(importlib.import_module(f"orchestrator.commands.{module}"), action)
    raise typer.Exit(guarded(ui, lambda: int(command(console=ui, **kwargs)), command=f"{module} {action}"))


@local_app.command("up")
def local_up(state_dir: StateDir = None,
             env_file: Annotated[Path | None, typer.Option("--env-file", help="Write the settings here "
                                                              "(default: STATE_DIR/local.env).")] = None,
             rate_limit: Annotated[int, typer.Option("--rate-limit", help="Requests per minute per "
                                                     "endpoint.")] = 120,
             output: Output = OutputFormat.text) -> None:
    """Start Postgres, the Management API simulator and the functions gateway on 127.0.0.1."""
    _plain("local", "up", output, state_dir=state_dir, env_file=env_file, rate_limit=rate_limit)


@local_app.command("status")
def local_status(state_dir: StateDir = None, output: Output = OutputFormat.text) -> None:
    """Show what the local target runs."""
    _plain("local", "status", output, state_dir=state_dir)


@local_app.command("down")
def local_down(state_dir: StateDir = None,
               keep: Annotated[bool, typer.Option("--keep", help="Keep the data directory.")] = False,
               output: Output = OutputFormat.text) -> None:
    """Stop everything `local up` started (by process id) and remove its data unless --keep."""
    _plain("local", "down", output, state_dir=state_dir, keep=keep)


@tools_app.command("install")
def tools_install(target: Annotated[Path | None, typer.Option(
                      "--dir", help="Install here (default: ORCHESTRATOR_TOOLS_DIR, else a checkout's .tools/, "
                                    "else ~/.cache/supabase-orchestrator/tools).")] = None,
                  test_tools: Annotated[bool, typer.Option("--test-tools", help="Also supabase 2.x, for the "
                                                           "orchestrator's own v2 tests.")] = False,
                  output: Output = OutputFormat.text) -> None:
    """Install the pinned supabase CLI and Deno from npm (needs npm), per user, never globally."""
    _plain("tools", "install", output, target=target, test_tools=test_tools)


@tools_app.command("status")
def tools_status(output: Output = OutputFormat.text) -> None:
    """Show which supabase CLI and Deno the orchestrator would use, and where they were found."""
    _plain("tools", "status", output)


@app.command()
def lint(paths: Annotated[list[Path] | None, typer.Argument(
             help="Files or folders (default: supabase/migrations), or - alone for SQL from stdin. A file "
                  "in a supabase/migrations folder is judged with the rest of that folder as history "
                  "(tables created earlier hold rows, RLS enabled in another file counts); the files named "
                  "are the pending ones, pushed together.")] = None,
         fmt: Annotated[LintFormat, typer.Option("--format", "-f", help="github and sarif paths are relative "
                                                "to the git repository root.")] = LintFormat.text,
         since: Annotated[str | None, typer.Option("--since", help="Only files added or changed since "
                                                      "this git ref.")] = None,
         fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 on findings at or above this.")]
         = FailOn.error,
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
    raise typer.Exit(guarded(ui, lambda: lint_command(list(paths or []), fmt=fmt.value, since=since,
                                                      project_dir=project_dir, fail_on=fail_on.value, console=ui,
                                                      stdin_filename=stdin_filename), command="lint"))
