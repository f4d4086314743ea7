"""The allow-list for `supabase` command lines: what the orchestrator may run, and nothing else.

`check_allowed(argv)` looks at the exact argv about to be executed (argv[0] is the program) and
raises `UnsafeCommandError` unless it is one of a few known commands with known flags. It is pure,
and `SupabaseCli.run()` calls it before every spawn, so no caller-built argument list gets past it.

Decisions (each refusal message repeats its reason):
- `db reset`: drops and recreates the database.
- `--prune` (any form): deletes deployed functions that are missing locally.
- `--include-seed`: seed files are development fixtures (fake users, test rows); pushing them into a
  hosted database is not dropping data, but it writes data nobody reviewed as a migration and is not
  re-runnable. Seed a database by hand if you mean it.
- `migration repair` / `migration squash`: rewrite the migration history (and, for squash, local
  files) without running the SQL. `explain_push_error` tells a human when repair is the fix.
- `db dump`, `db pull`, `projects api-keys`, `logs` and everything else: not on the list. Backups run
  pg_dump directly, keys and logs come from the Management API adapter, and their output could carry
  data and keys our redactor cannot recognise.
- `functions deploy` / `functions download` need exactly one function name: without one the CLI
  acts on every function.
- No secret in argv: `--password`/`-p` and URLs with a password are refused (argv is visible to every
  local process); the adapter passes them through the environment (`PGPASSWORD`, ...). `secrets set`
  must read `--env-file`, never NAME=VALUE arguments. `--debug` is refused: it logs request details.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.errors import UnsafeCommandError


@dataclass(frozen=True)
class CommandSpec:
    path: tuple[str, ...]
    bool_flags: frozenset[str] = frozenset()
    value_flags: frozenset[str] = frozenset()
    positionals: tuple[int, int] = (0, 0)
    required: frozenset[str] = frozenset()


_TARGET_DB = frozenset({"--db-url", "--project-ref"})
_TARGET_API = frozenset({"--project-ref"})
_SPECS = (
    CommandSpec(("db", "push"), frozenset({"--dry-run", "--include-all", "--skip-vault", "--linked"}), _TARGET_DB),
    CommandSpec(("migration", "list"), frozenset({"--linked"}), _TARGET_DB),
    CommandSpec(("migrations", "list"), frozenset({"--linked"}), _TARGET_DB),
    CommandSpec(("functions", "deploy"), frozenset({"--use-api", "--no-verify-jwt"}),
                _TARGET_API | {"--import-map"}, positionals=(1, 1)),
    CommandSpec(("functions", "list"), value_flags=_TARGET_API),
    CommandSpec(("functions", "download"), frozenset({"--use-api"}), _TARGET_API, positionals=(1, 1)),
    CommandSpec(("secrets", "set"), value_flags=_TARGET_API | {"--env-file"}, required=frozenset({"--env-file"})),
    CommandSpec(("secrets", "list"), value_flags=_TARGET_API),
    CommandSpec(("link",), frozenset({"--skip-pooler"}), _TARGET_API, positionals=(0, 1)),
    CommandSpec(("services",)),  # read-only: loads config.toml and lists image versions (config_check.py)
)
_GLOBAL_BOOL = frozenset({"--yes"})
_GLOBAL_VALUES: dict[str, frozenset[str] | None] = {
    "--workdir": None, "--output-format": frozenset({"text", "json"}), "--agent": frozenset({"no", "yes", "auto"}),
}
_OPTIONAL_VALUE = frozenset({"--remote"})  # v3: `--remote` (linked) or `--remote=<ref|url>`
_VALUE_FLAGS = frozenset(_GLOBAL_VALUES) | frozenset().union(*(s.value_flags for s in _SPECS))
_VERSION_FLAGS = frozenset({"--version", "-v"})

_REFUSED_COMMANDS = {
    ("db", "reset"): "it drops and recreates the database",
    ("migration", "repair"): "it rewrites the migration history without running SQL; check, then run it by hand",
    ("migration", "squash"): "it rewrites local migration files and the remote history",
    ("db", "dump"): "backups run pg_dump directly; dump output may hold data the redactor cannot recognise",
    ("projects", "api-keys"): "it prints API keys the redactor cannot recognise; use the Management API adapter",
}
_REFUSED_FLAGS = {
    "--prune": "it deletes deployed functions that are missing locally",
    "--include-seed": "seed files are development fixtures, not reviewed migrations; seed by hand if you mean it",
    "--password": "a password in argv is visible to every local process; use SUPABASE_DB_PASSWORD/PGPASSWORD",
    "-p": "a password in argv is visible to every local process; use SUPABASE_DB_PASSWORD/PGPASSWORD",
    "--debug": "debug logs print request details that may hold secrets",
    "--create-ticket": "it sends error details to Supabase support",
}
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s:]*:[^@\s/]+@|[?&]password=", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _refuse(what: str, why: str) -> UnsafeCommandError:
    return UnsafeCommandError(f"refused to run `supabase {what}`: {why}. The orchestrator's CLI adapter "
                              "only runs an allow-list of commands (orchestrator/adapters/cli_guard.py).")


def _split(tokens: Sequence[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Flags as (name, value or None) and the positional words, the way the CLI would read them."""
    flags: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "--":
            raise _refuse("--", "arguments after `--` are not checked")
        if not tok.startswith("-"):
            positionals.append(tok)
        else:
            name, eq, value = tok.partition("=")
            if name in _REFUSED_FLAGS:
                raise _refuse(name, _REFUSED_FLAGS[name])
            if not eq and name in _VALUE_FLAGS:
                if i + 1 >= len(tokens):
                    raise _refuse(name, "the flag has no value")
                i += 1
                value = tokens[i]
                if value.startswith("-"):
                    raise _refuse(name, f"its value looks like a flag ({value.split('=')[0]})")
            flags.append((name, value if (eq or name in _VALUE_FLAGS) else None))
        i += 1
    return flags, positionals


