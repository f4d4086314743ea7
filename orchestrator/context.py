"""What a step gets: the playbook, the environment, the options and lazily built adapters.

Steps never spawn processes or open sockets themselves; they ask the context for the adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from orchestrator.console import Console
from orchestrator.errors import InputError
from orchestrator.journal import Journal
from orchestrator.playbook.models import Environment, Playbook
from orchestrator.prompt import Prompter
from orchestrator.redact import Redactor

if TYPE_CHECKING:
    from orchestrator.adapters.database import Database
    from orchestrator.adapters.git import Git
    from orchestrator.adapters.management_api import ManagementApi
    from orchestrator.adapters.supabase_cli import SupabaseCli, Target


@dataclass(frozen=True)
class RunOptions:
    yes: bool = False
    interactive: bool = True
    output: Literal["text", "json"] = "text"
    approve: bool = False
    allow_rolled_back: bool = False  # deploy inputs identical to a rolled-back deploy anyway
    redeploy: bool = False  # deploy functions whose inputs equal the live deploy's too
    lock_timeout: float = 0.0  # seconds to wait for another run's lease on an environment
    prompt_timeout: float = 1800.0  # seconds any question waits for an answer (unless it has its own)
    planned: dict[str, Any] | None = None  # a release file: ship exactly that (run --release)
    verbose: bool = False  # stream the supabase CLI's (redacted) output to the console
    debug: bool = False  # and every Management API request


@dataclass
class StepContext:
    playbook: Playbook
    env_name: str
    env: Environment
    options: RunOptions
    ui: Console
    prompter: Prompter
    journal: Journal
    redactor: Redactor
    environ: Mapping[str, str]
    facts: dict[str, Any] = field(default_factory=dict)  # shared between steps of one environment

    @property
    def api_url(self) -> str:
        return self.environ.get("ORCHESTRATOR_API_URL") or self.env.api_url

    @property
    def token(self) -> str:
        """This environment's `access_token`, else SUPABASE_ACCESS_TOKEN."""
        return self.env.access_token or self.environ.get("SUPABASE_ACCESS_TOKEN", "")

    @property
    def token_source(self) -> str:
        """Where the token came from, for messages (never the value)."""
        if self.env.access_token:
            var = self.playbook.token_vars.get(self.env_name, "access_token")
            return f"{var} (environments.{self.env_name}.access_token)"
        return "SUPABASE_ACCESS_TOKEN" + self.environ_origin("SUPABASE_ACCESS_TOKEN")

    def environ_origin(self, name: str) -> str:
        """' (process environment; overrides --env-file)' when a --env-file value was shadowed."""
        shadowed: frozenset[str] = getattr(self.environ, "shadowed", frozenset())
        return " (process environment; it overrides the value in --env-file)" if name in shadowed else ""

    def target(self) -> Target:
        from orchestrator.adapters.supabase_cli import Target

        return Target(project_ref=self.env.project_ref, db_url=self.env.db_url, api_url=self.api_url)

    @cached_property
    def cli(self) -> SupabaseCli:
        from orchestrator.adapters.supabase_cli import SupabaseCli

        binary = SupabaseCli.locate(self.playbook.project.root, self.environ)
        env = dict(self.environ)
        if self.token:  # this environment's token, never another environment's
            env["SUPABASE_ACCESS_TOKEN"] = self.token
            self.redactor.add(self.token)
        return SupabaseCli(binary, env=env,
                           redactor=self.redactor, on_call=self._record_call, on_output=self._record_output)

    @cached_property
    def api(self) -> ManagementApi:
        from orchestrator.adapters.management_api import ManagementApi

        if not self.token:
            raise InputError(f"environment {self.env_name}: {self.token_source} is not set; "
                             "create a token at https://supabase.com/dashboard/account/tokens")
        self.redactor.add(self.token)
        return ManagementApi(self.token, self.api_url, token_source=self.token_source, redactor=self.redactor,
                             trace=self.ui.detail if self.options.debug else None)

    @cached_property
    def git(self) -> Git:
        """The repository holding the project; its top may be above the project (monorepos)."""
        from orchestrator.adapters.git import Git

        return Git.at(self.playbook.project.root)

    def repo_paths(self, paths: list[str]) -> list[str]:
        """Project-relative paths (`supabase/functions/x`) as git sees them, from the repository top."""
        prefix = self.project_prefix()
        return [prefix + p for p in paths]

    def project_prefix(self) -> str:
        """`apps/demo/` when the project sits there below the repository top; "" at the top."""
        rel = self.playbook.project.root.resolve().relative_to(self.git.top.resolve()).as_posix()
        return "" if rel == "." else rel + "/"

    def query(self, sql: str, params: Sequence[Any] = (), *, read_only: bool = True) -> list[dict[str, Any]]:
        """SQL against this environment's database: db_url when set, else the Management API.
        `params` fill $1..$n (bound, never spliced into the text)."""
        if self.env.db_url:
            return self.database.query(sql, params, read_only=read_only)
        return self.api.run_query(self.env.project_ref, sql, params)

    def direct_db_url(self, missing: str) -> str:
        """db_url, for work only a direct connection can do (pg_dump); `missing` is the error when
        the environment has none. Its password is a secret from here on."""
        if not self.env.db_url:
            raise InputError(missing)
        from orchestrator.adapters.pg_client import password

        self.redactor.add(*(p for p in [password(self.env.db_url)] if p))
        return self.env.db_url

    @cached_property
    def database(self) -> Database:
        from orchestrator.adapters.database import Database

        assert self.env.db_url
        return Database(self.env.db_url, self.redactor)

    def _record_call(self, record: dict[str, Any]) -> None:
        self.journal.write(str(record.get("event", "cli")), env=self.env_name,
                           **{k: v for k, v in record.items() if k != "event"})

    def _record_output(self, line: str) -> None:
        self.journal.write("output", env=self.env_name, line=line)
        if self.options.verbose:
            self.ui.detail(f"supabase | {line}")
