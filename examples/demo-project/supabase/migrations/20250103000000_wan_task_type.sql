-- Upsert, as the runbook says: safe to re-run, never a reset.
insert into public.task_types (name, category, is_active)
values ('wan_2_2_i2v', 'generation', true)
on conflict (name) do update set category = excluded.category, is_active = true;
