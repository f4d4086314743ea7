-- pgjwt rewritten by us in SQL on pgcrypto's hmac (the upstream extension is SQL too, but not packaged
-- for Debian): HS256/HS384/HS512 sign and verify, base64url helpers. Hosted ships it up to PG 15.
create function @extschema@.url_encode(data bytea) returns text language sql immutable as $$
  select translate(encode(data, 'base64'), E'+/=\n', '-_')
$$;
create function @extschema@.url_decode(data text) returns bytea language sql immutable as $$
  select decode(rpad(translate(data, '-_', '+/'), 4 * ((length(data) + 3) / 4), '='), 'base64')
$$;
create function @extschema@.algorithm_sign(signables text, secret text, algorithm text) returns text
language sql immutable as $$
  select @extschema@.url_encode(extensions.hmac(signables, secret,
    case algorithm when 'HS256' then 'sha256' when 'HS384' then 'sha384' when 'HS512' then 'sha512' end))
$$;
create function @extschema@.sign(payload json, secret text, algorithm text default 'HS256') returns text
language sql immutable as $$
  with parts as (
    select @extschema@.url_encode(convert_to(json_build_object('alg', algorithm, 'typ', 'JWT')::text, 'utf8'))
           || '.' || @extschema@.url_encode(convert_to(payload::text, 'utf8')) as signables)
  select signables || '.' || @extschema@.algorithm_sign(signables, secret, algorithm) from parts
$$;
create function @extschema@.try_cast_double(inp text) returns double precision language plpgsql immutable as $$
begin
  return inp::double precision;
exception when others then
  return null;
end $$;
create function @extschema@.verify(token text, secret text, algorithm text default 'HS256')
returns table (header json, payload json, valid boolean) language sql immutable as $$
  select convert_from(@extschema@.url_decode(r[1]), 'utf8')::json,
         convert_from(@extschema@.url_decode(r[2]), 'utf8')::json,
         r[3] = @extschema@.algorithm_sign(r[1] || '.' || r[2], secret, algorithm)
  from regexp_split_to_array(token, '\.') r
$$;
