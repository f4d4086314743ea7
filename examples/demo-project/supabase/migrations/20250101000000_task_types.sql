-- Task types drive how completed tasks become generations.
create table if not exists public.task_types (
  name text primary key,
  category text not null default 'generation',
  is_active boolean not null default true
);
alter table public.task_types enable row level security;
