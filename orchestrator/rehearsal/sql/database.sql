-- Functions, grants and default privileges of a hosted Supabase project, after its tables exist.
-- Facts: supabase/postgres (init-scripts, migrations), supabase/auth and supabase/storage migrations,
-- supabase/realtime; written by us. Function bodies match the documented behaviour, not the code.

-- auth: the JWT of the request, as PostgREST sets it (request.jwt.claims; the older one-claim
-- settings request.jwt.claim.sub/role/email are still read first, as hosted does)
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  auth.jwt() ->> 'sub')::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role')
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), auth.jwt() ->> 'email')
$$;
alter function auth.jwt() owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;

do $$
declare t record;
begin
  for t in select schemaname, tablename from pg_tables where schemaname in ('auth', 'storage') loop
    execute format('alter table %I.%I owner to %I', t.schemaname, t.tablename,
                   case t.schemaname when 'auth' then 'supabase_auth_admin' else 'supabase_storage_admin' end);
  end loop;
end $$;

grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin, dashboard_user, postgres;
grant all on all tables in schema auth to dashboard_user, postgres;
grant all on all sequences in schema auth to dashboard_user, postgres;
grant all on all routines in schema auth to dashboard_user, postgres;
grant execute on all functions in schema auth to anon, authenticated, service_role;

-- storage: path helpers used in policies (`(storage.foldername(name))[1] = auth.uid()::text`)
create or replace function storage.foldername(name text) returns text[] language sql immutable as $$
  select (string_to_array(name, '/'))[1 : cardinality(string_to_array(name, '/')) - 1]
$$;
create or replace function storage.filename(name text) returns text language sql immutable as $$
  select (string_to_array(name, '/'))[cardinality(string_to_array(name, '/'))]
$$;
create or replace function storage.extension(name text) returns text language sql immutable as $$
  select reverse(split_part(reverse(storage.filename(name)), '.', 1))
$$;
create or replace function storage.get_size_by_bucket() returns table (size bigint, bucket_id text)
language sql stable as $$
  select sum((o.metadata ->> 'size')::bigint), o.bucket_id from storage.objects o group by o.bucket_id
$$;
create or replace function storage.operation() returns text language sql stable as $$
  select current_setting('storage.operation', true)
$$;
create or replace function storage.can_insert_object(bucketid text, name text, owner uuid, metadata jsonb)
returns void language plpgsql as $$
begin
  insert into storage.objects (bucket_id, name, owner, metadata) values (bucketid, name, owner, metadata);
  raise sqlstate 'PT200' using message = 'ROLLBACK', detail = 'rollback successful insert';
end $$;
create or replace function storage.update_updated_at_column() returns trigger language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end $$;
grant usage on schema storage to postgres, anon, authenticated, service_role;
grant all on schema storage to supabase_storage_admin, dashboard_user;
grant all on all tables in schema storage to postgres, anon, authenticated, service_role;
grant all on all sequences in schema storage to postgres, anon, authenticated, service_role, dashboard_user;
grant all on all routines in schema storage to postgres, anon, authenticated, service_role, dashboard_user;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_storage_admin in schema storage
  grant all on sequences to postgres, anon, authenticated, service_role;

-- realtime: Broadcast/Presence authorization lives in policies on realtime.messages
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone default now() not null,
  inserted_at timestamp without time zone default now() not null,
  id uuid default gen_random_uuid() not null,
  primary key (id, inserted_at)
) partition by range (inserted_at);
alter table realtime.messages enable row level security;
create table if not exists realtime.schema_migrations (version bigint primary key, inserted_at timestamp(0));
create table if not exists realtime.subscription (
  id bigint generated always as identity primary key,
  subscription_id uuid not null,
  entity regclass not null,
  filters jsonb default '[]' not null,
  claims jsonb not null,
  created_at timestamp without time zone default timezone('utc', now()) not null
);
create or replace function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')
$$;
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql as $$
begin
  insert into realtime.messages (payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast');
end $$;
create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW') returns void language plpgsql as $$
begin
  perform realtime.send(jsonb_build_object('operation', operation, 'table', table_name,
    'schema', table_schema, 'record', to_jsonb(new), 'old_record', to_jsonb(old)), event_name, topic_name);
end $$;
grant usage on schema realtime to postgres, anon, authenticated, service_role, supabase_realtime_admin;
grant all on all tables in schema realtime to postgres, service_role, supabase_realtime_admin, dashboard_user;
grant select, insert, update on realtime.messages to anon, authenticated;
grant execute on all functions in schema realtime to postgres, anon, authenticated, service_role;
alter schema realtime owner to supabase_admin;

-- Database Webhooks (supabase_functions.http_request), as dashboards and `db diff` write them
create table if not exists supabase_functions.migrations (version text primary key,
  inserted_at timestamptz default now() not null);
create table if not exists supabase_functions.hooks (
  id bigserial primary key,
  hook_table_id integer not null,
  hook_name text not null,
  created_at timestamptz default now() not null,
  request_id bigint
);
create or replace function supabase_functions.http_request() returns trigger
language plpgsql security definer set search_path = supabase_functions as $$
declare
  request_id bigint;
  payload jsonb;
begin
  payload = jsonb_build_object('old_record', to_jsonb(old), 'record', to_jsonb(new), 'type', tg_op,
                               'table', tg_table_name, 'schema', tg_table_schema);
  if tg_argv[1] = 'POST' then
    select net.http_post(tg_argv[0], payload, '{}'::jsonb, coalesce(tg_argv[2], '{}')::jsonb,
                         coalesce(tg_argv[4], '1000')::int) into request_id;
  else
    select net.http_get(tg_argv[0], coalesce(tg_argv[3], '{}')::jsonb, coalesce(tg_argv[2], '{}')::jsonb,
                        coalesce(tg_argv[4], '1000')::int) into request_id;
  end if;
  insert into supabase_functions.hooks (hook_table_id, hook_name, request_id)
  values (tg_relid, tg_name, request_id);
  return new;
end $$;
grant usage on schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on all tables in schema supabase_functions to postgres, anon, authenticated, service_role;
grant all on all sequences in schema supabase_functions to postgres, anon, authenticated, service_role;
grant execute on all functions in schema supabase_functions to postgres, anon, authenticated, service_role;
alter function supabase_functions.http_request() owner to supabase_functions_admin;

-- pgbouncer's auth_query
create or replace function pgbouncer.get_auth(p_usename text) returns table (username text, password text)
language sql security definer as $$
  select usename::text, passwd::text from pg_catalog.pg_shadow where usename = p_usename
$$;
revoke all on function pgbouncer.get_auth(text) from public;
grant execute on function pgbouncer.get_auth(text) to pgbouncer;

-- extensions and public: what the API roles may use, and what new objects grant them
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage on schema graphql_public to postgres, anon, authenticated, service_role;
do $$
declare owner text;
begin
  foreach owner in array array['postgres', 'supabase_admin'] loop
    execute format('alter default privileges for role %I in schema public grant all on tables to '
                   'postgres, anon, authenticated, service_role', owner);
    execute format('alter default privileges for role %I in schema public grant all on functions to '
                   'postgres, anon, authenticated, service_role', owner);
    execute format('alter default privileges for role %I in schema public grant all on sequences to '
                   'postgres, anon, authenticated, service_role', owner);
  end loop;
end $$;

-- Realtime's publication starts empty; projects add their tables to it
do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
