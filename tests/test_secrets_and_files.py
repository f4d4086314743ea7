"""Redaction on every path (issue 12): linear time, the crash path, keys the API client reads; and
private files (journals, env files, crash logs 0600; state dirs 0700)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import httpx
import pytest
import respx

from orchestrator import error_handler
from orchestrator.adapters.management_api import ManagementApi
from orchestrator.console import Console
from orchestrator.files import private_dir, write_private
from orchestrator.journal import Journal
from orchestrator.redact import MASK, Redactor, redact_known

PATHOLOGICAL = ["a" * 160_000, "a_" * 80_000, "postgres://u:" + "p" * 160_000, "a://b:" * 30_000,
                "bearer " * 20_000, "eyJ" * 50_000, "eyJabcdefgh." * 15_000]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:8]))
def test_redaction_is_linear(text: str) -> None:
    """160k characters took 68 s with the old URL pattern; every printed line passes through it."""
    redactor = Redactor()
    redactor.add("a-secret-value")
    started = time.monotonic()
    redactor(text)
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(("text", "hidden"), [
    ("DB_URL=postgresql://postgres:hunter2@db:5432/x", "hunter2"),
    ("ABC_postgres://u:pw12@h", "pw12"),
    ("token sbp_0123456789abcdef0123", "sbp_0123456789abcdef0123"),
    ("key sb_secret_abcdefghijklmnop", "sb_secret_abcdefghijklmnop"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
    ("cut eyJhbGciOiJIUzI1NiJ9.eyJyb2xl", "eyJyb2xl"),  # a JWT cut short by a message limit
    ("Authorization: BEARER abcdefgh12345678", "abcdefgh12345678"),  # any case
    ("-H 'authorization: Bearer\tabcdefgh12345678'", "abcdefgh12345678"),
])
def test_patterns_catch_secrets_nobody_registered(text: str, hidden: str) -> None:
    out = Redactor()(text)
    assert hidden not in out and MASK in out


def test_keys_the_api_client_reads_are_secrets_of_the_run() -> None:
    """The client used to keep its own redactor: the service_role key it read reached the console."""
    router = respx.Router(base_url="https://api.example.test")
    router.get("/v1/projects/abcdefghijklmnopqrst/api-keys").respond(200, json=[
        {"name": "anon", "api_key": "anon-key-value", "type": "legacy"},
        {"name": "service_role", "api_key": "service-role-value", "type": "legacy"}])
    run_redactor = Redactor()
    api = ManagementApi("sbp_token_value_123", "https://api.example.test", redactor=run_redactor,
                        transport=httpx.MockTransport(router.handler))
    api.api_keys("abcdefghijklmnopqrst")
    assert run_redactor("x service-role-value y anon-key-value") == f"x {MASK} y {MASK}"


def test_the_crash_path_is_redacted_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(error_handler, "CRASH_LOG", tmp_path / "cache" / "crash.log")
    Redactor().add("crash-secret-4711")  # any redactor of this process registers it

    def boom() -> int:
        raise RuntimeError("unexpected answer carrying crash-secret-4711")

    code = error_handler.guarded(Console(), boom)  # a console without the run's redactor
    assert code == 3
    err = capsys.readouterr().err
    assert "crash-secret-4711" not in err and "internal error: RuntimeError" in err
    log = tmp_path / "cache" / "crash.log"
    assert "crash-secret-4711" not in log.read_text() and "RuntimeError" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert redact_known("crash-secret-4711") == MASK


def test_private_files_fix_the_mode_of_files_that_existed(tmp_path: Path) -> None:
    old = tmp_path / "local.env"
    old.write_text("old")
    old.chmod(0o644)
    write_private(old, "SUPABASE_ACCESS_TOKEN=x\n")
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    private_dir(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_journal_is_private_even_in_an_existing_open_folder(tmp_path: Path) -> None:
    runs = tmp_path / ".orchestrator" / "runs"
    runs.mkdir(parents=True, mode=0o755)
    journal = Journal.create(tmp_path, Redactor())
    journal.write("start")
    journal.close()
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(runs.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / ".orchestrator").stat().st_mode) == 0o700


def test_an_unwritable_state_dir_is_exit_2(tmp_path: Path) -> None:
    from orchestrator.errors import InputError

    blocker = tmp_path / ".orchestrator"
    blocker.write_text("a file where the state dir should be")
    with pytest.raises(InputError, match=r"cannot create .*\.orchestrator"):
        Journal.create(tmp_path, Redactor())


def test_a_journal_on_dev_null_leaves_the_device_alone() -> None:
    """`plan` journals to /dev/null: making that 0600 broke every other user of the machine."""
    import os

    before = os.stat(os.devnull).st_mode
    journal = Journal(path=Path(os.devnull), run_id="plan", redact=Redactor())
    journal.write("x")
    journal.close()
    assert os.stat(os.devnull).st_mode == before
