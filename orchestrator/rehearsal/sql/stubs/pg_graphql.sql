-- Stub of pg_graphql: the graphql schema and graphql.resolve with its real signature, so
-- graphql_public.graphql and `comment on ... '@graphql(...)'` work; resolve answers a GraphQL error
-- instead of executing the query (the rehearsal has no schema reflection).
create function graphql.resolve(query text default null, variables jsonb default '{}', "operationName" text default null,
                                extensions jsonb default null) returns jsonb language sql stable as $$
  select jsonb_build_object('errors', jsonb_build_array(jsonb_build_object(
    'message', 'pg_graphql is a stub in this rehearsal: queries are not executed')))
$$;
create function graphql.comment_directive(comment_ text) returns jsonb language sql immutable as $$
  select substring(comment_ from '@graphql\((.*)\)')::jsonb
$$;
grant usage on schema graphql to postgres, anon, authenticated, service_role;
grant execute on all functions in schema graphql to postgres, anon, authenticated, service_role;
create or replace function graphql_public.graphql("operationName" text default null, query text default null,
                                                  variables jsonb default null, extensions jsonb default null)
returns jsonb language sql as $$ select graphql.resolve(query, coalesce(variables, '{}'), "operationName", extensions) $$;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to postgres, anon, authenticated, service_role;
