"""The one module that spawns the `supabase` CLI: binary lookup, version flags, guard, redaction, timeouts.

Every spawn goes through `SupabaseCli.run()`, which first calls `cli_guard.check_allowed()` on the
exact argv. Secrets never reach argv: the access token travels as SUPABASE_ACCESS_TOKEN, a database
password as PGPASSWORD (both CLI versions read it when the URL has none), secret values through a
0600 `--env-file`. Everything recorded or streamed passes through the `Redactor`.

Version differences (checked on 3.1.0 and 2.122.1, see tests/adapters/):
- database target: v3 `--remote=<ref|url>` (`--linked`/`--db-url`/`--project-ref` are deprecated and
  warn; without a target v3 `db push` goes to the LOCAL database); v2 `--db-url=URL`,
  `--project-ref=REF`, `--linked`.
- API target: v3 `--remote=<ref>`; v2 `--project-ref=<ref>`.
- confirmation: v3 refuses hosted changes without `--yes` ("Confirmation required ... Re-run with
  --yes"); v2 prompts `[Y/n]` and takes EOF as yes. We pass the global `--yes` (both have it) to
  changing commands and give the child /dev/null as stdin, so nothing ever waits for input.
- both accept the global `--output-format json` (one JSON object on stdout, errors included) and
  `--workdir`; `functions deploy --use-api` bundles server-side so Docker is not needed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from orchestrator import tools
from orchestrator.adapters.cli_guard import check_allowed
from orchestrator.adapters.cli_profile import DEFAULT_PROFILE_NAME, is_default_api, write_profile
from orchestrator.errors import CommandFailed, InputError
from orchestrator.redact import SECRET_ENV_VARS, Redactor

__all__ = ["CliResult", "SupabaseCli", "Target", "explain_push_error", "parse_dry_run", "upload_warnings"]

_TAIL_LINES = 30
_KILL_GRACE_S = 5.0
STOP_GRACE_S = 10.0  # after an interrupt: how long the CLI gets to stop cleanly before SIGTERM, SIGKILL
HEARTBEAT_S = 30.0  # a line saying the CLI still runs, this often
VERSION_TIMEOUT_S = 60.0  # `supabase --version` answers in a second; a hung binary must not hang us
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REF = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_QUIET_ENV = {"SUPABASE_TELEMETRY_DISABLED": "1", "DO_NOT_TRACK": "1", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Target:
    project_ref: str | None = None
    db_url: str | None = None  # when set, database commands go here instead of the project
    api_url: str | None = None  # None or default -> hosted API; else a profile file is written


@dataclass(frozen=True)
class CliResult:
    argv: list[str]  # redacted
    returncode: int
    stdout: str  # redacted
    stderr: str  # redacted
    duration: float

    @property
    def output(self) -> str:
        return self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr


@dataclass
class _Streams:
    """Redacted lines read from the child, in arrival order per stream."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tail(self) -> str:
        return "\n".join((self.stdout + self.stderr)[-_TAIL_LINES:])