def _check_refused_words(positionals: Sequence[str]) -> None:
    words = tuple(" ".join(positionals).lower().split())
    aliased = tuple("migration" if w == "migrations" else w for w in words)
    for path, why in _REFUSED_COMMANDS.items():
        if aliased[: len(path)] == path:
            raise _refuse(" ".join(path), why)
    for word in positionals:
        if word != word.strip() or any(c.isspace() for c in word):
            raise _refuse(" ".join(words), f"argument {word!r} contains whitespace")


def _find_spec(positionals: Sequence[str]) -> CommandSpec:
    for spec in _SPECS:
        if tuple(positionals[: len(spec.path)]) == spec.path:
            return spec
    raise _refuse(" ".join(positionals) or "(no command)", "the command is not on the allow-list")


def _check_flag(spec: CommandSpec, name: str, value: str | None) -> None:
    where = " ".join(spec.path)
    if name in _GLOBAL_VALUES:
        allowed = _GLOBAL_VALUES[name]
        if allowed is not None and value not in allowed:
            raise _refuse(f"{where} {name}", f"only {sorted(allowed)} are allowed")
    elif name in _GLOBAL_BOOL or name in spec.bool_flags:
        if value is not None:
            raise _refuse(f"{where} {name}=...", "boolean flags take no value here")
    elif name in _OPTIONAL_VALUE and "--project-ref" in spec.value_flags:
        return
    elif name not in spec.value_flags:
        raise _refuse(f"{where} {name}", "the flag is not on the allow-list for this command")


def _check_positionals(spec: CommandSpec, extra: Sequence[str]) -> None:
    low, high = spec.positionals
    where = " ".join(spec.path)
    if not low <= len(extra) <= high:
        need = f"exactly {low}" if low == high else f"{low} to {high}"
        why = f"it takes {need} name argument(s), got {len(extra)}"
        if spec.path[0] == "functions":
            why += " (without a name the CLI acts on every function)"
        raise _refuse(where, why)
    for word in extra:
        if not _NAME.match(word):
            raise _refuse(where, f"{word!r} is not a plain name (letters, digits, '-' and '_')")


def check_allowed(argv: Sequence[str]) -> None:
    """Raise UnsafeCommandError unless `argv` (program first) is on the allow-list; see the module doc."""
    tokens = list(argv[1:])
    for tok in tokens:
        if _URL_PASSWORD.search(tok):
            raise _refuse("... <url with password>", "a password in argv is visible to every local process; "
                          "the adapter passes it as PGPASSWORD")
    flags, positionals = _split(tokens)
    _check_refused_words(positionals)
    names = [name for name, _ in flags]
    if not positionals and any(n in _VERSION_FLAGS for n in names):
        rest = [(n, v) for n, v in flags if n not in _VERSION_FLAGS]
        return _check_globals_only(rest)
    spec = _find_spec(positionals)
    for name, value in flags:
        _check_flag(spec, name, value)
    _check_positionals(spec, positionals[len(spec.path):])
    missing = spec.required - set(names)
    if missing:
        raise _refuse(" ".join(spec.path), f"it needs {', '.join(sorted(missing))}")
    return None


def _check_globals_only(flags: Sequence[tuple[str, str | None]]) -> None:
    version = CommandSpec(("--version",))
    for name, value in flags:
        if name not in _GLOBAL_VALUES and name not in _GLOBAL_BOOL:
            raise _refuse(f"--version {name}", "only global flags may accompany --version")
        _check_flag(version, name, value)
