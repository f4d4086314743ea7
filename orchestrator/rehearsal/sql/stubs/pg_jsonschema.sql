-- Stub of pg_jsonschema: the four functions with their real signatures so that check constraints
-- and functions using them can be created; they do NOT validate: every schema is valid and every
-- instance matches it.
create function json_matches_schema(schema json, instance json) returns boolean
language sql immutable as $$ select true $$;
create function jsonb_matches_schema(schema json, instance jsonb) returns boolean
language sql immutable as $$ select true $$;
create function jsonschema_is_valid(schema json) returns boolean
language sql immutable as $$ select true $$;
create function jsonschema_validation_errors(schema json, instance json) returns text[]
language sql immutable as $$ select '{}'::text[] $$;
