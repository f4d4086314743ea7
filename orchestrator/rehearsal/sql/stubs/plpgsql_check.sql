-- Stub of plpgsql_check, only where the server has no real one (Debian 12 packages it for PG 15,
-- not 17): plpgsql_check_function and plpgsql_check_function_tb with their leading parameters;
-- they check nothing and report no finding.
create function plpgsql_check_function(funcoid regprocedure, relid regclass default 0, format text default 'text',
  fatal_errors boolean default true, other_warnings boolean default true, performance_warnings boolean default false,
  extra_warnings boolean default true, security_warnings boolean default false) returns setof text
language sql as $$ select null::text where false $$;
create function plpgsql_check_function_tb(funcoid regprocedure, relid regclass default 0,
  fatal_errors boolean default true, other_warnings boolean default true, performance_warnings boolean default false,
  extra_warnings boolean default true, security_warnings boolean default false)
returns table (functionid regproc, lineno integer, statement text, sqlstate text, message text, detail text,
               hint text, level text, "position" integer, query text, context text)
language sql as $$ select null::regproc, null::int, null, null, null, null, null, null, null::int, null, null where false $$;
