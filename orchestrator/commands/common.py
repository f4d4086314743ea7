"""What every command needs: options, the console, the redactor, the environment, the playbook."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchestrator.console import Console
from orchestrator.context import RunOptions
from orchestrator.errors import InputError
from orchestrator.playbook.loader import load_playbook, read_environ
from orchestrator.playbook.models import Playbook
from orchestrator.redact import Redactor


@dataclass(frozen=True)
class Common:
    """The common options of the spec."""

    yes: bool = False
    non_interactive: bool = False
    env_file: Path | None = None
    output: Literal["text", "json"] = "text"
    playbook_dir: Path | None = None
    approve: bool = False
    allow_rolled_back: bool = False
    redeploy: bool = False
    lock_timeout: float = 0.0
    prompt_timeout: float = 1800.0
    verbose: bool = False
    debug: bool = False
    report_junit: Path | None = None
    report_markdown: Path | None = None

    @property
    def interactive(self) -> bool:
        # Without a terminal --non-interactive is implied: nothing ever waits for input.
        return not self.non_interactive and sys.stdin.isatty() and not in_ci(os.environ)

    def run_options(self) -> RunOptions:
        return RunOptions(yes=self.yes, interactive=self.interactive, output=self.output, approve=self.approve,
                          allow_rolled_back=self.allow_rolled_back, redeploy=self.redeploy,
                          lock_timeout=self.lock_timeout, prompt_timeout=self.prompt_timeout,
                          verbose=self.verbose or self.debug, debug=self.debug)


def in_ci(environ: Mapping[str, str]) -> bool:
    """CI=true, CI=1, CI=yes...: any non-empty value but false/0 (GitHub, GitLab, CircleCI and
    Buildkite set `true`, Woodpecker and some runners `1`)."""
    return environ.get("CI", "").strip().lower() not in {"", "false", "0", "no"}


@dataclass
class Session:
    common: Common
    environ: dict[str, str]
    redactor: Redactor
    ui: Console


def session(common: Common, ui: Console | None = None) -> Session:
    """`ui`: the console the error handler reports through, so both know whether the one JSON
    document was written."""
    environ = read_environ(common.env_file)
    redactor = Redactor.from_env(environ)
    ui = ui or Console(json_mode=common.output == "json")
    ui.redact = redactor
    return Session(common, environ, redactor, ui)


def resolve_playbook(name: str | Path, playbook_dir: Path | None) -> Path:
    """PLAYBOOK as given, else under --playbook-dir, else under playbooks/ (`.yaml` optional)."""
    given = Path(name)
    candidates = [given]
    for base in (playbook_dir, Path("playbooks")):
        if base is not None and not given.is_absolute():
            candidates += [base / given, base / f"{given}.yaml", base / f"{given}.yml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise InputError(f"{name}: no such playbook file")


def open_playbook(s: Session, name: str | Path, envs: Sequence[str] | None = None, *,
                  check_project: bool = True) -> Playbook:
    path = resolve_playbook(name, s.common.playbook_dir)
    return redact_tokens(s, load_with_gates(path, s.environ, envs, check_project=check_project))


def load_with_gates(path: Path, environ: Mapping[str, str], envs: Sequence[str] | None, *,
                    check_project: bool = True) -> Playbook:
    """The playbook for `envs`, plus the settings of the environments their promotion gates read."""
    playbook = load_playbook(path, environ, envs, check_project=check_project)
    if envs:
        gates = {g for e in envs for g in playbook.environment(e).requires_passed} - set(envs)
        if gates:
            playbook = load_playbook(path, environ, [*envs, *sorted(gates)], check_project=check_project)
    return playbook


def redact_tokens(s: Session, playbook: Playbook) -> Playbook:
    """Every environment's token is a secret from here on, whatever prints it."""
    s.redactor.add(*(e.access_token or "" for e in playbook.model.environments.values()))
    return playbook


def project_notes(s: Session, playbook: Playbook) -> list[str]:
    """What the supabase CLI thinks of the project's config.toml and the deployed functions' import
    maps (orchestrator.config_check): warnings, never a reason to stop."""
    from orchestrator.config_check import config_notes

    names = [n for spec in playbook.steps if spec.kind == "functions" for n in spec.config.names]
    return config_notes(playbook.project, names, s.environ, s.redactor)
