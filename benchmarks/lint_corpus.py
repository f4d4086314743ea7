"""Generate a realistic corpus of Supabase migrations for the lint benchmark.

    python benchmarks/lint_corpus.py OUT_DIR [--files 2000]

Each file reads like a product migration: tables with RLS and policies, indexes, added columns,
PL/pgSQL functions and triggers, some data fixes. About 22 statements a file (45,000 for 2,000
files); a few files carry the usual mistakes so both linters have something to report.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path

TYPES = ["text", "bigint", "integer", "timestamptz", "boolean", "jsonb", "numeric(12,2)", "uuid", "varchar(80)"]


def table_block(rng: random.Random, t: str) -> list[str]:
    cols = ",\n".join(f"  c{i} {rng.choice(TYPES)}{' not null' if rng.random() < .3 else ''}"
                      for i in range(rng.randint(3, 8)))
    return [
        (f"create table if not exists public.{t} (\n  id bigint generated always as identity primary key,\n"
        f"  user_id uuid not null references auth.users (id) on delete cascade,\n{cols},\n"
        f"  created_at timestamptz not null default now()\n);"),
        f"alter table public.{t} enable row level security;",
        (f"create policy \"{t}_select_own\" on public.{t} for select to authenticated\n"
        f"  using ((select auth.uid()) = user_id);"),
        (f"create policy \"{t}_insert_own\" on public.{t} for insert to authenticated\n"
        f"  with check ((select auth.uid()) = user_id);"),
        (f"create policy \"{t}_update_own\" on public.{t} for update to authenticated\n"
        f"  using ((select auth.uid()) = user_id) with check ((select auth.uid()) = user_id);"),
        f"create index if not exists {t}_user_id_idx on public.{t} (user_id);",
        f"create index if not exists {t}_created_at_idx on public.{t} (created_at desc);",
        f"comment on table public.{t} is 'Rows owned by one user ({t}).';",
    ]


def function_block(rng: random.Random, t: str) -> list[str]:
    return [
        (f"create or replace function public.{t}_touch()\nreturns trigger\nlanguage plpgsql\n"
        f"set search_path = ''\nas $$\nbegin\n  new.created_at := coalesce(new.created_at, now());\n"
        f"  if tg_op = 'UPDATE' then\n    update public.{t}_audit set seen = seen + 1 where row_id = new.id;\n"
        f"  else\n    insert into public.{t}_audit (row_id, seen) values (new.id, 1);\n  end if;\n"
        f"  return new;\nend;\n$$;"),
        (f"create trigger {t}_touch before insert or update on public.{t}\n"
        f"  for each row execute function public.{t}_touch();"),
        (f"create or replace function public.{t}_count(p_user uuid)\nreturns bigint\nlanguage plpgsql\n"
        f"stable\nset search_path = ''\nas $$\ndeclare\n  n bigint;\nbegin\n"
        f"  select count(*) into n from public.{t} where user_id = p_user;\n"
        f"  perform pg_notify('{t}', n::text);\n  return n;\nend;\n$$;"),
        f"grant execute on function public.{t}_count(uuid) to authenticated;",
    ]


def change_block(rng: random.Random, t: str) -> list[str]:
    return [
        "set lock_timeout = '5s';",
        f"alter table public.{t} add column if not exists note_{rng.randint(1, 99)} text;",
        f"alter table public.{t} add column if not exists flag_{rng.randint(1, 99)} boolean default false;",
        f"update public.{t} set c0 = c0 where id < {rng.randint(10, 10000)};",
        (f"create or replace view public.{t}_recent with (security_invoker = on) as\n"
        f"  select id, user_id, created_at from public.{t} where created_at > now() - interval '7 days';"),
        f"insert into public.settings (key, value) values ('{t}', '{{}}'::jsonb) on conflict (key) do nothing;",
        f"grant select on public.{t}_recent to authenticated;",
        f"comment on column public.{t}.c0 is 'First data column.';",
        f"revoke all on public.{t} from anon;",
    ]


def mistakes(rng: random.Random, t: str) -> list[str]:
    return rng.choice([
        [f"create index {t}_c0_idx on public.{t} (c0);"],
        [f"alter table public.{t} add constraint {t}_c0_check check (c0 is not null);"],
        [f"alter table public.{t} alter column c1 set not null;"],
        [f"alter table public.{t} drop column c2;"],
        [f"alter table public.{t} rename column c1 to c1_old;"],
        [f"alter table public.{t} add column legacy timestamp;"],
    ])


def migration(rng: random.Random, n: int) -> str:
    t = f"t{n:05d}"
    stmts = table_block(rng, t) + function_block(rng, t) + change_block(rng, f"t{max(n - 1, 0):05d}")
    stmts.append(f"create table if not exists public.{t}_audit (row_id bigint primary key, seen bigint);")
    stmts.append(f"alter table public.{t}_audit enable row level security;")
    if rng.random() < 0.15:
        stmts += mistakes(rng, f"t{max(n - 1, 0):05d}")
    return f"-- migration {n}: {t}\n\n" + "\n\n".join(stmts) + "\n"


def write_corpus(out: Path, files: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2023, 1, 1)
    paths = []
    for n in range(files):
        version = (start + timedelta(minutes=37 * n)).strftime("%Y%m%d%H%M%S")
        path = out / f"{version}_change_{n:05d}.sql"
        path.write_text(migration(rng, n), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=2000)
    args = ap.parse_args()
    paths = write_corpus(args.out, args.files)
    print(f"wrote {len(paths)} files to {args.out}")


if __name__ == "__main__":
    main()
