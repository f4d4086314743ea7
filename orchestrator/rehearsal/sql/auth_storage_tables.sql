-- The tables of the auth and storage schemas as a hosted project has them: columns, types, defaults,
-- keys and row level security. No indexes beyond the unique ones, no check constraints, no data.
-- Facts gathered by applying supabase/auth (bc32168e13fd, 2026-08-20) and supabase/storage
-- (4fa61fba9371, 2026-08-21) migrations to a scratch PostgreSQL 15 and reading the catalog back;
-- this text is written out by our own generator, not copied from those repositories.
-- Refresh: when a migration fails on a column these tables lack (benchmarks/rehearse_history.py).

create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
create type auth.code_challenge_method as enum ('s256', 'plain');
create type auth.factor_status as enum ('unverified', 'verified');
create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
create type auth.oauth_authorization_status as enum ('pending', 'approved', 'denied', 'expired');
create type auth.oauth_client_type as enum ('public', 'confidential');
create type auth.oauth_registration_type as enum ('dynamic', 'manual');
create type auth.oauth_response_type as enum ('code');
create type auth.one_time_token_type as enum ('confirmation_token', 'reauthentication_token', 'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');
create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');

create table auth.audit_log_entries (
  instance_id uuid,
  id uuid not null,
  payload json,
  created_at timestamp with time zone,
  ip_address character varying(64) default ''::character varying not null,
  constraint audit_log_entries_pkey PRIMARY KEY (id)
);
alter table auth.audit_log_entries enable row level security;
create table auth.custom_oauth_providers (
  id uuid default gen_random_uuid() not null,
  provider_type text not null,
  identifier text not null,
  name text not null,
  client_id text not null,
  client_secret text not null,
  acceptable_client_ids text[] default '{}'::text[] not null,
  scopes text[] default '{}'::text[] not null,
  pkce_enabled boolean default true not null,
  attribute_mapping jsonb default '{}'::jsonb not null,
  authorization_params jsonb default '{}'::jsonb not null,
  enabled boolean default true not null,
  email_optional boolean default false not null,
  issuer text,
  discovery_url text,
  skip_nonce_check boolean default false not null,
  cached_discovery jsonb,
  discovery_cached_at timestamp with time zone,
  authorization_url text,
  token_url text,
  userinfo_url text,
  jwks_uri text,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  custom_claims_allowlist text[] default '{}'::text[] not null,
  constraint custom_oauth_providers_identifier_key UNIQUE (identifier),
  constraint custom_oauth_providers_pkey PRIMARY KEY (id)
);
create table auth.flow_state (
  id uuid not null,
  user_id uuid,
  auth_code text,
  code_challenge_method auth.code_challenge_method,
  code_challenge text,
  provider_type text not null,
  provider_access_token text,
  provider_refresh_token text,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  authentication_method text not null,
  auth_code_issued_at timestamp with time zone,
  invite_token text,
  referrer text,
  oauth_client_state_id uuid,
  linking_target_id uuid,
  email_optional boolean default false not null,
  constraint flow_state_pkey PRIMARY KEY (id)
);
alter table auth.flow_state enable row level security;
create table auth.identities (
  provider_id text not null,
  user_id uuid not null,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamp with time zone,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  email text generated always as (lower((identity_data ->> 'email'::text))) stored,
  id uuid default gen_random_uuid() not null,
  constraint identities_provider_id_provider_unique UNIQUE (provider_id, provider),
  constraint identities_pkey PRIMARY KEY (id)
);
alter table auth.identities enable row level security;
create table auth.instances (
  id uuid not null,
  uuid uuid,
  raw_base_config text,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  constraint instances_pkey PRIMARY KEY (id)
);
alter table auth.instances enable row level security;
create table auth.mfa_amr_claims (
  session_id uuid not null,
  created_at timestamp with time zone not null,
  updated_at timestamp with time zone not null,
  authentication_method text not null,
  id uuid not null,
  constraint mfa_amr_claims_session_id_authentication_method_pkey UNIQUE (session_id, authentication_method),
  constraint amr_id_pk PRIMARY KEY (id)
);
alter table auth.mfa_amr_claims enable row level security;
create table auth.mfa_challenges (
  id uuid not null,
  factor_id uuid not null,
  created_at timestamp with time zone not null,
  verified_at timestamp with time zone,
  ip_address inet not null,
  otp_code text,
  web_authn_session_data jsonb,
  constraint mfa_challenges_pkey PRIMARY KEY (id)
);
alter table auth.mfa_challenges enable row level security;
create table auth.mfa_factors (
  id uuid not null,
  user_id uuid not null,
  friendly_name text,
  factor_type auth.factor_type not null,
  status auth.factor_status not null,
  created_at timestamp with time zone not null,
  updated_at timestamp with time zone not null,
  secret text,
  phone text,
  last_challenged_at timestamp with time zone,
  web_authn_credential jsonb,
  web_authn_aaguid uuid,
  last_webauthn_challenge_data jsonb,
  constraint mfa_factors_last_challenged_at_key UNIQUE (last_challenged_at),
  constraint mfa_factors_pkey PRIMARY KEY (id)
);
alter table auth.mfa_factors enable row level security;
create table auth.oauth_authorizations (
  id uuid not null,
  authorization_id text not null,
  client_id uuid not null,
  user_id uuid,
  redirect_uri text not null,
  scope text not null,
  state text,
  resource text,
  code_challenge text,
  code_challenge_method auth.code_challenge_method,
  response_type auth.oauth_response_type default 'code'::auth.oauth_response_type not null,
  status auth.oauth_authorization_status default 'pending'::auth.oauth_authorization_status not null,
  authorization_code text,
  created_at timestamp with time zone default now() not null,
  expires_at timestamp with time zone default (now() + '00:03:00'::interval) not null,
  approved_at timestamp with time zone,
  nonce text,
  constraint oauth_authorizations_authorization_code_key UNIQUE (authorization_code),
  constraint oauth_authorizations_authorization_id_key UNIQUE (authorization_id),
  constraint oauth_authorizations_pkey PRIMARY KEY (id)
);
create table auth.oauth_client_states (
  id uuid not null,
  provider_type text not null,
  code_verifier text,
  created_at timestamp with time zone not null,
  constraint oauth_client_states_pkey PRIMARY KEY (id)
);
create table auth.oauth_clients (
  id uuid not null,
  client_secret_hash text,
  registration_type auth.oauth_registration_type not null,
  redirect_uris text not null,
  grant_types text not null,
  client_name text,
  client_uri text,
  logo_uri text,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  deleted_at timestamp with time zone,
  client_type auth.oauth_client_type default 'confidential'::auth.oauth_client_type not null,
  token_endpoint_auth_method text not null,
  constraint oauth_clients_pkey PRIMARY KEY (id)
);
create table auth.oauth_consents (
  id uuid not null,
  user_id uuid not null,
  client_id uuid not null,
  scopes text not null,
  granted_at timestamp with time zone default now() not null,
  revoked_at timestamp with time zone,
  constraint oauth_consents_user_client_unique UNIQUE (user_id, client_id),
  constraint oauth_consents_pkey PRIMARY KEY (id)
);
create table auth.one_time_tokens (
  id uuid not null,
  user_id uuid not null,
  token_type auth.one_time_token_type not null,
  token_hash text not null,
  relates_to text not null,
  created_at timestamp without time zone default now() not null,
  updated_at timestamp without time zone default now() not null,
  constraint one_time_tokens_pkey PRIMARY KEY (id)
);
alter table auth.one_time_tokens enable row level security;
create table auth.refresh_tokens (
  instance_id uuid,
  id bigserial not null,
  "token" character varying(255),
  user_id character varying(255),
  revoked boolean,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  parent character varying(255),
  session_id uuid,
  constraint refresh_tokens_token_unique UNIQUE (token),
  constraint refresh_tokens_pkey PRIMARY KEY (id)
);
alter table auth.refresh_tokens enable row level security;
create table auth.saml_providers (
  id uuid not null,
  sso_provider_id uuid not null,
  entity_id text not null,
  metadata_xml text not null,
  metadata_url text,
  attribute_mapping jsonb,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  name_id_format text,
  constraint saml_providers_entity_id_key UNIQUE (entity_id),
  constraint saml_providers_pkey PRIMARY KEY (id)
);
alter table auth.saml_providers enable row level security;
create table auth.saml_relay_states (
  id uuid not null,
  sso_provider_id uuid not null,
  request_id text not null,
  for_email text,
  redirect_to text,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  flow_state_id uuid,
  constraint saml_relay_states_pkey PRIMARY KEY (id)
);
alter table auth.saml_relay_states enable row level security;
create table auth.schema_migrations (
  version character varying(255) not null,
  constraint schema_migrations_pkey PRIMARY KEY (version)
);
alter table auth.schema_migrations enable row level security;
create table auth.sessions (
  id uuid not null,
  user_id uuid not null,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamp with time zone,
  refreshed_at timestamp without time zone,
  user_agent text,
  ip inet,
  tag text,
  oauth_client_id uuid,
  refresh_token_hmac_key text,
  refresh_token_counter bigint,
  scopes text,
  constraint sessions_pkey PRIMARY KEY (id)
);
alter table auth.sessions enable row level security;
create table auth.sso_domains (
  id uuid not null,
  sso_provider_id uuid not null,
  domain text not null,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  constraint sso_domains_pkey PRIMARY KEY (id)
);
alter table auth.sso_domains enable row level security;
create table auth.sso_providers (
  id uuid not null,
  resource_id text,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  disabled boolean,
  constraint sso_providers_pkey PRIMARY KEY (id)
);
alter table auth.sso_providers enable row level security;
create table auth.users (
  instance_id uuid,
  id uuid not null,
  aud character varying(255),
  "role" character varying(255),
  email character varying(255),
  encrypted_password character varying(255),
  email_confirmed_at timestamp with time zone,
  invited_at timestamp with time zone,
  confirmation_token character varying(255),
  confirmation_sent_at timestamp with time zone,
  recovery_token character varying(255),
  recovery_sent_at timestamp with time zone,
  email_change_token_new character varying(255),
  email_change character varying(255),
  email_change_sent_at timestamp with time zone,
  last_sign_in_at timestamp with time zone,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamp with time zone,
  updated_at timestamp with time zone,
  phone text default NULL::character varying,
  phone_confirmed_at timestamp with time zone,
  phone_change text default ''::character varying,
  phone_change_token character varying(255) default ''::character varying,
  phone_change_sent_at timestamp with time zone,
  confirmed_at timestamp with time zone generated always as (LEAST(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current character varying(255) default ''::character varying,
  email_change_confirm_status smallint default 0,
  banned_until timestamp with time zone,
  reauthentication_token character varying(255) default ''::character varying,
  reauthentication_sent_at timestamp with time zone,
  is_sso_user boolean default false not null,
  deleted_at timestamp with time zone,
  is_anonymous boolean default false not null,
  constraint users_phone_key UNIQUE (phone),
  constraint users_pkey PRIMARY KEY (id)
);
alter table auth.users enable row level security;
create table auth.webauthn_challenges (
  id uuid default gen_random_uuid() not null,
  user_id uuid,
  challenge_type text not null,
  session_data jsonb not null,
  created_at timestamp with time zone default now() not null,
  expires_at timestamp with time zone not null,
  constraint webauthn_challenges_pkey PRIMARY KEY (id)
);
create table auth.webauthn_credentials (
  id uuid default gen_random_uuid() not null,
  user_id uuid not null,
  credential_id bytea not null,
  public_key bytea not null,
  attestation_type text default ''::text not null,
  aaguid uuid,
  sign_count bigint default 0 not null,
  transports jsonb default '[]'::jsonb not null,
  backup_eligible boolean default false not null,
  backed_up boolean default false not null,
  friendly_name text default ''::text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  last_used_at timestamp with time zone,
  constraint webauthn_credentials_pkey PRIMARY KEY (id)
);
create table storage.buckets (
  id text not null,
  name text not null,
  owner uuid,
  created_at timestamp with time zone default now(),
  updated_at timestamp with time zone default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text,
  type storage.buckettype default 'STANDARD'::storage.buckettype not null,
  versioning_status text default 'DISABLED'::text not null,
  constraint buckets_pkey PRIMARY KEY (id)
);
alter table storage.buckets enable row level security;
create table storage.buckets_analytics (
  name text not null,
  type storage.buckettype default 'ANALYTICS'::storage.buckettype not null,
  format text default 'ICEBERG'::text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  id uuid default gen_random_uuid() not null,
  deleted_at timestamp with time zone,
  constraint buckets_analytics_pkey PRIMARY KEY (id)
);
alter table storage.buckets_analytics enable row level security;
create table storage.buckets_vectors (
  id text not null,
  type storage.buckettype default 'VECTOR'::storage.buckettype not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint buckets_vectors_pkey PRIMARY KEY (id)
);
alter table storage.buckets_vectors enable row level security;
create table storage.iceberg_namespaces (
  id uuid default gen_random_uuid() not null,
  bucket_name text not null,
  name text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  metadata jsonb default '{}'::jsonb not null,
  catalog_id uuid not null,
  constraint iceberg_namespaces_pkey PRIMARY KEY (id)
);
alter table storage.iceberg_namespaces enable row level security;
create table storage.iceberg_tables (
  id uuid default gen_random_uuid() not null,
  namespace_id uuid not null,
  bucket_name text not null,
  name text not null,
  location text not null,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  remote_table_id text,
  shard_key text,
  shard_id text,
  catalog_id uuid not null,
  constraint iceberg_tables_pkey PRIMARY KEY (id)
);
alter table storage.iceberg_tables enable row level security;
create table storage.migrations (
  id integer not null,
  name character varying(100) not null,
  hash character varying(40) not null,
  executed_at timestamp without time zone default CURRENT_TIMESTAMP,
  constraint migrations_name_key UNIQUE (name),
  constraint migrations_pkey PRIMARY KEY (id)
);
alter table storage.migrations enable row level security;
create table storage.objects (
  id uuid default gen_random_uuid() not null,
  bucket_id text,
  name text,
  owner uuid,
  created_at timestamp with time zone default now(),
  updated_at timestamp with time zone default now(),
  last_accessed_at timestamp with time zone default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/'::text)) stored,
  version text,
  owner_id text,
  user_metadata jsonb,
  archived_at timestamp with time zone,
  is_delete_marker boolean default false not null,
  is_versioned boolean default false not null,
  constraint objects_pkey PRIMARY KEY (id)
);
alter table storage.objects enable row level security;
create table storage.s3_multipart_uploads (
  id text not null,
  in_progress_size bigint default 0 not null,
  upload_signature text not null,
  bucket_id text not null,
  key text not null,
  version text not null,
  owner_id text,
  created_at timestamp with time zone default now() not null,
  user_metadata jsonb,
  metadata jsonb,
  constraint s3_multipart_uploads_pkey PRIMARY KEY (id)
);
alter table storage.s3_multipart_uploads enable row level security;
create table storage.s3_multipart_uploads_parts (
  id uuid default gen_random_uuid() not null,
  upload_id text not null,
  size bigint default 0 not null,
  part_number integer not null,
  bucket_id text not null,
  key text not null,
  etag text not null,
  owner_id text,
  version text not null,
  created_at timestamp with time zone default now() not null,
  constraint s3_multipart_uploads_parts_pkey PRIMARY KEY (id)
);
alter table storage.s3_multipart_uploads_parts enable row level security;
create table storage.vector_indexes (
  id text default gen_random_uuid() not null,
  name text not null,
  bucket_id text not null,
  data_type text not null,
  dimension integer not null,
  distance_metric text not null,
  metadata_configuration jsonb,
  created_at timestamp with time zone default now() not null,
  updated_at timestamp with time zone default now() not null,
  constraint vector_indexes_pkey PRIMARY KEY (id)
);
alter table storage.vector_indexes enable row level security;
alter table auth.identities add constraint identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.mfa_amr_claims add constraint mfa_amr_claims_session_id_fkey FOREIGN KEY (session_id) REFERENCES auth.sessions(id) ON DELETE CASCADE;
alter table auth.mfa_challenges add constraint mfa_challenges_auth_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES auth.mfa_factors(id) ON DELETE CASCADE;
alter table auth.mfa_factors add constraint mfa_factors_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.oauth_authorizations add constraint oauth_authorizations_client_id_fkey FOREIGN KEY (client_id) REFERENCES auth.oauth_clients(id) ON DELETE CASCADE;
alter table auth.oauth_authorizations add constraint oauth_authorizations_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.oauth_consents add constraint oauth_consents_client_id_fkey FOREIGN KEY (client_id) REFERENCES auth.oauth_clients(id) ON DELETE CASCADE;
alter table auth.oauth_consents add constraint oauth_consents_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.one_time_tokens add constraint one_time_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.refresh_tokens add constraint refresh_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES auth.sessions(id) ON DELETE CASCADE;
alter table auth.saml_providers add constraint saml_providers_sso_provider_id_fkey FOREIGN KEY (sso_provider_id) REFERENCES auth.sso_providers(id) ON DELETE CASCADE;
alter table auth.saml_relay_states add constraint saml_relay_states_flow_state_id_fkey FOREIGN KEY (flow_state_id) REFERENCES auth.flow_state(id) ON DELETE CASCADE;
alter table auth.saml_relay_states add constraint saml_relay_states_sso_provider_id_fkey FOREIGN KEY (sso_provider_id) REFERENCES auth.sso_providers(id) ON DELETE CASCADE;
alter table auth.sessions add constraint sessions_oauth_client_id_fkey FOREIGN KEY (oauth_client_id) REFERENCES auth.oauth_clients(id) ON DELETE CASCADE;
alter table auth.sessions add constraint sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.sso_domains add constraint sso_domains_sso_provider_id_fkey FOREIGN KEY (sso_provider_id) REFERENCES auth.sso_providers(id) ON DELETE CASCADE;
alter table auth.webauthn_challenges add constraint webauthn_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table auth.webauthn_credentials add constraint webauthn_credentials_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;
alter table storage.iceberg_namespaces add constraint iceberg_namespaces_catalog_id_fkey FOREIGN KEY (catalog_id) REFERENCES storage.buckets_analytics(id) ON DELETE CASCADE;
alter table storage.iceberg_tables add constraint iceberg_tables_catalog_id_fkey FOREIGN KEY (catalog_id) REFERENCES storage.buckets_analytics(id) ON DELETE CASCADE;
alter table storage.iceberg_tables add constraint iceberg_tables_namespace_id_fkey FOREIGN KEY (namespace_id) REFERENCES storage.iceberg_namespaces(id) ON DELETE CASCADE;
alter table storage.objects add constraint "objects_bucketId_fkey" FOREIGN KEY (bucket_id) REFERENCES storage.buckets(id);
alter table storage.s3_multipart_uploads add constraint s3_multipart_uploads_bucket_id_fkey FOREIGN KEY (bucket_id) REFERENCES storage.buckets(id);
alter table storage.s3_multipart_uploads_parts add constraint s3_multipart_uploads_parts_bucket_id_fkey FOREIGN KEY (bucket_id) REFERENCES storage.buckets(id);
alter table storage.s3_multipart_uploads_parts add constraint s3_multipart_uploads_parts_upload_id_fkey FOREIGN KEY (upload_id) REFERENCES storage.s3_multipart_uploads(id) ON DELETE CASCADE;
alter table storage.vector_indexes add constraint vector_indexes_bucket_id_fkey FOREIGN KEY (bucket_id) REFERENCES storage.buckets_vectors(id);
create unique index bname ON storage.buckets (name);
create unique index bucketid_objname ON storage.objects (bucket_id, name);
create unique index buckets_analytics_unique_name_idx ON storage.buckets_analytics (name) WHERE (deleted_at IS NULL);
create unique index confirmation_token_idx ON auth.users (confirmation_token) WHERE ((confirmation_token)::text !~ '^[0-9 ]*$'::text);
create unique index email_change_token_current_idx ON auth.users (email_change_token_current) WHERE ((email_change_token_current)::text !~ '^[0-9 ]*$'::text);
create unique index email_change_token_new_idx ON auth.users (email_change_token_new) WHERE ((email_change_token_new)::text !~ '^[0-9 ]*$'::text);
create unique index idx_iceberg_namespaces_bucket_id ON storage.iceberg_namespaces (catalog_id, name);
create unique index idx_iceberg_tables_location ON storage.iceberg_tables (location);
create unique index idx_iceberg_tables_namespace_id ON storage.iceberg_tables (catalog_id, namespace_id, name);
create unique index mfa_factors_user_friendly_name_unique ON auth.mfa_factors (friendly_name, user_id) WHERE (TRIM(BOTH FROM friendly_name) <> ''::text);
create unique index one_time_tokens_user_id_token_type_key ON auth.one_time_tokens (user_id, token_type);
create unique index reauthentication_token_idx ON auth.users (reauthentication_token) WHERE ((reauthentication_token)::text !~ '^[0-9 ]*$'::text);
create unique index recovery_token_idx ON auth.users (recovery_token) WHERE ((recovery_token)::text !~ '^[0-9 ]*$'::text);
create unique index sso_domains_domain_idx ON auth.sso_domains (lower(domain));
create unique index sso_providers_resource_id_idx ON auth.sso_providers (lower(resource_id));
create unique index unique_phone_factor_per_user ON auth.mfa_factors (user_id, phone);
create unique index users_email_partial_key ON auth.users (email) WHERE (is_sso_user = false);
create unique index vector_indexes_name_bucket_id_idx ON storage.vector_indexes (name, bucket_id);
create unique index webauthn_credentials_credential_id_key ON auth.webauthn_credentials (credential_id);
