-- The schemas of a hosted Supabase project, before its tables (auth_storage_tables.sql) are created.
-- Facts: supabase/postgres migrations/db/init-scripts/* and migrations/db/migrations/*.
create schema if not exists extensions;
create schema if not exists auth authorization supabase_auth_admin;
create schema if not exists storage authorization supabase_storage_admin;
create schema if not exists realtime;
create schema if not exists _realtime;
create schema if not exists graphql_public;
create schema if not exists pgbouncer;
create schema if not exists supabase_functions authorization supabase_admin;

-- Every hosted project has these in `extensions` (pgjwt only up to PG 15: apply_baseline adds it)
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
