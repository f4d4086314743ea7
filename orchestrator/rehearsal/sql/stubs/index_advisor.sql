-- Stub of index_advisor (supabase): the function with its real signature; it proposes no index and
-- reports that it is a stub (the real one plans the query with hypothetical indexes from hypopg).
create function index_advisor(query text)
returns table (startup_cost_before jsonb, startup_cost_after jsonb, total_cost_before jsonb,
               total_cost_after jsonb, index_statements text[], errors text[])
language sql stable as $$
  select null::jsonb, null::jsonb, null::jsonb, null::jsonb, '{}'::text[],
         array['index_advisor is a stub in this rehearsal: no advice']
$$;
