"""Files and history: names the CLI accepts, versions, and what an environment already applied.

The CLI only picks up files named `<digits>_<name>.sql` (pkg/migration: `^([0-9]+)_(.*)\\.sql$`)
and skips the rest with a warning; `migration new` writes 14-digit UTC timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestrator.lint.rules import Hit, rule

NAME_RE = re.compile(r"^([0-9]+)_(.*)\.sql$")

BAD_NAME = rule(
    "migration-filename", "error", "files", "file name the CLI does not accept",
    why="supabase db push only picks up files named <digits>_<name>.sql; others are skipped silently "
        "(a warning scrolls by) and never applied.",
    fix="Rename the file to <timestamp>_<name>.sql, e.g. with `supabase migration new <name>`.",
    bad="supabase/migrations/add_orders.sql", good="supabase/migrations/20240612093000_add_orders.sql")
VERSION_FORMAT = rule(
    "migration-version-format", "warning", "files", "version that is not a 14-digit timestamp",
    why="Versions are compared as text by the CLI; mixing lengths (1_x.sql, 20240101000000_y.sql) "
        "sorts in surprising orders.",
    fix="Use YYYYMMDDHHMMSS (UTC) like `supabase migration new` does.",
    bad="supabase/migrations/1_init.sql", good="supabase/migrations/20240101000000_init.sql")
FUTURE = rule(
    "future-timestamp", "error", "files", "version timestamp in the future",
    why="A migration dated in the future sorts after every migration written until then: later "
        "migrations become 'older than the last applied' and are refused without --include-all.",
    fix="Rename the file with the current UTC time.",
    bad="supabase/migrations/29990101000000_x.sql", good="supabase/migrations/20240612093000_x.sql")
DUPLICATE = rule(
    "duplicate-version", "error", "files", "two files with the same version",
    why="schema_migrations is keyed by version: the second file fails to record, or is skipped as "
        "already applied.",
    fix="Give one of the files a new, later version.",
    bad="20240101000000_a.sql and 20240101000000_b.sql", good="20240101000000_a.sql and 20240101000001_b.sql")
OUT_OF_ORDER = rule(
    "out-of-order-migration", "error", "history", "pending file older than the newest applied migration",
    why="db push refuses a local migration older than the last one applied to the environment unless "
        "--include-all is given, and then applies it after newer ones.",
    fix="Rename the file with a version newer than the last applied one (or deliberately use include_all).",
    bad="applied up to 20240601000000; pending 20240501000000_x.sql",
    good="pending 20240602000000_x.sql")
EDITED = rule(
    "edited-applied-migration", "error", "history", "applied migration whose file changed afterwards",
    why="The environment ran the statements it stored in supabase_migrations.schema_migrations; the "
        "edit will never run there, so environments drift apart silently.",
    fix="Revert the edit and put the change in a new migration.",
    bad="editing 20240101000000_init.sql after it was pushed",
    good="a new file 20240612093000_fix_init.sql with the change")

TOLERANCE = timedelta(minutes=5)


def version_of(path: Path) -> str | None:
    m = NAME_RE.match(path.name)
    return m.group(1) if m else None


def check_names(paths: Sequence[Path], now: datetime | None = None) -> Iterator[tuple[Path, Hit]]:
    """Names, version formats, future timestamps and duplicate versions over the whole set."""
    now = now or datetime.now(UTC)
    seen: dict[str, Path] = {}
    for path in paths:
        version = version_of(path)
        if version is None:
            yield path, Hit(BAD_NAME, 0, f"{path.name} does not match <digits>_<name>.sql: the CLI skips it")
            continue
        yield from ((path, h) for h in _check_version(version, now))
        if version in seen:
            yield path, Hit(DUPLICATE, 0, f"version {version} is also used by {seen[version].name}")
        seen.setdefault(version, path)


def _check_version(version: str, now: datetime) -> Iterator[Hit]:
    if len(version) != 14:
        yield Hit(VERSION_FORMAT, 0, f"version {version} has {len(version)} digits, not 14 (YYYYMMDDHHMMSS)")
        return
    try:
        when = datetime.strptime(version, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        yield Hit(VERSION_FORMAT, 0, f"version {version} is not a valid YYYYMMDDHHMMSS timestamp")
        return
    if when > now + TOLERANCE:
        yield Hit(FUTURE, 0, f"version {version} is in the future (now {now:%Y%m%d%H%M%S} UTC)")
