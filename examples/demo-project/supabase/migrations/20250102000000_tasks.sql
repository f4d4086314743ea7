create table if not exists public.tasks (
  id bigint generated always as identity primary key,
  task_type text not null references public.task_types (name),
  status text not null default 'Queued',
  created_at timestamptz not null default now()
);
alter table public.tasks enable row level security;
