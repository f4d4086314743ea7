-- Stub of plv8: the language exists so `create function ... language plv8` is accepted and its
-- body stored, but nothing checks or runs JavaScript: the handler is PL/pgSQL's, so calling a plv8
-- function fails with a PL/pgSQL syntax error. Hosted ships plv8 up to PG 15 only.
create function @extschema@.plv8_call_handler() returns language_handler
  as '$libdir/plpgsql', 'plpgsql_call_handler' language c;
create language plv8 handler @extschema@.plv8_call_handler;
