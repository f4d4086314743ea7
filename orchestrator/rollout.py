"""Deploy one function and prove it: new version live (via the API, not the CLI's exit code),
settle, smoke call, that function's logs. Shared by the functions step and `rollback`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from orchestrator.durations import Duration
from orchestrator.errors import CommandFailed, OrchestratorError, StepFailed
from orchestrator.interrupts import Interrupts
from orchestrator.playbook.models import INTEGER_AS_WRITTEN, StrictModel

if TYPE_CHECKING:
    from orchestrator.adapters.management_api import FunctionInfo, LogRow
    from orchestrator.context import StepContext

VERSION_POLL_S = 0.2
VERSION_WAIT_S = 30.0
READ_BACK_WAIT_S = 15.0
DEPLOY_ATTEMPTS = 4
DEPLOY_BACKOFF_S = 1.0  # 1, 2, 4 s between attempts
# The CLI retries a deploy's 429s itself but gives up at the first 5xx or dropped connection
# ("unexpected deploy status 503"); those are worth another attempt, a bundling error is not.
_TRANSIENT = re.compile(r"status:? (?:429|5\d\d)\b|connection (?:refused|reset)|\bEOF\b|timed? ?out", re.IGNORECASE)


class LogsCheck(StrictModel):
    """The function's error logs and 5xx responses since its deploy."""

    window: Duration = Field(default="60s", validate_default=True,
                             description="look back this far (never before the deploy)")
    max_errors: Annotated[int, Field(ge=0, le=1_000_000), INTEGER_AS_WRITTEN] = Field(
        0, description="error/fatal log lines and 5xx responses allowed")


StatusCode = Annotated[int, Field(ge=100, le=599), INTEGER_AS_WRITTEN]


class SmokeCheck(StrictModel):
    """One HTTP call to the deployed function."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str = Field("", description="appended to the function's URL, e.g. /health")
    json_body: Any = Field(None, alias="json", description="request body, sent as JSON")
    headers: dict[str, str] = Field(default_factory=dict)
    expect_status: Annotated[list[StatusCode], Field(min_length=1)] = Field(
        default_factory=lambda: [200], description="statuses that pass (default: [200])")
    timeout: Duration = Field(default="30s", validate_default=True)


class Checks(StrictModel):
    """What must hold after each deploy before the next function goes out."""

    settle: Duration = Field(default="5s", validate_default=True, description="wait after each deploy")
    logs: LogsCheck | None = None
    smoke: SmokeCheck | None = None
    inconclusive: Literal["pass", "fail"] = Field(default="pass", description="when the window had no log data")


@dataclass
class CheckResult:
    status: Literal["pass", "fail", "inconclusive", "skipped"]
    reasons: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)  # per check: what was measured (run report)

    def failed(self, checks: Checks) -> bool:
        return self.status == "fail" or (self.status == "inconclusive" and checks.inconclusive == "fail")


@dataclass
class Deployed:
    info: FunctionInfo
    previous_version: int | None
    deployed_at: datetime
    upload_warnings: list[str] = field(default_factory=list)  # files the CLI could not upload

    def upload_check(self) -> CheckResult | None:
        """A failed check when the upload was incomplete: the version is live but lacks files."""
        if not self.upload_warnings:
            return None
        return CheckResult("fail", [f"the CLI could not upload every file it imports: {'; '.join(self.upload_warnings)}"],
                           evidence={"upload": {"warnings": list(self.upload_warnings)}})


def live_versions(ctx: StepContext) -> dict[str, int]:
    """Every deployed function's version, in one API call (instead of one call per function)."""
    return {f.slug: f.version for f in ctx.api.list_functions(ctx.env.project_ref)}


