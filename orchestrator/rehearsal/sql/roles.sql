-- The roles of a hosted Supabase project (cluster-wide, so idempotent).
-- Facts: supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql and
-- 00000000000003-post-setup.sql, migrations/db/migrations/* (role grants and settings added since).
do $$
declare
  spec text[];
begin
  foreach spec slice 1 in array array[
    ['supabase_admin',             'superuser createdb createrole replication bypassrls login'],
    ['anon',                       'nologin noinherit'],
    ['authenticated',              'nologin noinherit'],
    ['service_role',               'nologin noinherit bypassrls'],
    ['authenticator',              'login noinherit'],
    ['supabase_auth_admin',        'login noinherit createrole'],
    ['supabase_storage_admin',     'login noinherit createrole'],
    ['supabase_functions_admin',   'login noinherit createrole'],
    ['supabase_realtime_admin',    'nologin noinherit'],
    ['supabase_replication_admin', 'login replication'],
    ['supabase_read_only_user',    'login bypassrls'],
    ['dashboard_user',             'nologin createdb createrole replication'],
    ['pgbouncer',                  'login']
  ] loop
    if not exists (select from pg_roles where rolname = spec[1]) then
      execute format('create role %I %s', spec[1], spec[2]);
    end if;
  end loop;
end $$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant supabase_auth_admin, supabase_storage_admin to postgres;
grant authenticator, anon, authenticated, service_role to supabase_storage_admin;
grant pg_read_all_data to supabase_read_only_user;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_storage_admin set search_path = storage;