class SupabaseCli:
    def __init__(self, binary: Path, *, workdir: Path | None = None, env: Mapping[str, str], redactor: Redactor,
                 on_call: Callable[[dict[str, Any]], None] | None = None,
                 on_output: Callable[[str], None] | None = None, timeout: float = 900.0) -> None:
        self.binary, self.workdir, self.timeout = binary, workdir, timeout
        self._env, self._redact = dict(env), redactor
        self._on_call, self._on_output = on_call, on_output
        redactor.add(*(self._env.get(k, "") for k in SECRET_ENV_VARS))

    @staticmethod
    def locate(project_dir: Path | None, env: Mapping[str, str]) -> Path:
        """SUPABASE_CLI, then the install dirs (orchestrator.tools), then <project>/node_modules/.bin,
        then PATH."""
        if env.get("SUPABASE_CLI"):
            path = Path(env["SUPABASE_CLI"])
            if not path.is_file():
                raise InputError(f"SUPABASE_CLI={path} is not a file; fix it or unset it")
            if not os.access(path, os.X_OK):
                raise InputError(f"SUPABASE_CLI={path} is not executable; `chmod +x` it, fix it or unset it")
            return path
        installed = tools.find("supabase", {**os.environ, **env}, on_path=False)
        candidates = [installed.path if installed else None,
                      project_dir / "node_modules/.bin/supabase" if project_dir else None]
        for found in candidates:
            if found is not None and found.exists():
                return found
        on_path = shutil.which("supabase", path=env.get("PATH", os.defpath))
        if on_path:
            return Path(on_path)
        raise InputError(f"supabase CLI not found: {tools.INSTALL_HINT} (installs {tools.TOOLS['supabase'].package} "
                         f"into {tools.tools_dir()}), put `supabase` on PATH, or set SUPABASE_CLI to the binary")

    @cached_property
    def version(self) -> tuple[int, int, int]:
        cached = _cached_version(self.binary)
        if cached is not None:
            return cached
        out = self.run(["--version"], timeout=VERSION_TIMEOUT_S).stdout
        match = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
        if not match:
            raise InputError(f"cannot read the supabase CLI version from {out.strip()!r} ({self.binary})")
        found = (int(match[1]), int(match[2]), int(match[3]))
        if found[0] < 2:
            raise InputError(f"supabase CLI {'.'.join(map(str, found))} is too old: install 2.x or 3.x "
                             f"({tools.INSTALL_HINT})")
        _store_version(self.binary, found)
        return found

    @property
    def is_v3(self) -> bool:
        return self.version >= (3, 0, 0)

    # ---- the one place that spawns -------------------------------------------------------------

    def run(self, args: Sequence[str], *, target: Target | None = None, timeout: float | None = None,
            check: bool = True, workdir: Path | None = None) -> CliResult:
        """Guard, environment (profile, PGPASSWORD), spawn, stream, record; check -> CommandFailed.

        `workdir`: the project folder the CLI reads. Without one (and no `workdir` given to the
        adapter) the CLI runs in a neutral folder whose config.toml holds only a project_id: a
        command that needs nothing of the project never reads the project's config.toml, which
        supabase 3 refuses whole over settings unrelated to that command (measured: `secrets set`
        exits 1 on `[inbucket] ... is no longer supported`)."""
        fixed = workdir or self.workdir
        with _neutral_workdir() if fixed is None else nullcontext(fixed) as cwd:
            argv = [str(self.binary), "--workdir", str(cwd), "--agent", "no", *args]
            check_allowed(argv)
            with self._child_env(target) as env:
                result, timed_out = self._spawn(argv, cwd, env, timeout or self.timeout)
        self._record(result, cwd, timed_out)
        if timed_out:
            raise CommandFailed(result.argv, result.returncode, _tail(result),
                                f"timed out after {timeout or self.timeout:g}s; its process group was killed")
        if check and result.returncode != 0:
            hint = explain_push_error(result.output) or ""
            raise CommandFailed(result.argv, result.returncode, _tail(result), hint)
        return result

    def _spawn(self, argv: list[str], cwd: Path, env: dict[str, str],
               timeout: float) -> tuple[CliResult, bool]:
        started = time.monotonic()
        streams = _Streams()
        # A new session makes the node wrapper and the real binary one process group to kill. It
        # also means a terminal's Ctrl-C never reaches it: an interrupt is forwarded below.
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise InputError(f"cannot run the supabase CLI {self.binary} ({exc.strerror}); set SUPABASE_CLI to "
                             f"an executable, or {tools.INSTALL_HINT}") from None
        readers = [self._reader(proc.stdout, streams.stdout, streams.lock),
                   self._reader(proc.stderr, streams.stderr, streams.lock)]
        if self._on_call is not None:  # what is in flight, should this process be killed
            self._on_call({"event": "cli_start", "argv": self._redact.argv(argv), "cwd": str(cwd), "pid": proc.pid})
        try:
            timed_out = _wait_or_kill(proc, timeout, self._heartbeat(argv, started))
        except BaseException:  # Ctrl-C, SIGTERM: stop the CLI (bounded), record it, go on unwinding
            code = stop_group(proc)
            for reader in readers:
                reader.join(timeout=_KILL_GRACE_S)
            result = CliResult(self._redact.argv(argv), code, "\n".join(streams.stdout), "\n".join(streams.stderr),
                               time.monotonic() - started)
            self._record(result, cwd, False, interrupted=True)
            raise
        for reader in readers:
            reader.join(timeout=_KILL_GRACE_S)
        result = CliResult(self._redact.argv(argv), proc.returncode, "\n".join(streams.stdout),
                           "\n".join(streams.stderr), time.monotonic() - started)
        return result, timed_out

    def _heartbeat(self, argv: list[str], started: float) -> Callable[[], None]:
        what = " ".join(a for a in argv[5:] if not a.startswith("-"))[:60]  # after --workdir D --agent no

        def beat() -> None:
            if self._on_output is not None:
                self._on_output(f"... supabase {what}: still running after {time.monotonic() - started:.0f}s")
        return beat

    def _reader(self, pipe: IO[bytes] | None, sink: list[str], lock: threading.Lock) -> threading.Thread:
        def pump() -> None:
            assert pipe is not None
            for raw in pipe:
                line = self._redact(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                with lock:
                    sink.append(line)
                    if self._on_output is not None:
                        self._on_output(line)
            pipe.close()

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread

    def _record(self, result: CliResult, cwd: Path, timed_out: bool, interrupted: bool = False) -> None:
        if self._on_call is not None:
            self._on_call({"event": "cli", "argv": result.argv, "exit_code": result.returncode,
                           "duration_s": round(result.duration, 3), "cwd": str(cwd), "timed_out": timed_out,
                           **({"interrupted": True} if interrupted else {})})

    @contextmanager
    def _child_env(self, target: Target | None) -> Iterator[dict[str, str]]:
        env = {**self._env, **_QUIET_ENV}
        env.setdefault("PATH", os.environ.get("PATH", os.defpath))
        env.pop("SUPABASE_WORKDIR", None)  # --workdir decides
        if target is None:
            yield env
            return
        password = _split_db_url(target.db_url)[1] if target.db_url else None
        if password:
            self._redact.add(password)
            env["PGPASSWORD"] = password
        if is_default_api(target.api_url):
            env["SUPABASE_PROFILE"] = DEFAULT_PROFILE_NAME
            yield env
            return
        assert target.api_url is not None
        with tempfile.TemporaryDirectory(prefix="orch-profile-") as folder:
            env["SUPABASE_PROFILE"] = str(write_profile(Path(folder), api_url=target.api_url))
            yield env

    # ---- argument building ----------------------------------------------------------------------

    def db_target_args(self, target: Target) -> list[str]:
        """Where database commands go: a Postgres URL (password removed), a project, or the linked one."""
        if target.db_url:
            url = _split_db_url(target.db_url)[0]
            return [f"--remote={url}"] if self.is_v3 else [f"--db-url={url}"]
        if target.project_ref:
            return self.api_target_args(target)
        return ["--remote"] if self.is_v3 else ["--linked"]

    def api_target_args(self, target: Target) -> list[str]:
        """Where API commands go: the project, or (no ref) the linked project."""
        if not target.project_ref:
            return []
        ref = _checked_ref(target.project_ref)
        return [f"--remote={ref}"] if self.is_v3 else [f"--project-ref={ref}"]

    def db_push_args(self, target: Target, *, dry_run: bool = False, include_all: bool = False) -> list[str]:
        flags = ["--dry-run"] * dry_run + ["--include-all"] * include_all
        return ["--yes", "--output-format", "json", "db", "push", *flags, *self.db_target_args(target)]

    def functions_deploy_args(self, name: str, target: Target, *, no_verify_jwt: bool | None = None) -> list[str]:
        # None keeps the function's verify_jwt from config.toml; only an explicit True adds the flag
        # (the CLI has no --verify-jwt to force it on).
        jwt = ["--no-verify-jwt"] if no_verify_jwt else []
        return ["--yes", "--output-format", "json", "functions", "deploy", name, "--use-api", *jwt,
                *self.api_target_args(target)]

    # ---- public operations ----------------------------------------------------------------------

    def db_push(self, target: Target, *, dry_run: bool = False, include_all: bool = False) -> CliResult:
        return self.run(self.db_push_args(target, dry_run=dry_run, include_all=include_all), target=target)

    def migration_list(self, target: Target) -> CliResult:
        args = ["--output-format", "json", "migration", "list", *self.db_target_args(target)]
        return self.run(args, target=target)

    def functions_deploy(self, name: str, target: Target, *, workdir: Path | None = None,
                         no_verify_jwt: bool | None = None, timeout: float | None = None) -> CliResult:
        args = self.functions_deploy_args(name, target, no_verify_jwt=no_verify_jwt)
        return self.run(args, target=target, workdir=workdir, timeout=timeout)

    def functions_list(self, target: Target) -> CliResult:
        args = ["--output-format", "json", "functions", "list", *self.api_target_args(target)]
        return self.run(args, target=target)

    def functions_download(self, name: str, target: Target, *, workdir: Path | None = None) -> CliResult:
        args = ["functions", "download", name, "--use-api", *self.api_target_args(target)]
        return self.run(args, target=target, workdir=workdir)

    def secrets_set(self, target: Target, values: Mapping[str, str]) -> CliResult:
        self._redact.add(*values.values())
        with _env_file(values) as path:
            args = ["--yes", "--output-format", "json", "secrets", "set", "--env-file", str(path),
                    *self.api_target_args(target)]
            return self.run(args, target=target)

    def secrets_list(self, target: Target) -> CliResult:
        args = ["--output-format", "json", "secrets", "list", *self.api_target_args(target)]
        return self.run(args, target=target)

    def link(self, project_ref: str, target: Target | None = None) -> CliResult:
        ref = _checked_ref(project_ref)
        return self.run(["--yes", "link", "--project-ref", ref], target=target or Target(ref))


@contextmanager
def _neutral_workdir() -> Iterator[Path]:
    """A project folder with nothing of the user's project in it (see `SupabaseCli.run`)."""
    with tempfile.TemporaryDirectory(prefix="orch-cli-") as tmp:
        (Path(tmp) / "supabase").mkdir()
        (Path(tmp) / "supabase" / "config.toml").write_text('project_id = "orchestrator"\n')
        yield Path(tmp)


def _wait_or_kill(proc: subprocess.Popen[bytes], timeout: float, heartbeat: Callable[[], None]) -> bool:
    """Wait for the child, calling `heartbeat` every HEARTBEAT_S; on timeout kill its whole process
    group. True when it timed out."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            proc.wait(timeout=min(left, HEARTBEAT_S))
            return False
        except subprocess.TimeoutExpired:
            if deadline - time.monotonic() > 0:
                heartbeat()
    _signal_group(proc, (signal.SIGTERM, signal.SIGKILL), _KILL_GRACE_S)
    return True


def stop_group(proc: subprocess.Popen[bytes], grace: float | None = None) -> int:
    """Stop the child's process group after an interrupt: SIGINT (the CLI stops as on Ctrl-C) and up
    to `grace` seconds, then SIGTERM, then SIGKILL. A second interrupt meanwhile goes straight to
    SIGKILL. The child's exit code (negative: the signal that ended it)."""
    try:
        _signal_group(proc, (signal.SIGINT, signal.SIGTERM, signal.SIGKILL),
                      STOP_GRACE_S if grace is None else grace)
    except BaseException:  # noqa: BLE001 - the second interrupt: kill now; the first one is re-raised
        _signal_group(proc, (signal.SIGKILL,), _KILL_GRACE_S)
    return proc.returncode if proc.returncode is not None else -signal.SIGKILL


def _signal_group(proc: subprocess.Popen[bytes], signals: Sequence[int], grace: float) -> None:
    """Send each signal in turn to the child's process group until no member is left (the child
    exiting is not enough: a shell or node wrapper leaves its own children behind)."""
    for sig in signals:
        if not _group_alive(proc):
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + (grace if sig != signal.SIGKILL else _KILL_GRACE_S)
        while _group_alive(proc) and time.monotonic() < deadline:
            time.sleep(0.05)
    try:
        proc.wait(timeout=_KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(proc: subprocess.Popen[bytes]) -> bool:
    proc.poll()  # reap the leader, or a zombie keeps the group "alive"
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _checked_ref(ref: str) -> str:
    if not _REF.match(ref):
        raise InputError(f"{ref!r} is not a project ref (like `abcdefghijklmnopqrst`)")
    return ref


def _tail(result: CliResult) -> str:
    return "\n".join(result.output.splitlines()[-_TAIL_LINES:])


def _split_db_url(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the decoded password or None)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), unquote(parts.password)


@contextmanager
def _env_file(values: Mapping[str, str]) -> Iterator[Path]:
    """A 0600 dotenv file in a private temp folder, removed afterwards.

    Single quotes keep values literal in the CLI's dotenv reader (checked on v2 and v3: `$`, `#`,
    double quotes, backslashes, inner single quotes and newlines survive), except when a value with
    a single quote also holds a line break or a `#`: the reader then cuts it, so we refuse those.
    """
    if not values:
        raise InputError("secrets: no values to set")
    lines = [_env_line(name, value) for name, value in values.items()]
    with tempfile.TemporaryDirectory(prefix="orch-secrets-") as folder:
        path = Path(folder) / "secrets.env"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("".join(lines))
        yield path


def _env_line(name: str, value: str) -> str:
    if not _SECRET_NAME.match(name):
        raise InputError(f"secrets: {name!r} is not a valid secret name (letters, digits, '_')")
    if name.upper().startswith("SUPABASE_"):
        raise InputError(f"secrets: {name}: names starting with SUPABASE_ are reserved by the platform")
    if "\r" in value or ("'" in value and ("\n" in value or "#" in value)):
        raise InputError(f"secrets: the value of {name} mixes a single quote with a line break or '#', "
                         "which the CLI's .env reader cannot take faithfully; set it in the dashboard")
    return f"{name}='{value}'\n"


# ---- reading the CLI's output --------------------------------------------------------------------

_BULLET = re.compile(r"^\s*[•*-]\s+(\S+\.sql)\s*$")
_OUT_OF_ORDER = "Found local migration files to be inserted before the last migration on remote database"
_MISSING_LOCAL = "Remote migration versions not found in local migrations directory"
_REPAIR = re.compile(r"migration repair --status reverted ((?:\d+\s*)+)")
_LOCAL_FILE = re.compile(r"supabase/migrations/([\w.-]+?\.sql)")


# A deploy that could not upload every file the function imports still exits 0 (supabase 3.1.0,
# measured): the CLI only warns, and the platform gets a function that cannot boot.
_UPLOAD_WARNING = re.compile(r"^WARN: (?:failed to read file|Skipping import path outside source root)\b.*$",
                             re.MULTILINE)


def upload_warnings(output: str) -> list[str]:
    """The CLI's lines saying a deploy left out a file the function imports."""
    return [m.group(0).strip() for m in _UPLOAD_WARNING.finditer(output)]


def parse_dry_run(output: str) -> list[str]:
    """Migration files `db push --dry-run` would apply, e.g. `["20240101000000_init.sql"]`.

    Reads the `--output-format json` object (`{"dryRun": true, "migrations": [...]}`, v2 and v3)
    when present, else the text list under "Would push these migrations:".
    """
    for line in output.splitlines():
        data = _json_object(line)
        if data is not None and isinstance(data.get("migrations"), list) and "dryRun" in data:
            return [str(m) for m in data["migrations"]]
    found: list[str] = []
    listing = False
    for line in output.splitlines():
        if "Would push these migrations" in line:
            listing = True
        elif listing and (match := _BULLET.match(line)):
            found.append(match[1])
        elif listing and line.strip():
            listing = False
    return found


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def explain_push_error(output: str) -> str | None:
    """One line saying what to do about a known `db push` failure, or None."""
    if _OUT_OF_ORDER in output:
        files = ", ".join(dict.fromkeys(_LOCAL_FILE.findall(output))) or "some local migrations"
        return (f"{files} sort before the last migration already applied to the database: rerun with "
                "`include_all: true` in the migrations step to apply them out of order, or rename them to a "
                "later timestamp")
    if _MISSING_LOCAL in output:
        match = _REPAIR.search(output.replace("\\n", "\n"))
        versions = " ".join(match[1].split()) if match else "<versions>"
        return (f"the database has migrations {versions} with no local file: pull the latest git changes; if they "
                f"were really removed, check then run `supabase migration repair --status reverted {versions}`, "
                "or `supabase db pull` to fetch them as files")
    if "does not support SSL connections" in output or "server does not accept TLS" in output:
        return "the database does not accept TLS: add `?sslmode=disable` to db_url (local databases only)"
    return None


# `supabase --version` costs 0.6-0.9 s (a Bun-compiled binary starting up); an emergency rollback
# should not pay it every time. Keyed by the binary's real path, size and mtime.
_VERSION_CACHE = Path.home() / ".cache" / "supabase-orchestrator" / "cli-versions.json"


def _binary_key(binary: Path) -> str:
    real = binary.resolve()
    stat = real.stat()
    return f"{real}:{stat.st_size}:{stat.st_mtime_ns}"


def _cached_version(binary: Path) -> tuple[int, int, int] | None:
    try:
        found = json.loads(_VERSION_CACHE.read_text()).get(_binary_key(binary))
    except (OSError, ValueError):
        return None
    return (int(found[0]), int(found[1]), int(found[2])) if isinstance(found, list) and len(found) == 3 else None


def _store_version(binary: Path, version: tuple[int, int, int]) -> None:
    try:
        cache = json.loads(_VERSION_CACHE.read_text()) if _VERSION_CACHE.exists() else {}
        cache[_binary_key(binary)] = list(version)
        _VERSION_CACHE.parent.mkdir(parents=True, exist_ok=True)
        _VERSION_CACHE.write_text(json.dumps(cache))
    except (OSError, ValueError):
        return  # a cache, nothing more
