"""The allow-list: refused and accepted command lines (pure, no spawn)."""

from __future__ import annotations

import pytest

from orchestrator.adapters.cli_guard import check_allowed
from orchestrator.errors import UnsafeCommandError

P = "/x/supabase"

REFUSED = {
    "db reset": ["db", "reset"],
    "db reset linked": ["db", "reset", "--linked"],
    "db reset with globals between": ["--workdir", "/w", "db", "--yes", "reset"],
    "db  reset one token": ["db  reset"],
    "DB RESET uppercase": ["DB", "RESET"],
    "db reset hidden behind workdir value": ["--workdir", "db", "db", "reset"],
    "migrations repair": ["migrations", "repair", "--status", "reverted", "1"],
    "migration repair": ["migration", "repair"],
    "migration squash": ["migration", "squash"],
    "db dump": ["db", "dump", "-f", "x.sql"],
    "db pull": ["db", "pull"],
    "projects api-keys": ["projects", "api-keys", "--project-ref", "abcdefghijklmnopqrst"],
    "logs": ["logs"],
    "secrets unset": ["secrets", "unset", "A"],
    "functions delete": ["functions", "delete", "hello"],
    "projects delete": ["projects", "delete", "abcdefghijklmnopqrst"],
    "no command": [],
    "only globals": ["--yes", "--workdir", "/w"],
    "unknown command": ["frobnicate"],
    "prune": ["functions", "deploy", "hello", "--prune"],
    "prune=true": ["functions", "deploy", "hello", "--prune=true"],
    "prune=false": ["functions", "deploy", "hello", "--prune=false"],
    "prune first": ["--prune", "functions", "deploy", "hello"],
    "prune on db push": ["db", "push", "--prune"],
    "deploy no name": ["functions", "deploy"],
    "deploy no name with ref": ["functions", "deploy", "--project-ref", "abcdefghijklmnopqrst"],
    "deploy two names": ["functions", "deploy", "a", "b"],
    "deploy name with comma": ["functions", "deploy", "a,b"],
    "deploy name with space": ["functions", "deploy", "a b"],
    "download all": ["functions", "download"],
    "include-seed": ["db", "push", "--include-seed"],
    "include-seed=true": ["db", "push", "--include-seed=true"],
    "include-roles": ["db", "push", "--include-roles"],
    "password flag": ["db", "push", "--password", "hunter22"],
    "password short": ["db", "push", "-p", "hunter22"],
    "password=": ["db", "push", "--password=hunter22"],
    "url with password": ["db", "push", "--db-url", "postgresql://u:pw@h:5432/d"],
    "v3 url with password": ["db", "push", "--remote=postgresql://u:pw@h/d"],
    "password in query": ["db", "push", "--db-url=postgresql://u@h/d?password=pw"],
    "secrets as argv": ["secrets", "set", "A=b"],
    "secrets with file and argv": ["secrets", "set", "--env-file", "/t/e", "A=b"],
    "secrets without file": ["secrets", "set"],
    "debug": ["--debug", "db", "push"],
    "create-ticket": ["db", "push", "--create-ticket"],
    "dash dash": ["db", "push", "--", "reset"],
    "boolean with value": ["db", "push", "--dry-run=false"],
    "yes=false": ["--yes=false", "db", "push"],
    "bad output format": ["--output-format", "yaml", "db", "push"],
    "unknown flag": ["db", "push", "--local"],
    "flag of another command": ["db", "push", "--use-api"],
    "dangling value flag": ["db", "push", "--db-url"],
    "version with command": ["--version", "db", "reset"],
    "version with junk flag": ["--version", "--debug"],
    "help": ["db", "reset", "--help"],
    "link password": ["link", "--project-ref", "abcdefghijklmnopqrst", "--password", "pw"],
    "extra positional on push": ["db", "push", "now"],
    "migration new": ["migration", "new", "x"],
    "start": ["start"],
}

ALLOWED = {
    "version": ["--version"],
    "version short": ["-v"],
    "version with globals": ["--workdir", "/w", "--agent", "no", "--version"],
    "v3 push url": ["--workdir", "/w", "--yes", "--output-format", "json", "db", "push",
                    "--remote=postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable"],
    "v3 push linked": ["db", "push", "--remote"],
    "v3 push ref": ["db", "push", "--dry-run", "--include-all", "--remote=abcdefghijklmnopqrst"],
    "v2 push url": ["db", "push", "--db-url=postgresql://postgres@h/d"],
    "v2 push url separate": ["db", "push", "--db-url", "postgresql://postgres@h/d"],
    "v2 push ref": ["db", "push", "--project-ref", "abcdefghijklmnopqrst", "--skip-vault"],
    "v2 push linked": ["--yes", "db", "push", "--linked"],
    "migration list": ["migration", "list", "--remote=abcdefghijklmnopqrst"],
    "migrations list": ["migrations", "list", "--linked"],
    "deploy one": ["--yes", "functions", "deploy", "hello-world", "--use-api", "--no-verify-jwt",
                   "--remote=abcdefghijklmnopqrst"],
    "deploy one import map": ["functions", "deploy", "hello_2", "--import-map", "/p/map.json"],
    "functions list": ["--output-format=json", "functions", "list", "--project-ref=abcdefghijklmnopqrst"],
    "download one": ["functions", "download", "hello", "--use-api"],
    "secrets set": ["--yes", "secrets", "set", "--env-file", "/tmp/x/secrets.env", "--remote=abcdefghijklmnopqrst"],
    "secrets list": ["secrets", "list"],
    "link": ["link", "--project-ref", "abcdefghijklmnopqrst"],
    "link positional": ["link", "abcdefghijklmnopqrst", "--skip-pooler"],
}


@pytest.mark.parametrize("args", REFUSED.values(), ids=REFUSED.keys())
def test_refused(args: list[str]) -> None:
    with pytest.raises(UnsafeCommandError, match="refused to run"):
        check_allowed([P, *args])


@pytest.mark.parametrize("args", ALLOWED.values(), ids=ALLOWED.keys())
def test_allowed(args: list[str]) -> None:
    check_allowed([P, *args])


def test_reasons_are_specific() -> None:
    cases = {("db", "reset"): "drops", ("functions", "deploy", "x", "--prune=true"): "deletes deployed",
             ("functions", "deploy"): "every function", ("db", "push", "--include-seed"): "fixtures"}
    for args, reason in cases.items():
        with pytest.raises(UnsafeCommandError, match=reason):
            check_allowed([P, *args])


def test_message_never_echoes_secret_values() -> None:
    for args in (["db", "push", "--password", "canary-pw-1"], ["db", "push", "--db-url=postgresql://u:canary-pw-1@h/d"],
                 ["secrets", "set", "A=canary-pw-1"]):
        with pytest.raises(UnsafeCommandError) as info:
            check_allowed([P, *args])
        assert "canary-pw-1" not in str(info.value)


def test_program_name_is_not_a_command() -> None:
    """argv[0] is the program; a binary literally named `db` cannot smuggle a command word."""
    with pytest.raises(UnsafeCommandError):
        check_allowed(["db", "reset"])
    check_allowed(["db", "--version"])
