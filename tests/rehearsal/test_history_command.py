"""`orchestrator rehearse --project-dir DIR`: the whole history on a fresh PostgreSQL with the
Supabase baseline and declared stubs, with the real db push; stubs named, failures at file:line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST = ("create extension if not exists pg_net with schema extensions;\n"
         "create table public.notes (id bigint generated always as identity primary key,\n"
         "  user_id uuid references auth.users, body text);\n"
         "alter table public.notes enable row level security;\n"
         "create policy own on public.notes for select to authenticated using (auth.uid() = user_id);\n")
BROKEN = "alter table public.notes add column title text;\nalter table public.notez add column x int;\n"


def _project(root: Path, files: dict[str, str]) -> Path:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    for name, sql in files.items():
        (migrations / name).write_text(sql)
    return root


def _rehearse(project: Path, supabase_v3: Path) -> tuple[int, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUPABASE_CLI": str(supabase_v3), "CI": "true"}
    done = subprocess.run([sys.executable, "-m", "orchestrator", "rehearse", "--project-dir", str(project), "-o", "json"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, json.loads(done.stdout)


@pytest.mark.postgres
@pytest.mark.cli
def test_a_history_using_auth_and_pg_net_applies_with_the_stub_named(tmp_path: Path, supabase_v3: Path) -> None:
    code, doc = _rehearse(_project(tmp_path, {"20250101000000_notes.sql": FIRST}), supabase_v3)
    assert code == 0, doc
    assert (doc["outcome"], doc["applied"], doc["stubs"]) == ("success-with-stubs", 1, ["pg_net"])


@pytest.mark.postgres
@pytest.mark.cli
def test_a_broken_history_fails_at_file_and_line_with_postgres_error(tmp_path: Path, supabase_v3: Path) -> None:
    _project(tmp_path, {"20250101000000_notes.sql": FIRST, "20250102000000_more.sql": BROKEN})
    (tmp_path / "supabase" / "config.toml").write_text("[inbucket]\nenabled = true\n")  # supabase 3 refuses it
    code, doc = _rehearse(tmp_path, supabase_v3)
    assert code == 1
    assert doc["failed_at"] == "20250102000000_more.sql:2" and doc["kind"] == "migration"
    assert 'relation "public.notez" does not exist' in str(doc["error"])
