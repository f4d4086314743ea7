-- Stub of pg_net (supabase/pg_net): the same tables, types and functions; requests are queued in
-- net.http_request_queue exactly as the real extension queues them, but no worker ever sends them,
-- so net._http_response stays empty and net._http_collect_response answers PENDING.
create schema if not exists net;
create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
create type net.http_response as (status_code integer, headers jsonb, body text);
create type net.http_response_result as (status net.request_status, message text, response net.http_response);
create unlogged table net.http_request_queue (
  id bigserial primary key,
  method text not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);
create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz default now() not null
);
create function net._enqueue(method text, url text, headers jsonb, body bytea, timeout_milliseconds integer)
returns bigint language sql as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, coalesce(headers, '{}'), body, timeout_milliseconds) returning id
$$;
create function net._with_params(url text, params jsonb) returns text language sql immutable as $$
  select url || coalesce('?' || nullif((select string_agg(key || '=' || value, '&')
                                        from jsonb_each_text(coalesce(params, '{}'))), ''), '')
$$;
create function net.http_get(url text, params jsonb default '{}', headers jsonb default '{}',
                             timeout_milliseconds integer default 5000) returns bigint
language sql as $$ select net._enqueue('GET', net._with_params(url, params), headers, null, timeout_milliseconds) $$;
create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                              headers jsonb default '{"Content-Type": "application/json"}',
                              timeout_milliseconds integer default 5000) returns bigint
language sql as $$
  select net._enqueue('POST', net._with_params(url, params), headers, convert_to(body::text, 'UTF8'),
                      timeout_milliseconds)
$$;
create function net.http_delete(url text, params jsonb default '{}', headers jsonb default '{}',
                                timeout_milliseconds integer default 5000, body jsonb default null) returns bigint
language sql as $$
  select net._enqueue('DELETE', net._with_params(url, params), headers, convert_to(body::text, 'UTF8'),
                      timeout_milliseconds)
$$;
create function net._http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result language sql as $$
  select row('PENDING', 'stub: pg_net is not installed in this rehearsal; nothing was sent', null)::net.http_response_result
$$;
create function net.http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result language sql as $$ select net._http_collect_response(request_id, async) $$;
create function net.worker_restart() returns boolean language sql as $$ select false $$;
