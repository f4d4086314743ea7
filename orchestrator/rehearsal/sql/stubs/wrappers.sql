-- Stub of wrappers (supabase/wrappers): each wrapper's handler, validator and meta functions and the
-- wrappers_fdw_stats table, so foreign data wrappers, servers and foreign tables can be created as on
-- hosted. Nothing reaches an outside service: the handlers are file_fdw's, so any query on a foreign
-- table fails ("either filename or program is required for file_fdw foreign tables"); validators
-- accept every option.
create table wrappers_fdw_stats (
  fdw_name text primary key, create_times bigint, rows_in bigint, rows_out bigint, bytes_in bigint,
  bytes_out bigint, metadata jsonb, created_at timestamptz default now() not null,
  updated_at timestamptz default now() not null
);
create function airtable_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function airtable_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function airtable_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'AirtableFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function auth0_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function auth0_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function auth0_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'Auth0Fdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function big_query_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function big_query_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function big_query_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'BigqueryFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function click_house_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function click_house_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function click_house_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'ClickhouseFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function cognito_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function cognito_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function cognito_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'CognitoFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function firebase_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function firebase_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function firebase_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'FirebaseFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function logflare_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function logflare_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function logflare_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'LogflareFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function mssql_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function mssql_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function mssql_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'MssqlFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function redis_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function redis_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function redis_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'RedisFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function s3_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function s3_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function s3_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'S3Fdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function stripe_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function stripe_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function stripe_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'StripeFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
create function wasm_fdw_handler() returns fdw_handler as '$libdir/file_fdw', 'file_fdw_handler' language c strict;
create function wasm_fdw_validator(options text[], catalog oid) returns void language sql as $$ select $$;
create function wasm_fdw_meta() returns table (name text, version text, author text, website text)
language sql as $$ select 'WasmFdw'::text, 'stub'::text, 'supabase-orchestrator rehearsal'::text, ''::text $$;
