-- Stub of hypopg, only where the server has no real one (Debian 12 packages it for PG 15, not 17):
-- the functions and view with their real signatures; no hypothetical index is ever created, so
-- hypopg_create_index answers no row and plans never change.
create function hypopg_create_index(sql_order text, out indexrelid oid, out indexname text) returns setof record
language sql as $$ select null::oid, null::text where false $$;
create function hypopg_drop_index(indexid oid) returns boolean language sql as $$ select false $$;
create function hypopg_reset() returns void language sql as $$ select $$;
create function hypopg_reset_index() returns void language sql as $$ select $$;
create function hypopg_relation_size(indexid oid) returns bigint language sql as $$ select 0::bigint $$;
create function hypopg_get_indexdef(indexid oid) returns text language sql as $$ select null::text $$;
create function hypopg(out indexname text, out indexrelid oid, out indrelid oid, out innatts integer,
                       out indisunique boolean, out indkey int2vector, out indcollation oidvector,
                       out indclass oidvector, out indoption oidvector, out indexprs pg_node_tree,
                       out indpred pg_node_tree, out amid oid) returns setof record
language sql as $$ select null::text, null::oid, null::oid, null::int, null::bool, null::int2vector, null::oidvector,
                          null::oidvector, null::oidvector, null::pg_node_tree, null::pg_node_tree, null::oid where false $$;
create view hypopg_list_indexes as
  select h.indexrelid, h.indexname as index_name, n.nspname as schema_name, c.relname as table_name, a.amname as am_name
  from hypopg() h join pg_class c on c.oid = h.indrelid join pg_namespace n on n.oid = c.relnamespace
  join pg_am a on a.oid = h.amid;