def deploy_one(ctx: StepContext, name: str, workdir: Path | None = None, *,
               known: Mapping[str, int] | None = None, timeout: float | None = None,
               intent: Mapping[str, Any] | None = None, on_live: Callable[[int], Any] | None = None) -> Deployed:
    """Deploy exactly one function and wait until the API shows a newer version.

    `known`: live versions read just before (see live_versions); without it we ask the API.
    `intent` (commit, content hash, action) is journaled before the CLI starts, so whoever finds
    this run killed knows what may have gone live. When the deploy is interrupted, the live version
    is read back; if a new one went live, `on_live(version)` records it before unwinding goes on.
    """
    if known is None:
        before = ctx.api.get_function(ctx.env.project_ref, name)
        old = before.version if before else None
    else:
        old = known.get(name)
    from orchestrator.adapters.supabase_cli import upload_warnings

    ctx.journal.write("deploy_start", env=ctx.env_name, function=name, old_version=old, **(intent or {}))
    started = datetime.now(UTC)
    try:
        output = _deploy_with_retries(ctx, name, workdir, old, timeout)
    except Interrupts:
        _read_back(ctx, name, old, on_live)
        raise
    try:
        info = _wait_for_new_version(ctx, name, old)
    except Interrupts:
        _read_back(ctx, name, old, on_live)
        raise
    except OrchestratorError as exc:  # the CLI said deployed; the API cannot say which version is live
        ctx.journal.write("deploy_unconfirmed", env=ctx.env_name, function=name, old_version=old, error=str(exc))
        raise StepFailed(f"{name}: the CLI deployed it to {ctx.env_name}, but the API could not confirm the new "
                         f"version ({str(exc).splitlines()[0]}); it is probably live and not yet in the ledger: the "
                         "next run (or plan) checks the API and records it. Later functions were not deployed") from None
    return Deployed(info, old, started, upload_warnings(output))


def _read_back(ctx: StepContext, name: str, old: int | None, on_live: Callable[[int], Any] | None) -> None:
    """After an interrupt stopped a deploy: is a new version live? Journaled and said either way."""
    try:
        info = _await_version(ctx, name, old)
    except (OrchestratorError, *Interrupts) as exc:
        ctx.journal.write("interrupted", env=ctx.env_name, in_flight="functions deploy", function=name,
                          old_version=old, outcome="unknown", error=str(exc))
        ctx.ui.error(f"{name}: the deploy was stopped; could not read the live version back ({exc}): the next "
                     "run checks it")
        return
    if info is None or (old is not None and info.version <= old):
        ctx.journal.write("interrupted", env=ctx.env_name, in_flight="functions deploy", function=name,
                          old_version=old, outcome="not deployed")
        ctx.ui.error(f"{name}: the deploy was stopped before a new version went live (live: {old})")
        return
    ctx.journal.write("interrupted", env=ctx.env_name, in_flight="functions deploy", function=name,
                      old_version=old, outcome="live", version=info.version)
    ctx.ui.error(f"{name}: version {info.version} went LIVE before the deploy was stopped; its checks did not run")
    if on_live is not None:
        try:
            on_live(info.version)
        except OrchestratorError as exc:  # keep unwinding the interrupt; the message says what is live
            ctx.ui.error(str(exc))


def _await_version(ctx: StepContext, name: str, old: int | None) -> FunctionInfo | None:
    """The live version, waiting up to READ_BACK_WAIT_S for a newer one: a deploy request the
    stopped CLI had already sent completes on the server seconds later (measured: a function went
    live 8 s after the CLI was gone)."""
    deadline = time.monotonic() + READ_BACK_WAIT_S
    ctx.ui.warn(f"{name}: waiting up to {READ_BACK_WAIT_S:g}s to see whether the stopped deploy goes live "
                "(interrupt again to skip)")
    while True:
        info = ctx.api.get_function(ctx.env.project_ref, name)
        if (info is not None and (old is None or info.version > old)) or time.monotonic() > deadline:
            return info
        time.sleep(VERSION_POLL_S)


