-- Stub of supabase_vault: the vault.secrets table, the vault.decrypted_secrets view and the
-- create/update functions, with the secret kept as plain text (no libsodium, no key): nothing is
-- encrypted, so a rehearsal database must never hold real secrets.
create table vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text default '' not null,
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz default now() not null,
  updated_at timestamptz default now() not null
);
create unique index secrets_name_idx on vault.secrets (name) where name is not null;
create view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
  from vault.secrets;
create function vault.create_secret(new_secret text, new_name text default null, new_description text default '',
                                    new_key_id uuid default null) returns uuid
language sql security definer set search_path = '' as $$
  insert into vault.secrets (secret, name, description, key_id)
  values (new_secret, new_name, coalesce(new_description, ''), new_key_id) returning id
$$;
create function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null,
                                    new_description text default null, new_key_id uuid default null) returns void
language sql security definer set search_path = '' as $$
  update vault.secrets set secret = coalesce(new_secret, secret), name = coalesce(new_name, name),
         description = coalesce(new_description, description), key_id = coalesce(new_key_id, key_id),
         updated_at = now()
  where id = secret_id
$$;
revoke all on vault.secrets, vault.decrypted_secrets from public;
grant usage on schema vault to postgres, service_role;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres, service_role;
