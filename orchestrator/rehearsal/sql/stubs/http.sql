-- Stub of pgsql-http: the http types and functions with their real signatures; a call is recorded
-- in http_stub_requests and answered with status 503 and an empty body. Nothing is sent.
create domain http_method as text;
create type http_header as (field character varying, value character varying);
create type http_request as (method http_method, uri character varying,
  headers http_header[], content_type character varying, content character varying);
create type http_response as (status integer, content_type character varying,
  headers http_header[], content character varying);
create table http_stub_requests (id bigserial primary key, request http_request,
  called_at timestamptz default now());
create function http(request http_request) returns http_response
language sql as $$
  insert into http_stub_requests (request) values (request);
  select row(503, 'text/plain', '{}', '')::http_response
$$;
create function http_header(field character varying, value character varying)
returns http_header language sql immutable as $$ select row(field, value)::http_header $$;
create function http_get(uri character varying) returns http_response
language sql as $$ select http(row('GET', uri, null, null, null)) $$;
create function http_get(uri character varying, data jsonb) returns http_response
language sql as $$ select http(row('GET', uri, null, null, data::text)) $$;
create function http_post(uri character varying, content character varying, content_type character varying)
returns http_response language sql as $$ select http(row('POST', uri, null, content_type, content)) $$;
create function http_post(uri character varying, data jsonb) returns http_response
language sql as $$ select http(row('POST', uri, null, 'application/json', data::text)) $$;
create function http_put(uri character varying, content character varying, content_type character varying)
returns http_response language sql as $$ select http(row('PUT', uri, null, content_type, content)) $$;
create function http_patch(uri character varying, content character varying, content_type character varying)
returns http_response language sql as $$ select http(row('PATCH', uri, null, content_type, content)) $$;
create function http_delete(uri character varying) returns http_response
language sql as $$ select http(row('DELETE', uri, null, null, null)) $$;
create function http_head(uri character varying) returns http_response
language sql as $$ select http(row('HEAD', uri, null, null, null)) $$;
create function urlencode(string character varying) returns text language sql immutable as $$
  select string_agg(case when c ~ '[A-Za-z0-9._~-]' then c
                         else upper(regexp_replace(encode(convert_to(c, 'utf8'), 'hex'), '(..)', '%\1', 'g')) end, '')
  from regexp_split_to_table(string, '') c
$$;
create function urlencode(data jsonb) returns text language sql immutable as $$
  select string_agg(urlencode(key) || '=' || urlencode(value), '&') from jsonb_each_text(data)
$$;
create function http_set_curlopt(curlopt character varying, value character varying) returns boolean
language sql as $$ select true $$;
create function http_reset_curlopt() returns boolean language sql as $$ select true $$;