def _deploy_with_retries(ctx: StepContext, name: str, workdir: Path | None, old: int | None,
                         timeout: float | None = None) -> str:
    """The CLI's output of the attempt that went live (an attempt that errored after the platform
    acted gives the tail of its output)."""
    for attempt in range(1, DEPLOY_ATTEMPTS + 1):
        try:
            with ctx.ui.status(f"deploying {name}" + (f" (attempt {attempt})" if attempt > 1 else "")):
                return ctx.cli.functions_deploy(name, ctx.target(), workdir=workdir, timeout=timeout).output
        except CommandFailed as exc:
            if not _TRANSIENT.search(exc.output_tail):
                raise StepFailed(f"{name}: deploy to {ctx.env_name} failed: {exc}") from None
            if attempt == DEPLOY_ATTEMPTS:
                raise StepFailed(f"{name}: deploy to {ctx.env_name} kept failing ({DEPLOY_ATTEMPTS} attempts); "
                                 f"later functions were not deployed. Last error: {exc}") from None
            if _went_live(ctx, name, old):  # the platform acted before the error reached us
                return exc.output_tail
            wait = DEPLOY_BACKOFF_S * 2 ** (attempt - 1)
            ctx.ui.warn(f"{name}: deploy attempt {attempt} failed ({_cause(exc.output_tail)}); "
                        f"retrying in {wait:g}s")
            ctx.journal.write("retry", env=ctx.env_name, function=name, attempt=attempt, wait_s=wait)
            time.sleep(wait)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _went_live(ctx: StepContext, name: str, old: int | None) -> bool:
    info = ctx.api.get_function(ctx.env.project_ref, name)
    return info is not None and (old is None or info.version > old)


def _cause(text: str) -> str:
    found = _TRANSIENT.search(text)
    return found.group(0) if found else (text.strip().splitlines() or ["error"])[-1][:120]


def _wait_for_new_version(ctx: StepContext, name: str, old: int | None) -> FunctionInfo:
    deadline = time.monotonic() + VERSION_WAIT_S
    while True:
        info = ctx.api.get_function(ctx.env.project_ref, name)
        if info is not None and (old is None or info.version > old) and info.status == "ACTIVE":
            return info
        if time.monotonic() > deadline:
            seen = f"version {info.version} ({info.status})" if info else "no function"
            raise StepFailed(f"{name}: the CLI said deployed, but the API still shows {seen} "
                             f"(was {old}); check the dashboard before retrying")
        time.sleep(VERSION_POLL_S)


def run_checks(ctx: StepContext, name: str, deployed: Deployed, checks: Checks) -> CheckResult:
    incomplete = deployed.upload_check()
    if incomplete is not None:  # no need to call it: it lacks files
        return incomplete
    if checks.settle:
        with ctx.ui.status(f"settling {checks.settle:g}s"):
            time.sleep(checks.settle)
    result = CheckResult("pass")
    if checks.smoke is not None or checks.logs is not None:
        _know_project_keys(ctx)
    if checks.smoke is not None:
        _smoke(ctx, name, deployed.info, checks.smoke, result)
    if checks.logs is not None:
        _logs(ctx, deployed, checks.logs, result)
    return result


def _know_project_keys(ctx: StepContext) -> None:
    """Read the project's API keys once per environment before printing what a function said: a
    function that logs or returns its service_role key must show `***` (the client registers every
    key it reads with the run's redactor). A failure here is not a check failure."""
    from orchestrator.errors import ApiError

    if "api_keys_read" in ctx.facts:
        return
    ctx.facts["api_keys_read"] = True
    try:
        ctx.api.api_keys(ctx.env.project_ref)
    except ApiError as exc:
        ctx.journal.write("api_keys_error", env=ctx.env_name, error=str(exc))


def _smoke(ctx: StepContext, name: str, info: FunctionInfo, smoke: SmokeCheck, result: CheckResult) -> None:
    from orchestrator.adapters.http_probe import call
    from orchestrator.errors import ApiError

    headers = dict(smoke.headers)
    if info.verify_jwt is not False:  # the gateway wants a JWT: the project's anon key is one
        try:
            key = ctx.facts.get("anon_key") or ctx.api.anon_key(ctx.env.project_ref)
        except ApiError as exc:
            _inconclusive(result, f"smoke call not made: no anon key ({exc})")
            return
        ctx.facts["anon_key"] = key  # one lookup per environment, not per function
        ctx.redactor.add(key)
        headers.setdefault("Authorization", f"Bearer {key}")
    url = f"{ctx.env.functions_base()}/{name}{smoke.path}"
    started = time.monotonic()
    probe = call(url, method=smoke.method, json=smoke.json_body, headers=headers, timeout=smoke.timeout)
    ctx.journal.write("smoke", env=ctx.env_name, function=name, method=smoke.method, url=url, status=probe.status,
                      duration_s=round(time.monotonic() - started, 3))
    result.evidence["smoke"] = {"method": smoke.method, "url": url, "status": probe.status,
                                "expected": list(smoke.expect_status), "error": probe.error,
                                "duration_s": round(time.monotonic() - started, 3)}
    if probe.status in smoke.expect_status:
        ctx.ui.ok(f"smoke {smoke.method} {url} -> {probe.status}")
        return
    got = probe.status if probe.status is not None else probe.error
    result.status = "fail"
    result.reasons.append(f"smoke {smoke.method} {url} -> {got}, expected {smoke.expect_status}: "
                          f"{ctx.redactor(probe.body)[:200]}")  # redacted before it is cut


def _logs(ctx: StepContext, deployed: Deployed, logs: LogsCheck, result: CheckResult) -> None:
    from orchestrator.errors import ApiError

    end = datetime.now(UTC) + timedelta(seconds=1)
    start = max(deployed.deployed_at, end - timedelta(seconds=logs.window))
    try:
        rows = ctx.api.function_logs(ctx.env.project_ref, function_id=deployed.info.id, start=start, end=end)
    except ApiError as exc:  # the version is live whatever the logs API says: a check result, not a crash
        ctx.journal.write("log_check_error", env=ctx.env_name, function=deployed.info.slug, error=str(exc))
        _inconclusive(result, f"could not read the logs: {exc}")
        return
    # Keep only rows of this deploy, so a rollback is not blamed for the errors of the version it
    # replaced (edge rows carry the version; console rows may not).
    version = str(deployed.info.version)
    rows = [r for r in rows if r.version in (None, "", version)]
    errors = [r for r in rows if r.is_error]
    result.log_lines = [_describe(r, ctx.redactor) for r in sorted(rows, key=lambda r: r.timestamp)]
    result.evidence["logs"] = {"window_s": logs.window, "from": start.isoformat(), "to": end.isoformat(),
                               "rows": len(rows), "errors": len(errors), "max_errors": logs.max_errors,
                               "first_errors": [_describe(r, ctx.redactor) for r in errors[:3]]}
    if len(errors) > logs.max_errors:
        result.status = "fail"
        result.reasons.append(f"{len(errors)} error(s) in the logs (max {logs.max_errors}): "
                              + "; ".join(_describe(r, ctx.redactor) for r in errors[:3]))
    elif not rows:
        _inconclusive(result, "no log data in the window: nothing called the function")


def _inconclusive(result: CheckResult, reason: str) -> None:
    if result.status == "pass":
        result.status = "inconclusive"
    result.reasons.append(reason)


def _describe(row: LogRow, redact: Callable[[str], str]) -> str:
    status = row.status_code if row.source == "function_edge_logs" else None
    what = f"HTTP {status}" if status is not None else (row.level or "log")
    return f"{row.timestamp:%H:%M:%S} {what}: {redact(row.event_message)[:160]}"  # redacted, then cut
